//! Block-mapped files (no extent tree: twelve direct pointers, then single, double and triple
//! indirect blocks), on images e2fsprogs makes itself — `mke2fs -t ext2 -b 1024`,
//! `-t ext3 -b 1024` (its journal is block-mapped too) and `-t ext4 -O ^extent -b 4096` —
//! populated with `-d` from a tree holding small files, a file needing double indirect blocks,
//! sparse files with holes at the direct, indirect, double and triple indirect levels, a
//! directory of 320 entries (several blocks), nested directories and a slow symlink.
//!
//! * Clean: `fsck -fn` exits 0 where `e2fsck -fn` does, and `fsck -fy` changes nothing.
//! * Reading: `read` of every file is `debugfs cat`, `ls` of every directory is `debugfs ls`,
//!   `inspect blocks` is `debugfs blocks` and `inspect inode`'s BLOCKS/TOTAL lines are
//!   `debugfs stat`'s.
//! * Damage (pointers out of range at each level, a block claimed twice, an indirect block
//!   pointing at itself or at the inode table, a garbage triple indirect block, a wrong
//!   directory i_size, a wrong i_blocks, a file's i_size past what a block map addresses, a
//!   directory's pointer out of range or zeroed (a hole, filled with a new empty block as
//!   e2fsck fills it); on ext3, the journal inode's block map): `fsck -fn` exits non-zero exactly when `e2fsck -fn`
//!   does and names the problem e2fsck names, `fsck -fp` exits as `e2fsck -fp` does, and `read`,
//!   `ls` and `inspect` answer (data or one error line, never a panic or a hang); after
//!   `fsck -fy`, `e2fsck -fn` and `fsck -fn` find nothing.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::*;

const LIMIT: Duration = Duration::from_secs(60);

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The regular files and directories of the source tree (paths inside the image).
const FILES: &[&str] = &["/small", "/empty", "/dind", "/sparse", "/tind", "/a/b/c/deep"];
const DIRS: &[&str] = &["/", "/big", "/a", "/a/b", "/a/b/c", "/lost+found"];

/// The tree every image is populated from.
fn source(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("big")).expect("mkdir");
    std::fs::create_dir_all(src.join("a/b/c")).expect("mkdir");
    write_bytes(&src.join("small"), &pseudo_random(5000, 1));
    write_bytes(&src.join("empty"), b"");
    // 400 KiB: past 12 + 256 blocks of 1 KiB, so double indirect.
    write_bytes(&src.join("dind"), &pseudo_random(400 * 1024, 2));
    // Holes between data in the direct, single and double indirect ranges (1 KiB blocks).
    let sparse = std::fs::File::create(src.join("sparse")).expect("create");
    for (at, len, seed) in [(0u64, 3 * 1024, 3u64), (100 * 1024, 2 * 1024, 4), (2000 * 1024, 1024, 5)] {
        sparse.write_all_at(&pseudo_random(len, seed), at).expect("write");
    }
    sparse.set_len(3000 * 1024).expect("set_len");
    // Data at 0 and at 70 MiB: a triple indirect block with 1 KiB blocks (past 12 + 256 +
    // 65,536 blocks), a double indirect one with 4 KiB blocks; a few blocks either way.
    let tind = std::fs::File::create(src.join("tind")).expect("create");
    tind.write_all_at(&pseudo_random(2048, 6), 0).expect("write");
    tind.write_all_at(&pseudo_random(3000, 7), 70 << 20).expect("write");
    for i in 0..320 {
        write_bytes(&src.join(format!("big/file_with_a_longish_name_{i}")), format!("{i}\n").as_bytes());
    }
    write_bytes(&src.join("a/b/c/deep"), b"deep\n");
    std::os::unix::fs::symlink("a/b/c/deep", src.join("fast")).expect("symlink");
    // Longer than the 60 bytes of i_block: a slow symlink, its target in a block.
    std::os::unix::fs::symlink(format!("a/b/c{}/deep", "/.".repeat(50)), src.join("slow")).expect("symlink");
    src
}

/// `mke2fs -q -F ARGS -U UUID_A -E hash_seed=UUID_A -d SRC DIR/NAME SIZE`, reproducibly.
fn mke2fs(dir: &Path, name: &str, src: &Path, size: &str, args: &[&str]) -> PathBuf {
    let path = dir.join(name);
    let seed = format!("hash_seed={UUID_A}");
    let out = Command::new(tool("mke2fs"))
        .args(["-q", "-F"])
        .args(args)
        .args(["-U", UUID_A, "-E", &seed, "-d", s(src), s(&path), size])
        .env("E2FSPROGS_FAKE_TIME", TIME)
        .output()
        .expect("cannot run mke2fs");
    assert!(out.status.success(), "mke2fs {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    path
}

/// The three kinds of block-mapped image, populated from [`source`].
fn images(dir: &Path) -> Vec<PathBuf> {
    let src = source(dir);
    vec![
        mke2fs(dir, "ext2-1k.img", &src, "16M", &["-t", "ext2", "-b", "1024"]),
        mke2fs(dir, "ext3-1k.img", &src, "16M", &["-t", "ext3", "-b", "1024"]),
        mke2fs(dir, "ext4-noextent-4k.img", &src, "32M", &["-t", "ext4", "-O", "^extent,^64bit", "-b", "4096"]),
    ]
}

/// `e4dax fsck IMAGE -f ARGS..`: exit code and stdout.
fn fsck(image: &Path, args: &[&str]) -> (i32, String) {
    let mut all = vec!["fsck", s(image), "-f"];
    all.extend(args);
    let out = run_e4dax_within(&all, LIMIT);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// The problem codes of `e4dax fsck IMAGE -fn --json`.
fn our_codes(image: &Path) -> (i32, Vec<String>) {
    let out = run_e4dax_within(&["fsck", s(image), "-f", "-n", "--json"], LIMIT);
    let rc = out.status.code().unwrap_or(-1);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("fsck --json ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    let codes =
        jget(&v, "findings").as_array().expect("findings").iter().map(|f| jstr(f, "code").to_string()).collect();
    (rc, codes)
}

/// `e2fsck FLAG IMAGE`: exit code and output.
fn e2fsck(image: &Path, flag: &str) -> (i32, String) {
    let out = Command::new(tool("e2fsck")).arg(flag).arg(image).env("LC_ALL", "C").output().expect("e2fsck");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn clean_block_mapped_images_check_clean_and_y_changes_nothing() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    for img in images(dir.path()) {
        assert_e2fsck_clean(&img);
        let (rc, text) = fsck(&img, &["-n"]);
        assert_eq!(rc, 0, "fsck -fn {} (e2fsck -fn exits 0)\n{text}", img.display());
        // e2fsck's summary line, word for word (files, non-contiguous share, blocks).
        let (_, theirs) = e2fsck(&img, "-fn");
        let summary = |t: &str| t.lines().find(|l| l.contains(" files (")).map(str::to_string);
        assert_eq!(summary(&text), summary(&theirs), "{}", img.display());
        let before = read_bytes(&img);
        let (rc, text) = fsck(&img, &["-y"]);
        assert_eq!(rc, 0, "fsck -fy {}\n{text}", img.display());
        assert_unchanged(&img, &before, "fsck -fy of a clean block-mapped image");
    }
}

/// debugfs stat's BLOCKS and TOTAL lines.
fn blocks_lines(t: &str) -> Vec<String> {
    t.lines().skip_while(|l| *l != "BLOCKS:").take(3).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

#[test]
fn read_ls_and_inspect_of_block_mapped_files_are_debugfs() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    for img in images(dir.path()) {
        for f in FILES {
            let out = run_e4dax_within(&["read", s(&img), f], LIMIT);
            assert_eq!(
                out.status.code(),
                Some(0),
                "read {} {f}: {}",
                img.display(),
                String::from_utf8_lossy(&out.stderr)
            );
            let theirs = debugfs_bytes(&img, &format!("cat {f}"));
            assert!(
                out.stdout == theirs,
                "read {} {f}: {} bytes, debugfs cat {} bytes",
                img.display(),
                out.stdout.len(),
                theirs.len()
            );
        }
        for d in DIRS {
            assert_eq!(e4dax_ls(&img, d), debugfs_ls(&img, d), "ls {} {d}", img.display());
        }
        assert_eq!(e4dax_ls(&img, "/big").len(), 322, "320 entries and . and ..");
        for f in FILES.iter().chain(&["/big", "/slow", "/", "<7>"]) {
            let out = run_e4dax_within(&["inspect", s(&img), "blocks", f], LIMIT);
            assert_eq!(out.status.code(), Some(0), "inspect blocks {f}: {}", String::from_utf8_lossy(&out.stderr));
            let mine = String::from_utf8_lossy(&out.stdout).into_owned();
            let theirs = debugfs(&img, &format!("blocks {f}"));
            assert_eq!(mine, theirs, "inspect {} blocks {f} vs debugfs blocks", img.display());
            let out = run_e4dax_within(&["inspect", s(&img), "inode", f], LIMIT);
            let mine = String::from_utf8_lossy(&out.stdout).into_owned();
            let theirs = debugfs(&img, &format!("stat {f}"));
            assert_eq!(
                blocks_lines(&mine),
                blocks_lines(&theirs),
                "inspect {} inode {f} vs debugfs stat\n{mine}",
                img.display()
            );
        }
    }
}

/// `inspect blocks` of extent-mapped files is debugfs blocks too (tree node blocks included).
#[test]
fn inspect_blocks_of_extent_files_is_debugfs_blocks() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let src = source(dir.path());
    // A file with more extents than the inode holds: a leaf block.
    let frag = std::fs::File::create(src.join("frag")).expect("create");
    for i in 0..20u64 {
        frag.write_all_at(&pseudo_random(4096, 40 + i), 2 * i * 4096).expect("write");
    }
    let img = mke2fs(dir.path(), "ext4.img", &src, "32M", &["-t", "ext4", "-b", "4096"]);
    for f in FILES.iter().chain(&["/frag", "/big", "/", "<8>", "<7>"]) {
        let out = run_e4dax_within(&["inspect", s(&img), "blocks", f], LIMIT);
        assert_eq!(out.status.code(), Some(0), "inspect blocks {f}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), debugfs(&img, &format!("blocks {f}")), "inspect blocks {f}");
    }
}

/// The physical block of logical block `lblk` of `path` (debugfs bmap).
fn bmap(image: &Path, path: &str, lblk: u64) -> u64 {
    debugfs(image, &format!("bmap {path} {lblk}")).trim().parse().expect("bmap")
}

/// The `i_block[slot]` of `path` (debugfs stat's BLOCKS line does not give it directly).
fn slot(image: &Path, path: &str, name: &str) -> u64 {
    let t = debugfs(image, &format!("stat {path}"));
    let line = blocks_lines(&t).get(1).cloned().unwrap_or_default();
    let at = line.find(&format!("({name}):")).unwrap_or_else(|| panic!("no {name} in {line}"));
    let rest = &line[at + name.len() + 3..];
    rest.split(|c: char| !c.is_ascii_digit()).next().and_then(|w| w.parse().ok()).expect("block number")
}

/// The debugfs commands that make a damage, given the clean image.
type Cmds = Box<dyn Fn(&Path) -> Vec<String>>;

/// One kind of damage: debugfs commands (made from the clean image), the problem code ours
/// must report, and a phrase of e2fsck's report.
struct Damage {
    name: &'static str,
    cmds: Cmds,
    code: &'static str,
    e2fsck_says: &'static str,
}

fn damages() -> Vec<Damage> {
    let d = |name, code, e2fsck_says, cmds: Cmds| Damage { name, cmds, code, e2fsck_says };
    vec![
        d(
            "indirect pointer out of range",
            "0x010025",
            "Illegal indirect block (99999999)",
            Box::new(|_| vec!["sif /dind block[IND] 99999999".into()]),
        ),
        d(
            "direct pointer out of range",
            "0x010025",
            "Illegal block #2 (99999999)",
            Box::new(|_| vec!["sif /dind block[2] 99999999".into()]),
        ),
        d(
            "double indirect pointer out of range",
            "0x010025",
            "Illegal double indirect block",
            Box::new(|_| vec!["sif /dind block[DIND] 99999999".into()]),
        ),
        d(
            "triple indirect pointer out of range",
            "0x010025",
            "Illegal triple indirect block",
            Box::new(|_| vec!["sif /tind block[TIND] 4000000000".into()]),
        ),
        d(
            "a data block claimed by two files",
            "0x010007",
            "Multiply-claimed block",
            Box::new(|img| vec![format!("sif /small block[1] {}", bmap(img, "/dind", 5))]),
        ),
        d(
            "an indirect block pointing at itself",
            "0x010007",
            "Multiply-claimed block",
            Box::new(|img| {
                let ind = slot(img, "/dind", "IND");
                // Its first entry (logical block 12) names the indirect block itself.
                (ind as u32)
                    .to_le_bytes()
                    .iter()
                    .enumerate()
                    .map(|(i, b)| format!("zap_block -o {i} -l 1 -p {b} {ind}"))
                    .collect()
            }),
        ),
        d(
            "an indirect block shared by two files",
            "0x010007",
            "Multiply-claimed block",
            Box::new(|img| vec![format!("sif /small block[IND] {}", slot(img, "/dind", "IND"))]),
        ),
        d(
            "an indirect block in the inode table",
            "0x010034",
            "conflicts with critical metadata",
            Box::new(|img| {
                // " Group  0: block bitmap at 34, inode bitmap at 35, inode table at 36"
                let stats = debugfs(img, "stats");
                let itable = stats
                    .lines()
                    .find_map(|l| l.split("inode table at ").nth(1))
                    .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
                    .expect("inode table")
                    .to_string();
                vec![format!("sif /small block[IND] {itable}")]
            }),
        ),
        d(
            "a triple indirect block of random bytes",
            "0x010007",
            "Illegal double indirect block",
            Box::new(|img| vec![format!("sif /small block[TIND] {}", bmap(img, "/dind", 20))]),
        ),
        d(
            "a file's i_size past what a block map addresses",
            "0x010009",
            "i_size is 280375465082883, should be 5120",
            Box::new(|_| vec!["sif /small size 280375465082883".into()]),
        ),
        d(
            "a directory's block pointer out of range",
            "0x010025",
            "Illegal block #4 (99999999) in inode",
            Box::new(|_| vec!["sif /big block[4] 99999999".into()]),
        ),
        d(
            "a hole in a directory",
            "0x02000c",
            "has an unallocated block #4",
            Box::new(|_| vec!["sif /big block[4] 0".into()]),
        ),
        d(
            "directory i_size too small",
            "0x010009",
            "i_size is 2048, should be",
            Box::new(|_| vec!["sif /big size 2048".into()]),
        ),
        d(
            "i_blocks wrong",
            "0x01000a",
            "i_blocks is 100, should be",
            Box::new(|_| vec!["sif /dind blocks 100".into()]),
        ),
    ]
}

/// Damage to ext3's block-mapped journal inode: a map that cannot be followed is an invalid
/// journal (deleted by -y/-p; e2fsck recreates it), a map too short for the journal a corrupt
/// journal superblock (a fresh one for the blocks mapped).
fn journal_damages() -> Vec<Damage> {
    vec![
        Damage {
            name: "ext3: the journal's indirect pointer out of range",
            cmds: Box::new(|_| vec!["sif <8> block[IND] 99999999".into()]),
            code: "0x060004",
            e2fsck_says: "Illegal indirect block (99999999) in inode 8",
        },
        Damage {
            name: "ext3: the journal's first block out of range",
            cmds: Box::new(|_| vec!["sif <8> block[0] 99999999".into()]),
            code: "0x060004",
            e2fsck_says: "Illegal block #0 (99999999) in inode 8",
        },
        Damage {
            name: "ext3: the journal's double indirect block lost",
            cmds: Box::new(|_| vec!["sif <8> block[DIND] 0".into()]),
            code: "0x060003",
            e2fsck_says: "Inode 8, i_blocks is 2058, should be 538",
        },
    ]
}

#[test]
fn damaged_block_maps_are_found_as_e2fsck_finds_them_and_repaired() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let src = source(dir.path());
    let ext2 = mke2fs(dir.path(), "clean.img", &src, "16M", &["-t", "ext2", "-b", "1024"]);
    let ext3 = mke2fs(dir.path(), "clean3.img", &src, "16M", &["-t", "ext3", "-b", "1024"]);
    let kinds = damages().into_iter().map(|k| (&ext2, k)).chain(journal_damages().into_iter().map(|k| (&ext3, k)));
    let mut broken = Vec::new();
    for (clean, k) in kinds {
        let img = dir.path().join("damaged.img");
        copy_image(clean, &img);
        let cmds = (k.cmds)(&img);
        debugfs_w(&img, &cmds.iter().map(String::as_str).collect::<Vec<_>>());
        let mut why = Vec::new();
        // Untrusted input: every reader answers (the data, or one error line), within the
        // limit, never a panic.
        for args in [
            // At most 1 MiB each: a damaged i_size can make a file of terabytes of holes.
            vec!["read", s(&img), "/dind", "--len", "1M"],
            vec!["read", s(&img), "/small", "--len", "1M"],
            vec!["read", s(&img), "/tind", "--offset", "70M", "--len", "1M"],
            vec!["ls", s(&img), "/big"],
            vec!["inspect", s(&img), "blocks", "/small"],
            vec!["inspect", s(&img), "inode", "/small"],
            vec!["inspect", s(&img), "icheck", "100", "1000"],
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
        let preen = dir.path().join("preen.img");
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
        if !why.is_empty() {
            broken.push(format!("{}: {}", k.name, why.join("; ")));
        }
    }
    assert!(broken.is_empty(), "damage kinds that broke a rule:\n{}", broken.join("\n\n"));
}

/// The repair of an illegal block clears that pointer, not the inode: the rest of the file
/// still reads as before.
#[test]
fn an_illegal_block_pointer_is_cleared_and_the_rest_of_the_file_kept() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let src = source(dir.path());
    let img = mke2fs(dir.path(), "x.img", &src, "16M", &["-t", "ext2", "-b", "1024"]);
    debugfs_w(&img, &["sif /dind block[2] 99999999"]);
    let (rc, text) = fsck(&img, &["-y"]);
    assert_eq!(rc, 1, "{text}");
    assert_e2fsck_clean(&img);
    let data = pseudo_random(400 * 1024, 2);
    let out = run_e4dax_within(&["read", s(&img), "/dind"], LIMIT);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout.len(), data.len());
    assert!(out.stdout[2048..3072].iter().all(|&b| b == 0), "block 2 is a hole now");
    assert!(out.stdout[..2048] == data[..2048] && out.stdout[3072..] == data[3072..], "the rest is kept");
}

/// Writes refuse block-mapped files (they are read, never written) and change nothing.
#[test]
fn writes_refuse_block_mapped_files() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let src = source(dir.path());
    let img = mke2fs(dir.path(), "x.img", &src, "16M", &["-t", "ext2", "-b", "1024"]);
    let before = read_bytes(&img);
    for args in [
        vec!["truncate", s(&img), "/dind", "--size", "0"],
        vec!["fallocate", s(&img), "/small", "--offset", "0", "--len", "64K"],
        vec!["rm", s(&img), "/small"],
        vec!["create", s(&img), "/new"],
    ] {
        let out = run_e4dax_within(&args, LIMIT);
        assert_ne!(out.status.code(), Some(0), "{args:?} must refuse");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("block-mapped") || err.contains("extent feature"), "{args:?}: {err}");
    }
    assert_unchanged(&img, &before, "refused writes");
}
