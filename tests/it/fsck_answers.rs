//! fsck's answers on damage e2fsck reports the same way (issue 10, "wrong answers on our own kind
//! of image"): a bad group checksum as e2fsck answers it (its UNINIT flags untrusted), a repaired bitmap is not also a checksum
//! finding, bitmap differences name their blocks.

use std::path::Path;

use crate::common::{debugfs_w, e2fsprogs, inspect_json, mkfs, run_e4dax, tempdir, tool};

fn fsck(img: &Path, mode: &str) -> (i32, serde_json::Value) {
    let out = run_e4dax(&["fsck", "-f", mode, img.to_str().unwrap(), "--json"]);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("fsck {mode}: {e}"));
    (out.status.code().unwrap_or(-1), v)
}

fn e2fsck(img: &Path, mode: &str) -> i32 {
    let out = std::process::Command::new(tool("e2fsck")).args([mode, img.to_str().unwrap()]).output().unwrap();
    out.status.code().unwrap_or(-1)
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v["findings"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_bad_group_checksum_is_answered_as_e2fsck_answers_it() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = mkfs(dir.path(), "g.img", "160M", &[]);
    // Group 1 starts INODE_UNINIT: with its checksum bad the flag is not trusted, its inode
    // bitmap is read as it is, and its padding is not set (e2fsck: exit 4).
    let g1 = dir.path().join("g1.img");
    std::fs::copy(&img, &g1).unwrap();
    debugfs_w(&g1, &["set_bg 1 checksum 7"]);
    assert_eq!(e2fsck(&g1, "-fn"), 4);
    let (code, v) = fsck(&g1, "-n");
    assert_eq!(names(&v), ["GD_CHECKSUM", "BITMAP_PADDING"]);
    assert_eq!((code, v["uncorrected"].as_bool()), (4, Some(true)));
    assert_eq!(fsck(&g1, "-p").0, 1);
    assert_eq!(fsck(&g1, "-n").0, 0);
    assert_eq!(e2fsck(&g1, "-fn"), 0);
    // Group 0's checksum alone: e2fsck reports it, answers no, and exits 0.
    let g0 = dir.path().join("g0.img");
    std::fs::copy(&img, &g0).unwrap();
    debugfs_w(&g0, &["set_bg 0 checksum 7"]);
    assert_eq!(e2fsck(&g0, "-fn"), 0);
    let (code, v) = fsck(&g0, "-n");
    assert_eq!((code, names(&v)), (0, vec!["GD_CHECKSUM".to_string()]));
}

#[test]
fn a_repaired_bitmap_is_not_also_a_checksum_finding_and_names_its_blocks() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = mkfs(dir.path(), "b.img", "16M", &[]);
    let itable = inspect_json(&img, "groups")[0]["inode_table"].as_u64().unwrap();
    let (a, b) = (itable + 5, itable + 7);
    debugfs_w(&img, &[&format!("freeb {a} 3")]);
    assert_eq!(e2fsck(&img, "-fn"), 4);
    let (code, v) = fsck(&img, "-n");
    assert_eq!(code, 4);
    let msgs: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
    let bitmap = msgs.iter().find(|m| m.starts_with("block bitmap differences")).expect("a bitmap finding");
    assert!(bitmap.ends_with(&format!("group 0: +({a}--{b})")), "{bitmap}");
    let (code, v) = fsck(&img, "-y");
    assert_eq!(code, 1, "{v:#}");
    assert!(!names(&v).contains(&"BITMAP_CHECKSUM".to_string()), "{:?}", names(&v));
    assert_eq!(fsck(&img, "-n").0, 0);
    assert_eq!(e2fsck(&img, "-fn"), 0);
}

#[test]
fn a_cleared_journal_inode_is_an_invalid_journal_deleted_by_y() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = mkfs(dir.path(), "j.img", "32M", &[]);
    debugfs_w(&img, &["clri <8>"]);
    // e2fsck -fn reports it, answers no and cannot go on (exit 12); we check the rest without the
    // journal and exit 4.
    assert_eq!(e2fsck(&img, "-fn"), 12);
    let (code, v) = fsck(&img, "-n");
    assert_eq!(code, 4, "{v:#}");
    // The journal's blocks belong to no inode any more: pass 5 frees them, as e2fsck's does.
    assert_eq!(names(&v), ["JOURNAL_INODE_INVALID", "BLOCK_BITMAP", "GROUP_FREE_BLOCKS", "SB_FREE_BLOCKS"]);
    assert!(v["findings"][0]["message"].as_str().unwrap().contains("inode 8"));
    let theirs = dir.path().join("theirs.img");
    std::fs::copy(&img, &theirs).expect("copy");
    let (code, v) = fsck(&img, "-y");
    assert_eq!(code, 1, "{v:#}");
    // As e2fsck -fy: the invalid journal deleted, then at the end a new one of the size
    // e2fsprogs picks for the file system ("Recreate journal? yes").
    assert_eq!(names(&v).last().map(String::as_str), Some("JOURNAL_RECREATE"), "{v:#}");
    assert_eq!(fsck(&img, "-n").0, 0);
    assert_eq!(e2fsck(&img, "-fn"), 0);
    assert_eq!(e2fsck(&theirs, "-fy"), 1);
    let jblocks = |i: &std::path::Path| {
        let out = std::process::Command::new("dumpe2fs").arg("-h").arg(i).output().expect("dumpe2fs");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let line = text.lines().find(|l| l.starts_with("Total journal blocks:")).map(str::to_string);
        (text.contains("has_journal"), line)
    };
    let (ours, theirs) = (jblocks(&img), jblocks(&theirs));
    assert!(ours.0 && ours.1.is_some(), "{ours:?}");
    assert_eq!(ours, theirs);
    // The new journal carries transactions: a change through it, then both checkers agree.
    assert!(run_e4dax(&["create", img.to_str().unwrap(), "/after", "--size", "8K"]).status.success());
    assert_eq!(fsck(&img, "-n").0, 0);
    assert_eq!(e2fsck(&img, "-fn"), 0);
}

/// `fsck -p` decides as `e2fsck -p` problem by problem (exit 1: fixed; 4: needs a manual run).
#[test]
fn preen_decides_as_e2fsck_preen() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let base = mkfs(dir.path(), "p.img", "32M", &[]);
    for p in ["/dir", "/dir/f1", "/f3"] {
        let mut args = vec!["create", base.to_str().unwrap(), p, "--size", "4K"];
        if p == "/dir" {
            args = vec!["create", base.to_str().unwrap(), p, "--dir"];
        }
        assert!(run_e4dax(&args).status.success());
    }
    let cases: [(&str, &[&str], i32); 3] = [
        // An entry left to a cleared inode: preen clears the entry (and frees what it held).
        ("clri", &["clri /dir/f1"], 1),
        // A dtime below the inode count: a link of the orphan list, not preen's business.
        ("low-dtime", &["sif /f3 dtime 100"], 4),
        // Any other dtime on a live inode: preen clears it.
        ("dtime", &["sif /f3 dtime 1800000000"], 1),
    ];
    for (name, cmds, want) in cases {
        let (a, b) = (dir.path().join(format!("{name}-a.img")), dir.path().join(format!("{name}-b.img")));
        std::fs::copy(&base, &a).unwrap();
        debugfs_w(&a, cmds);
        std::fs::copy(&a, &b).unwrap();
        assert_eq!(e2fsck(&a, "-fp"), want, "{name}: e2fsck -p");
        let (code, v) = fsck(&b, "-p");
        assert_eq!(code, want, "{name}: fsck -p {v:#}");
    }
}

/// One definition of stale data for `read --check-stale` and `fsck --data`: any block of a
/// written extent holding the pattern, past i_size too.
#[test]
fn stale_data_past_i_size_is_stale_data_for_read_and_fsck() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = mkfs(dir.path(), "s.img", "32M", &["--poison"]);
    let i = img.to_str().unwrap();
    assert!(run_e4dax(&["create", i, "/f", "--size", "8K"]).status.success());
    // Block 1 written without zeroing (the skip-zero bug), then i_size cut to block 0.
    let out = run_e4dax(&["fault", i, "/f", "--offset", "4K", "--write", "--inject", "skip-zero"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    debugfs_w(&img, &["sif /f size 4096"]);
    let out = run_e4dax(&["read", i, "/f", "--check-stale", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let logical: Vec<u64> = v["stale"].as_array().unwrap().iter().map(|s| s["logical"].as_u64().unwrap()).collect();
    assert_eq!(logical, [1]);
    // Limited to i_size, nothing.
    assert_eq!(run_e4dax(&["read", i, "/f", "--check-stale", "--len", "4096"]).status.code(), Some(0));
    let out = run_e4dax(&["fsck", "-fn", "--data", i, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stale: Vec<u64> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"] == "STALE_DATA")
        .map(|f| f["logical"].as_u64().unwrap())
        .collect();
    assert_eq!(stale, [1]);
}
