//! The one integration-test binary: every topic module builds into it, so the suite links once.
//! Topic modules live in `tests/it/` (a subfolder, so cargo does not make each its own binary);
//! shared helpers in `tests/common/`.

mod common;

#[path = "it/bad_input.rs"]
mod bad_input;
#[path = "it/blockmap.rs"]
mod blockmap;
#[path = "it/cli_conventions.rs"]
mod cli_conventions;
#[path = "it/clock.rs"]
mod clock;
#[path = "it/crash.rs"]
mod crash;
#[path = "it/dax.rs"]
mod dax;
#[path = "it/dax_kernel.rs"]
mod dax_kernel;
#[path = "it/docs.rs"]
mod docs;
#[path = "it/e2fs_parity.rs"]
mod e2fs_parity;
#[path = "it/files_bad_input.rs"]
mod files_bad_input;
#[path = "it/files_model.rs"]
mod files_model;
#[path = "it/files_stock.rs"]
mod files_stock;
#[path = "it/fsck_answers.rs"]
mod fsck_answers;
#[path = "it/fsck_cli.rs"]
mod fsck_cli;
#[path = "it/fsck_corpus.rs"]
mod fsck_corpus;
#[path = "it/fsck_e2fs_corpus.rs"]
mod fsck_e2fs_corpus;
#[path = "it/fsck_sweep.rs"]
mod fsck_sweep;
// The fuzz target's image and harness (fuzz/ is its own crate; this is the same source file).
#[path = "../fuzz/common/fsck_image.rs"]
mod fuzz_fsck_image;
#[path = "it/inline_data.rs"]
mod inline_data;
#[path = "it/inspect.rs"]
mod inspect;
#[path = "it/journal.rs"]
mod journal;
#[path = "it/kernel.rs"]
mod kernel;
#[path = "it/layers.rs"]
mod layers;
#[path = "it/lock.rs"]
mod lock;
#[path = "it/mkfs.rs"]
mod mkfs;
#[path = "it/ondisk_kat.rs"]
mod ondisk_kat;
#[path = "it/oracle.rs"]
mod oracle;
