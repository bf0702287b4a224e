//! One clock for every writing command: the same command sequence with the same `--time` (or
//! `E4DAX_TIME`) and mkfs `--uuid` gives byte-identical images.

use std::path::{Path, PathBuf};

use crate::common::{assert_e2fsck_clean, e4dax, tempdir, UUID_A};

/// mkfs, create, fallocate, punch, rm on `dir/name`; `time` goes on the command line when
/// `Some`, else `E4DAX_TIME` is set to `env_time`.
fn workload(dir: &Path, name: &str, time: Option<&str>, env_time: &str) -> PathBuf {
    let img = dir.join(name);
    let i = img.to_str().expect("utf-8 temp path");
    let steps: [&[&str]; 6] = [
        &["mkfs", i, "--size", "32M", "--uuid", UUID_A],
        &["create", i, "/d", "--dir"],
        &["create", i, "/d/f"],
        &["fallocate", i, "/d/f", "--offset", "0", "--len", "1M"],
        &["punch", i, "/d/f", "--offset", "64K", "--len", "128K"],
        &["rm", i, "/d/f"],
    ];
    for step in steps {
        let mut cmd = e4dax();
        cmd.args(step);
        match time {
            Some(t) => {
                cmd.args(["--time", t]).env_remove("E4DAX_TIME");
            }
            None => {
                cmd.env("E4DAX_TIME", env_time);
            }
        }
        cmd.assert().success();
    }
    img
}

#[test]
fn same_time_gives_byte_identical_images() {
    let dir = tempdir();
    let d = dir.path();
    let a = workload(d, "a.img", Some("1700000000"), "");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let b = workload(d, "b.img", Some("1700000000"), "");
    let c = workload(d, "c.img", None, "1700000000");
    let (ba, bb, bc) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), std::fs::read(&c).unwrap());
    assert!(ba == bb, "--time: two runs differ");
    assert!(ba == bc, "E4DAX_TIME and --time differ");
    let other = workload(d, "o.img", Some("1700000001"), "");
    assert!(std::fs::read(&other).unwrap() != ba, "a different time must give a different image");
    assert_e2fsck_clean(&a);
}

#[test]
fn bad_e4dax_time_is_a_usage_error() {
    let dir = tempdir();
    let img = dir.path().join("x.img");
    e4dax().args(["mkfs", img.to_str().unwrap(), "--size", "32M"]).env("E4DAX_TIME", "soon").assert().code(2);
    assert!(!img.exists());
}
