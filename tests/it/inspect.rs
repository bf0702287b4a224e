//! Proves that `e4dax inspect IMAGE super|groups` reports what `dumpe2fs` reports, field by field,
//! on images made by stock `mkfs.ext4 -b 4096` and on e4dax's own; that `--json` is global; that
//! the human output carries the same facts; and that inspect never writes (bytes and mtime).

use std::path::Path;

use crate::common::*;

/// Compares `inspect super --json` with `dumpe2fs -h`; returns the JSON for further checks.
fn compare_super(image: &Path) -> serde_json::Value {
    let sb = dumpe2fs_h(image);
    let js = inspect_json(image, "super");
    assert!(js.is_object(), "inspect super --json is an object: {js:#}");

    assert_eq!(jstr(&js, "uuid"), field(&sb, "Filesystem UUID"), "uuid");
    let name = match field(&sb, "Filesystem volume name") {
        "<none>" => "",
        other => other,
    };
    assert_eq!(jstr(&js, "volume_name"), name, "volume_name");
    for (key, dumpe2fs_key) in [
        ("block_size", "Block size"),
        ("blocks_count", "Block count"),
        ("free_blocks", "Free blocks"),
        ("inodes_count", "Inode count"),
        ("free_inodes", "Free inodes"),
        ("reserved_blocks_count", "Reserved block count"),
        ("inodes_per_group", "Inodes per group"),
        ("blocks_per_group", "Blocks per group"),
        ("inode_size", "Inode size"),
    ] {
        assert_eq!(ju64(&js, key), num(&sb, dumpe2fs_key), "{key} vs {dumpe2fs_key}");
    }
    let data_blocks = num(&sb, "Block count") - num(&sb, "First block");
    assert_eq!(ju64(&js, "group_count"), data_blocks.div_ceil(num(&sb, "Blocks per group")), "group_count");
    assert_eq!(jset(&js, "features"), feature_set(&sb, "Filesystem features"), "features");
    assert!(jbool(&js, "checksum_ok"), "checksum_ok on a good image");

    let journal = jget(&js, "journal");
    if sb.contains_key("Journal inode") {
        assert_eq!(ju64(&js, "journal_inode"), num(&sb, "Journal inode"));
        assert!(journal.is_object(), "journal is an object: {js:#}");
        assert_eq!(jset(journal, "features"), feature_set(&sb, "Journal features"), "journal features");
        assert_eq!(ju64(journal, "blocks"), num(&sb, "Total journal blocks"), "journal blocks");
        assert_eq!(ju64(journal, "sequence"), num(&sb, "Journal sequence"), "journal sequence");
        assert_eq!(ju64(journal, "start"), num(&sb, "Journal start"), "journal start");
    } else {
        assert_eq!(ju64(&js, "journal_inode"), 0, "no journal: journal_inode 0");
        assert!(journal.is_null(), "no journal: journal is null: {js:#}");
    }
    js
}

/// Compares `inspect groups --json` with the group list of `dumpe2fs`.
fn compare_groups(image: &Path) {
    let dump = dumpe2fs_groups(image);
    let js = inspect_json(image, "groups");
    let groups = js.as_array().unwrap_or_else(|| panic!("inspect groups --json is an array: {js:#}"));
    assert_eq!(groups.len(), dump.len(), "number of groups");

    let mut mismatches: Vec<String> = Vec::new();
    for (d, j) in dump.iter().zip(groups) {
        let mut check = |what: &str, ours: u64, theirs: u64| {
            if ours != theirs {
                mismatches.push(format!("group {}: {what}: inspect {ours}, dumpe2fs {theirs}", d.group));
            }
        };
        check("group", ju64(j, "group"), d.group);
        check("first_block", ju64(j, "first_block"), d.first_block);
        check("last_block", ju64(j, "last_block"), d.last_block);
        check("block_bitmap", ju64(j, "block_bitmap"), d.block_bitmap);
        check("inode_bitmap", ju64(j, "inode_bitmap"), d.inode_bitmap);
        check("inode_table", ju64(j, "inode_table"), d.inode_table.0);
        check("free_blocks", ju64(j, "free_blocks"), d.free_blocks);
        check("free_inodes", ju64(j, "free_inodes"), d.free_inodes);
        check("used_dirs", ju64(j, "used_dirs"), d.directories);
        if let Some(unused) = d.unused_inodes {
            check("itable_unused", ju64(j, "itable_unused"), unused);
        }
        let flags = jset(j, "flags");
        let want: std::collections::BTreeSet<String> = d.flags.iter().cloned().collect();
        if flags != want {
            mismatches.push(format!("group {}: flags: inspect {flags:?}, dumpe2fs {want:?}", d.group));
        }
        if !jbool(j, "checksum_ok") {
            mismatches.push(format!("group {}: checksum_ok is false", d.group));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches between inspect groups and dumpe2fs on {}, first ones:\n{}",
        mismatches.len(),
        image.display(),
        mismatches.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn inspect_super_matches_dumpe2fs_on_stock_image() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let image = stock_image(dir.path(), "stock.img", GIB, UUID_B, &[]);
    let js = compare_super(&image);
    assert_eq!(jstr(&js, "uuid"), UUID_B);
    for f in ["ext_attr", "resize_inode", "dir_index", "huge_file", "flex_bg"] {
        assert!(jset(&js, "features").contains(f), "stock features include {f}");
    }
}

#[test]
fn inspect_super_matches_dumpe2fs_on_stock_image_without_journal() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let image = stock_image(dir.path(), "nj.img", 64 * MIB, UUID_B, &["-O", "^has_journal"]);
    compare_super(&image);
}

#[test]
fn inspect_super_matches_dumpe2fs_on_stock_1k_block_image() {
    if !e2fsprogs() {
        return;
    }
    // Read-only commands take the block size from the superblock (1 KiB here, first block 1).
    let dir = tempdir();
    let image = stock_image(dir.path(), "1k.img", 64 * MIB, UUID_B, &["-b", "1024"]);
    let js = compare_super(&image);
    assert_eq!(ju64(&js, "block_size"), 1024);
    compare_groups(&image);
}

#[test]
fn inspect_super_matches_dumpe2fs_on_our_images() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let image = mkfs(dir.path(), "ours.img", "129M", &["--label", "pmem-test"]);
    let js = compare_super(&image);
    assert_eq!(jstr(&js, "uuid"), UUID_A);
    assert_eq!(jstr(&js, "volume_name"), "pmem-test");
    assert_eq!(ju64(&js, "journal_inode"), 8);
    let journal_features = jset(jget(&js, "journal"), "features");
    assert_eq!(journal_features, set_of(&["journal_64bit", "journal_checksum_v3"]));

    let nj = mkfs(dir.path(), "nj.img", "64M", &["--no-journal"]);
    let js = compare_super(&nj);
    assert!(jget(&js, "journal").is_null());
    assert!(!jset(&js, "features").contains("has_journal"));
}

#[test]
fn inspect_groups_match_dumpe2fs_on_stock_images() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let image = stock_image(dir.path(), "stock.img", GIB, UUID_B, &[]);
    compare_groups(&image);
    // Many groups, a partial last one, several flex groups.
    let big = stock_image(dir.path(), "big.img", 17 * GIB + 64 * MIB, UUID_B, &[]);
    compare_groups(&big);
}

#[test]
fn inspect_groups_match_dumpe2fs_on_our_images() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let image = mkfs(dir.path(), "ours.img", "1G", &[]);
    compare_groups(&image);
    let odd = mkfs(dir.path(), "odd.img", "129M", &["--no-journal"]);
    compare_groups(&odd);
}

#[test]
fn inspect_json_flag_is_global() {
    let dir = tempdir();
    let image = mkfs(dir.path(), "ours.img", "64M", &[]);
    let img = image.to_str().expect("utf-8 path");
    for what in ["super", "groups"] {
        let outputs: Vec<serde_json::Value> = [
            vec!["inspect", img, what, "--json"],
            vec!["inspect", "--json", img, what],
            vec!["--json", "inspect", img, what],
        ]
        .iter()
        .map(|args| {
            let out = run_e4dax(args);
            assert!(out.status.success(), "e4dax {args:?} failed: {out:?}");
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("e4dax {args:?} did not print JSON: {e}"))
        })
        .collect();
        assert_eq!(outputs[0], outputs[1], "--json after `inspect` ({what})");
        assert_eq!(outputs[0], outputs[2], "--json before `inspect` ({what})");
    }
}

#[test]
fn inspect_human_output_shows_the_same_facts() {
    let dir = tempdir();
    let image = mkfs(dir.path(), "ours.img", "1G", &["--label", "humans"]);
    let js = inspect_json(&image, "super");

    let out = run_e4dax(&["inspect".as_ref(), image.as_os_str(), "super".as_ref()]);
    assert!(out.status.success(), "inspect super failed: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_err(),
        "without --json the output is a table, not JSON"
    );
    for fact in [
        UUID_A.to_string(),
        "humans".to_string(),
        ju64(&js, "blocks_count").to_string(),
        ju64(&js, "free_blocks").to_string(),
    ] {
        assert!(text.contains(&fact), "inspect super shows {fact}:\n{text}");
    }

    let groups = inspect_json(&image, "groups");
    let out = run_e4dax(&["inspect".as_ref(), image.as_os_str(), "groups".as_ref()]);
    assert!(out.status.success(), "inspect groups failed: {out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let last = groups.as_array().and_then(|g| g.last()).expect("at least one group");
    let inode_table = ju64(last, "inode_table").to_string();
    assert!(text.contains(&inode_table), "inspect groups shows the last group's inode table {inode_table}:\n{text}");
}

fn assert_inspect_is_read_only(image: &Path) {
    let before = read_bytes(image);
    let mtime = image.metadata().expect("stat").modified().expect("mtime");
    for args in [vec!["super"], vec!["super", "--json"], vec!["groups"], vec!["groups", "--json"]] {
        let mut full: Vec<&std::ffi::OsStr> = vec!["inspect".as_ref(), image.as_os_str()];
        full.extend(args.iter().map(std::ffi::OsStr::new));
        let out = run_e4dax(&full);
        assert!(out.status.success(), "inspect {args:?} failed: {out:?}");
        assert_unchanged(image, &before, &format!("inspect {args:?}"));
        assert_eq!(
            image.metadata().expect("stat").modified().expect("mtime"),
            mtime,
            "inspect {args:?} changed the mtime"
        );
    }
}

#[test]
fn inspect_never_writes_our_image() {
    let dir = tempdir();
    let image = mkfs(dir.path(), "ours.img", "64M", &[]);
    assert_inspect_is_read_only(&image);
}

#[test]
fn inspect_never_writes_a_stock_image() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let image = stock_image(dir.path(), "stock.img", 64 * MIB, UUID_B, &[]);
    assert_inspect_is_read_only(&image);
}
