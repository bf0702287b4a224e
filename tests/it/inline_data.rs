//! Inline data (`mke2fs -O inline_data`, issue 10), on images e2fsprogs makes itself: 4 KiB
//! blocks, 256-byte inodes, populated with `-d` from a tree holding tiny files (under 60 bytes:
//! all in `i_block`), small ones (60 to 150 bytes: the rest in the `system.data` attribute),
//! bigger ones (not inline), small directories (inline), an empty one, a directory of many
//! entries (not inline), a short symlink (fast) and a long one (inline).
//!
//! * Clean: `fsck -fn` exits 0 as `e2fsck -fn` does, with e2fsck's summary line, and `fsck -fy`
//!   changes nothing.
//! * Reading: `read` of every file is `debugfs cat` cut at i_size (debugfs gives the whole
//!   inline space whatever i_size says; the rest is zeros), `ls` of every directory is
//!   `debugfs ls`, `inspect inode` says debugfs stat's "Size of inline data".
//! * Writes into inline data refuse, naming the feature, and change nothing; `rm` of an inline
//!   file or an empty inline directory leaves `e2fsck -fn` clean.
//! * Damage (system.data removed from a file, a directory and a symlink, the feature cleared, a
//!   directory's and a symlink's i_size, a file's i_size past what a block map addresses,
//!   i_blocks, the extent flag added to inline files, the inline flag added to an extent-mapped
//!   file, a bad entry, an entry naming an inode out of range, a bad `..`, a second link to a
//!   directory; in a directory whose entries go on in `system.data`, a bad entry there, one out
//!   of range, a duplicate): `fsck -fn` exits 4 where `e2fsck -fn` finds it and names the
//!   problem, `fsck -fp` exits as `e2fsck -fp` does, readers answer (data or one error line,
//!   never a panic); after `fsck -fy` (exit 1), `e2fsck -fn` and `fsck -fn` find nothing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::*;

const LIMIT: Duration = Duration::from_secs(60);

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

const FILES: &[&str] = &[
    "/tiny",
    "/empty",
    "/exactly60",
    "/small",
    "/s150",
    "/big",
    "/d1/a",
    "/d1/b",
    "/d2/sub/deep",
    "/many/file_number_7",
];
const DIRS: &[&str] = &["/", "/d1", "/d2", "/d2/sub", "/emptydir", "/many", "/lost+found"];

fn source(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    for d in ["d1", "d2/sub", "emptydir", "many"] {
        std::fs::create_dir_all(src.join(d)).expect("mkdir");
    }
    write_bytes(&src.join("tiny"), b"hello\n");
    write_bytes(&src.join("empty"), b"");
    write_bytes(&src.join("exactly60"), &[b'q'; 60]);
    write_bytes(&src.join("small"), &pseudo_random(100, 1));
    write_bytes(&src.join("s150"), &[b'x'; 150]);
    write_bytes(&src.join("big"), &pseudo_random(5000, 2));
    write_bytes(&src.join("d1/a"), b"hi\n");
    write_bytes(&src.join("d1/b"), b"b\n");
    write_bytes(&src.join("d2/sub/deep"), b"deep\n");
    for i in 0..40 {
        write_bytes(&src.join(format!("many/file_number_{i}")), format!("{i}\n").as_bytes());
    }
    std::os::unix::fs::symlink("tiny", src.join("link")).expect("symlink");
    std::os::unix::fs::symlink("x".repeat(80), src.join("longlink")).expect("symlink");
    src
}

fn image(dir: &Path, name: &str) -> PathBuf {
    let src = source(dir);
    let path = dir.join(name);
    let seed = format!("hash_seed={UUID_A}");
    let out = Command::new(tool("mke2fs"))
        .args(["-q", "-F", "-t", "ext4", "-O", "inline_data", "-b", "4096", "-I", "256"])
        .args(["-U", UUID_A, "-E", &seed, "-d", s(&src), s(&path), "16M"])
        .env("E2FSPROGS_FAKE_TIME", TIME)
        .output()
        .expect("cannot run mke2fs");
    assert!(out.status.success(), "mke2fs failed: {}", String::from_utf8_lossy(&out.stderr));
    path
}

fn fsck(image: &Path, args: &[&str]) -> (i32, String) {
    let mut all = vec!["fsck", s(image), "-f"];
    all.extend(args);
    let out = run_e4dax_within(&all, LIMIT);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn our_codes(image: &Path) -> (i32, Vec<String>) {
    let out = run_e4dax_within(&["fsck", s(image), "-f", "-n", "--json"], LIMIT);
    let rc = out.status.code().unwrap_or(-1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("fsck --json ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    let codes =
        jget(&v, "findings").as_array().expect("findings").iter().map(|f| jstr(f, "code").to_string()).collect();
    (rc, codes)
}

fn e2fsck(image: &Path, flag: &str) -> (i32, String) {
    let out = Command::new(tool("e2fsck")).arg(flag).arg(image).env("LC_ALL", "C").output().expect("e2fsck");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// debugfs stat's "Size of inline data: N".
fn inline_size_line(t: &str) -> Option<String> {
    t.lines().find(|l| l.starts_with("Size of inline data:")).map(str::to_string)
}

#[test]
fn clean_inline_data_image_checks_clean_and_reads_as_debugfs() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = image(dir.path(), "inline.img");
    assert_e2fsck_clean(&img);
    // The tree is what it is meant to be: inline files and directories, and ones that are not.
    for (p, inline) in [
        ("/tiny", true),
        ("/small", true),
        ("/empty", true),
        ("/s150", false),
        ("/big", false),
        ("/d1", true),
        ("/emptydir", true),
        ("/many", false),
        ("/longlink", true),
    ] {
        let flags = debugfs(&img, &format!("stat {p}"));
        assert_eq!(flags.contains("Flags: 0x10000000"), inline, "{p}:\n{flags}");
    }
    let (rc, text) = fsck(&img, &["-n"]);
    assert_eq!(rc, 0, "fsck -fn (e2fsck -fn exits 0)\n{text}");
    let (_, theirs) = e2fsck(&img, "-fn");
    let summary = |t: &str| t.lines().find(|l| l.contains(" files (")).map(str::to_string);
    assert_eq!(summary(&text), summary(&theirs));
    let before = read_bytes(&img);
    let (rc, text) = fsck(&img, &["-y"]);
    assert_eq!(rc, 0, "fsck -fy\n{text}");
    assert_unchanged(&img, &before, "fsck -fy of a clean inline_data image");

    for f in FILES {
        let out = run_e4dax_within(&["read", s(&img), f], LIMIT);
        assert_eq!(out.status.code(), Some(0), "read {f}: {}", String::from_utf8_lossy(&out.stderr));
        let theirs = debugfs_bytes(&img, &format!("cat {f}"));
        let size = debugfs(&img, &format!("stat {f}"))
            .split("Size: ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|w| w.parse::<usize>().ok())
            .expect("debugfs stat Size");
        assert!(theirs.len() >= size, "{f}: debugfs cat gives {} bytes, i_size {size}", theirs.len());
        assert!(theirs[size..].iter().all(|&b| b == 0), "{f}: debugfs cat past i_size is not zeros");
        assert!(out.stdout == theirs[..size], "read {f}: {} bytes, debugfs cat {size} bytes", out.stdout.len());
        // --out (sparse writing) gives the same bytes.
        let copy = dir.path().join("copy");
        let out = run_e4dax_within(&["read", s(&img), f, "--out", s(&copy)], LIMIT);
        assert_eq!(out.status.code(), Some(0), "read {f} --out: {}", String::from_utf8_lossy(&out.stderr));
        assert!(read_bytes(&copy) == theirs[..size], "read {f} --out");
    }
    // Ranges inside the inline data: the i_block part, the attribute part, across both.
    for (off, len) in [(0, 10), (55, 10), (60, 30), (99, 5), (100, 5), (200, 1)] {
        let out = run_e4dax_within(
            &["read", s(&img), "/small", "--offset", &off.to_string(), "--len", &len.to_string()],
            LIMIT,
        );
        let all = pseudo_random(100, 1);
        let want = &all[off.min(100)..(off + len).min(100)];
        assert!(out.stdout == want, "read /small at {off}+{len}");
    }
    for d in DIRS {
        assert_eq!(e4dax_ls(&img, d), debugfs_ls(&img, d), "ls {d}");
        let mine = run_e4dax_within(&["ls", "-l", s(&img), d], LIMIT);
        assert_eq!(mine.status.code(), Some(0));
    }
    assert_eq!(e4dax_ls(&img, "/d1").len(), 4, ". .. a b");
    for p in ["/tiny", "/small", "/empty", "/d1", "/d2/sub", "/emptydir", "/longlink", "/s150"] {
        let out = run_e4dax_within(&["inspect", s(&img), "inode", p], LIMIT);
        assert_eq!(out.status.code(), Some(0), "inspect inode {p}: {}", String::from_utf8_lossy(&out.stderr));
        let mine = String::from_utf8_lossy(&out.stdout).into_owned();
        let theirs = debugfs(&img, &format!("stat {p}"));
        assert_eq!(inline_size_line(&mine), inline_size_line(&theirs), "inspect inode {p}\n{mine}");
        let out = run_e4dax_within(&["inspect", s(&img), "blocks", p], LIMIT);
        assert_eq!(out.status.code(), Some(0), "inspect blocks {p}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), debugfs(&img, &format!("blocks {p}")), "blocks {p}");
    }
}

#[test]
fn writes_refuse_inline_data_and_rm_frees_inline_inodes() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = image(dir.path(), "inline.img");
    let before = read_bytes(&img);
    for args in [
        vec!["truncate", s(&img), "/tiny", "--size", "0"],
        vec!["fallocate", s(&img), "/small", "--offset", "0", "--len", "64K"],
        vec!["punch", s(&img), "/small", "--offset", "0", "--len", "4K"],
        vec!["write", s(&img), "/tiny", "--offset", "0", "--data", "6162"],
        vec!["fault", s(&img), "/tiny", "--offset", "0", "--write"],
        vec!["create", s(&img), "/d1/new"],
        vec!["rm", s(&img), "/d1/a"],
    ] {
        let out = run_e4dax_within(&args, LIMIT);
        assert_eq!(out.status.code(), Some(1), "{args:?} must refuse");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("inline_data") && !err.contains("panicked"), "{args:?}: {err}");
    }
    assert_unchanged(&img, &before, "refused writes");
    for p in ["/tiny", "/small", "/emptydir", "/longlink"] {
        let out = run_e4dax_within(&["rm", s(&img), p], LIMIT);
        if p == "/longlink" {
            // Special files are not removed (inline or not).
            assert_ne!(out.status.code(), Some(0), "rm {p}");
            continue;
        }
        assert_eq!(out.status.code(), Some(0), "rm {p}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = run_e4dax_within(&["create", s(&img), "/newfile"], LIMIT);
    assert_eq!(out.status.code(), Some(0), "create outside inline directories");
    assert_e2fsck_clean(&img);
    let (rc, text) = fsck(&img, &["-n"]);
    assert_eq!(rc, 0, "{text}");
}

/// One kind of damage: debugfs commands, the problem code ours must report, and a phrase of
/// e2fsck's report.
struct Damage {
    name: &'static str,
    cmds: &'static [&'static str],
    code: &'static str,
    e2fsck_says: &'static str,
}

const DAMAGES: &[Damage] = &[
    Damage {
        name: "a file without system.data",
        cmds: &["ea_rm /small system.data"],
        code: "0x01002d",
        e2fsck_says: "has INLINE_DATA_FL flag but extended attribute not found",
    },
    Damage {
        name: "an empty file without system.data",
        cmds: &["ea_rm /empty system.data"],
        code: "0x01002d",
        e2fsck_says: "has INLINE_DATA_FL flag but extended attribute not found",
    },
    Damage {
        name: "a directory without system.data",
        cmds: &["ea_rm /d1 system.data"],
        code: "0x01002d",
        e2fsck_says: "has INLINE_DATA_FL flag but extended attribute not found",
    },
    Damage {
        name: "the inline_data feature cleared",
        cmds: &["feature -inline_data"],
        code: "0x01002b",
        e2fsck_says: "superblock is missing INLINE_DATA feature",
    },
    Damage {
        name: "an inline directory's i_size too small",
        cmds: &["sif /d1 size 40"],
        code: "0x010009",
        e2fsck_says: "i_size is 40, should be 60",
    },
    Damage {
        name: "an inline directory's i_size too big",
        cmds: &["sif /d2 size 200"],
        code: "0x010009",
        e2fsck_says: "i_size is 200, should be 60",
    },
    Damage {
        name: "an inline file's i_size past what a block map addresses",
        cmds: &["sif /tiny size 280375465082883"],
        code: "0x010009",
        e2fsck_says: "i_size is 280375465082883, should be 0",
    },
    Damage {
        name: "an inline file's i_blocks",
        cmds: &["sif /small blocks 8"],
        code: "0x01000a",
        e2fsck_says: "i_blocks is 8, should be 0",
    },
    Damage {
        name: "the extent flag on an inline file",
        cmds: &["sif /small flags 0x10080000"],
        code: "0x01002e",
        e2fsck_says: "seems to have inline data but extent flag is set",
    },
    Damage {
        name: "a bad rec_len in an inline directory",
        cmds: &["sif /d1 block[2] 0x01010003"],
        code: "0x020001",
        e2fsck_says: "offset 4: directory corrupted",
    },
    Damage {
        name: "an inline entry naming an inode out of range",
        cmds: &["sif /d1 block[1] 99999"],
        code: "0x020002",
        e2fsck_says: "has invalid inode #: 99999",
    },
    Damage {
        name: "an inline directory's '..' out of range",
        cmds: &["sif /d1 block[0] 99999"],
        code: "0x020002",
        e2fsck_says: "Entry '..' in ??? (",
    },
    Damage {
        name: "the inline flag on an extent-mapped file",
        cmds: &["sif /big flags 0x10080000"],
        code: "0x01002e",
        e2fsck_says: "has extent header but inline data flag is set",
    },
    Damage {
        name: "the inline flag without the extent flag on an extent-mapped file",
        cmds: &["sif /big flags 0x10000000"],
        code: "0x01002d",
        e2fsck_says: "has INLINE_DATA_FL flag but extended attribute not found",
    },
    Damage {
        name: "an inline symlink's i_size",
        cmds: &["sif /longlink size 30"],
        code: "0x010030",
        e2fsck_says: "Symlink /longlink (inode #",
    },
    Damage {
        name: "an inline symlink without system.data",
        cmds: &["ea_rm /longlink system.data"],
        code: "0x010030",
        e2fsck_says: "has INLINE_DATA_FL flag but extended attribute not found",
    },
    Damage {
        name: "an inline directory holding a second link to a directory",
        cmds: &["sif /d2 block[1] 13"],
        code: "0x020009",
        e2fsck_says: "is a link to directory",
    },
];

#[test]
fn damaged_inline_data_is_found_as_e2fsck_finds_it_and_repaired() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let clean = image(dir.path(), "clean.img");
    // The inode numbers the damages assume.
    assert_eq!(debugfs(&clean, "stat /d1").lines().next().map(|l| l.starts_with("Inode: 13 ")), Some(true));
    let mut broken = Vec::new();
    for k in DAMAGES {
        broken.extend(check_damage(dir.path(), &clean, k));
    }
    assert!(broken.is_empty(), "damage kinds that broke a rule:\n{}", broken.join("\n\n"));
}

/// `debugfs ea_set -f FILE PATH system.data` with `value` (the file written first).
fn set_system_data(dir: &Path, path: &str, value: &[u8]) -> String {
    let file = dir.join(format!("value-{}", value.iter().map(|b| format!("{b:02x}")).collect::<String>()));
    write_bytes(&file, value);
    format!("ea_set -f {} {path} system.data", s(&file))
}

/// An inline directory whose entries go on in `system.data` (mke2fs -d never makes one: the
/// kernel does, when i_block is full): /d1's 'a' takes all of i_block, 'b' is in the
/// attribute. It reads and checks as e2fsck reads it, and its second run of entries is checked
/// as the first is.
#[test]
fn an_inline_directory_continued_in_system_data_reads_and_checks() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = image(dir.path(), "two-runs.img");
    let entry = |ino: u32, rec_len: u16, name: &[u8]| {
        let mut v = ino.to_le_bytes().to_vec();
        v.extend_from_slice(&rec_len.to_le_bytes());
        v.extend_from_slice(&[name.len() as u8, 1]);
        v.extend_from_slice(name);
        v.resize(12, 0);
        v
    };
    let value = set_system_data(dir.path(), "/d1", &entry(15, 12, b"b"));
    debugfs_w(&img, &["sif /d1 block[2] 0x01010038", &value, "sif /d1 size 72"]);
    assert_e2fsck_clean(&img);
    assert_eq!(e4dax_ls(&img, "/d1"), debugfs_ls(&img, "/d1"));
    assert_eq!(e4dax_ls(&img, "/d1").len(), 4, ". .. a b");
    let (rc, text) = fsck(&img, &["-n"]);
    assert_eq!(rc, 0, "{text}");
    let damages = [
        (entry(15, 3, b"b"), "0x020001", "block #1, offset 0: directory corrupted"),
        (entry(99_999, 12, b"b"), "0x020002", "has invalid inode #: 99999"),
        // e2fsck does not look for duplicates in an inline directory: it counts the links.
        (entry(14, 12, b"a"), "0x02000a", "Inode 14 ref count is 1, should be 2"),
    ];
    let mut broken = Vec::new();
    for (v, code, says) in damages {
        let cmd = set_system_data(dir.path(), "/d1", &v);
        let k = Damage { name: "an entry of system.data", cmds: &[], code, e2fsck_says: says };
        broken.extend(check_damage_with(dir.path(), &img, &k, &[cmd.as_str()]));
    }
    assert!(broken.is_empty(), "damage kinds that broke a rule:\n{}", broken.join("\n\n"));
}

fn check_damage(dir: &Path, clean: &Path, k: &Damage) -> Option<String> {
    check_damage_with(dir, clean, k, k.cmds)
}

/// Damage a copy of `clean` with `cmds` and hold both checkers to the rules (see the module's
/// documentation): what broke, if anything.
fn check_damage_with(dir: &Path, clean: &Path, k: &Damage, cmds: &[&str]) -> Option<String> {
    let img = dir.join("damaged.img");
    copy_image(clean, &img);
    debugfs_w(&img, cmds);
    let mut why = Vec::new();
    for args in [
        vec!["read", s(&img), "/small", "--len", "1M"],
        vec!["read", s(&img), "/tiny", "--len", "1M"],
        vec!["ls", s(&img), "/d1"],
        vec!["ls", s(&img), "/d2"],
        vec!["ls", s(&img), "/"],
        vec!["inspect", s(&img), "inode", "/d1"],
        vec!["inspect", s(&img), "inode", "/small"],
    ] {
        let out = run_e4dax_within(&args, LIMIT);
        let err = String::from_utf8_lossy(&out.stderr);
        if !matches!(out.status.code(), Some(0 | 1)) || err.contains("panicked") {
            why.push(format!("{args:?} exits {:?}: {err}", out.status.code()));
        }
    }
    let (theirs, their_text) = e2fsck(&img, "-fn");
    let (ours, codes) = our_codes(&img);
    if theirs == 0 || ours != 4 {
        why.push(format!("e2fsck -fn exits {theirs}, fsck -fn exits {ours}"));
    }
    if !codes.iter().any(|c| c == k.code) {
        why.push(format!("fsck -fn does not report {} (reports {codes:?})", k.code));
    }
    if !their_text.contains(k.e2fsck_says) {
        why.push(format!("e2fsck does not say {:?}:\n{their_text}", k.e2fsck_says));
    }
    // -p decides as e2fsck -p does (fixes what it preens, else stops with exit 4).
    let preen = dir.join("preen.img");
    copy_image(&img, &preen);
    let (their_p, _) = e2fsck(&preen, "-fp");
    copy_image(&img, &preen);
    let (our_p, text) = fsck(&preen, &["-p"]);
    if their_p != our_p {
        why.push(format!("e2fsck -fp exits {their_p}, fsck -fp exits {our_p}\n{text}"));
    }
    let (rc, text) = fsck(&img, &["-y"]);
    if rc != 1 {
        why.push(format!("fsck -fy exits {rc}\n{text}"));
    }
    let (after, after_text) = e2fsck(&img, "-fn");
    if after != 0 {
        why.push(format!("after fsck -fy, e2fsck -fn exits {after}:\n{after_text}"));
    }
    let (again, text) = fsck(&img, &["-n"]);
    if again != 0 {
        why.push(format!("after fsck -fy, fsck -fn exits {again}:\n{text}"));
    }
    (!why.is_empty()).then(|| format!("{} ({cmds:?}): {}", k.name, why.join("; ")))
}
