//! The oracle's wrappers fail when the oracle does: debugfs exits 0 when a `-R` command fails, so
//! a helper trusting the exit status would hand back empty output, and two empty outputs compare
//! equal (issue 13, finding 8).

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::common::*;

/// Whether `f` panics (its message still goes to stderr).
fn panics(f: impl FnOnce()) -> bool {
    catch_unwind(AssertUnwindSafe(f)).is_err()
}

#[test]
fn debugfs_helpers_fail_when_a_command_fails() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let image = stock_image(dir.path(), "oracle.img", 16 * MIB, UUID_A, &[]);
    // Commands that succeed go through and say something.
    assert!(debugfs(&image, "ls -l /").contains("lost+found"));
    assert!(debugfs_ls(&image, "/").iter().any(|(n, _)| n == "lost+found"));
    debugfs_w(&image, &["mkdir /d"]);
    assert!(debugfs_bytes(&image, "cat /d").len() == BLOCK_SIZE as usize);
    // Commands that fail (debugfs still exits 0) are failures of the helper, not empty output.
    assert!(panics(|| drop(debugfs(&image, "ex /missing"))), "debugfs: a missing file passed");
    assert!(panics(|| drop(debugfs_leaf_extents(&image, "/missing"))), "debugfs ex of a missing file passed");
    assert!(panics(|| drop(debugfs_ls(&image, "/missing"))), "debugfs ls of a missing directory passed");
    assert!(panics(|| drop(debugfs_bytes(&image, "cat /missing"))), "debugfs cat of a missing file passed");
    assert!(panics(|| drop(debugfs(&image, "no_such_command"))), "an unknown debugfs command passed");
    assert!(panics(|| debugfs_w(&image, &["mkdir /missing/d"])), "debugfs -w: a failed mkdir passed");
}
