//! Proves that an image in use by another process is refused, never raced: while this test
//! process holds a lock on the image file (`File::lock`, i.e. flock), `e4dax mkfs --force` and
//! `e4dax inspect` are refused with "in use" and leave the file unchanged; once the lock is
//! released the same commands work.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::common::*;

fn open_rw(path: &Path) -> File {
    OpenOptions::new().read(true).write(true).open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
}

fn mkfs_force_args(path: &Path) -> Vec<std::ffi::OsString> {
    vec![
        "mkfs".into(),
        path.into(),
        "--size".into(),
        "16M".into(),
        "--uuid".into(),
        UUID_A.into(),
        "--time".into(),
        TIME.into(),
        "--force".into(),
    ]
}

fn assert_in_use(out: &std::process::Output, what: &str) {
    let line = assert_runtime_error(out, what);
    assert!(line.contains("in use"), "{what}: expected \"in use\": {line}");
}

#[test]
fn mkfs_refuses_an_image_locked_by_another_process() {
    let dir = tempdir();
    let path = dir.path().join("locked.img");
    let bytes = pseudo_random(256 * KIB as usize, 0x10c4);
    write_bytes(&path, &bytes);

    let holder = open_rw(&path);
    holder.lock().expect("take the exclusive lock");
    let out = run_e4dax(&mkfs_force_args(&path));
    assert_in_use(&out, "mkfs --force on a locked image");
    assert_unchanged(&path, &bytes, "mkfs --force on a locked image");

    holder.unlock().expect("unlock");
    drop(holder);
    let out = run_e4dax(&mkfs_force_args(&path));
    assert!(out.status.success(), "mkfs --force after the lock is gone: {out:?}");
}

#[test]
fn mkfs_refuses_an_image_another_process_is_reading() {
    let dir = tempdir();
    let image = mkfs(dir.path(), "read.img", "16M", &[]);
    let before = read_bytes(&image);

    let reader = File::open(&image).expect("open");
    reader.lock_shared().expect("take a shared lock");
    let out = run_e4dax(&mkfs_force_args(&image));
    assert_in_use(&out, "mkfs --force on an image being read");
    assert_unchanged(&image, &before, "mkfs --force on an image being read");
}

#[test]
fn inspect_refuses_an_image_locked_by_another_process() {
    let dir = tempdir();
    let image = mkfs(dir.path(), "locked.img", "16M", &[]);
    let before = read_bytes(&image);

    let holder = open_rw(&image);
    holder.lock().expect("take the exclusive lock");
    for what in ["super", "groups"] {
        let out = run_e4dax(&["inspect".as_ref(), image.as_os_str(), what.as_ref()]);
        assert_in_use(&out, &format!("inspect {what} on a locked image"));
        assert_unchanged(&image, &before, &format!("inspect {what} on a locked image"));
    }

    holder.unlock().expect("unlock");
    drop(holder);
    let js = inspect_json(&image, "super");
    assert_eq!(jstr(&js, "uuid"), UUID_A);
}
