//! `e4dax fsck` against e2fsck 1.47, the oracle, on real images built here by the real tools.
//!
//! * A corruption corpus ([`KINDS`]): more than 25 kinds of damage, each made on a fresh copy of a
//!   populated image — ours (`e4dax mkfs` + `create`/`fallocate`/`punch` + `debugfs write`) or
//!   stock (`mkfs.ext4 -b 4096` + `debugfs write`/`mkdir`) — with debugfs (`sif`, `set_bg`,
//!   `ssv`, `freeb`/`setb`, `freei`/`seti`, `clri`, `unlink`, `link`, `rmdir`) or by editing bytes
//!   found with debugfs (`imap`, `bmap`, `stat`, `ex`) and re-checksummed with the library. The
//!   table records e2fsck's verdict as observed (`e2fsck -fn` and `e2fsck -fy` exit codes; the test
//!   re-checks them, so a different e2fsprogs shows up as such). For each kind: `e4dax fsck -n`
//!   exits non-zero exactly when `e2fsck -fn` does and never writes; on a copy `e4dax fsck -y`
//!   exits 1, after which `e2fsck -fn` finds nothing at all (exit 0 and no problem lines),
//!   `e2fsck -fy` has nothing left to fix, `e4dax fsck -n` exits 0 and a second `e4dax fsck -y`
//!   exits 0 (golden, run twice, as e2fsprogs' own tests do). A summary table goes to stderr and
//!   every kind that broke a rule is listed, not just the first.
//! * Clean images — ours with a depth-2 extent tree (fallocate, then punch every other block),
//!   stock with an htree directory and a depth-2 tree, and ours with an unreplayed journal —
//!   check clean: exit 0, no findings; `-n` on the unreplayed journal says so and writes nothing,
//!   `-y` replays it first.
//! * Stale data: a written extent over `mkfs --poison` blocks is what `fsck --data` exists for —
//!   it reports inode, logical and physical block and exits 4 (never "fixed"), while `e2fsck -fn`
//!   calls the image clean.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use e4dax::check::problem;

use crate::common::*;

/// No single fsck run on these small images may take longer (a hang is a failure, not a wait).
const FSCK_LIMIT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// Running the checkers
// ---------------------------------------------------------------------------------------------

/// What one checker run left: exit code (None when killed by a signal) and its output.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn rc(&self) -> i32 {
        self.code.unwrap_or(-1)
    }

    fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    fn show(&self) -> String {
        format!("exit {:?}\n--- stdout ---\n{}--- stderr ---\n{}", self.code, self.stdout, self.stderr)
    }
}

/// `e4dax fsck IMAGE -f ARGS..` (within [`FSCK_LIMIT`]): forced, as the `e2fsck -f` it is
/// compared with (damage that leaves the superblock clean is checked).
fn fsck(image: &Path, args: &[&str]) -> Run {
    let mut all: Vec<&std::ffi::OsStr> = vec!["fsck".as_ref(), image.as_os_str(), "-f".as_ref()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    Run::from(run_e4dax_within(&all, FSCK_LIMIT))
}

/// `e4dax fsck IMAGE ARGS.. --json`: the run and its JSON (None when stdout is not JSON).
fn fsck_json(image: &Path, args: &[&str]) -> (Run, Option<serde_json::Value>) {
    let mut all = args.to_vec();
    all.push("--json");
    let run = fsck(image, &all);
    let json = serde_json::from_str(&run.stdout).ok();
    (run, json)
}

/// The `findings` array of fsck's JSON.
fn findings(v: &serde_json::Value) -> Vec<serde_json::Value> {
    jget(v, "findings").as_array().unwrap_or_else(|| panic!("fsck --json: findings is not an array: {v:#}")).clone()
}

/// A problem code as fsck prints it ("0x060002").
fn code_of(code: u32) -> String {
    format!("{code:#08x}")
}

/// The (code, fixed) of every finding of fsck's JSON, in order.
fn finding_codes(v: &serde_json::Value) -> Vec<(String, bool)> {
    findings(v).iter().map(|f| (jstr(f, "code").to_string(), jbool(f, "fixed"))).collect()
}

/// `e2fsck FLAG IMAGE`.
fn e2fsck(image: &Path, flag: &str) -> Run {
    let out = std::process::Command::new(tool("e2fsck"))
        .arg(flag)
        .arg(image)
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .output()
        .expect("cannot run e2fsck");
    Run::from(out)
}

/// The lines of e2fsck output that report a problem: everything but the banner, the pass
/// headers and the summary line. `e2fsck -fn` exits 0 on some problems it does not count
/// (superblock free counts, group descriptor checksums), so "clean" means no such line either.
fn e2fsck_problems(run: &Run) -> Vec<String> {
    run.text()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter(|l| !l.starts_with("e2fsck 1.") && !l.starts_with("Pass "))
        .filter(|l| !(l.contains(" files (") && l.contains(" blocks")))
        .map(str::to_string)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Images and editing them
// ---------------------------------------------------------------------------------------------

/// A sparse copy (runs of zeros stay holes), so copies of the 136 MiB image stay cheap.
fn copy_sparse(from: &Path, to: &Path) {
    use std::io::Read;
    use std::os::unix::fs::FileExt;
    let mut src = std::fs::File::open(from).unwrap_or_else(|e| panic!("open {}: {e}", from.display()));
    let len = src.metadata().expect("stat").len();
    let dst = std::fs::File::create(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    dst.set_len(len).expect("set_len");
    let mut buf = vec![0u8; 256 * KIB as usize];
    let mut at = 0u64;
    loop {
        let mut n = 0;
        while n < buf.len() {
            match src.read(&mut buf[n..]).expect("read") {
                0 => break,
                k => n += k,
            }
        }
        if n == 0 {
            break;
        }
        for (i, chunk) in buf[..n].chunks(BLOCK_SIZE as usize).enumerate() {
            if chunk.iter().any(|&b| b != 0) {
                dst.write_all_at(chunk, at + (i as u64) * BLOCK_SIZE).expect("write");
            }
        }
        at += n as u64;
    }
}

fn read_at(image: &Path, offset: u64, len: usize) -> Vec<u8> {
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open(image).expect("open image");
    let mut buf = vec![0u8; len];
    f.read_exact_at(&mut buf, offset).expect("read image");
    buf
}

fn write_at(image: &Path, offset: u64, bytes: &[u8]) {
    use std::os::unix::fs::FileExt;
    let f = std::fs::OpenOptions::new().write(true).open(image).expect("open image for writing");
    f.write_all_at(bytes, offset).expect("write image");
}

/// XOR one byte of the image file.
fn flip(image: &Path, offset: u64, mask: u8) {
    let mut b = read_at(image, offset, 1);
    b[0] ^= mask;
    write_at(image, offset, &b);
}

/// `debugfs -w` commands (each must succeed).
fn dbg(image: &Path, cmds: &[&str]) {
    debugfs_w(image, cmds);
}

/// Inode number and byte offset of `spec` (a path or `<N>`), from `debugfs imap`:
/// "Inode 16 is part of block group 0\n\tlocated at block 4, offset 0x0f00".
fn imap(image: &Path, spec: &str) -> (u32, u64) {
    let text = debugfs(image, &format!("imap {spec}"));
    let ino: Option<u32> = text.split_whitespace().nth(1).and_then(|w| w.parse().ok());
    let block = text.split("located at block ").nth(1).and_then(|r| r.split(',').next()).and_then(parse_u64);
    let offset = text.split("offset ").nth(1).and_then(|r| r.split_whitespace().next()).and_then(parse_u64);
    match (ino, block, offset) {
        (Some(i), Some(b), Some(o)) => (i, b * BLOCK_SIZE + o),
        _ => panic!("debugfs imap {spec}: unexpected output {text:?}"),
    }
}

/// The physical block of logical block `lblk` of `path` (`debugfs bmap`).
fn bmap(image: &Path, path: &str, lblk: u64) -> u64 {
    let text = debugfs(image, &format!("bmap {path} {lblk}"));
    parse_u64(text.trim()).unwrap_or_else(|| panic!("debugfs bmap {path} {lblk}: {text:?}"))
}

/// The first leaf extent of `path` (`debugfs ex`).
fn first_extent(image: &Path, path: &str) -> LeafExtent {
    debugfs_leaf_extents(image, path).first().copied().unwrap_or_else(|| panic!("{path} has no extents"))
}

/// The first extent tree block of `path`: "(ETB0):1234" in `debugfs stat`.
fn first_tree_block(image: &Path, path: &str) -> u64 {
    let text = debugfs(image, &format!("stat {path}"));
    text.split("(ETB0):")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(parse_u64)
        .unwrap_or_else(|| panic!("{path} has no extent tree block:\n{text}"))
}

/// A free block (`debugfs ffb 1 GOAL`: "Free blocks found: N").
fn free_block(image: &Path, goal: u64) -> u64 {
    let text = debugfs(image, &format!("ffb 1 {goal}"));
    text.split("found:").nth(1).and_then(|r| parse_u64(r.trim())).unwrap_or_else(|| panic!("debugfs ffb: {text:?}"))
}

/// The checksum seed of the structures of inode `spec` (file system seed, inode, generation).
fn inode_csum_seed(image: &Path, spec: &str) -> u32 {
    let sb = read_at(image, SB_OFFSET as u64, 1024);
    let sb = e4dax::ondisk::superblock::Superblock::parse(&sb).expect("a valid superblock");
    let (ino, at) = imap(image, spec);
    let raw = read_at(image, at, 0x68);
    let gen = u32::from_le_bytes(raw[0x64..0x68].try_into().expect("4 bytes"));
    e4dax::ondisk::checksum::inode_seed(sb.csum_seed(), ino, gen)
}

/// Edit logical block `lblk` of directory `dir` and store it with a good leaf checksum, so the
/// damage is the edit alone.
fn edit_dir_block(image: &Path, dir: &str, lblk: u64, edit: impl FnOnce(&mut [u8])) {
    let at = bmap(image, dir, lblk) * BLOCK_SIZE;
    let mut block = read_at(image, at, BLOCK_SIZE as usize);
    assert!(e4dax::ondisk::dirent::has_tail(&block), "{dir} block {lblk} has no checksum tail");
    edit(&mut block);
    e4dax::ondisk::dirent::set_tail_checksum(&mut block, inode_csum_seed(image, dir));
    write_at(image, at, &block);
}

/// The byte offset of the entry named `name` in a directory block (linear walk).
fn dirent_offset(block: &[u8], name: &str) -> usize {
    let mut off = 0;
    while off + 8 <= block.len() {
        let rec_len = usize::from(u16::from_le_bytes([block[off + 4], block[off + 5]]));
        let name_len = usize::from(block[off + 6]);
        if &block[off + 8..off + 8 + name_len] == name.as_bytes() {
            return off;
        }
        assert!(rec_len >= 8, "bad rec_len {rec_len} at {off}");
        off += rec_len;
    }
    panic!("no entry {name:?} in the directory block");
}

/// The three populations. Ours: 32 MiB, one group, no backup superblock. Stock: 64 MiB in four
/// groups of 4096 blocks (backups in groups 1 and 3; groups 1-3 uninitialised). Stock-big:
/// 136 MiB sparse in the default 32768-block groups, the smallest layout where e2fsck finds the
/// backup superblock by itself (it only tries block 32768 for 4 KiB blocks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Base {
    Ours,
    Stock,
    StockBig,
}

/// A sparse source for `debugfs write`: one data block every other block (`count` extents).
fn every_other_block_source(dir: &Path, name: &str, count: u64, seed: u64) -> PathBuf {
    use std::os::unix::fs::FileExt;
    let host = dir.join(name);
    let f = std::fs::File::create(&host).expect("create source");
    f.set_len((2 * count - 1) * BLOCK_SIZE).expect("set_len");
    for i in 0..count {
        f.write_all_at(&pseudo_random(BLOCK_SIZE as usize, seed + i), 2 * i * BLOCK_SIZE).expect("write source");
    }
    host
}

/// Host files for `debugfs write`: /w (5 blocks), /d/w2 (3 blocks), /x (3 blocks), /two (two
/// one-block extents with a hole between), /many (6 extents: one leaf block, depth 1).
fn sources(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let w = dir.join("w.src");
    write_bytes(&w, &pseudo_random(20_000, 1));
    let w2 = dir.join("w2.src");
    write_bytes(&w2, &pseudo_random(9_000, 2));
    let x = dir.join("x.src");
    write_bytes(&x, &pseudo_random(9_000, 3));
    vec![
        (w, "/w"),
        (w2, "/d/w2"),
        (x, "/x"),
        (every_other_block_source(dir, "two.src", 2, 10), "/two"),
        (every_other_block_source(dir, "many.src", 6, 20), "/many"),
    ]
}

fn write_sources(image: &Path, srcs: &[(PathBuf, &'static str)]) {
    let cmds: Vec<String> = srcs.iter().map(|(host, path)| format!("write {} {path}", host.display())).collect();
    let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
    dbg(image, &refs);
}

fn e4dax_ok(args: &[&std::ffi::OsStr]) {
    let out = run_e4dax(args);
    assert!(out.status.success(), "e4dax {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Ours: `e4dax mkfs`, files and a directory made by e4dax (unwritten extents, a punched hole),
/// then written files, a subdirectory and multi-extent files by debugfs.
fn base_ours(dir: &Path) -> PathBuf {
    let image = mkfs(dir, "base-ours.img", "32M", &[]);
    let img = image.as_os_str();
    for args in [
        vec!["create", "/a"],
        vec!["fallocate", "/a", "--offset", "0", "--len", "64K"],
        vec!["create", "--dir", "/d"],
        vec!["create", "/d/f"],
        vec!["fallocate", "/d/f", "--offset", "0", "--len", "16K"],
        vec!["create", "/h"],
        vec!["fallocate", "/h", "--offset", "0", "--len", "40K"],
        vec!["punch", "/h", "--offset", "8K", "--len", "8K"],
    ] {
        let mut all: Vec<&std::ffi::OsStr> = vec![args[0].as_ref(), img];
        all.extend(args[1..].iter().map(std::ffi::OsStr::new));
        e4dax_ok(&all);
    }
    dbg(&image, &["mkdir /d/sub"]);
    write_sources(&image, &sources(dir));
    assert_e2fsck_clean(&image);
    image
}

fn base_stock(dir: &Path) -> PathBuf {
    let image = stock_image(dir, "base-stock.img", 64 * MIB, UUID_B, &["-g", "4096"]);
    dbg(&image, &["mkdir /d", "mkdir /d/sub"]);
    write_sources(&image, &sources(dir));
    assert_e2fsck_clean(&image);
    image
}

fn base_stock_big(dir: &Path) -> PathBuf {
    let image = stock_image(dir, "base-stock-big.img", 136 * MIB, UUID_B, &[]);
    dbg(&image, &["mkdir /d"]);
    write_sources(&image, &sources(dir)[..1]);
    assert_e2fsck_clean(&image);
    image
}

// ---------------------------------------------------------------------------------------------
// What a repair keeps
// ---------------------------------------------------------------------------------------------

/// One thing in an image's tree, as `debugfs rdump` writes it out.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    Dir,
    /// A regular file: its size and a CRC32C of its bytes.
    File {
        size: u64,
        crc: u32,
    },
}

/// Everything reachable from `/` of `image` (lost+found included), by path: `debugfs rdump / DIR`
/// and a walk of DIR.
fn survivors(image: &Path, scratch: &Path) -> std::collections::BTreeMap<String, Node> {
    let out = scratch.with_extension("rdump");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("mkdir");
    debugfs(image, &format!("rdump / {}", out.display()));
    let mut all = std::collections::BTreeMap::new();
    let mut stack = vec![out.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let e = e.expect("entry");
            let path = e.path();
            let rel = format!("/{}", path.strip_prefix(&out).expect("under out").display());
            let meta = std::fs::symlink_metadata(&path).expect("stat");
            if meta.is_dir() {
                all.insert(rel, Node::Dir);
                stack.push(path);
            } else {
                let bytes = read_bytes(&path);
                all.insert(rel, Node::File { size: bytes.len() as u64, crc: crc32c(&bytes) });
            }
        }
    }
    let _ = std::fs::remove_dir_all(&out);
    all
}

/// Where `ours` and `theirs` differ: paths only in theirs, only in ours, and in both but
/// different.
fn tree_diff(
    ours: &std::collections::BTreeMap<String, Node>,
    theirs: &std::collections::BTreeMap<String, Node>,
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let only_theirs = theirs.keys().filter(|p| !ours.contains_key(*p)).cloned().collect();
    let only_ours = ours.keys().filter(|p| !theirs.contains_key(*p)).cloned().collect();
    let changed =
        ours.iter().filter(|(p, n)| theirs.get(*p).is_some_and(|t| t != *n)).map(|(p, _)| p.clone()).collect();
    (only_theirs, only_ours, changed)
}

/// Check what our `-y` kept against what `e2fsck -fy` kept, as the kind's [`Keeps`] says.
fn check_keeps(k: &Kind, ours_img: &Path, theirs_img: &Path, broken: &mut Vec<String>) -> String {
    let ours = survivors(ours_img, ours_img);
    let theirs = survivors(theirs_img, theirs_img);
    let (only_theirs, only_ours, changed) = tree_diff(&ours, &theirs);
    let sorted = |v: &[&str]| {
        let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };
    let show = || {
        format!(
            "only in e2fsck's: {only_theirs:?}; only in ours: {only_ours:?}; different: {changed:?}\n\
             ours: {ours:?}\ne2fsck's: {theirs:?}"
        )
    };
    let ok = match k.keeps {
        Keeps::Same => only_theirs.is_empty() && only_ours.is_empty() && changed.is_empty(),
        Keeps::Less { lost, .. } => only_theirs == sorted(lost) && only_ours.is_empty() && changed.is_empty(),
        Keeps::Differs { paths, .. } => {
            let mut all: Vec<String> = only_theirs.iter().chain(&only_ours).chain(&changed).cloned().collect();
            all.sort();
            all == sorted(paths)
        }
    };
    if !ok {
        broken.push(format!(
            "what fsck -y kept is not what the table says ({:?}) against e2fsck -fy:\n{}",
            k.keeps,
            show()
        ));
    }
    match k.keeps {
        Keeps::Same => format!("{} paths", ours.len()),
        Keeps::Less { lost, .. } => format!("{} paths, {} lost", ours.len(), lost.len()),
        Keeps::Differs { paths, .. } => format!("{} paths, {} differ", ours.len(), paths.len()),
    }
}

// ---------------------------------------------------------------------------------------------
// The corpus
// ---------------------------------------------------------------------------------------------

/// What `e4dax fsck -y` must do with a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Repair {
    /// Errors e2fsck counts: `-y` exits 1 and leaves nothing for either checker.
    Fixed,
    /// Damage `e2fsck -fn` reports but does not count (exit 0) or does not see at all (a missing
    /// lost+found): `-n` exits 0 like e2fsck; `-y` exits 0 or 1 (e2fsck -fy itself exits 1 for
    /// some of these and 0 for others) and must still repair, so that `e2fsck -fy` afterwards
    /// has nothing to do.
    Quiet,
    /// No valid superblock and no backup: e2fsck gives up (8). `-y` may give up too (exit 8,
    /// image unchanged) or repair (exit 1, then clean as for `Fixed`).
    Refused,
    /// e2fsck repairs it, we give up (8 for `-n` and `-y`, image unchanged), because of the
    /// reason given: a known shortfall, stated so that any change shows.
    Unrepaired(&'static str),
}

/// What `e4dax fsck -y` keeps of a kind's image (files, directories, names, contents), compared
/// with what `e2fsck -fy` keeps of the same damaged image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keeps {
    /// Exactly what e2fsck's repair keeps.
    Same,
    /// What e2fsck keeps but for these paths (of e2fsck's result), which we lose, and why. (No
    /// kind loses a path now that a bad extent is removed alone; kept for the next that does.)
    #[allow(dead_code)]
    Less { lost: &'static [&'static str], why: &'static str },
    /// What e2fsck keeps, but these paths differ (present in both, or under another name: each
    /// path is in one result and not the other), and why.
    Differs { paths: &'static [&'static str], why: &'static str },
}

struct Kind {
    name: &'static str,
    base: Base,
    /// How the damage is made (for the summary and the reader).
    how: &'static str,
    corrupt: fn(&Path),
    /// `e2fsck -fn` exit code, as observed with e2fsprogs 1.47.0.
    e2fsck_n: i32,
    /// `e2fsck -fy` exit code, as observed with e2fsprogs 1.47.0.
    e2fsck_y: i32,
    repair: Repair,
    /// `Some(why)` when `e4dax fsck -n` deliberately disagrees with `e2fsck -fn` about whether
    /// this is an error (non-zero exactly when e2fsck's is zero). None so far.
    deviation: Option<&'static str>,
    /// What our repair keeps, against e2fsck's.
    keeps: Keeps,
}

impl Kind {
    /// We keep less than e2fsck: `lost` (paths of e2fsck's result), because `why`.
    #[allow(dead_code)]
    const fn less(mut self, lost: &'static [&'static str], why: &'static str) -> Kind {
        self.keeps = Keeps::Less { lost, why };
        self
    }

    /// Our result differs from e2fsck's at `paths`, because `why`.
    const fn differs(mut self, paths: &'static [&'static str], why: &'static str) -> Kind {
        self.keeps = Keeps::Differs { paths, why };
        self
    }
}

const fn kind(
    name: &'static str,
    base: Base,
    how: &'static str,
    corrupt: fn(&Path),
    e2fsck_n: i32,
    e2fsck_y: i32,
    repair: Repair,
) -> Kind {
    Kind { name, base, how, corrupt, e2fsck_n, e2fsck_y, repair, deviation: None, keeps: Keeps::Same }
}

use Base::{Ours, Stock, StockBig};
use Repair::{Fixed, Quiet, Refused, Unrepaired};

/// The corpus: (name, image, how, damage, e2fsck -fn, e2fsck -fy, what -y must do).
#[rustfmt::skip]
const KINDS: &[Kind] = &[
    // Pass 0 / 5: superblock and group descriptors.
    // e2fsck -fn prints "Free blocks count wrong" for the superblock but does not count it (0).
    kind("sb-free-blocks", Ours, "ssv free_blocks_count 100", |i| dbg(i, &["ssv free_blocks_count 100"]), 0, 1, Quiet),
    kind("sb-free-inodes", Stock, "ssv free_inodes_count 100", |i| dbg(i, &["ssv free_inodes_count 100"]), 0, 1, Quiet),
    kind("group-free-blocks", Ours, "set_bg 0 free_blocks_count 100 (checksum recomputed)",
        |i| dbg(i, &["set_bg 0 free_blocks_count 100", "set_bg 0 checksum calc"]), 4, 1, Fixed),
    kind("uninit-group-free-blocks", Stock, "set_bg 2 free_blocks_count 100 (INODE_UNINIT group)",
        |i| dbg(i, &["set_bg 2 free_blocks_count 100", "set_bg 2 checksum calc"]), 4, 1, Fixed),
    kind("group-free-inodes", Stock, "set_bg 0 free_inodes_count 4000",
        |i| dbg(i, &["set_bg 0 free_inodes_count 4000", "set_bg 0 checksum calc"]), 4, 1, Fixed),
    kind("group-used-dirs", Ours, "set_bg 0 used_dirs_count 9",
        |i| dbg(i, &["set_bg 0 used_dirs_count 9", "set_bg 0 checksum calc"]), 4, 1, Fixed),
    // e2fsck -fn prints the bad checksum, "IGNORED", and exits 0; -fy fixes it and still exits 0.
    kind("group-desc-checksum", Ours, "set_bg 0 checksum 0x1234", |i| dbg(i, &["set_bg 0 checksum 0x1234"]), 0, 0, Quiet),
    kind("block-bitmap-checksum", Ours, "set_bg 0 block_bitmap_csum 0x12345678",
        |i| dbg(i, &["set_bg 0 block_bitmap_csum 0x12345678", "set_bg 0 checksum calc"]), 4, 1, Fixed),
    kind("inode-bitmap-checksum", Stock, "set_bg 0 inode_bitmap_csum 0x12345678",
        |i| dbg(i, &["set_bg 0 inode_bitmap_csum 0x12345678", "set_bg 0 checksum calc"]), 4, 1, Fixed),
    // e2fsck finds a backup only at block 32768 (4 KiB blocks): on the 4-group stock image (backup
    // at 4096) it gives up with 8 just as it does here on ours, which has no backup at all.
    kind("sb-checksum-backup", StockBig, "flip a byte of s_volume_name (backup at 32768)",
        |i| flip(i, (SB_OFFSET + SB_VOLUME_NAME) as u64, 0x41), 4, 1, Fixed),
    kind("sb-checksum-no-backup", Ours, "flip a byte of s_volume_name (one group: no backup)",
        |i| flip(i, (SB_OFFSET + SB_VOLUME_NAME) as u64, 0x41), 8, 8, Refused),
    // A field the superblock's validation refuses, under a correct checksum: both fall back on the
    // backup in group 1 (the one open path of fsck, sweep and fuzz target: `open_for_check`).
    kind("sb-bad-field-good-csum", StockBig, "ssv inodes_per_group 100000 (debugfs writes a correct checksum)",
        |i| sb_field_with_good_checksum(i, "inodes_per_group 100000"), 4, 1, Fixed),
    // The same with the block size: e2fsck looks for backups at the usual places; we locate the
    // backup with the damaged primary's geometry (block 32768 of 128 KiB blocks) and give up.
    kind("sb-bad-bsize-good-csum", StockBig, "ssv log_block_size 7 (debugfs writes a correct checksum)",
        |i| sb_field_with_good_checksum(i, "log_block_size 7"), 4, 1,
        Unrepaired("open::backup_superblock locates group 1's backup with the damaged primary's block size \
                    and blocks per group (here 128 KiB blocks: past the end); e2fsck tries the usual \
                    places for each block size. The same for s_blocks_per_group")),
    // Pass 5: bitmaps.
    kind("block-bitmap-used-clear", Ours, "freeb the first block of /w",
        |i| { let b = first_extent(i, "/w").physical_start; dbg(i, &[&format!("freeb {b}")]) }, 4, 1, Fixed),
    kind("block-bitmap-free-set", Stock, "setb a free block (ffb)",
        |i| { let b = free_block(i, 3000); dbg(i, &[&format!("setb {b}")]) }, 4, 1, Fixed),
    kind("inode-bitmap-used-clear", Ours, "freei /w", |i| dbg(i, &["freei /w"]), 4, 1, Fixed),
    kind("inode-bitmap-free-set", Stock, "seti <100>", |i| dbg(i, &["seti <100>"]), 4, 1, Fixed),
    // Pass 1: inodes.
    kind("inode-checksum", Stock, "flip a byte of /w's i_atime (checksum not updated)",
        |i| flip(i, imap(i, "/w").1 + 0x08, 0x01), 4, 1, Fixed),
    kind("i_size-too-small", Ours, "sif /w size 100 (5 written blocks)", |i| dbg(i, &["sif /w size 100"]), 4, 1, Fixed),
    kind("i_blocks-wrong", Stock, "sif /w blocks 8", |i| dbg(i, &["sif /w blocks 8"]), 4, 1, Fixed),
    kind("dtime-on-live-inode", Ours, "sif /w dtime 12345", |i| dbg(i, &["sif /w dtime 12345"]), 4, 1, Fixed),
    kind("bad-mode", Stock, "sif /w mode 0170644", |i| dbg(i, &["sif /w mode 0170644"]), 4, 1, Fixed),
    kind("links-zero-live-inode", Stock, "sif /w links_count 0", |i| dbg(i, &["sif /w links_count 0"]), 4, 1, Fixed),
    kind("dir-i_size-zero", Stock, "sif /d size 0", |i| dbg(i, &["sif /d size 0"]), 4, 1, Fixed),
    // Pass 1: extent trees.
    kind("extent-out-of-fs", Ours, "sif /w block[5] 9999999 (ee_start_lo past the end)",
        |i| dbg(i, &["sif /w block[5] 9999999"]), 4, 1, Fixed),
    kind("blocks-claimed-twice", Stock, "sif /d/w2 block[5] = /w's first block",
        |i| { let b = first_extent(i, "/w").physical_start; dbg(i, &[&format!("sif /d/w2 block[5] {b}")]) }, 4, 1, Fixed),
    kind("claimed-twice-in-leaf-block", Stock, "/many's leaf block: 3rd extent -> /x's block (library checksum)",
        corrupt_leaf_block_to_other_file, 4, 1, Fixed),
    kind("extent-header-magic", Ours, "sif /w block[0] 0x0002f30b", |i| dbg(i, &["sif /w block[0] 0x0002f30b"]), 4, 1, Fixed),
    kind("extent-entries-over-max", Stock, "sif /w block[0] 0x0005f30a (5 entries, max 4)",
        |i| dbg(i, &["sif /w block[0] 0x0005f30a"]), 4, 1, Fixed),
    kind("extent-zero-length", Ours, "sif /w block[4] 0", |i| dbg(i, &["sif /w block[4] 0"]), 4, 1, Fixed),
    kind("extents-out-of-order", Ours, "sif /two block[3] 3 (first extent after the second)",
        |i| dbg(i, &["sif /two block[3] 3"]), 4, 1, Fixed),
    kind("unwritten-dir-extent", Ours, "sif /d block[4] 0x8001 (unwritten flag on the directory's extent)",
        |i| dbg(i, &["sif /d block[4] 0x8001"]), 4, 1, Fixed),
    // e2fsck -fy rewrites the checksum yet exits 0 (like the group descriptor checksum).
    kind("extent-block-checksum", Stock, "flip an unused byte of /many's leaf block",
        |i| flip(i, first_tree_block(i, "/many") * BLOCK_SIZE + 200, 0x01), 4, 0, Fixed),
    // Pass 2: directories.
    kind("dirent-to-free-inode", Stock, "clri /d/w2", |i| dbg(i, &["clri /d/w2"]), 4, 1, Fixed),
    kind("dirent-to-killed-file", Ours, "kill_file /x (inode and blocks freed, entry kept)",
        |i| dbg(i, &["kill_file /x"]), 4, 1, Fixed),
    kind("deleted-inode-zero-dtime", Stock, "rm /x, then sif <its inode> dtime 0",
        |i| { let n = imap(i, "/x").0; dbg(i, &["rm /x", &format!("sif <{n}> dtime 0")]) }, 4, 1, Fixed),
    // e2fsck -fn aborts ("Salvage? no", exit 12); -fy salvages the block and exits 1. Both
    // keep /d's entries (e4dax finds the entries from offset 12 on run to the block's end).
    kind("dirent-bad-rec_len", Ours, "rec_len of /d's '.' 12 -> 14 (leaf checksum recomputed)",
        |i| edit_dir_block(i, "/d", 0, |b| b[4] = 14), 12, 1, Fixed),
    kind("dirent-wrong-file-type", Stock, "file type of 'w' in / 1 -> 2 (leaf checksum recomputed)",
        |i| edit_dir_block(i, "/", 0, |b| { let o = dirent_offset(b, "w"); b[o + 7] = 2 }), 4, 1, Fixed),
    kind("dirent-duplicate-name", Stock, "rename 'x' in / to 'w' (leaf checksum recomputed)",
        |i| edit_dir_block(i, "/", 0, |b| { let o = dirent_offset(b, "x"); b[o + 8] = b'w' }), 4, 1, Fixed)
        .differs(&["/w", "/w~0", "/lost+found/#16"],
            "e2fsck keeps both entries and renames one 'w~0' (the first: /w then names x's inode); we \
             clear the second entry (DIR_DUPLICATE) and pass 4 reconnects x's inode as /lost+found/#16"),
    kind("dir-leaf-checksum", Ours, "flip the leaf checksum of /d's block",
        |i| flip(i, bmap(i, "/d", 0) * BLOCK_SIZE + 4095, 0x01), 4, 1, Fixed),
    kind("missing-dot", Stock, "/d's first entry named 'x' instead of '.'",
        |i| edit_dir_block(i, "/d", 0, |b| b[8] = b'x'), 4, 1, Fixed),
    kind("dir-hard-link", Stock, "link /d /d2", |i| dbg(i, &["link /d /d2"]), 4, 1, Fixed),
    // Pass 3: connectivity.
    kind("dotdot-wrong", Ours, "/d/sub's '..' -> / instead of /d",
        |i| edit_dir_block(i, "/d/sub", 0, |b| b[12..16].copy_from_slice(&2u32.to_le_bytes())), 4, 1, Fixed),
    // e2fsck -fn does not even mention it (exit 0); -fy creates it and exits 1.
    kind("lost+found-missing", Stock, "rmdir /lost+found", |i| dbg(i, &["rmdir /lost+found"]), 0, 1, Quiet),
    // Pass 4: link counts.
    kind("unattached-inode", Stock, "unlink /d/w2 (the inode keeps its link)", |i| dbg(i, &["unlink /d/w2"]), 4, 1, Fixed),
    kind("file-link-count", Ours, "sif /w links_count 3", |i| dbg(i, &["sif /w links_count 3"]), 4, 1, Fixed),
    kind("dir-link-count", Stock, "sif /d links_count 7", |i| dbg(i, &["sif /d links_count 7"]), 4, 1, Fixed),
];

/// `debugfs ssv FIELD VALUE`, then check that the damage is the field alone: the stored
/// superblock checksum is the right one for the new bytes.
fn sb_field_with_good_checksum(image: &Path, ssv: &str) {
    dbg(image, &[&format!("ssv {ssv}")]);
    let sb = read_at(image, SB_OFFSET as u64, 1024);
    let stored = u32::from_le_bytes(sb[SB_CHECKSUM..SB_CHECKSUM + 4].try_into().expect("4 bytes"));
    assert_eq!(stored, superblock_checksum(&sb), "ssv {ssv}: the superblock checksum should be correct");
    assert!(e4dax::ondisk::superblock::Superblock::parse(&sb).is_err(), "ssv {ssv}: the superblock still validates");
}

/// /many's leaf block (depth 1, six one-block extents): the third extent's start now points at
/// /x's first block, so two files claim it; the extent block checksum is recomputed with the
/// library so that the double claim is the only damage in the block.
fn corrupt_leaf_block_to_other_file(image: &Path) {
    let leaf = first_tree_block(image, "/many");
    let target = first_extent(image, "/x").physical_start;
    assert!(target < 1 << 32);
    let at = leaf * BLOCK_SIZE;
    let mut block = read_at(image, at, BLOCK_SIZE as usize);
    assert_eq!(&block[..2], &[0x0a, 0xf3], "extent header magic");
    let max = u16::from_le_bytes([block[4], block[5]]);
    // Entry i at 12 + 12 i: ee_block (4), ee_len (2), ee_start_hi (2), ee_start_lo (4).
    let e = 12 + 12 * 2;
    block[e + 6..e + 8].copy_from_slice(&0u16.to_le_bytes());
    block[e + 8..e + 12].copy_from_slice(&(target as u32).to_le_bytes());
    e4dax::ondisk::extent::set_block_checksum(&mut block, inode_csum_seed(image, "/many"), max);
    write_at(image, at, &block);
}

/// What happened to one kind.
#[derive(Default)]
struct Outcome {
    name: &'static str,
    e2fsck_n: i32,
    e2fsck_y: i32,
    n: i32,
    y: i32,
    after: String,
    /// What -y kept, against e2fsck -fy.
    kept: String,
    broken: Vec<String>,
}

fn run_kind(k: &Kind, base: &Path, dir: &Path) -> Outcome {
    let mut o = Outcome { name: k.name, ..Outcome::default() };
    let image = dir.join(format!("{}.img", k.name));
    copy_sparse(base, &image);
    (k.corrupt)(&image);

    // The oracle, as the table recorded it.
    let theirs = e2fsck(&image, "-fn");
    o.e2fsck_n = theirs.rc();
    if o.e2fsck_n != k.e2fsck_n {
        o.broken.push(format!("e2fsck -fn exits {} (table: {})\n{}", o.e2fsck_n, k.e2fsck_n, theirs.text()));
    }
    // e2fsck's repair, kept to compare what it keeps with what ours keeps.
    let theirs_fixed = dir.join(format!("{}.e2fsck-y.img", k.name));
    copy_sparse(&image, &theirs_fixed);
    o.e2fsck_y = e2fsck(&theirs_fixed, "-fy").rc();
    if o.e2fsck_y != k.e2fsck_y {
        o.broken.push(format!("e2fsck -fy exits {} (table: {})", o.e2fsck_y, k.e2fsck_y));
    }

    // Any number of threads finds and repairs the same.
    for mode in ["-n", "-y"] {
        if let Some(diff) = fsck_jobs_difference(&image, &[mode]) {
            o.broken.push(format!("the result depends on --jobs\n{diff}"));
        }
    }

    // -n: the same verdict, and nothing written.
    let before = read_bytes(&image);
    let (ours, json) = fsck_json(&image, &["-n"]);
    o.n = ours.rc();
    let want_nonzero = (k.e2fsck_n != 0) != k.deviation.is_some();
    if ours.text().contains("panicked") || !matches!(o.n, 0 | 4 | 8) {
        o.broken.push(format!("fsck -n: exit {} (0, 4 or 8 expected, no panic)\n{}", o.n, ours.show()));
    } else if (o.n != 0) != want_nonzero {
        o.broken.push(format!("fsck -n exits {} but e2fsck -fn exits {}\n{}", o.n, k.e2fsck_n, ours.show()));
    } else if matches!(k.repair, Refused | Unrepaired(_)) && o.n != 8 {
        o.broken.push(format!("fsck -n exits {} without a valid superblock (8 expected)\n{}", o.n, ours.show()));
    }
    match &json {
        Some(v) if o.n != 8 => {
            let found = findings(v);
            if v.get("exit_code").and_then(|c| c.as_i64()) != Some(i64::from(o.n)) {
                o.broken.push(format!("fsck -n --json: exit_code is not the exit status {}: {v}", o.n));
            }
            if o.n != 0 && found.is_empty() {
                o.broken.push(format!("fsck -n exits {} with no findings: {v}", o.n));
            }
            if found.iter().any(|f| f.get("fixed").and_then(|x| x.as_bool()) != Some(false)) {
                o.broken.push(format!("fsck -n says it fixed something: {v}"));
            }
        }
        Some(_) => {}
        None if o.n != 8 => o.broken.push(format!("fsck -n --json printed no JSON\n{}", ours.show())),
        None => {}
    }
    if read_bytes(&image) != before {
        o.broken.push("fsck -n changed the image".to_string());
    }
    drop(before);

    // -y on a copy: repaired, then clean to both checkers, twice.
    let fixed = dir.join(format!("{}.fixed.img", k.name));
    copy_sparse(&image, &fixed);
    let before = read_bytes(&fixed);
    let first = fsck(&fixed, &["-y"]);
    o.y = first.rc();
    let expect_y = match k.repair {
        Fixed => o.y == 1,
        Quiet => matches!(o.y, 0 | 1),
        Refused => o.y == 1 || o.y == 8,
        Unrepaired(_) => o.y == 8,
    };
    if !expect_y || first.text().contains("panicked") {
        o.broken.push(format!("fsck -y exits {} ({:?} kind)\n{}", o.y, k.repair, first.show()));
    }
    if matches!(k.repair, Refused | Unrepaired(_)) && o.y == 8 {
        if read_bytes(&fixed) != before {
            o.broken.push("fsck -y gave up (8) but changed the image".to_string());
        }
        o.after = "unchanged".to_string();
    } else if o.y == 8 {
        // Already broken (8 where a repair was due): nothing left to compare.
        o.after = "gave up".to_string();
    } else {
        let known = o.broken.len();
        o.kept = check_keeps(k, &fixed, &theirs_fixed, &mut o.broken);
        o.after = check_after(&fixed, dir, k.name, &mut o.broken);
        if o.broken.len() > known {
            o.broken.push(format!("(the first fsck -y said:)\n{}", first.show()));
        }
    }
    let _ = std::fs::remove_file(&theirs_fixed);
    let _ = std::fs::remove_file(&fixed);
    let _ = std::fs::remove_file(&image);
    o
}

/// After `fsck -y`: `e2fsck -fn` exits 0 and reports nothing, `e2fsck -fy` (on a copy) finds
/// nothing to fix, `fsck -n` exits 0 and a second `fsck -y` exits 0. Returns a summary.
fn check_after(fixed: &Path, dir: &Path, name: &str, broken: &mut Vec<String>) -> String {
    let theirs = e2fsck(fixed, "-fn");
    let problems = e2fsck_problems(&theirs);
    if theirs.rc() != 0 || !problems.is_empty() {
        broken.push(format!("after fsck -y, e2fsck -fn exits {} with:\n{}", theirs.rc(), problems.join("\n")));
    }
    let scratch = dir.join(format!("{name}.after-y.img"));
    copy_sparse(fixed, &scratch);
    let again = e2fsck(&scratch, "-fy");
    let _ = std::fs::remove_file(&scratch);
    if again.rc() != 0 {
        broken.push(format!("after fsck -y, e2fsck -fy still fixes (exit {}):\n{}", again.rc(), again.text()));
    }
    let ours = fsck(fixed, &["-n"]);
    if ours.rc() != 0 {
        broken.push(format!("after fsck -y, fsck -n exits {}\n{}", ours.rc(), ours.show()));
    }
    let second = fsck(fixed, &["-y"]);
    if second.rc() != 0 {
        broken.push(format!("a second fsck -y exits {} (golden: 0)\n{}", second.rc(), second.show()));
    }
    format!("e2fsck {}/{}, ours {}/{}", theirs.rc(), again.rc(), ours.rc(), second.rc())
}

#[test]
fn fsck_corpus_agrees_with_e2fsck_and_repairs_every_kind() {
    if !e2fsprogs() {
        return;
    }
    let start = Instant::now();
    let dir = tempdir();
    let bases =
        [(Ours, base_ours(dir.path())), (Stock, base_stock(dir.path())), (StockBig, base_stock_big(dir.path()))];
    let kinds: Vec<&Kind> = KINDS.iter().collect();
    assert!(kinds.len() >= 25, "the corpus must hold at least 25 kinds");
    let names: std::collections::BTreeSet<&str> = kinds.iter().map(|k| k.name).collect();
    assert_eq!(names.len(), kinds.len(), "kind names must be unique");
    for base in [Ours, Stock] {
        assert!(kinds.iter().filter(|k| k.base == base).count() >= 10, "{base:?} images need kinds of their own");
    }

    let next = AtomicUsize::new(0);
    let outcomes: Mutex<Vec<Outcome>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(2, 6);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(k) = kinds.get(i) else { break };
                let base = &bases.iter().find(|(b, _)| *b == k.base).expect("a base image").1;
                let o = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_kind(k, base, dir.path())))
                    .unwrap_or_else(|e| {
                        let msg = e
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        Outcome {
                            name: k.name,
                            broken: vec![format!("the test itself panicked: {msg}")],
                            ..Outcome::default()
                        }
                    });
                outcomes.lock().expect("lock").push(o);
            });
        }
    });
    let mut outcomes = outcomes.into_inner().expect("lock");
    outcomes.sort_by_key(|o| kinds.iter().position(|k| k.name == o.name));

    let mut table = format!(
        "{:<28} {:<8} {:>9} {:>9} {:>8} {:>8}  {:<28} {:<22} {}\n",
        "kind",
        "image",
        "e2fsck-n",
        "e2fsck-y",
        "ours -n",
        "ours -y",
        "after -y (e2fsck -fn/-fy, ours -n/-y)",
        "kept (vs e2fsck -fy)",
        "how"
    );
    for (o, k) in outcomes.iter().zip(&kinds) {
        table += &format!(
            "{:<28} {:<8} {:>9} {:>9} {:>8} {:>8}  {:<28} {:<22} {}{}\n",
            o.name,
            format!("{:?}", k.base),
            o.e2fsck_n,
            o.e2fsck_y,
            o.n,
            o.y,
            o.after,
            o.kept,
            k.how,
            if o.broken.is_empty() { "" } else { "  <-- BROKEN" }
        );
    }
    eprintln!("fsck corpus ({} kinds, {:.1} s):\n{table}", kinds.len(), start.elapsed().as_secs_f64());
    let broken: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.broken.is_empty())
        .map(|o| format!("== {}:\n{}", o.name, o.broken.join("\n")))
        .collect();
    assert!(broken.is_empty(), "{} of {} kinds broke the rules:\n{}", broken.len(), kinds.len(), broken.join("\n\n"));
}

// ---------------------------------------------------------------------------------------------
// Clean images
// ---------------------------------------------------------------------------------------------

/// `fsck -n` (JSON and human) and `-p` exit 0 with no findings, and do not write; `fsck -y`
/// exits 0 and leaves e2fsck clean.
fn assert_checks_clean(image: &Path, what: &str) {
    let before = read_bytes(image);
    let (run, json) = fsck_json(image, &["-n", "-f"]);
    assert_eq!(run.code, Some(0), "{what}: fsck -n -f --json\n{}", run.show());
    let v = json.unwrap_or_else(|| panic!("{what}: fsck --json printed no JSON\n{}", run.show()));
    assert_eq!(findings(&v), Vec::<serde_json::Value>::new(), "{what}: findings on a clean image: {v:#}");
    assert_eq!(v.get("exit_code").and_then(|c| c.as_i64()), Some(0), "{what}: {v:#}");
    jget(&v, "mode");
    jget(&v, "image");
    let human = fsck(image, &["-n"]);
    assert_eq!(human.code, Some(0), "{what}: fsck -n\n{}", human.show());
    let preen = fsck(image, &["-p"]);
    assert_eq!(preen.code, Some(0), "{what}: fsck -p\n{}", preen.show());
    assert_unchanged(image, &before, &format!("{what}: fsck -n / -p on a clean image"));
    let fix = fsck(image, &["-y"]);
    assert_eq!(fix.code, Some(0), "{what}: fsck -y on a clean image\n{}", fix.show());
    assert_e2fsck_clean(image);
}

/// The depth of `path`'s extent tree (`debugfs ex`: "Level Entries ..." rows "L/ D").
fn tree_depth(image: &Path, path: &str) -> u64 {
    let text = debugfs(image, &format!("ex {path}"));
    let row = text.lines().find(|l| l.trim_start().starts_with("0/")).unwrap_or_else(|| panic!("ex {path}:\n{text}"));
    let depth = row.trim_start()[2..].split_whitespace().next().and_then(parse_u64);
    depth.unwrap_or_else(|| panic!("ex {path}: {row:?}"))
}

#[test]
fn fsck_clean_images_have_no_findings() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();

    // Ours: files and directories by e4dax, and a depth-2 extent tree made in-process: 3000
    // unwritten blocks, then every other one punched (1500 extents, more than 4 leaves of 340).
    let ours = mkfs(dir.path(), "ours.img", "64M", &[]);
    {
        use e4dax::fs::Fs;
        use e4dax::pmem::MappedImage;
        let mut fs = Fs::mount(MappedImage::open(&ours, true).expect("open"), true).expect("mount").0;
        fs.create("/d", true, false).expect("mkdir /d");
        fs.create("/d/e", true, false).expect("mkdir /d/e");
        for (path, len) in [("/d/small", 8 * KIB), ("/d/e/mid", 300 * KIB), ("/empty", 0)] {
            let ino = fs.create(path, false, false).expect("create");
            if len > 0 {
                fs.fallocate(ino, 0, len, false).expect("fallocate");
            }
        }
        let ino = fs.create("/deep", false, false).expect("create /deep");
        fs.fallocate(ino, 0, 3000 * BLOCK_SIZE, false).expect("fallocate /deep");
        for i in (1..3000).step_by(2) {
            fs.punch(ino, i * BLOCK_SIZE, BLOCK_SIZE).expect("punch");
        }
        fs.unmount().expect("unmount");
    }
    let host = dir.path().join("written.src");
    write_bytes(&host, &pseudo_random(50_000, 9));
    dbg(&ours, &[&format!("write {} /d/written", host.display())]);
    assert_e2fsck_clean(&ours);
    assert_eq!(tree_depth(&ours, "/deep"), 2, "/deep should have a depth-2 extent tree");
    assert_checks_clean(&ours, "ours with a depth-2 tree");

    // Stock: an htree directory of 300 files (mkfs.ext4 -d, then e2fsck -fyD), and a
    // depth-2 tree written by debugfs from a sparse source (1500 extents).
    let src = dir.path().join("tree");
    std::fs::create_dir_all(src.join("big")).expect("mkdir");
    for i in 0..300 {
        write_bytes(&src.join("big").join(format!("file_{i:03}")), format!("file {i}\n").as_bytes());
    }
    write_bytes(&src.join("top"), b"top\n");
    let stock = stock_image(dir.path(), "stock.img", 64 * MIB, UUID_B, &["-d", src.to_str().expect("utf-8")]);
    let out = e2fsck(&stock, "-fyD");
    assert!(matches!(out.code, Some(0 | 1)), "e2fsck -fyD\n{}", out.show());
    let deep = every_other_block_source(dir.path(), "deep.src", 1500, 77);
    dbg(&stock, &[&format!("write {} /deep", deep.display())]);
    assert_e2fsck_clean(&stock);
    assert!(debugfs(&stock, "htree /big").contains("Root node dump"), "/big is not an htree directory");
    assert_eq!(tree_depth(&stock, "/deep"), 2, "stock /deep should have a depth-2 extent tree");
    assert_checks_clean(&stock, "stock with an htree directory and a depth-2 tree");
}

#[test]
fn fsck_checks_an_unreplayed_journal_with_n_and_replays_it_with_y() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let image = mkfs(dir.path(), "journal.img", "32M", &[]);
    let img = image.as_os_str();
    for args in
        [vec!["create", "/j"], vec!["fallocate", "/j", "--offset", "0", "--len", "1M"], vec!["create", "--dir", "/jd"]]
    {
        let mut all: Vec<&std::ffi::OsStr> = vec!["--no-checkpoint".as_ref(), args[0].as_ref(), img];
        all.extend(args[1..].iter().map(std::ffi::OsStr::new));
        e4dax_ok(&all);
    }
    let features = feature_set(&dumpe2fs_h(&image), "Filesystem features");
    assert!(features.contains("needs_recovery"), "the last transaction should be left in the log: {features:?}");
    // e2fsck -fn checks the image as it is, says it skipped recovery, and finds it consistent.
    let theirs = e2fsck(&image, "-fn");
    assert_eq!(theirs.code, Some(0), "{}", theirs.show());
    assert!(theirs.text().contains("skipping journal recovery"), "{}", theirs.show());
    // What replaying gives, by e2fsck.
    let replayed = dir.path().join("replayed.img");
    copy_sparse(&image, &replayed);
    let r = e2fsck(&replayed, "-fy");
    assert!(matches!(r.code, Some(0 | 1)), "{}", r.show());

    let before = read_bytes(&image);
    let (run, json) = fsck_json(&image, &["-n"]);
    assert_eq!(run.code, Some(0), "fsck -n on an unreplayed but consistent image\n{}", run.show());
    let v = json.unwrap_or_else(|| panic!("fsck -n --json printed no JSON\n{}", run.show()));
    // Saying so is a notice (a finding that is not an error), and it is the only finding.
    let skipped = problem::get(problem::JOURNAL_SKIPPED);
    assert_eq!(
        finding_codes(&v),
        vec![(code_of(problem::JOURNAL_SKIPPED), false)],
        "exactly the journal notice ({}) is expected on an unreplayed but consistent image: {v:#}",
        skipped.name
    );
    let human = fsck(&image, &["-n"]);
    assert_eq!(human.code, Some(0), "{}", human.show());
    assert!(
        human.stdout.contains(&code_of(problem::JOURNAL_SKIPPED)) && human.stdout.contains(skipped.message),
        "fsck -n should say, with the problem's code, that it skipped the journal:\n{}",
        human.show()
    );
    assert_unchanged(&image, &before, "fsck -n with a journal to replay");

    // -y replays first (e2fsck -fy exits 0 for a replay alone; 1 is accepted too), then checks:
    // the replay is its one finding, fixed.
    let (fix, json) = fsck_json(&image, &["-y"]);
    assert!(matches!(fix.code, Some(0 | 1)), "fsck -y on an unreplayed journal\n{}", fix.show());
    let v = json.unwrap_or_else(|| panic!("fsck -y --json printed no JSON\n{}", fix.show()));
    assert_eq!(
        finding_codes(&v),
        vec![(code_of(problem::JOURNAL_NEEDS_RECOVERY), true)],
        "fsck -y on an unreplayed but consistent image: only the replay, fixed: {v:#}"
    );
    let features = feature_set(&dumpe2fs_h(&image), "Filesystem features");
    assert!(!features.contains("needs_recovery"), "fsck -y did not replay: {features:?}");
    assert_e2fsck_clean(&image);
    // What the log held is home: /j's 256 unwritten blocks and /jd, as e2fsck's replay has them.
    let j = debugfs_leaf_extents(&image, "/j");
    assert_eq!(j.iter().map(|e| e.length).sum::<u64>(), 256, "/j after fsck -y: {j:?}");
    assert!(j.iter().all(|e| e.unwritten), "/j after fsck -y: {j:?}");
    assert_eq!(debugfs_leaf_extents(&image, "/jd").len(), 1, "/jd after fsck -y");
    for path in ["/j", "/jd"] {
        assert_eq!(
            debugfs_leaf_extents(&image, path),
            debugfs_leaf_extents(&replayed, path),
            "{path}: fsck -y's replay differs from e2fsck's"
        );
    }
    let root = debugfs_ls(&image, "/");
    assert!(["j", "jd"].iter().all(|n| root.iter().any(|(m, _)| m == n)), "/ after fsck -y: {root:?}");
    assert_eq!(root, debugfs_ls(&replayed, "/"));
    assert_checks_clean(&image, "after fsck -y replayed the journal");
}

// ---------------------------------------------------------------------------------------------
// Stale data
// ---------------------------------------------------------------------------------------------

#[test]
fn fsck_data_reports_stale_data_that_e2fsck_calls_clean() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let image = mkfs(dir.path(), "poison.img", "64M", &["--poison"]);
    let img = image.as_os_str();
    for args in [
        vec!["create", "/stale"],
        vec!["fallocate", "/stale", "--offset", "8K", "--len", "12K"],
        vec!["create", "/unwritten"],
        vec!["fallocate", "/unwritten", "--offset", "0", "--len", "16K"],
        vec!["create", "/wide"],
        vec!["fallocate", "/wide", "--offset", "0", "--len", "4M"],
    ] {
        let mut all: Vec<&std::ffi::OsStr> = vec![args[0].as_ref(), img];
        all.extend(args[1..].iter().map(std::ffi::OsStr::new));
        e4dax_ok(&all);
    }
    let host = dir.path().join("written.src");
    write_bytes(&host, &pseudo_random(10_000, 5));
    dbg(&image, &[&format!("write {} /written", host.display())]);
    // Before the damage: the poison sits only in free blocks and unwritten extents.
    let (run, _) = fsck_json(&image, &["-n", "--data"]);
    assert_eq!(run.code, Some(0), "fsck -n --data on a poisoned image without exposure\n{}", run.show());

    // A buggy fault path marks /stale's one extent (blocks 2..=4) written without zeroing it:
    // i_block[4] (ee_len | ee_start_hi << 16) loses the unwritten bit; debugfs re-checksums.
    let ext = first_extent(&image, "/stale");
    assert!(ext.unwritten && ext.logical_start == 2 && ext.length == 3 && ext.physical_start >> 32 == 0, "{ext:?}");
    dbg(&image, &["sif /stale block[4] 3"]);
    assert!(!first_extent(&image, "/stale").unwritten);
    let ino = u64::from(imap(&image, "/stale").0);
    let poisoned: Vec<(u64, u64)> = (0..3).map(|i| (2 + i, ext.physical_start + i)).collect();
    for (_, p) in &poisoned {
        assert_eq!(read_at(&image, p * BLOCK_SIZE, BLOCK_SIZE as usize), stale_block(*p));
    }
    // The point of the check: e2fsck sees nothing wrong.
    assert_e2fsck_clean(&image);
    let plain = fsck(&image, &["-n"]);
    assert_eq!(plain.code, Some(0), "without --data the image is as clean as e2fsck says\n{}", plain.show());

    // The data pass scans with every thread (a wide extent of 1,024 stale blocks, made written
    // the same way, is split between them) and reports as one thread does.
    let wide = dir.path().join("wide.img");
    copy_image(&image, &wide);
    dbg(&wide, &["sif /wide block[4] 1024"]);
    assert!(!first_extent(&wide, "/wide").unwritten);
    assert_eq!(fsck(&wide, &["-n", "--data"]).code, Some(4));
    assert_eq!(fsck_jobs_difference(&wide, &["-n", "--data"]), None);
    assert_eq!(fsck_jobs_difference(&wide, &["-y", "--data"]), None);

    let before = read_bytes(&image);
    let (run, json) = fsck_json(&image, &["-n", "--data"]);
    assert_eq!(run.code, Some(4), "fsck -n --data must report stale data (exit 4)\n{}", run.show());
    let v = json.unwrap_or_else(|| panic!("fsck --json printed no JSON\n{}", run.show()));
    let found = findings(&v);
    let stale: Vec<&serde_json::Value> =
        found.iter().filter(|f| f.get("inode").and_then(|i| i.as_u64()) == Some(ino)).collect();
    assert!(!stale.is_empty(), "no finding names /stale's inode {ino}: {v:#}");
    assert_eq!(stale.len(), found.len(), "only /stale is exposed: {v:#}");
    for f in &stale {
        assert!(!jbool(f, "fixed"), "stale data is never 'fixed': {f:#}");
    }
    // Every poisoned block is named by its physical number (the `block` field, or a range in the
    // message) and its logical number (the message).
    let text =
        |f: &serde_json::Value| format!("{} {}", jstr(f, "message"), f.get("block").cloned().unwrap_or_default());
    let words = |s: String| -> Vec<u64> {
        s.split(|c: char| !c.is_ascii_digit()).filter(|w| !w.is_empty()).filter_map(|w| w.parse().ok()).collect()
    };
    let all_numbers: Vec<u64> = stale.iter().flat_map(|f| words(text(f))).collect();
    let covers = |n: u64| {
        all_numbers.contains(&n)
            || stale.iter().any(|f| {
                let w = words(text(f));
                w.windows(2).any(|p| p[0] <= n && n <= p[1] && p[1] - p[0] < 16)
            })
    };
    for (l, p) in &poisoned {
        assert!(covers(*p), "physical block {p} (logical {l}) is not reported: {v:#}");
        assert!(covers(*l), "logical block {l} (physical {p}) is not reported: {v:#}");
    }
    assert_unchanged(&image, &before, "fsck -n --data");
    // The human form names them too.
    let human = fsck(&image, &["-n", "--data"]);
    assert_eq!(human.code, Some(4), "{}", human.show());
    assert!(
        human.stdout.contains(&poisoned[0].1.to_string()),
        "human output lacks the physical block:\n{}",
        human.show()
    );

    // -y cannot make stale data safe by itself: it reports and leaves it, exit 4.
    let fix = fsck(&image, &["-y", "--data"]);
    assert_eq!(fix.code, Some(4), "fsck -y --data leaves stale data uncorrected (exit 4)\n{}", fix.show());
    let (again, json) = fsck_json(&image, &["-y", "--data"]);
    assert_eq!(again.code, Some(4), "fsck -y --data --json\n{}", again.show());
    let v = json.unwrap_or_else(|| panic!("fsck -y --data --json printed no JSON\n{}", again.show()));
    let found = findings(&v);
    assert!(!found.is_empty(), "fsck -y --data --json reports no stale data: {v:#}");
    for f in &found {
        assert_eq!(jstr(f, "code"), code_of(problem::STALE_DATA), "only stale data is found: {v:#}");
        assert!(!jbool(f, "fixed"), "stale data reported as fixed: {v:#}");
    }
    for (_, p) in &poisoned {
        assert_eq!(read_at(&image, p * BLOCK_SIZE, BLOCK_SIZE as usize), stale_block(*p), "fsck -y changed the data");
    }
    assert_e2fsck_clean(&image);
}
