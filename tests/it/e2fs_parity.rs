//! e4dax says what dumpe2fs and debugfs say, in their words (issue 12): `inspect super` walks
//! `dumpe2fs -h` line by line, `inspect groups --full` is dumpe2fs's group list, `inspect inode`
//! prints debugfs stat's times, project, attributes and extents, `ls -l` is debugfs's, the
//! look-ups (icheck, ncheck, bmap, testb, testi) agree with debugfs on a populated stock image,
//! `inspect extents` numbers entries as `debugfs ex`, an empty journal is dumped as logdump
//! does, and `inspect map --svg` colours blocks as the block bitmap says.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// A time zone that is not UTC (a POSIX TZ string: no zoneinfo needed), so dates prove they
/// are local times as dumpe2fs and debugfs print them.
const TZ: &str = "XYZ-5:30";

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Two outputs are equal line for line; a failure shows the first lines that differ.
fn assert_same_lines(mine: &str, theirs: &str, what: &str) {
    let (a, b): (Vec<&str>, Vec<&str>) = (mine.lines().collect(), theirs.lines().collect());
    if let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
        panic!(
            "{what}: line {} differs ({} lines ours, {} theirs)\n ours:   {:?}\n theirs: {:?}",
            i + 1,
            a.len(),
            b.len(),
            a.get(i),
            b.get(i)
        );
    }
}

/// An e2fsprogs tool's stdout, run with [`TZ`].
fn tool_out(name: &str, args: &[&str]) -> String {
    let out = Command::new(tool(name)).args(args).env("TZ", TZ).env("LC_ALL", "C").output().expect("run tool");
    assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// e4dax's stdout, run with [`TZ`] and no width limit.
fn ours(args: &[&str]) -> String {
    let out = e4dax().args(args).env("TZ", TZ).env_remove("COLUMNS").output().expect("run e4dax");
    assert_eq!(out.status.code(), Some(0), "e4dax {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Lines e4dax adds to dumpe2fs -h's, and why.
const OUR_EXTRA_SUPER_LINES: &[(&str, &str)] =
    &[("Checksum verified:", "e4dax checks the superblock checksum; dumpe2fs prints only the stored value")];

/// Every non-empty line of `dumpe2fs -h` is in `inspect super`, equal and in the same order;
/// ours has no other lines than [`OUR_EXTRA_SUPER_LINES`].
fn assert_super_walks_dumpe2fs(image: &Path) {
    let theirs = tool_out("dumpe2fs", &["-h", s(image)]);
    let ours = ours(&["inspect", s(image), "super"]);
    let mut mine = ours.lines().filter(|l| !OUR_EXTRA_SUPER_LINES.iter().any(|(p, _)| l.starts_with(p)));
    let mut compared = 0;
    for line in theirs.lines().filter(|l| !l.trim().is_empty()) {
        assert_eq!(
            mine.next(),
            Some(line),
            "{}: inspect super differs from dumpe2fs -h\n--- ours ---\n{ours}\n--- dumpe2fs -h ---\n{theirs}",
            image.display()
        );
        compared += 1;
    }
    assert_eq!(mine.next(), None, "{}: inspect super has lines dumpe2fs -h has not:\n{ours}", image.display());
    assert!(compared > 40, "only {compared} lines compared");
}

#[test]
fn inspect_super_walks_dumpe2fs_h_line_by_line() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    // The stock default, then variants that bring the conditional lines: no journal (no
    // journal lines, no hash seed given), 1 KiB blocks (first block 1, no 64bit), old-style
    // checksums without flex_bg, RAID geometry, a check interval, errors=panic, a label, journal
    // data mount option, the checksum seed feature, many groups.
    let stock = stock_image(dir.path(), "stock.img", 64 * MIB, UUID_B, &[]);
    assert_super_walks_dumpe2fs(&stock);
    for (name, size, extra) in [
        ("nj.img", 64 * MIB, vec!["-O", "^has_journal"]),
        ("1k.img", 64 * MIB, vec!["-b", "1024", "-O", "^64bit"]),
        ("old.img", 300 * MIB, vec!["-O", "^metadata_csum,^flex_bg,uninit_bg"]),
        (
            "odd.img",
            64 * MIB,
            vec!["-E", "stride=4,stripe_width=8", "-e", "panic", "-L", "a label", "-O", "metadata_csum_seed"],
        ),
        ("big.img", 5 * GIB, vec![]),
    ] {
        let img = stock_image(dir.path(), name, size, UUID_B, &extra);
        if name == "odd.img" {
            let out =
                Command::new(tool("tune2fs")).args(["-i", "1w", "-c", "20", "-o", "journal_data", s(&img)]).output();
            assert!(out.is_ok_and(|o| o.status.success()), "tune2fs");
        }
        assert_super_walks_dumpe2fs(&img);
    }
    // Ours, before and after writes (mount and write times, lifetime writes).
    let img = mkfs(dir.path(), "ours.img", "129M", &["--label", "pmem"]);
    assert_super_walks_dumpe2fs(&img);
    assert!(run_e4dax(&["create", s(&img), "/f", "--size", "1M", "--time", "1700000999"]).status.success());
    assert_super_walks_dumpe2fs(&img);
    // --json keeps raw values for what the text names.
    let js = inspect_json(&stock, "super");
    assert_eq!((ju64(&js, "default_hash"), jstr(&js, "default_hash_name")), (1, "half_md4"));
    assert_eq!((ju64(&js, "checksum_type"), jstr(&js, "checksum_type_name")), (1, "crc32c"));
    assert_eq!(ju64(&js, "created"), TIME.parse::<u64>().expect("TIME"));
    assert_eq!((ju64(&js, "errors"), jstr(&js, "errors_name")), (1, "Continue"));
    assert_eq!(ju64(&js, "default_mount_opts"), 0x0c, "user_xattr acl");
    assert_eq!(jstr(&js, "hash_seed"), UUID_B, "mkfs.ext4 -E hash_seed=");
}

/// The group part of `dumpe2fs` (from "Group 0:").
fn dumpe2fs_group_part(image: &Path) -> String {
    let text = tool_out("dumpe2fs", &[s(image)]);
    let at = text.find("\nGroup 0:").expect("dumpe2fs lists groups");
    text[at + 1..].to_string()
}

#[test]
fn inspect_groups_full_is_dumpe2fs_group_list() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let mut images = vec![
        stock_image(dir.path(), "stock.img", GIB, UUID_B, &[]),
        stock_image(dir.path(), "1k.img", 64 * MIB, UUID_B, &["-b", "1024"]),
        stock_image(
            dir.path(),
            "old.img",
            300 * MIB,
            UUID_B,
            &["-O", "^metadata_csum,^flex_bg,^resize_inode,uninit_bg"],
        ),
        mkfs(dir.path(), "ours.img", "129M", &["--no-journal"]),
    ];
    let populated = populated_image(dir.path());
    images.push(populated);
    for img in &images {
        assert_eq!(ours(&["inspect", s(img), "groups", "--full"]), dumpe2fs_group_part(img), "{}", img.display());
    }
    // The JSON has the same facts: free ranges, bitmap checksums, superblock copies.
    let js = inspect_json(&images[0], "groups");
    let g1 = &js.as_array().expect("groups")[1];
    assert_eq!(ju64(g1, "superblock"), 32768);
    assert_eq!(jget(g1, "descriptors"), &serde_json::json!([32769, 32769]));
    assert_eq!(jget(g1, "free_block_ranges"), &serde_json::json!([[32897, 65535]]));
    assert_eq!(jget(g1, "free_inode_ranges"), &serde_json::json!([[8193, 16384]]));
}

/// A stock 64 MiB image made by `mkfs.ext4 -d` from a tree with a file of three blocks
/// (`/a`, hard-linked as `/d/hard`), a small file, a sparse file of 21 extents (an extent
/// tree of depth 1), a symlink and a nested directory; `/a` gets an extended attribute, a
/// project id and nanosecond times through debugfs.
fn populated_image(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("d/e")).expect("mkdir");
    write_bytes(&src.join("a"), &pseudo_random(10_000, 1));
    write_bytes(&src.join("d/b"), b"hello");
    std::fs::hard_link(src.join("a"), src.join("d/hard")).expect("link");
    let sparse = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(src.join("d/e/sparse"))
        .expect("sparse");
    for i in (0..=40u64).step_by(2) {
        std::os::unix::fs::FileExt::write_all_at(&sparse, &pseudo_random(4096, i + 7), i * 4096).expect("write");
    }
    std::os::unix::fs::symlink("a", src.join("sym")).expect("symlink");
    let img = stock_image(dir, "populated.img", 64 * MIB, UUID_A, &["-d", s(&src)]);
    debugfs_w(
        &img,
        &[
            "ea_set /a user.comment hello",
            "sif /a ctime_extra 0x12345678",
            "sif /a mtime_extra 0x00000ffc",
            "sif /a projid 7",
            "sif /d/b mtime 1600000000",
        ],
    );
    img
}

#[test]
fn inspect_inode_shows_what_debugfs_stat_shows() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = populated_image(dir.path());
    for path in ["/a", "/d/e/sparse", "/d", "<2>", "<8>"] {
        let theirs = tool_out("debugfs", &["-R", &format!("stat {path}"), s(&img)]);
        let mine = ours(&["inspect", s(&img), "inode", path]);
        // The lines debugfs stat and inspect inode print alike: the times (hex seconds and
        // extra word, the date), user, group, project and size, links, the attributes, the
        // extents (index blocks as ETB).
        let pick = |t: &str| -> Vec<String> {
            let mut out = Vec::new();
            let mut lines = t.lines().peekable();
            while let Some(l) = lines.next() {
                let keep = ["ctime:", "atime:", "mtime:", "crtime:", "User:", "Links:", "Inode: "]
                    .iter()
                    .any(|p| l.trim_start().starts_with(p));
                if keep {
                    out.push(l.to_string());
                }
                if l == "Extended attributes:" || l == "EXTENTS:" {
                    out.push(l.to_string());
                    while let Some(n) = lines.peek() {
                        if !(n.starts_with("  ") || (l == "EXTENTS:" && n.starts_with('('))) {
                            break;
                        }
                        out.push(lines.next().unwrap_or_default().to_string());
                    }
                }
            }
            out
        };
        assert_eq!(
            pick(&mine),
            pick(&theirs),
            "inspect inode {path} vs debugfs stat\n--- ours ---\n{mine}\n--- debugfs ---\n{theirs}"
        );
    }
    // A block-mapped file with double indirect blocks (1 KiB blocks, no extents): debugfs's
    // BLOCKS and TOTAL lines.
    let src = dir.path().join("bm-src");
    std::fs::create_dir_all(&src).expect("mkdir");
    write_bytes(&src.join("big"), &pseudo_random(5_000_000, 9));
    let bm = stock_image(
        dir.path(),
        "bm.img",
        64 * MIB,
        UUID_B,
        &["-b", "1024", "-O", "^extent,^64bit,^flex_bg", "-d", s(&src)],
    );
    let blocks =
        |t: &str| -> Vec<String> { t.lines().skip_while(|l| *l != "BLOCKS:").take(3).map(str::to_string).collect() };
    let theirs = tool_out("debugfs", &["-R", "stat <12>", s(&bm)]);
    let mine = ours(&["inspect", s(&bm), "inode", "<12>"]);
    assert_eq!(blocks(&mine), blocks(&theirs), "BLOCKS of a block-mapped file\n--- ours ---\n{mine}");
    assert!(blocks(&theirs).get(1).is_some_and(|l| l.contains("(DIND):")), "{theirs}");

    let a = ours(&["inspect", s(&img), "inode", "/a"]);
    for want in ["Project:     7", " ctime: 0x", ":12345678 -- ", "  user.comment (5) = \"hello\""] {
        assert!(a.contains(want), "inspect inode /a shows {want:?}:\n{a}");
    }
    let js = inspect_path_json(&img, "inode", "/a");
    assert_eq!(jget(&js, "project"), &serde_json::json!(7));
    let ctime = &jget(&js, "times").as_array().expect("times")[0];
    assert_eq!(ju64(ctime, "nanoseconds"), 0x1234_5678 >> 2);
    assert_eq!(ju64(ctime, "extra"), 0x1234_5678);
    let x = &jget(&js, "xattrs").as_array().expect("xattrs")[0];
    assert_eq!((jstr(x, "name"), jstr(x, "value_hex")), ("user.comment", "68656c6c6f"));
}

#[test]
fn ls_long_is_debugfs_ls_l() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = populated_image(dir.path());
    for d in ["/", "/d", "/d/e", "<2>"] {
        let theirs: Vec<String> = tool_out("debugfs", &["-R", &format!("ls -l {d}"), s(&img)])
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("0 "))
            .map(str::to_string)
            .collect();
        let mine: Vec<String> = ours(&["ls", s(&img), d, "-l"]).lines().map(str::to_string).collect();
        assert_eq!(mine, theirs, "ls -l {d}");
        assert!(mine.len() >= 3, "{mine:?}");
    }
}

#[test]
fn lookups_agree_with_debugfs_on_a_populated_stock_image() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = populated_image(dir.path());
    let i = s(&img);
    // icheck of every block of the file system.
    let blocks: Vec<String> = (0..16384u64).map(|b| b.to_string()).collect();
    let mut args = vec!["inspect", i, "icheck"];
    args.extend(blocks.iter().map(String::as_str));
    let mine = ours(&args);
    let theirs = tool_out("debugfs", &["-R", &format!("icheck {}", blocks.join(" ")), i]);
    assert_same_lines(&mine, &theirs, "icheck of every block");
    let owned = mine.lines().filter(|l| !l.ends_with("<block not found>")).count() - 1;
    assert!(owned > 1030, "journal, directories and files own blocks: {owned}");
    // ncheck of every inode in use; debugfs writes the root's entries as //name.
    let inodes: Vec<String> = (1..=20u32).map(|n| n.to_string()).collect();
    let mut args = vec!["inspect", i, "ncheck"];
    args.extend(inodes.iter().map(String::as_str));
    let sorted = |t: &str| -> Vec<String> {
        let mut v: Vec<String> = t.lines().map(|l| l.replacen("\t//", "\t/", 1)).collect();
        v.sort();
        v
    };
    let theirs = tool_out("debugfs", &["-R", &format!("ncheck {}", inodes.join(" ")), i]);
    assert_eq!(sorted(&ours(&args)), sorted(&theirs), "ncheck");
    let a_ino = e4dax_ls(&img, "/").into_iter().find(|(n, _)| n == "a").expect("/a").1;
    assert!(theirs.contains(&format!("{a_ino}\t/d/hard")), "a hard link has two names:\n{theirs}");
    // bmap of every logical block of a sparse file and of a plain one (holes read 0).
    for (path, n) in [("/d/e/sparse", 44), ("/a", 4)] {
        for l in 0..n {
            let theirs = tool_out("debugfs", &["-R", &format!("bmap {path} {l}"), i]);
            assert_eq!(ours(&["inspect", i, "bmap", path, &l.to_string()]), theirs, "bmap {path} {l}");
        }
    }
    // testb over the whole file system (debugfs refuses block 0, which e4dax answers), testi
    // over the first 40 inodes.
    assert_same_lines(
        &ours(&["inspect", i, "testb", "1", "16383"]),
        &tool_out("debugfs", &["-R", "testb 1 16383", i]),
        "testb",
    );
    assert_eq!(ours(&["inspect", i, "testb", "0"]), "Block 0 marked in use\n");
    for n in 1..=40 {
        let spec = format!("<{n}>");
        assert_eq!(
            ours(&["inspect", i, "testi", &spec]),
            tool_out("debugfs", &["-R", &format!("testi {spec}"), i]),
            "testi {spec}"
        );
    }
    assert_eq!(ours(&["inspect", i, "testi", "/d/b"]), tool_out("debugfs", &["-R", "testi /d/b", i]));
}

#[test]
fn inspect_extents_numbers_entries_as_debugfs_ex() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = populated_image(dir.path());
    // debugfs ex: "Level Entries Logical Physical Length Flags"; rows " 1/ 1   2/ 21 ...".
    let theirs: Vec<(String, String)> = tool_out("debugfs", &["-R", "ex /d/e/sparse", s(&img)])
        .lines()
        .skip(1)
        .map(|l| {
            let norm = l.replace("/ ", "/").replace("/ ", "/");
            let w: Vec<&str> = norm.split_whitespace().collect();
            (w[0].to_string(), w[1].to_string())
        })
        .collect();
    assert_eq!(theirs.len(), 22, "an index entry and 21 leaves");
    let mine: Vec<(String, String)> = ours(&["inspect", s(&img), "extents", "/d/e/sparse"])
        .lines()
        .filter(|l| l.starts_with('│'))
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.trim_matches('│').split('┆').map(str::trim).collect();
            (c[0].to_string(), c[1].to_string())
        })
        .collect();
    assert_eq!(mine, theirs, "level and entries columns");
}

#[test]
fn inspect_journal_of_an_empty_journal_is_what_logdump_says() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = stock_image(dir.path(), "stock.img", 64 * MIB, UUID_B, &[]);
    let theirs = tool_out("debugfs", &["-R", "logdump -a", s(&img)]);
    assert_eq!(theirs, "Journal starts at block 0, transaction 1\n");
    assert_eq!(ours(&["inspect", s(&img), "journal"]), theirs);
    let js = inspect_json(&img, "journal");
    assert_eq!(ju64(&js, "start"), 0);
    assert!(jget(&js, "blocks").as_array().expect("blocks").is_empty(), "the old log is not scanned: {js:#}");
}

/// The runs of `Free blocks:` ranges of dumpe2fs, as a set of free blocks.
fn free_blocks(image: &Path) -> std::collections::BTreeSet<u64> {
    dumpe2fs_groups(image).iter().flat_map(|g| g.free_ranges.iter().flat_map(|&(a, b)| a..=b)).collect()
}

#[test]
fn inspect_map_svg_colours_blocks_as_the_bitmap_says() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = mkfs(dir.path(), "pm.img", "64M", &["--poison"]);
    let i = s(&img);
    for args in [
        vec!["create", i, "/w", "--size", "64K"],
        vec!["write", i, "/w", "--offset", "0", "--pattern", "DATA", "--len", "20K"],
        vec!["create", i, "/u"],
        vec!["fallocate", i, "/u", "--offset", "0", "--len", "32K"],
        vec!["create", i, "/d", "--dir"],
        // A write fault that skips zeroing: the rest of the block keeps the stale pattern.
        vec!["create", i, "/s", "--size", "4K"],
        vec![
            "fault",
            i,
            "/s",
            "--offset",
            "0",
            "--write",
            "--data",
            "aa",
            "--policy",
            "zeroed",
            "--inject",
            "skip-zero",
        ],
        vec!["punch", i, "/w", "--offset", "16K", "--len", "4K"],
    ] {
        let out = run_e4dax(&args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let svg_path = dir.path().join("map.svg");
    let out = run_e4dax(&["inspect", i, "map", "--svg", s(&svg_path), "--file", "/w", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&svg_path).expect("svg written");
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("not valid SVG/XML: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    // The legend: colour -> owner.
    let mut legend: BTreeMap<String, String> = BTreeMap::new();
    for g in doc.descendants().filter(|n| n.attribute("class") == Some("legend")) {
        let owner = g.attribute("data-owner").expect("legend owner").to_string();
        let fill = g.children().find(|c| c.has_tag_name("rect")).and_then(|r| r.attribute("fill")).expect("swatch");
        assert!(legend.insert(fill.to_string(), owner.clone()).is_none(), "two owners share colour {fill}");
    }
    // Every block, once, coloured by an owner of the legend.
    let total = 16384u64;
    let mut owner_of: Vec<Option<String>> = vec![None; total as usize];
    for r in doc.descendants().filter(|n| n.attribute("class") == Some("blocks")) {
        let first: u64 = r.attribute("data-first").and_then(|v| v.parse().ok()).expect("data-first");
        let count: u64 = r.attribute("data-count").and_then(|v| v.parse().ok()).expect("data-count");
        let owner = legend.get(r.attribute("fill").expect("fill")).expect("a legend colour").clone();
        assert_eq!(r.attribute("data-owner"), Some(owner.as_str()), "the colour is the owner's");
        for b in first..first + count {
            assert!(owner_of[b as usize].replace(owner.clone()).is_none(), "block {b} drawn twice");
        }
    }
    let free = free_blocks(&img);
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for (b, o) in owner_of.iter().enumerate() {
        let o = o.as_deref().unwrap_or_else(|| panic!("block {b} is not drawn"));
        *counts.entry(o.to_string()).or_default() += 1;
        let drawn_free = o == "free" || o == "free-stale";
        assert_eq!(
            drawn_free,
            free.contains(&(b as u64)),
            "block {b}: drawn {o}, dumpe2fs says free: {}",
            free.contains(&(b as u64))
        );
    }
    // What holds which blocks, against debugfs.
    let blocks_of = |spec: &str| -> Vec<u64> {
        debugfs(&img, &format!("blocks {spec}")).split_whitespace().map(|w| w.parse().expect("block")).collect()
    };
    for b in blocks_of("<8>") {
        assert_eq!(owner_of[b as usize].as_deref(), Some("journal"), "journal block {b}");
    }
    let w = blocks_of("/w");
    assert_eq!(w.len(), 4, "/w: 20K written, 4K punched");
    for &b in &w {
        assert_eq!(owner_of[b as usize].as_deref(), Some("file-written"), "/w block {b}");
    }
    for b in blocks_of("/u") {
        assert_eq!(owner_of[b as usize].as_deref(), Some("file-unwritten"), "/u block {b}");
    }
    for b in blocks_of("/s") {
        assert_eq!(owner_of[b as usize].as_deref(), Some("file-stale"), "/s block {b} keeps the stale pattern");
    }
    for b in blocks_of("/d") {
        assert_eq!(owner_of[b as usize].as_deref(), Some("directory"), "/d block {b}");
    }
    // Poisoned free blocks hold the pattern; the block /w's punch freed holds its data.
    assert!(counts["free-stale"] > 10_000, "{counts:?}");
    assert_eq!(counts.get("free").copied(), Some(1), "only the punched block is free without the pattern: {counts:?}");
    // The outlined blocks are /w's.
    let mut outlined: Vec<u64> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("file"))
        .flat_map(|r| {
            let f: u64 = r.attribute("data-first").and_then(|v| v.parse().ok()).expect("first");
            let c: u64 = r.attribute("data-count").and_then(|v| v.parse().ok()).expect("count");
            f..f + c
        })
        .collect();
    outlined.sort();
    assert_eq!(outlined, w, "--file /w outlines /w's blocks");
    // The JSON counts are the picture's.
    let js: serde_json::Value = serde_json::from_slice(&out.stdout).expect("map --json");
    for o in jget(&js, "owners").as_array().expect("owners") {
        assert_eq!(Some(&ju64(o, "blocks")), counts.get(jstr(o, "owner")), "{o}");
    }
    // inspect never writes: the image is e2fsck-clean as it was.
    assert_e2fsck_clean(&img);
}

#[test]
fn the_new_inspect_commands_never_write() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = populated_image(dir.path());
    let i = s(&img);
    let before = read_bytes(&img);
    let mtime = img.metadata().expect("stat").modified().expect("mtime");
    let svg = dir.path().join("m.svg");
    for args in [
        vec!["groups", "--full"],
        vec!["inode", "/a"],
        vec!["extents", "<12>"],
        vec!["journal"],
        vec!["icheck", "2065", "0"],
        vec!["ncheck", "12"],
        vec!["bmap", "/a", "1"],
        vec!["testb", "1", "100"],
        vec!["testi", "/a"],
        vec!["map", "--svg", s(&svg), "--file", "/a"],
        vec!["map", "--json"],
    ] {
        let mut full = vec!["inspect", i];
        full.extend(&args);
        let out = run_e4dax(&full);
        assert_eq!(out.status.code(), Some(0), "inspect {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert_unchanged(&img, &before, &format!("inspect {args:?}"));
        assert_eq!(
            img.metadata().expect("stat").modified().expect("mtime"),
            mtime,
            "inspect {args:?} changed the mtime"
        );
    }
}
