//! Fuzz `fsck` the way `e4dax fsck` runs it (the library's `open::open_for_check`, then the
//! checker): `-n`, and on request `-y` then `-n` again, on a small image whose metadata the input
//! rewrites. The image, the input format and the checks are in `../common/fsck_image.rs`, shared
//! with the test that replays what the fuzzer found (`fsck_fuzz_regressions` in
//! `tests/it/fsck_sweep.rs`). A panic — a bug of e4dax's, or a broken rule: `-n` wrote, or `-y`
//! ended 0 or 1 and `-n` then was not clean — an abort or a hang is a finding.

#![no_main]

#[path = "../common/fsck_image.rs"]
mod fsck_image;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    fsck_image::run(input);
});
