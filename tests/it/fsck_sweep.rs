//! The byte sweep of `fsck` (issue 5): every byte of every metadata structure in use on a small
//! image — the superblock, group 0's descriptor, the used part of both bitmaps, the inodes in
//! use, the extent-tree blocks, the directory blocks and the journal superblock — is changed in
//! turn (xor 0xFF), each in a fresh copy of the image, and:
//!
//! * `fsck -n`, run in-process through the library's `open::open_for_check` (what the CLI
//!   calls: backup superblock, corrupt journal superblock), never panics or hangs and ends with
//!   0 or 4, or 8 exactly where neither the superblock nor group 1's backup validates. It never
//!   writes: for a sample of the bytes (and every refused one) the copy is compared with what it
//!   was.
//! * `fsck -y`, run in-process the same way (mount, replay, repairs through the journal, then
//!   checkpoint), never panics or hangs either, and ends with 0 or 1 (8, image unchanged, where
//!   no superblock validates).
//! * after it, `e2fsck -fn` (e2fsprogs 1.47, the oracle) calls the copy clean — exit 0 and no
//!   problem line.
//!
//! A byte that falls short of the last two ([`Shortfall`]: unclean after `-y`, `-y` exiting 4,
//! a refusal of a checkable image) fails the test unless [`ALLOWED`] lists it, with the reason:
//! today's shortfalls, so that a regression is a new byte. The per-structure figures and every
//! shortfall go to stderr (`-- --nocapture` shows them).
//!
//! Two images of ours: 16 MiB (one group) and 136 MiB (two groups, so the superblock has a backup
//! in group 1: on one group, neither e2fsck nor we can repair a superblock that fails its
//! checksum, and e2fsck -fn exits 8 on it), and an ext2-style one (`mke2fs -t ext2 -b 1024 -d`:
//! every file and directory block-mapped; its indirect blocks are swept too). CI sweeps a
//! deterministic subset of each: every k-th byte of the list, k odd so that the offsets chosen
//! move around inside structures whose sizes are powers of two. `E4DAX_SWEEP_FULL=1` sweeps every byte, and a stock image (`mkfs.ext4` +
//! debugfs) too: the longer version that runs by hand (about ten minutes on two cores); it lists
//! the shortfalls outside ALLOWED (which describes the CI sweep) as failures: work to look at.
//!
//! A hung check cannot be stopped from inside the process: its thread is left running, the case
//! is a failure, and the test ends with the list of failures.
//!
//! [`fsck_fuzz_regressions`] replays the crashes the cargo-fuzz target (`fuzz/`) found through
//! the target's own image and harness (`fuzz/common/fsck_image.rs`), and checks the findings.

use std::collections::BTreeMap;
use std::os::unix::fs::FileExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use e4dax::check::{problem, Checker, Mode, Options};
use e4dax::fs::lookup::RunKind;
use e4dax::fs::open::{self, Opened};
use e4dax::fs::Fs;
use e4dax::ondisk::inode::FL_EXTENTS;
use e4dax::ondisk::superblock::{self, Superblock};
use e4dax::pmem::{Device, MappedImage};

use crate::common::*;

/// No in-process check of these small images may take longer: past it, the check hangs.
const LIMIT: Duration = Duration::from_secs(20);

/// `e2fsck -fn` on these images takes milliseconds; past this it is killed (and the byte counts
/// as unclean).
const E2FSCK_LIMIT: Duration = Duration::from_secs(10);

/// How many bytes CI sweeps per image (the stride is chosen to give about this many).
const CI_BYTES: usize = 2500;

/// How many bytes CI sweeps on the image of two groups (whose superblock has a backup).
const CI_BYTES_TWO_GROUPS: usize = 1000;

/// How many bytes CI sweeps on the ext2-style image (block-mapped files, 1 KiB blocks).
const CI_BYTES_EXT2: usize = 1500;

// ---------------------------------------------------------------------------------------------
// The images
// ---------------------------------------------------------------------------------------------

/// Ours: `e4dax mkfs` (16 MiB, one group), a directory with a subdirectory, files with unwritten
/// extents, a file with 12 extents (fallocate, then every other block punched: more than the 4
/// the inode holds, so one leaf block) and a written file (debugfs).
fn image_ours(dir: &Path, name: &str, size: &str) -> PathBuf {
    let image = mkfs(dir, name, size, &[]);
    {
        let mut fs = Fs::mount(MappedImage::open(&image, true).expect("open"), true).expect("mount").0;
        fs.create("/d", true, false).expect("mkdir /d");
        fs.create("/d/sub", true, false).expect("mkdir /d/sub");
        let a = fs.create("/d/a", false, false).expect("create /d/a");
        fs.fallocate(a, 0, 16 * KIB, false).expect("fallocate /d/a");
        fs.create("/empty", false, false).expect("create /empty");
        let frag = fs.create("/frag", false, false).expect("create /frag");
        fs.fallocate(frag, 0, 24 * BLOCK_SIZE, false).expect("fallocate /frag");
        for i in (1..24).step_by(2) {
            fs.punch(frag, i * BLOCK_SIZE, BLOCK_SIZE).expect("punch /frag");
        }
        fs.unmount().expect("unmount");
    }
    let host = dir.join(format!("{name}.w.src"));
    write_bytes(&host, &pseudo_random(10_000, 7));
    debugfs_w(&image, &[&format!("write {} /d/w", host.display())]);
    assert_e2fsck_clean(&image);
    image
}

/// ext2-style: `mke2fs -t ext2 -b 1024` (8 MiB, one group; no extents: every file and
/// directory block-mapped) populated with `-d`: a file with single and double indirect blocks
/// (300 KiB), a sparse one (holes in the direct and indirect ranges), a directory of 100
/// entries (several blocks) and a nested one.
fn image_ext2(dir: &Path) -> PathBuf {
    let src = dir.join("ext2.src");
    std::fs::create_dir_all(src.join("d/sub")).expect("mkdir");
    write_bytes(&src.join("dind"), &pseudo_random(300 * 1024, 30));
    let sparse = std::fs::File::create(src.join("sparse")).expect("create source");
    sparse.write_all_at(&pseudo_random(2048, 31), 0).expect("write source");
    sparse.write_all_at(&pseudo_random(1024, 32), 40 * 1024).expect("write source");
    sparse.set_len(100 * 1024).expect("set_len");
    for i in 0..100 {
        write_bytes(&src.join(format!("d/entry_number_{i}")), format!("{i}\n").as_bytes());
    }
    write_bytes(&src.join("d/sub/f"), b"f\n");
    let image = dir.join("sweep-ext2.img");
    let seed = format!("hash_seed={UUID_A}");
    let out = std::process::Command::new(tool("mke2fs"))
        .args(["-q", "-F", "-t", "ext2", "-b", "1024", "-U", UUID_A, "-E", &seed, "-d"])
        .arg(&src)
        .arg(&image)
        .arg("8M")
        .env("E2FSPROGS_FAKE_TIME", TIME)
        .output()
        .expect("cannot run mke2fs");
    assert!(out.status.success(), "mke2fs failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_e2fsck_clean(&image);
    image
}

/// Stock: `mkfs.ext4` (16 MiB), a directory, a written file and one with 8 one-block extents
/// (a sparse source: a leaf block).
fn image_stock(dir: &Path) -> PathBuf {
    let image = stock_image(dir, "sweep-stock.img", 16 * MIB, UUID_B, &[]);
    let w = dir.join("stock.w.src");
    write_bytes(&w, &pseudo_random(10_000, 8));
    let many = dir.join("stock.many.src");
    let f = std::fs::File::create(&many).expect("create source");
    f.set_len(15 * BLOCK_SIZE).expect("set_len");
    for i in 0..8 {
        f.write_all_at(&pseudo_random(BLOCK_SIZE as usize, 20 + i), 2 * i * BLOCK_SIZE).expect("write source");
    }
    debugfs_w(
        &image,
        &[
            "mkdir /d",
            "mkdir /d/sub",
            &format!("write {} /d/w", w.display()),
            &format!("write {} /many", many.display()),
        ],
    );
    assert_e2fsck_clean(&image);
    image
}

// ---------------------------------------------------------------------------------------------
// The bytes to change
// ---------------------------------------------------------------------------------------------

/// One metadata structure in use: a kind (the grouping of the summary), a label and its bytes.
#[derive(Clone, Debug)]
struct Structure {
    kind: &'static str,
    label: String,
    start: u64,
    len: u64,
}

/// One byte to change: the structure it belongs to and its offset in the image.
#[derive(Clone, Copy, Debug)]
struct Target {
    structure: usize,
    offset: u64,
}

/// Every metadata structure in use, located with the library.
fn structures(image: &Path) -> Vec<Structure> {
    let fs = Fs::open(MappedImage::open(image, false).expect("open")).expect("Fs::open");
    let bs = u64::from(fs.block_size());
    let mut out = vec![Structure { kind: "superblock", label: "superblock".into(), start: 1024, len: 1024 }];
    let ds = u64::from(fs.sb.desc_size());
    let gdt = (u64::from(fs.sb.f.s_first_data_block) + 1) * bs;
    out.push(Structure { kind: "group descriptor", label: "group 0".into(), start: gdt, len: ds });
    let g0 = fs.groups()[0].clone();

    // The bitmaps' used part: the bytes whose bits stand for the group's blocks and inodes (the
    // rest of the block is padding, all ones).
    let blocks_in_g0 =
        u64::from(fs.sb.f.s_blocks_per_group).min(fs.sb.blocks_count() - u64::from(fs.sb.f.s_first_data_block));
    out.push(Structure {
        kind: "block bitmap",
        label: format!("block {}", g0.block_bitmap),
        start: g0.block_bitmap * bs,
        len: blocks_in_g0.div_ceil(8),
    });
    out.push(Structure {
        kind: "inode bitmap",
        label: format!("block {}", g0.inode_bitmap),
        start: g0.inode_bitmap * bs,
        len: u64::from(fs.sb.f.s_inodes_per_group).div_ceil(8),
    });

    // Inodes in use: marked in group 0's bitmap, with a mode (the reserved inodes without one,
    // 1 and 3-6, 9-10, are all zeros: not in use). The journal superblock, extent and directory
    // blocks are collected on the way.
    let ibm = fs.block(g0.inode_bitmap).expect("inode bitmap").into_owned();
    let isz = u64::from(fs.sb.inode_size());
    let mut extent_blocks = Vec::new();
    let mut dir_blocks = Vec::new();
    for ino in 1..=fs.sb.f.s_inodes_per_group {
        let i = (ino - 1) as usize;
        if ibm[i / 8] & (1 << (i % 8)) == 0 {
            continue;
        }
        let node = fs.inode(ino).expect("inode");
        if node.f.i_mode == 0 {
            continue;
        }
        let at = fs.inode_offset(ino).expect("inode offset");
        out.push(Structure { kind: "inode", label: format!("inode {ino}"), start: at, len: isz });
        if node.has_flag(FL_EXTENTS) {
            for n in fs.extent_nodes(ino, &node).expect("extent nodes") {
                if let Some(b) = n.block {
                    extent_blocks.push(Structure {
                        kind: "extent block",
                        label: format!("inode {ino} level {} block {b}", n.level),
                        start: b * bs,
                        len: bs,
                    });
                }
            }
        }
        if !node.has_flag(FL_EXTENTS) && ino != e4dax::ondisk::inode::RESIZE_INO {
            for r in fs.inode_runs(ino, &node).expect("block map") {
                if let RunKind::Indirect { level } = r.kind {
                    extent_blocks.push(Structure {
                        kind: "indirect block",
                        label: format!("inode {ino} level {level} block {}", r.start),
                        start: r.start * bs,
                        len: bs,
                    });
                }
            }
        }
        if node.is_dir() {
            for e in fs.file_extents(ino, &node).expect("directory extents") {
                for i in 0..u64::from(e.len) {
                    dir_blocks.push(Structure {
                        kind: "directory block",
                        label: format!("inode {ino} block {} ({})", u64::from(e.logical) + i, e.physical + i),
                        start: (e.physical + i) * bs,
                        len: bs,
                    });
                }
            }
        }
    }
    out.extend(extent_blocks);
    out.extend(dir_blocks);
    if let Some((geo, _)) = fs.journal_geometry().expect("journal") {
        let b = geo.map(0).expect("journal block 0");
        out.push(Structure {
            kind: "journal superblock",
            label: format!("block {b}"),
            start: b * bs,
            len: e4dax::ondisk::jbd2::superblock::SIZE as u64,
        });
    }
    out
}

/// The bytes to change: all of them, or every `stride`-th (odd) of the list.
fn targets(structs: &[Structure], budget: Option<usize>) -> (Vec<Target>, usize) {
    let all: Vec<Target> = structs
        .iter()
        .enumerate()
        .flat_map(|(s, st)| (st.start..st.start + st.len).map(move |offset| Target { structure: s, offset }))
        .collect();
    let total = all.len();
    let stride = match budget {
        None => 1,
        Some(n) => (total.div_ceil(n.max(1)).max(1)) | 1,
    };
    (all.into_iter().step_by(stride).collect(), total)
}

// ---------------------------------------------------------------------------------------------
// Checking in-process, as the CLI does
// ---------------------------------------------------------------------------------------------

/// What one in-process `fsck` ended with: its exit code and, for 8, why.
#[derive(Clone, Debug)]
struct Exit {
    code: i32,
    error: Option<String>,
}

/// `e4dax fsck IMAGE -n` (`writable` false) or `-y` (true), in-process: the library's
/// [`open::open_for_check`] (what the CLI calls), its notes fed to the checker, the checker,
/// and a sync after `-y`, as `src/bin/e4dax/fsck.rs` does. An error is the CLI's exit 8.
fn fsck_in_process(image: &Path, writable: bool) -> Exit {
    let refused = |e: String| Exit { code: 8, error: Some(e) };
    let dev = match MappedImage::open(image, writable) {
        Ok(d) => d,
        Err(e) => return refused(format!("MappedImage::open: {e}")),
    };
    let Opened { mut fs, notes, .. } = match open::open_for_check(dev, writable) {
        Ok(o) => o,
        Err(e) => return refused(format!("open: {e}")),
    };
    let mode = if writable { Mode::Yes } else { Mode::No };
    let mut checker = Checker::new(&mut fs, Options { mode, data: false });
    for n in notes {
        checker.note(n.code, n.detail, n.fixed);
    }
    match checker.run(&mut |_| {}) {
        Ok(report) => {
            if writable {
                if let Err(e) = fs.dev.sync() {
                    return refused(format!("sync: {e}"));
                }
            }
            Exit { code: report.exit_code, error: None }
        }
        Err(e) => refused(format!("check: {e}")),
    }
}

/// Whether the image has no superblock to check with: the primary fails validation and so does
/// group 1's backup (located as [`open::backup_superblock`] locates it). Only then is exit 8
/// (nothing can be checked) the right answer.
fn superblock_refused(image: &Path) -> bool {
    let dev = MappedImage::open(image, false).expect("open the copy");
    let primary = dev.view(superblock::OFFSET, superblock::SIZE).expect("superblock bytes").into_owned();
    Superblock::parse(&primary).is_err() && open::backup_superblock(&dev, &primary).is_err()
}

/// Run `f` on its own thread: its value, or why there is none (a panic, or no answer within
/// [`LIMIT`]: a hang, whose thread is left behind).
fn guarded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("fsck-sweep-case".into())
        .spawn(move || {
            let _ = tx.send(std::panic::catch_unwind(AssertUnwindSafe(f)));
        })
        .expect("spawn");
    match rx.recv_timeout(LIMIT) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(payload)) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(non-string payload)".into());
            Err(format!("panicked: {msg}"))
        }
        Err(mpsc::RecvTimeoutError::Timeout) => Err(format!("hung: no answer within {LIMIT:?}")),
        Err(mpsc::RecvTimeoutError::Disconnected) => Err("the checking thread died".into()),
    }
}

/// `e2fsck -fn IMAGE`: None when clean (exit 0, no problem line), else its exit and first
/// problem line. Killed after [`E2FSCK_LIMIT`]: some images `fsck -y` leaves (a directory
/// extent far past its size) keep `e2fsck -n` listing millions of blocks for minutes.
fn e2fsck_verdict(image: &Path) -> Option<String> {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = std::process::Command::new(tool("e2fsck"))
        .arg("-fn")
        .arg(image)
        .env("TZ", "UTC")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run e2fsck");
    // Keep the first 64 KiB of each stream, drain the rest (so e2fsck never blocks on a pipe).
    fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let (mut keep, mut buf) = (Vec::new(), vec![0u8; 64 * 1024]);
            while let Ok(n @ 1..) = r.read(&mut buf) {
                if keep.len() < buf.len() {
                    keep.extend_from_slice(&buf[..n]);
                }
            }
            keep
        })
    }
    let out = drain(child.stdout.take().expect("stdout"));
    let err = drain(child.stderr.take().expect("stderr"));
    let deadline = Instant::now() + E2FSCK_LIMIT;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for e2fsck") {
            break Some(st);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    let out = out.join().expect("stdout reader");
    let err = err.join().expect("stderr reader");
    let text = format!("{}{}", String::from_utf8_lossy(&out), String::from_utf8_lossy(&err));
    let problems: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter(|l| !l.starts_with("e2fsck 1.") && !l.starts_with("Pass "))
        .filter(|l| !(l.contains(" files (") && l.contains(" blocks")))
        .collect();
    let first = problems.first().copied().unwrap_or("");
    match status.map(|s| s.code()) {
        None => Some(format!("killed after {E2FSCK_LIMIT:?}: {first}")),
        Some(Some(0)) if problems.is_empty() => None,
        Some(code) => Some(format!("exit {code:?}: {first}")),
    }
}

// ---------------------------------------------------------------------------------------------
// One case, and the sweep
// ---------------------------------------------------------------------------------------------

/// The image's bytes, and where they are not all zeros (4 KiB pieces), to write copies fast.
struct Base {
    bytes: Vec<u8>,
    nonzero: Vec<u64>,
}

impl Base {
    fn load(image: &Path) -> Base {
        let bytes = read_bytes(image);
        let nonzero = bytes
            .chunks(BLOCK_SIZE as usize)
            .enumerate()
            .filter(|(_, c)| c.iter().any(|&b| b != 0))
            .map(|(i, _)| i as u64 * BLOCK_SIZE)
            .collect();
        Base { bytes, nonzero }
    }

    /// The first byte where the copy at `at` differs from the image with the byte at `offset`
    /// xor 0xFF (the copy as [`write_copy`](Self::write_copy) made it), or None.
    fn changed_at(&self, at: &Path, offset: u64) -> Option<u64> {
        let now = read_bytes(at);
        if now.len() != self.bytes.len() {
            return Some(now.len().min(self.bytes.len()) as u64);
        }
        let o = offset as usize;
        let first = |a: &[u8], b: &[u8], at: usize| a.iter().zip(b).position(|(x, y)| x != y).map(|i| (at + i) as u64);
        // Slice comparisons (memcmp) first: most copies are unchanged.
        if now[..o] != self.bytes[..o] {
            return first(&now[..o], &self.bytes[..o], 0);
        }
        if now[o] != self.bytes[o] ^ 0xFF {
            return Some(offset);
        }
        if now[o + 1..] != self.bytes[o + 1..] {
            return first(&now[o + 1..], &self.bytes[o + 1..], o + 1);
        }
        None
    }

    /// A fresh sparse copy at `to`, with the byte at `offset` xor 0xFF.
    fn write_copy(&self, to: &Path, offset: u64) {
        let _ = std::fs::remove_file(to);
        let f = std::fs::File::create(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
        f.set_len(self.bytes.len() as u64).expect("set_len");
        for &at in &self.nonzero {
            let end = (at + BLOCK_SIZE).min(self.bytes.len() as u64);
            f.write_all_at(&self.bytes[at as usize..end as usize], at).expect("write copy");
        }
        f.write_all_at(&[self.bytes[offset as usize] ^ 0xFF], offset).expect("write the changed byte");
    }
}

/// A way a byte's outcome may fall short of "`-n` finds it, `-y` repairs it, e2fsck agrees"
/// without breaking a rule outright; each is a failure unless [`ALLOWED`] lists the byte with
/// it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Shortfall {
    /// `fsck -n` exits 8 though the image has a valid superblock (or backup): an error of the
    /// checker or of opening, where e2fsck would check.
    NRefused,
    /// `fsck -y` exits 8 though the image has a valid superblock (or backup).
    YRefused,
    /// `fsck -y` exits 4: it found errors it left.
    YUncorrected,
    /// `fsck -n` found errors (4) and `fsck -y` fixed nothing (0).
    YFixedNothing,
    /// After `fsck -y`, `e2fsck -fn` does not call the image clean.
    Unclean,
}
use Shortfall::{NRefused, Unclean, YFixedNothing, YRefused, YUncorrected};

/// What one changed byte led to.
#[derive(Debug)]
struct Outcome {
    target: Target,
    /// Neither the primary superblock nor group 1's backup passes validation.
    sb_refused: bool,
    no: Exit,
    yes: Option<Exit>,
    /// Why this byte broke a rule (panic, hang, -n wrote, an exit code no rule allows).
    failure: Option<String>,
    /// Shortfalls, each with what was seen.
    short: Vec<(Shortfall, String)>,
    /// How long `fsck -n` and `fsck -y` took.
    took: [Duration; 2],
}

fn run_case(base: &Base, work: &Path, target: Target, compare: bool) -> Outcome {
    base.write_copy(work, target.offset);
    let mut out = Outcome {
        target,
        sb_refused: superblock_refused(work),
        no: Exit { code: -1, error: None },
        yes: None,
        failure: None,
        short: Vec::new(),
        took: [Duration::ZERO; 2],
    };
    let path = work.to_path_buf();
    let t0 = Instant::now();
    let no = guarded(move || fsck_in_process(&path, false));
    out.took[0] = t0.elapsed();
    match no {
        Ok(exit) => out.no = exit,
        Err(why) => {
            out.failure = Some(format!("fsck -n {why}"));
            return out;
        }
    }
    let why = |e: &Exit| e.error.clone().unwrap_or_default();
    match (out.no.code, out.sb_refused) {
        (8, true) | (0 | 4, false) => {}
        (8, false) => out.short.push((NRefused, why(&out.no))),
        (code, true) => {
            out.failure = Some(format!("fsck -n exited {code} where no superblock is valid (8 expected)"));
        }
        (code, false) => out.failure = Some(format!("fsck -n exited {code}, not 0, 4 or 8")),
    }
    if (compare || out.sb_refused) && base.changed_at(work, target.offset).is_some() {
        let i = base.changed_at(work, target.offset).unwrap_or_default();
        out.failure = Some(format!("fsck -n wrote to the image (first changed byte at {i})"));
    }
    let path = work.to_path_buf();
    let t0 = Instant::now();
    let yes = guarded(move || fsck_in_process(&path, true));
    out.took[1] = t0.elapsed();
    let yes = match yes {
        Ok(exit) => exit,
        Err(why) => {
            out.failure = Some(format!("fsck -y {why}"));
            return out;
        }
    };
    match (yes.code, out.sb_refused) {
        (8, true) => {
            // Nothing to check with: the image must be as it was.
            if let Some(i) = base.changed_at(work, target.offset) {
                out.failure = Some(format!("fsck -y gave up (8) but changed the image (byte {i})"));
            }
        }
        (0 | 1, false) => {
            if out.no.code == 4 && yes.code == 0 {
                out.short.push((YFixedNothing, String::new()));
            }
        }
        (4, false) => out.short.push((YUncorrected, String::new())),
        (8, false) => out.short.push((YRefused, why(&yes))),
        (code, true) => out.failure = Some(format!("fsck -y exited {code} where no superblock is valid (8 expected)")),
        (code, false) => out.failure = Some(format!("fsck -y exited {code}, not 0, 1, 4 or 8")),
    }
    let refused = yes.code == 8;
    out.yes = Some(yes);
    if !refused {
        if let Some(why) = e2fsck_verdict(work) {
            out.short.push((Unclean, why));
        }
    }
    out
}

/// Sweep `targets` of `image` on `workers` threads; the outcomes in target order.
fn sweep(image: &Path, targets: &[Target], work_dir: &Path) -> Vec<Outcome> {
    let base = Base::load(image);
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(targets.len()));
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8);
    std::thread::scope(|s| {
        for w in 0..workers {
            let (base, next, results) = (&base, &next, &results);
            let work = work_dir.join(format!("case-{w}.img"));
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&t) = targets.get(i) else { break };
                let o = run_case(base, &work, t, i % 8 == 0);
                results.lock().expect("results").push((i, o));
            });
        }
    });
    let mut v = results.into_inner().expect("results");
    v.sort_by_key(|(i, _)| *i);
    v.into_iter().map(|(_, o)| o).collect()
}

/// The bytes of the CI sweep (see [`targets`]) whose outcome falls short today, each with the
/// shortfall it is allowed and why: (image, structure label, offset in the structure,
/// shortfall, why). A byte that falls short in a way not listed is a failure (a regression);
/// so is an entry whose byte no longer falls short that way (the list only shrinks), or whose
/// byte is not swept.
#[rustfmt::skip]
const ALLOWED: &[(&str, &str, u64, Shortfall, &str)] = &[
    (O16, "inode 16", 0x21, Unclean, FLAGS),
    (O16, "inode 2 block 0 (68)", 0xf, Unclean, "the root's '..' naming an inode past the last is left (e2fsck sets it to 2)"),
    (E2K, "superblock", 0xd2, Unclean, "the journal UUID/device fields of a file system without a journal are not checked (e2fsck looks for an external journal)"),
    (E2K, "superblock", 0x15e, Unclean, "s_want_extra_isize is not checked (e2fsck: bad desired extra isize)"),
    (E2K, "inode 45", 0x21, Unclean, FLAGS),
    (E2K, "inode 80", 0x21, Unclean, FLAGS),
    (E2K, "inode 115", 0x21, Unclean, FLAGS),
    (O16, "inode 16 level 1 block 1127", 0xe, Unclean, "an extent out of order is removed as e2fsck removes it; e2fsck then \
        finds the tree could be shorter (pass 1E rebuilds it; e4dax does not rebuild extent trees)"),
];
const O16: &str = "ours 16M";
const E2K: &str = "ext2 1K";
const FLAGS: &str = "inode flags e4dax never sets (casefold, imagic) are not checked";
/// A shortfall seen: (image, structure label, offset in the structure, shortfall).
type Seen = (String, String, u64, Shortfall);

/// The summary of one image's sweep (to stderr); returns the rule breakers, the shortfalls not
/// allowed, and the allowed ones (image, label, offset, shortfall) that were seen.
fn summarize(
    name: &str,
    structs: &[Structure],
    total: usize,
    outcomes: &[Outcome],
    took: Duration,
) -> (Vec<String>, Vec<String>, Vec<Seen>) {
    let mut per_kind: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut no_codes: BTreeMap<i32, usize> = BTreeMap::new();
    let mut yes_codes: BTreeMap<i32, usize> = BTreeMap::new();
    let mut short: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut new_short = Vec::new();
    let mut seen = Vec::new();
    let mut clean = 0usize;
    for o in outcomes {
        let st = &structs[o.target.structure];
        let off = o.target.offset - st.start;
        let entry = per_kind.entry(st.kind).or_default();
        entry.0 += 1;
        *no_codes.entry(o.no.code).or_default() += 1;
        if let Some(y) = &o.yes {
            *yes_codes.entry(y.code).or_default() += 1;
        }
        let at = format!("{} +{:#x} (byte {})", st.label, off, o.target.offset);
        if let Some(f) = &o.failure {
            failures.push(format!("{name}: {at}: {f}"));
        }
        if o.failure.is_none() && o.short.is_empty() {
            clean += 1;
            entry.1 += 1;
        }
        for (sf, what) in &o.short {
            let allowed = ALLOWED.iter().any(|a| a.0 == name && a.1 == st.label && a.2 == off && a.3 == *sf);
            let line = format!(
                "{at}: {sf:?}{}: fsck -n {}, -y {}; {what}",
                if allowed { "" } else { " (NEW)" },
                o.no.code,
                o.yes.as_ref().map_or("-".into(), |y| y.code.to_string())
            );
            short.entry(st.kind).or_default().push(line);
            seen.push((name.to_string(), st.label.clone(), off, *sf));
            if !allowed {
                new_short.push(format!(
                    "({name:?}, {:?}, {off:#x}, {sf:?}, \"...\"), // fsck -n {}, -y {}; {what}",
                    st.label,
                    o.no.code,
                    o.yes.as_ref().map_or("-".into(), |y| y.code.to_string())
                ));
            }
        }
    }
    let pct = if outcomes.is_empty() { 100.0 } else { 100.0 * clean as f64 / outcomes.len() as f64 };
    let mut s = format!(
        "fsck sweep of {name}: {} of {total} metadata bytes changed in {:.1?}; found, repaired and e2fsck -fn clean \
         after fsck -y: {clean}/{} = {pct:.2}%\n  fsck -n exits {no_codes:?}; fsck -y exits {yes_codes:?}\n",
        outcomes.len(),
        took,
        outcomes.len()
    );
    for (i, what) in ["fsck -n", "fsck -y"].iter().enumerate() {
        if let Some(o) = outcomes.iter().max_by_key(|o| o.took[i]) {
            let st = &structs[o.target.structure];
            s += &format!("  slowest {what}: {:.1?} ({} +{:#x})\n", o.took[i], st.label, o.target.offset - st.start);
        }
    }
    for (kind, (n, c)) in &per_kind {
        s += &format!("  {kind:<20} {c:>6}/{n:<6} without shortfall\n");
    }
    for (kind, list) in &short {
        s += &format!("  shortfalls, {kind} ({}):\n", list.len());
        for l in list {
            s += &format!("    {l}\n");
        }
    }
    eprintln!("{s}");
    (failures, new_short, seen)
}

fn full() -> bool {
    std::env::var_os("E4DAX_SWEEP_FULL").is_some_and(|v| v != "0" && !v.is_empty())
}

#[test]
fn fsck_sweep_every_metadata_byte() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    // (name, image, how many bytes CI sweeps)
    let mut images = vec![
        ("ours 16M".to_string(), image_ours(dir.path(), "sweep-ours.img", "16M"), CI_BYTES),
        (
            "ours 136M (two groups)".to_string(),
            image_ours(dir.path(), "sweep-ours-2g.img", "136M"),
            CI_BYTES_TWO_GROUPS,
        ),
    ];
    images.push((E2K.to_string(), image_ext2(dir.path()), CI_BYTES_EXT2));
    if full() {
        images.push(("stock 16M".to_string(), image_stock(dir.path()), 0));
    }
    let mut failures = Vec::new();
    let mut new_short = Vec::new();
    let mut seen = Vec::new();
    for (name, image, budget) in &images {
        let structs = structures(image);
        let (targets, total) = targets(&structs, if full() { None } else { Some(*budget) });
        let work = dir.path().join(format!("work-{}", name.replace(' ', "_")));
        std::fs::create_dir_all(&work).expect("mkdir");
        let t0 = Instant::now();
        let outcomes = sweep(image, &targets, &work);
        let (f, n, s) = summarize(name, &structs, total, &outcomes, t0.elapsed());
        failures.extend(f);
        new_short.extend(n);
        seen.extend(s);
    }
    // Entries of the allow-list that no longer fall short (fixed: remove them), or whose byte
    // is no longer swept (the list describes the CI sweep).
    let stale: Vec<String> = ALLOWED
        .iter()
        .filter(|a| !seen.iter().any(|s| s.0 == a.0 && s.1 == a.1 && s.2 == a.2 && s.3 == a.3))
        .map(|a| format!("({:?}, {:?}, {:#x}, {:?})", a.0, a.1, a.2, a.3))
        .collect();
    assert!(
        failures.is_empty() && new_short.is_empty() && (full() || stale.is_empty()),
        "fsck sweep:\n{} byte(s) broke a rule (panic, hang, an exit code no rule allows, -n wrote):\n  {}\n\
         {} shortfall(s) not in ALLOWED (regressions):\n  {}\n\
         {} ALLOWED entr(y/ies) no longer seen (fixed, or not swept: remove them):\n  {}",
        failures.len(),
        failures.join("\n  "),
        new_short.len(),
        new_short.join("\n  "),
        stale.len(),
        stale.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// Inputs found by the cargo-fuzz target
// ---------------------------------------------------------------------------------------------

/// Where a byte of a fuzz input lands: inode `ino` at offset `off` of its slot, block `lblk`
/// of directory `ino` at offset `off`, or the `k`-th indirect block (in block-iterate order) of
/// block-mapped inode `ino` at offset `off`.
#[derive(Clone, Copy, Debug)]
enum At {
    Inode(u32, u64),
    DirBlock(u32, u64, u64),
    Indirect(u32, usize, u64),
    /// A byte offset in the image (the group descriptor block, a bitmap).
    Offset(u64),
    /// The `k`-th extent-tree block (in walk order) of inode `ino`, at offset `off`.
    ExtentBlock(u32, usize, u64),
}

/// One input the cargo-fuzz target (`fuzz/`) found: the bytes it sets (located on the target's
/// own image, so that they still land where they did if its layout moves), the findings
/// `fsck -n` must report (code, inode), and the exit code of `fsck -y`.
struct FuzzCase {
    what: &'static str,
    changes: &'static [(At, u8)],
    n_findings: &'static [(u32, Option<u32>)],
    /// How `fsck -y` ends: its exit code, or (Err) part of the error it ends with (exit 8).
    y: Result<i32, &'static str>,
    /// On the target's block-mapped image (input flag bit 4) instead of its extent image.
    blockmap: bool,
}

/// The crashes the fuzz target found, replayed as inputs of the target itself (flags: checksums
/// recomputed, `-y` then `-n` too) through its harness, `fuzz/common/fsck_image.rs`.
const FUZZ_REGRESSIONS: &[FuzzCase] = &[
    FuzzCase {
        // fsck -y: pass 3 reconnects /d to lost+found, whose INDEX_FL makes `dir_add` drop the
        // htree, and `dirent::write_at` panicked on the damaged block ("assertion failed:
        // name.len() <= NAME_MAX && HEADER_SIZE + name.len() <= rec_len"). Since f98b289 the
        // entry is refused with an error instead: -y gave up (exit 8) where e2fsck repairs.
        // Since session 6 pass 2 splits lost+found's 28-byte '.' as e2fsck does, the
        // reconnection finds room, and -y repairs it all (exit 1; the -n after is clean).
        what: "lost+found with INDEX_FL and '.' rec_len 28, /d '.' rec_len 10",
        changes: &[(At::Inode(11, 0x21), 0x7a), (At::DirBlock(11, 0, 4), 0x1c), (At::DirBlock(12, 0, 4), 0x0a)],
        n_findings: &[
            (problem::DIR_BAD_ENTRY, Some(11)),
            (problem::DIR_NO_DOTDOT, Some(11)),
            (problem::DIR_BAD_ENTRY, Some(12)),
            (problem::DIR_NO_DOTDOT, Some(12)),
        ],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        // The same damage to /d alone: -y repairs it, and -n then finds nothing.
        what: "/d '.' rec_len 10",
        changes: &[(At::DirBlock(12, 0, 4), 0x0a)],
        n_findings: &[(problem::DIR_BAD_ENTRY, Some(12)), (problem::DIR_NO_DOTDOT, Some(12))],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        // The resize inode's double indirect block naming a block past the end: -y exited 1 and
        // left it. It was then reported as "resize inode not valid", never repaired (-y exited
        // 4); now -y recreates the resize inode, as e2fsck does.
        what: "resize inode's DIND entry 25 past the last block (ext2, 1 KiB)",
        changes: &[(At::Indirect(7, 0, 0x66), 0x01)],
        n_findings: &[(problem::RESIZE_INODE_INVALID, Some(7))],
        y: Ok(1),
        blockmap: true,
    },
    FuzzCase {
        // The bad-block inode listing block 84, one of the journal's: claimed first by inode 1,
        // the journal's extent became "claimed twice" and -y cut it out of the journal, which
        // then could not be read. Now the bad-block list is claimed after every other inode, a
        // listed block in use is reported (e2fsck clones it in pass 1B), and -y exits 4.
        what: "bad-block inode listing a journal block",
        changes: &[(At::Inode(1, 0x54), 0x54)],
        n_findings: &[(problem::BAD_BLOCK_IN_USE, Some(1))],
        y: Ok(4),
        blockmap: false,
    },
    FuzzCase {
        // A regular file's mode turned into a directory's: its data read as a directory block
        // gives no '..'. The end-of-directory check asked "fix?" and -y exited 1 having written
        // nothing; it is now DIR_NO_DOTDOT, never repaired (-y exits 4). (e2fsck may see the
        // inode is not really a directory; e4dax does not look.)
        what: "a regular file's mode made a directory's (ext2, 1 KiB)",
        changes: &[(At::Inode(209, 0), 0x01), (At::Inode(209, 1), 0x4b)],
        n_findings: &[(problem::DIR_NO_DOTDOT, Some(209))],
        y: Ok(4),
        blockmap: true,
    },
    FuzzCase {
        // Group 0's block bitmap moved to block 137, inside the journal (a location
        // ext2fs_check_desc accepts): the journal then claimed a block already claimed, and -y
        // cut the extent out of the journal, which could no longer be read. The journal is now
        // never cut (JOURNAL_BLOCK_CLAIMED_TWICE, reported; -y exits 4).
        what: "block bitmap moved into the journal",
        changes: &[(At::Offset(4096), 0x89)],
        n_findings: &[(problem::JOURNAL_BLOCK_CLAIMED_TWICE, Some(8))],
        y: Ok(4),
        blockmap: false,
    },
    // A leaf block of a metadata_csum directory whose checksum tail is damaged: "no checksum
    // tail" was reported, -y answered yes and wrote nothing, so -y exited 1 and -n found it
    // again. -y now inserts the tail (e2fsck's insert_dirent_tail) — inputs 04f0fbb13bfbfb0414,
    // 06fb9bfeb8feb80000, 2610fbfbfef933fc4e, 6cfb034e2a56.
    FuzzCase {
        what: "/d/sub block 0: the tail's det_reserved_ft 0xde -> 0x14",
        changes: &[(At::DirBlock(13, 0, 0xffb), 0x14)],
        n_findings: &[(problem::DIR_NO_TAIL, Some(13))],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        what: "lost+found block 3: the tail's det_reserved_ft 0xde -> 0xb8",
        changes: &[(At::DirBlock(11, 3, 0xffb), 0xb8)],
        n_findings: &[(problem::DIR_NO_TAIL, Some(11))],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        // The tail read as an entry of rec_len 0x4e0c: a corrupt entry (salvaged into the one
        // before it), then the tail is inserted again.
        what: "/d/sub block 0: the tail's rec_len 12 -> 0x4e0c",
        changes: &[(At::DirBlock(13, 0, 0xff9), 0x4e)],
        n_findings: &[(problem::DIR_BAD_ENTRY, Some(13)), (problem::DIR_NO_TAIL, Some(13))],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        what: "/ block 0: the tail's det_reserved_ft 0xde -> 0x2a",
        changes: &[(At::DirBlock(2, 0, 0xffb), 0x2a)],
        n_findings: &[(problem::DIR_NO_TAIL, Some(2))],
        y: Ok(1),
        blockmap: false,
    },
    // The resize inode with a mode that is not a regular file's, or flags no block-mapped file
    // has (extents): pass 1 cleared it ("bad mode", "corrupt extent tree") and -n then found a
    // reserved inode of mode 0. Now e2fsck's check_resize_inode: "resize inode not valid", and
    // -y recreates it — inputs 5f0016000ad87e06, ff2116006d3a00882e, ff211600772e,
    // ff21160090ff21162e.
    FuzzCase {
        what: "resize inode mode 0x8180 -> 0x598a (ext2, 1 KiB)",
        changes: &[(At::Inode(7, 0), 0x8a), (At::Inode(7, 1), 0x59), (At::Inode(7, 2), 0x7e), (At::Inode(7, 3), 0x06)],
        n_findings: &[(problem::RESIZE_INODE_INVALID, Some(7)), (problem::INODE_BAD_MODE, Some(7))],
        y: Ok(1),
        blockmap: true,
    },
    FuzzCase {
        what: "resize inode flags 0x3a6d00 (extents, index; ext2, 1 KiB)",
        changes: &[
            (At::Inode(7, 0x21), 0x6d),
            (At::Inode(7, 0x22), 0x3a),
            (At::Inode(7, 0x24), 0x88),
            (At::Inode(7, 0x25), 0x2e),
        ],
        n_findings: &[(problem::RESIZE_INODE_INVALID, Some(7))],
        y: Ok(1),
        blockmap: true,
    },
    FuzzCase {
        what: "resize inode flags 0x2e7700 (ext2, 1 KiB)",
        changes: &[(At::Inode(7, 0x21), 0x77), (At::Inode(7, 0x22), 0x2e)],
        n_findings: &[(problem::RESIZE_INODE_INVALID, Some(7))],
        y: Ok(1),
        blockmap: true,
    },
    FuzzCase {
        what: "resize inode flags 0x21ff9000 (ext2, 1 KiB)",
        changes: &[
            (At::Inode(7, 0x21), 0x90),
            (At::Inode(7, 0x22), 0xff),
            (At::Inode(7, 0x23), 0x21),
            (At::Inode(7, 0x24), 0x16),
            (At::Inode(7, 0x25), 0x2e),
        ],
        n_findings: &[(problem::RESIZE_INODE_INVALID, Some(7))],
        y: Ok(1),
        blockmap: true,
    },
    FuzzCase {
        // /big's double indirect block naming a data block (garbage pointers) and block 32: -y
        // cleared the inode after "too many illegal blocks", but the blocks its walk had marked
        // in use stayed marked, and -n then found bitmap differences. A cleared inode's walk now
        // gives its blocks back — input df002c280900000020.
        what: "/big: too many illegal blocks under its double indirect block (ext2, 1 KiB)",
        changes: &[(At::Indirect(12, 1, 0), 0x69), (At::Indirect(12, 1, 4), 0x20)],
        n_findings: &[(problem::TOO_MANY_ILLEGAL_BLOCKS, Some(12))],
        y: Ok(1),
        blockmap: true,
    },
    FuzzCase {
        // The root's second entry renamed: "'..' missing or wrong" was answered yes and nothing
        // was written. Now rewritten as '..' (e2fsck's check_dotdot) — input ff14d41f8804d000.
        what: "/'s second entry named 0xa6 0x2a, name_len 0xd0 (ext2, 1 KiB)",
        changes: &[
            (At::DirBlock(2, 0, 0x14), 0xa6),
            (At::DirBlock(2, 0, 0x15), 0x2a),
            (At::DirBlock(2, 0, 0x16), 0xd0),
        ],
        n_findings: &[(problem::DIR_DOTDOT, Some(2))],
        y: Ok(1),
        blockmap: true,
    },
    // e2fsck parity (issue 10, items a and e): /frag's tree (an index in the inode, one leaf
    // block of 12 extents).
    FuzzCase {
        // An extent of the leaf starting past the last block: the whole inode was cleared
        // ("corrupt extent tree"); now only that extent goes (e2fsck's PR_1_EXTENT_BAD_START_BLK).
        what: "/frag: leaf extent 3 starts past the last block",
        changes: &[(At::ExtentBlock(27, 0, 12 + 3 * 12 + 6), 0x01)],
        n_findings: &[(problem::EXTENT_OUT_OF_RANGE, Some(27))],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        // The root's index says the leaf starts at logical 1; its first extent is at 0: the
        // index is corrected (e2fsck's PR_1_EXTENT_INDEX_START_INVALID), not the inode cleared.
        what: "/frag: the root index's logical start 0 -> 1",
        changes: &[(At::Inode(27, 0x28 + 12), 0x01)],
        n_findings: &[(problem::EXTENT_INDEX_START, Some(27))],
        y: Ok(1),
        blockmap: false,
    },
    // Session 6's fuzz run (363,720 executions, 48 inputs, four classes fixed here):
    FuzzCase {
        // s_first_ino raised to 41: inodes 28-40 became reserved, so in use, but pass 1 stops
        // at the group's initialised part (27 inodes) and never marked them; -y's pass 5 then
        // wrote a smaller itable_unused, and the next check found them missing from the bitmap.
        what: "s_first_ino 11 -> 41",
        changes: &[(At::Offset(1024 + 0x54), 41)],
        n_findings: &[(problem::DIR_ENTRY_BAD_INODE, Some(2))],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        // The root's '..' rec_len ruined and four blocks freed in the block bitmap: -y truncated
        // the root, lost /lost+found, and made a new one with a block the bitmap called free
        // but the check had seen in use (a directory's) — claimed twice by the next check.
        // Passes 3-4 now allocate around what the check found in use.
        what: "root '..' rec_len 0x7e0c, block bitmap byte 4 = 0x34",
        changes: &[(At::DirBlock(2, 0, 0x11), 0x7e), (At::Offset(8196), 0x34)],
        n_findings: &[(problem::DIR_BAD_ENTRY, Some(2))],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        // s_reserved_gdt_blocks 0 (resize_inode still set) and a reserved descriptor block's
        // last entry 0xff000000: pass 0 has nothing to compare, and pass 1 said "resize inode
        // not valid" without repairing it. Now an illegal block, cleared, as e2fsck.
        what: "s_reserved_gdt_blocks 0, resize inode's block 59 entry 255 garbage (ext2, 1 KiB)",
        changes: &[(At::Offset(1024 + 0xce), 0), (At::Offset(59 * 1024 + 0x3ff), 0xff)],
        n_findings: &[(problem::ILLEGAL_BLOCK, Some(7))],
        y: Ok(1),
        blockmap: true,
    },
    FuzzCase {
        // The root's '.' with inode 0x3b000002 and rec_len 1548, over '..' and three entries:
        // -y rewrote '.' whole, the entries under it were lost (and /lost+found with them).
        // Now '.' is split as e2fsck splits it, keeping the entries that follow.
        what: "root '.' inode high byte 0x3b, rec_len 0x060c",
        changes: &[(At::DirBlock(2, 0, 3), 0x3b), (At::DirBlock(2, 0, 5), 0x06)],
        n_findings: &[(problem::DIR_DOT, Some(2)), (problem::DIR_SPLIT_DOT, Some(2))],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        // /frag (unwritten extents in a leaf block) made a directory, one extent's length 1 ->
        // 68 over the ones after it and over the leaf block itself: -y removed the extents it
        // covered and converted the rest to written, the tree folded into the inode and its
        // leaf block was given back although the long extent maps it. i_blocks counted the
        // leaf, and pass 5 freed the block. Now the tree is counted again after conversions,
        // and a block noted as claimed twice is in use as long as pass 1B finds a claimer.
        what: "/frag made a directory, an extent of its leaf 1 -> 68 blocks",
        changes: &[(At::Inode(27, 0x01), 0x44), (At::ExtentBlock(27, 0, 0x34), 0x44)],
        n_findings: &[(problem::EXTENT_ENTRY_BAD, Some(27))],
        y: Ok(1),
        blockmap: false,
    },
    // Session 7: the classes left by session 6's runs.
    FuzzCase {
        // has_journal cleared, needs_recovery set: e2fsck clears needs_recovery
        // (PR_0_JOURNAL_RECOVER_SET); -y left it, and e2fsck -fn then refused the image.
        what: "s_feature_compat 0x04 -> 0, s_feature_incompat 0xc2 -> 0xc6",
        changes: &[(At::Offset(1024 + 0x5c), 0x00), (At::Offset(1024 + 0x60), 0xc6)],
        n_findings: &[(problem::JOURNAL_RECOVER_NO_JOURNAL, None)],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        // /big's double indirect block naming itself as its first indirect block (whose first
        // entry, read as data, names it again): pass 1 reads an indirect block once, so it
        // counted two claims of three; the clone copied the double indirect block, and the
        // next run found the third. A pointer naming an indirect block the walk already read
        // is now copied too (and counted in i_blocks), as e2fsck's clone leaves it clean.
        what: "/big's DIND entry 0 -> the DIND block itself (ext2, 1 KiB)",
        changes: &[(At::Indirect(12, 1, 0), 0x5f)],
        n_findings: &[(problem::BLOCK_CLAIMED_TWICE, Some(12))],
        y: Ok(1),
        blockmap: true,
    },
    FuzzCase {
        // Revision 0 with ext4's features: inodes read as 128 bytes (the journal inode is
        // garbage), so -y rebuilds much. Directories whose entry names them again were all sent
        // to lost+found, one of them also named by another (a second link found by the -n
        // after). Now pass 3 reconnects only the topmost directory of an unconnected chain (as
        // e2fsck's check_directory), an entry naming its own directory is cleared
        // (DIR_LINK_DOT), unused inodes' checksums are checked, and the superblock becomes
        // revision 1 (FS_REV_LEVEL, e2fsck's update_dynamic_rev).
        what: "s_rev_level 1 -> 0 (extent image), a block bitmap byte 0xff -> 0x4c",
        changes: &[(At::Offset(1024 + 0x4c), 0x00), (At::Offset(9299), 0x4c)],
        n_findings: &[(problem::FS_REV_LEVEL, None)],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        // Group 0 flagged INODE_UNINIT (with a good checksum): pass 1 skipped every inode, -y
        // made a new root, and the next run found the old inodes again. The reserved inodes'
        // group cannot be uninitialised: the flag is cleared.
        what: "group 0's bg_flags 0x0004 -> 0x0017",
        changes: &[(At::Offset(4096 + 0x12), 0x17)],
        n_findings: &[(problem::GD_INODE_UNINIT_RESERVED, None)],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        // The root's '.' rec_len 12 -> 20 runs into '..': the salvage cut the block at '.', the
        // root lost '..' and every entry (e2fsck -fy does the same and exits 4). Now the
        // salvage finds the entries from offset 12 running to the block's end and shortens '.'.
        what: "root '.' rec_len 12 -> 20",
        changes: &[(At::DirBlock(2, 0, 4), 0x14)],
        n_findings: &[(problem::DIR_BAD_ENTRY, Some(2))],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        // Entry 'd' renamed "\0": e2fsck's repair (NUL -> '.') makes it '.', which the next run
        // clears. The name becomes '_'.
        what: "root entry 'd' -> '\\0'",
        changes: &[(At::DirBlock(2, 0, 0x34), 0x00)],
        n_findings: &[(problem::DIR_BAD_NAME, Some(2))],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        // An entry of /d naming /d itself (e2fsck's PR_2_LINK_DOT): cleared.
        what: "/d's first entry after '..' names inode 12",
        changes: &[(At::DirBlock(12, 0, 24), 12)],
        n_findings: &[(problem::DIR_LINK_DOT, Some(12))],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        // /d's only extent at logical 1: e2fsck moves it to 0 (PR_1_COLLAPSE_DBLOCK).
        what: "/d's extent starts at logical 1",
        changes: &[(At::Inode(12, 0x28 + 12), 0x01)],
        n_findings: &[(problem::DIR_COLLAPSE_BLOCK, Some(12))],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        // /frag made a directory with an extent at logical 0xff0004: i_size past 4 GiB, which
        // a directory without large_dir cannot have (e2fsck -fy exits 8). Now, once -y removed
        // the extents out of order, the one past 2 GiB is removed (e2fsck's PR_1_TOOBIG_DIR)
        // and the gaps are closed (PR_1_COLLAPSE_DBLOCK).
        what: "/frag made a directory, a leaf extent's logical start 0xff0004",
        changes: &[(At::Inode(27, 0x01), 0x44), (At::ExtentBlock(27, 0, 0x26), 0xff)],
        n_findings: &[(problem::EXTENT_ENTRY_BAD, Some(27))],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        // s_first_ino 11 -> 76 and inode 31 (past the group's initialised inodes) given a mode:
        // -y left it, and once pass 5 counted it in use the next run checked it. Reserved
        // inodes are now checked wherever they are (RESERVED_BAD_MODE, e2fsck's).
        what: "s_first_ino 76, inode 31's mode 0x5f",
        changes: &[(At::Offset(1024 + 0x54), 0x4c), (At::Inode(31, 0), 0x5f)],
        n_findings: &[(problem::RESERVED_BAD_MODE, Some(31))],
        y: Ok(1),
        blockmap: false,
    },
    FuzzCase {
        // s_reserved_gdt_blocks 0 while the resize inode still lists the old reserved blocks,
        // and /big's indirect block naming the superblock: the clone took one of the blocks no
        // longer reserved, which the resize inode still listed (garbage after -y). A resize
        // inode listing anything with no reserved blocks is now recreated.
        what: "s_reserved_gdt_blocks 0, /big's indirect entry 36 -> block 1 (ext2, 1 KiB)",
        changes: &[(At::Offset(1024 + 0xce), 0), (At::Indirect(12, 0, 0x90), 0x01)],
        n_findings: &[(problem::RESIZE_INODE_INVALID, Some(7))],
        y: Ok(1),
        blockmap: true,
    },
    FuzzCase {
        // /frag's leaf: extents out of range, out of order, and two sharing blocks: the clone
        // copied one extent (its new entry in the inode's root, not yet written) and then
        // failed; the file, deleted, was read back without the copy, whose block stayed in use
        // with no owner. The root is now written whether or not every copy was made.
        what: "/frag's leaf extents 2-4 garbled",
        changes: &[
            (At::ExtentBlock(27, 0, 0x23), 0xce),
            (At::ExtentBlock(27, 0, 0x24), 0x32),
            (At::ExtentBlock(27, 0, 0x25), 0xeb),
            (At::ExtentBlock(27, 0, 0x26), 0xff),
            (At::ExtentBlock(27, 0, 0x27), 0x0f),
            (At::ExtentBlock(27, 0, 0x29), 0x8a),
            (At::ExtentBlock(27, 0, 0x32), 0x14),
            (At::ExtentBlock(27, 0, 0x33), 0x62),
        ],
        n_findings: &[(problem::EXTENT_OUT_OF_RANGE, Some(27)), (problem::EXTENT_ENTRY_BAD, Some(27))],
        y: Ok(1),
        blockmap: false,
    },
];

/// The fuzz input of `changes`: flags (bit 1: recompute checksums, bit 2: `-y` then `-n`), then
/// a (24-bit region position, value) record per byte.
fn fuzz_input(changes: &[(At, u8)], blockmap: bool) -> (Vec<u8>, Vec<u64>) {
    use crate::fuzz_fsck_image as fz;
    let p = if blockmap { fz::pristine_blockmap() } else { fz::pristine() };
    let fs = e4dax::fs::Fs::open(fz::Overlay::new(p.bytes)).expect("open the pristine image");
    let bs = u64::from(fs.block_size());
    let mut input = vec![2 | 4 | if blockmap { 0x10 } else { 0 }];
    let mut offsets = Vec::new();
    for &(at, value) in changes {
        let offset = match at {
            At::Inode(ino, off) => fs.inode_offset(ino).expect("inode offset") + off,
            At::DirBlock(ino, lblk, off) => {
                let node = fs.inode(ino).expect("inode");
                let e = fs.file_extents(ino, &node).expect("extents");
                let e = e.iter().find(|e| u64::from(e.logical) <= lblk && lblk < e.logical_end()).expect("mapped");
                (e.physical + lblk - u64::from(e.logical)) * bs + off
            }
            At::Indirect(ino, k, off) => {
                let node = fs.inode(ino).expect("inode");
                let runs = fs.inode_runs(ino, &node).expect("block map");
                let blocks: Vec<u64> = runs
                    .iter()
                    .filter(|r| matches!(r.kind, e4dax::fs::lookup::RunKind::Indirect { .. }))
                    .flat_map(|r| r.start..r.start + r.len)
                    .collect();
                blocks[k] * bs + off
            }
            At::Offset(off) => off,
            At::ExtentBlock(ino, k, off) => {
                let node = fs.inode(ino).expect("inode");
                let blocks: Vec<u64> =
                    fs.extent_nodes(ino, &node).expect("extent nodes").iter().filter_map(|n| n.block).collect();
                blocks[k] * bs + off
            }
        };
        let pos =
            fz::region_position_in(p, offset).unwrap_or_else(|| panic!("{at:?} (byte {offset}) is not in the region"));
        input.extend_from_slice(&(pos as u32).to_le_bytes()[..3]);
        input.push(value);
        offsets.push(offset);
    }
    (input, offsets)
}

#[test]
fn fsck_fuzz_regressions() {
    use crate::fuzz_fsck_image as fz;
    let mut failures = Vec::new();
    for (i, case) in FUZZ_REGRESSIONS.iter().enumerate() {
        let (input, offsets) = fuzz_input(case.changes, case.blockmap);
        let hex: String = input.iter().map(|b| format!("{b:02x}")).collect();
        let what = format!("fuzz regression {i} ({}; input {hex})", case.what);
        // The damage is there: the image the target checks holds each byte, which the pristine
        // image did not.
        let dev = fz::image_of(&input);
        for (&(at, value), &offset) in case.changes.iter().zip(&offsets) {
            let now = dev.view(offset, 1).expect("in range")[0];
            let before = fz::pristine_for(&input).bytes[offset as usize];
            assert!(now == value && before != value, "{what}: {at:?} (byte {offset}) is {now:#x}, was {before:#x}");
        }
        let run = {
            let input = input.clone();
            guarded(move || fz::run(&input))
        };
        let v = match run {
            Ok(v) => v,
            Err(why) => {
                failures.push(format!("{what}: {why}"));
                continue;
            }
        };
        let code = |r: &Result<e4dax::check::Report, String>| r.as_ref().map(|r| r.exit_code).map_err(Clone::clone);
        let found: Vec<(u32, Option<u32>)> = v.n.as_ref().map_or(Vec::new(), |r| {
            r.findings.iter().map(|f| (u32::from_str_radix(&f.code[2..], 16).expect("a hex code"), f.inode)).collect()
        });
        eprintln!("{what}: fsck -n {:?}; -y {:?}; found {found:x?}", code(&v.n), v.y.as_ref().map(code));
        let missing: Vec<&(u32, Option<u32>)> = case.n_findings.iter().filter(|f| !found.contains(f)).collect();
        if code(&v.n) != Ok(4) || !missing.is_empty() {
            failures.push(format!("{what}: fsck -n exits {:?}, missing findings {missing:x?}", code(&v.n)));
        }
        let y = v.y.as_ref().map(code);
        let y_ok = match (case.y, &y) {
            (Ok(want), Some(Ok(got))) => want == *got,
            (Err(want), Some(Err(got))) => got.contains(want),
            _ => false,
        };
        if !y_ok {
            failures.push(format!("{what}: fsck -y ended {y:?}, not {:?}", case.y));
        }
    }
    assert!(failures.is_empty(), "fuzz regressions:\n  {}", failures.join("\n  "));
}

/// A fuzz find whose `fsck -n` is clean, so not a [`FUZZ_REGRESSIONS`] case (those must be
/// found): compat bits set in the superblock, `resize_inode` among them, on a file system with
/// no reserved descriptor blocks and a zeroed inode 7. Pass 1 checked that inode as a file ("bad
/// mode", cleared), so -y exited 1 and -n found it again; as e2fsck's pass 1, a resize inode of
/// mode 0 is now left alone (input ef5b00002b114c1700000000; e2fsck itself refuses the unknown
/// compat bits).
#[test]
fn fsck_fuzz_resize_feature_without_reserved_blocks() {
    use crate::fuzz_fsck_image as fz;
    let sb = |off: u64| At::Offset(1024 + off);
    let changes = [(sb(0x5b), 0x2b), (sb(0x5c), 0x15), (sb(0x5d), 0x4c), (sb(0x5e), 0x17)];
    let (input, _) = fuzz_input(&changes, false);
    let v = guarded(move || fz::run(&input)).expect("the fuzz target's rules hold");
    let code = |r: &Result<e4dax::check::Report, String>| r.as_ref().map(|r| r.exit_code).map_err(Clone::clone);
    assert_eq!(code(&v.n), Ok(0), "{v:#?}");
    assert_eq!(v.y.as_ref().map(code), Some(Ok(0)), "{v:#?}");
}

/// Replay raw fuzz inputs (hex, comma-separated, in `E4DAX_FUZZ_HEX`) through the target's
/// harness and print what each run saw: a helper for reproducing a finding before it becomes a
/// [`FUZZ_REGRESSIONS`] case (`E4DAX_FUZZ_EXPLAIN=1` also prints each byte the input changes;
/// `E4DAX_FUZZ_DUMP=<dir>` writes each damaged image there, for e2fsck).
#[test]
#[ignore = "a helper: set E4DAX_FUZZ_HEX"]
fn fsck_fuzz_replay_hex() {
    use crate::fuzz_fsck_image as fz;
    let Some(hex) = std::env::var_os("E4DAX_FUZZ_HEX") else { return };
    for h in hex.to_string_lossy().split(',').map(str::trim).filter(|h| !h.is_empty()) {
        let input: Vec<u8> =
            (0..h.len() / 2).map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).expect("hex input")).collect();
        eprintln!("== input {h}");
        if let Some(dir) = std::env::var_os("E4DAX_FUZZ_DUMP") {
            let path = std::path::Path::new(&dir).join(format!("{h}.img"));
            std::fs::write(&path, fz::image_of(&input).materialize()).expect("write the image");
            eprintln!("image: {}", path.display());
        }
        let v = guarded(move || fz::run(&input));
        eprintln!("{v:#?}");
    }
}
