//! The byte sweep of `fsck` (issue 5): every byte of every metadata structure in use on a small
//! image — the superblock, group 0's descriptor, the used part of both bitmaps, the inodes in
//! use, the extent-tree blocks, the directory blocks and the journal superblock — is changed in
//! turn (xor 0xFF), each in a fresh copy of the image, and:
//!
//! * `fsck -n`, run in-process the way the CLI opens images (backup superblock, corrupt journal
//!   superblock), never panics or hangs and ends with 0, 4 or 8 (8: the image is refused). It
//!   never writes: for a sample of the bytes the copy is compared with what it was.
//! * `fsck -y`, run in-process the same way (mount, replay, repairs through the journal, then
//!   checkpoint), never panics or hangs either.
//! * after it, `e2fsck -fn` (e2fsprogs 1.47, the oracle) calls the copy clean — exit 0 and no
//!   problem line — for at least [`MIN_CLEAN_PERCENT`] of the bytes. The figure, and the bytes
//!   that stayed unclean grouped by structure, go to stderr (`-- --nocapture` shows them).
//!
//! Two images of ours: 16 MiB (one group) and 136 MiB (two groups, so the superblock has a backup
//! in group 1: on one group, neither e2fsck nor we can repair a superblock that fails its
//! checksum, and e2fsck -fn exits 8 on it). CI sweeps a deterministic subset of each: every k-th
//! byte of the list, k odd so that the offsets chosen move around inside structures whose sizes
//! are powers of two. `E4DAX_SWEEP_FULL=1` sweeps every byte, and a stock image (`mkfs.ext4` +
//! debugfs) too: the longer version that runs by hand (about ten minutes on two cores).
//!
//! A hung check cannot be stopped from inside the process: its thread is left running, the case
//! is a failure, and the test ends with the list of failures.
//!
//! [`fsck_fuzz_regressions`] replays the crashes the cargo-fuzz target (`fuzz/`) found, as byte
//! changes on the same image.

use std::collections::BTreeMap;
use std::os::unix::fs::FileExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use e4dax::check::{problem, Checker, Mode, Options};
use e4dax::fs::Fs;
use e4dax::ondisk::inode::FL_EXTENTS;
use e4dax::ondisk::superblock::{self, Superblock};
use e4dax::pmem::{Device, MappedImage};

use crate::common::*;

/// At least this share of the swept bytes must leave an image `e2fsck -fn` calls clean after
/// `fsck -y`.
const MIN_CLEAN_PERCENT: f64 = 95.0;

/// No in-process check of these small images may take longer: past it, the check hangs.
const LIMIT: Duration = Duration::from_secs(20);

/// `e2fsck -fn` on these images takes milliseconds; past this it is killed (and the byte counts
/// as unclean).
const E2FSCK_LIMIT: Duration = Duration::from_secs(10);

/// How many bytes CI sweeps per image (the stride is chosen to give about this many).
const CI_BYTES: usize = 2500;

/// How many bytes CI sweeps on the image of two groups (whose superblock has a backup).
const CI_BYTES_TWO_GROUPS: usize = 1000;

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

type Notes = Vec<(u32, String, bool)>;

/// What `e4dax fsck` does before the checker runs (`open_fs` in src/bin/e4dax/fsck.rs): a
/// primary superblock that fails its checksum is replaced by the backup of group 1; a corrupt
/// journal superblock is noted (and reset by `-y`); `-y` mounts, replaying the journal.
fn open_like_cli(dev: MappedImage, writable: bool, notes: &mut Notes) -> Result<Fs<MappedImage>, String> {
    let primary = dev.view(superblock::OFFSET, superblock::SIZE).map_err(|e| e.to_string())?.into_owned();
    let fs = match Superblock::parse(&primary) {
        Ok(_) => Fs::open(dev).map_err(|e| e.to_string())?,
        Err(e4dax::Error::Checksum { .. }) => {
            let p = Superblock::parse_unchecked(&primary).map_err(|e| e.to_string())?;
            let bs = u64::from(p.block_size());
            let at = (u64::from(p.f.s_first_data_block) + u64::from(p.f.s_blocks_per_group))
                .checked_mul(bs)
                .ok_or("backup superblock offset overflows")?;
            let raw = dev.view(at, superblock::SIZE).map_err(|e| e.to_string())?;
            let backup = Superblock::parse(&raw).map_err(|e| format!("the backup superblock is damaged too: {e}"))?;
            notes.push((problem::SB_CHECKSUM, String::new(), writable));
            if writable {
                let mut b = backup.clone();
                b.f.s_block_group_nr = 0;
                let mut dev = dev;
                dev.store(superblock::OFFSET, &b.encode()).map_err(|e| e.to_string())?;
                dev.flush(superblock::OFFSET, superblock::SIZE as u64).map_err(|e| e.to_string())?;
                dev.fence().map_err(|e| e.to_string())?;
                Fs::open(dev).map_err(|e| e.to_string())?
            } else {
                Fs::open_with_superblock(dev, backup).map_err(|e| e.to_string())?
            }
        }
        Err(e) => return Err(e.to_string()),
    };
    if !fs.sb.has_journal() {
        return Ok(fs);
    }
    let mut fs = fs;
    match fs.journal_geometry() {
        Ok(_) => {}
        Err(e @ (e4dax::Error::Checksum { .. } | e4dax::Error::Corrupt { .. })) => {
            notes.push((problem::JOURNAL_SUPERBLOCK_CORRUPT, e.to_string(), writable));
            if !writable {
                return Ok(fs);
            }
            fs.reset_journal_superblock().map_err(|e| e.to_string())?;
        }
        Err(e) => return Err(e.to_string()),
    }
    if !writable {
        if fs.sb.needs_recovery() {
            notes.push((problem::JOURNAL_SKIPPED, String::new(), false));
        }
        return Ok(fs);
    }
    let needs = fs.sb.needs_recovery();
    let (fs, _) = Fs::mount(fs.dev, true).map_err(|e| e.to_string())?;
    if needs {
        notes.push((problem::JOURNAL_NEEDS_RECOVERY, String::new(), true));
    }
    Ok(fs)
}

/// What one in-process `fsck` ended with: its exit code and, for 8, why.
#[derive(Clone, Debug)]
struct Exit {
    code: i32,
    error: Option<String>,
}

/// `e4dax fsck IMAGE -n` (`writable` false) or `-y` (true), in-process.
fn fsck_in_process(image: &Path, writable: bool) -> Exit {
    let refused = |e: String| Exit { code: 8, error: Some(e) };
    let dev = match MappedImage::open(image, writable) {
        Ok(d) => d,
        Err(e) => return refused(format!("MappedImage::open: {e}")),
    };
    let mut notes = Notes::new();
    let mut fs = match open_like_cli(dev, writable, &mut notes) {
        Ok(fs) => fs,
        Err(e) => return refused(e),
    };
    let mode = if writable { Mode::Yes } else { Mode::No };
    let mut checker = Checker::new(&mut fs, Options { mode, data: false });
    for (code, msg, fixed) in notes {
        checker.note(code, msg, fixed);
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
        Err(e) => refused(e.to_string()),
    }
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

/// What one changed byte led to.
#[derive(Debug)]
struct Outcome {
    target: Target,
    no: Exit,
    yes: Option<Exit>,
    /// Why this byte broke a rule (panic, hang, a wrong exit code, `-n` wrote).
    failure: Option<String>,
    /// `e2fsck -fn` after `-y`: None when clean.
    unclean: Option<String>,
    /// How long `fsck -n` and `fsck -y` took.
    took: [Duration; 2],
}

fn run_case(base: &Base, work: &Path, target: Target, compare: bool) -> Outcome {
    base.write_copy(work, target.offset);
    let mut out = Outcome {
        target,
        no: Exit { code: -1, error: None },
        yes: None,
        failure: None,
        unclean: None,
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
    if ![0, 4, 8].contains(&out.no.code) {
        out.failure = Some(format!("fsck -n exited {}, not 0, 4 or 8", out.no.code));
    }
    if compare {
        let now = read_bytes(work);
        let mut expect = base.bytes.clone();
        expect[target.offset as usize] ^= 0xFF;
        if let Some(i) = (0..now.len()).find(|&i| now[i] != expect[i]) {
            out.failure = Some(format!("fsck -n wrote to the image (first changed byte at {i})"));
        }
    }
    let path = work.to_path_buf();
    let t0 = Instant::now();
    let yes = guarded(move || fsck_in_process(&path, true));
    out.took[1] = t0.elapsed();
    match yes {
        Ok(exit) => out.yes = Some(exit),
        Err(why) => {
            out.failure = Some(format!("fsck -y {why}"));
            return out;
        }
    }
    out.unclean = e2fsck_verdict(work);
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

/// The summary of one image's sweep (to stderr); returns the rule breakers and the clean share.
fn summarize(
    name: &str,
    structs: &[Structure],
    total: usize,
    outcomes: &[Outcome],
    took: Duration,
) -> (Vec<String>, f64) {
    let mut per_kind: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut no_codes: BTreeMap<i32, usize> = BTreeMap::new();
    let mut yes_codes: BTreeMap<i32, usize> = BTreeMap::new();
    let mut unclean: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut clean = 0usize;
    for o in outcomes {
        let st = &structs[o.target.structure];
        let entry = per_kind.entry(st.kind).or_default();
        entry.0 += 1;
        *no_codes.entry(o.no.code).or_default() += 1;
        if let Some(y) = &o.yes {
            *yes_codes.entry(y.code).or_default() += 1;
        }
        let at = format!("{} +{:#x} (byte {})", st.label, o.target.offset - st.start, o.target.offset);
        if let Some(f) = &o.failure {
            failures.push(format!("{name}: {at}: {f}"));
        }
        match &o.unclean {
            None if o.failure.is_none() => {
                clean += 1;
                entry.1 += 1;
            }
            None => {}
            Some(why) => {
                let yes = o.yes.as_ref().map_or("-".into(), |y| {
                    format!("{}{}", y.code, y.error.as_ref().map_or(String::new(), |e| format!(" ({e})")))
                });
                unclean
                    .entry(st.kind)
                    .or_default()
                    .push(format!("{at}: fsck -n {}, -y {yes}; e2fsck -fn {why}", o.no.code));
            }
        }
    }
    let pct = if outcomes.is_empty() { 100.0 } else { 100.0 * clean as f64 / outcomes.len() as f64 };
    let mut s = format!(
        "fsck sweep of {name}: {} of {total} metadata bytes changed in {:.1?}; e2fsck -fn clean after fsck -y: \
         {clean}/{} = {pct:.2}%\n  fsck -n exits {no_codes:?}; fsck -y exits {yes_codes:?}\n",
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
        s += &format!("  {kind:<20} {c:>6}/{n:<6} clean\n");
    }
    for (kind, list) in &unclean {
        s += &format!("  unclean after -y, {kind} ({}):\n", list.len());
        for l in list {
            s += &format!("    {l}\n");
        }
    }
    eprintln!("{s}");
    (failures, pct)
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
    if full() {
        images.push(("stock 16M".to_string(), image_stock(dir.path()), 0));
    }
    let mut failures = Vec::new();
    let mut low = Vec::new();
    for (name, image, budget) in &images {
        let structs = structures(image);
        let (targets, total) = targets(&structs, if full() { None } else { Some(*budget) });
        let work = dir.path().join(format!("work-{}", name.replace(' ', "_")));
        std::fs::create_dir_all(&work).expect("mkdir");
        let t0 = Instant::now();
        let outcomes = sweep(image, &targets, &work);
        let (f, pct) = summarize(name, &structs, total, &outcomes, t0.elapsed());
        failures.extend(f);
        if pct < MIN_CLEAN_PERCENT {
            low.push(format!("{name}: {pct:.2}% clean after fsck -y, under {MIN_CLEAN_PERCENT}%"));
        }
    }
    assert!(
        failures.is_empty() && low.is_empty(),
        "fsck sweep: {} byte(s) broke a rule (panic, hang, wrong exit, -n wrote):\n  {}\n{}",
        failures.len(),
        failures.join("\n  "),
        low.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Inputs found by the cargo-fuzz target
// ---------------------------------------------------------------------------------------------

/// Where a byte of a fuzz input lands: inode `ino` at offset `off` of its slot, or block `lblk`
/// of directory `ino` at offset `off`.
#[derive(Clone, Copy, Debug)]
enum At {
    Inode(u32, u64),
    DirBlock(u32, u64, u64),
}

/// Crashes found by `fuzz/` (its image is laid out as the sweep's 16 MiB one: the same mkfs, /d
/// made first), as bytes set on a copy; the checksums of the inodes and directory blocks they
/// change are recomputed as the fuzz target does (its flag bit 1), so the checker gets past them.
const FUZZ_REGRESSIONS: &[(&str, &[(At, u8)])] = &[(
    // fsck -y: pass 3 reconnects /d to lost+found, whose INDEX_FL makes `dir_add` drop the
    // htree, and `dirent::write_at` panics on the damaged '.' ("assertion failed: name.len() <=
    // NAME_MAX && HEADER_SIZE + name.len() <= rec_len").
    "lost+found with INDEX_FL and '.' rec_len 28, /d '.' rec_len 10",
    &[(At::Inode(11, 0x21), 0x7a), (At::DirBlock(11, 0, 4), 0x1c), (At::DirBlock(12, 0, 4), 0x0a)],
)];

/// Set `changes` on `image` (in place), recomputing the checksums of what they touch.
fn apply_fuzz_changes(image: &Path, changes: &[(At, u8)]) {
    use e4dax::ondisk::{checksum::inode_seed, dirent, inode};
    let mut fs = Fs::open(MappedImage::open(image, true).expect("open")).expect("Fs::open");
    let bs = u64::from(fs.block_size());
    let isz = usize::from(fs.sb.inode_size());
    let seed = fs.sb.csum_seed();
    let dir_block = |fs: &Fs<MappedImage>, ino: u32, lblk: u64| -> u64 {
        let node = fs.inode(ino).expect("inode");
        let e = fs.file_extents(ino, &node).expect("extents");
        let e = e.iter().find(|e| u64::from(e.logical) <= lblk && lblk < e.logical_end()).expect("mapped");
        (e.physical + lblk - u64::from(e.logical)) * bs
    };
    // Locate every change before the first is made (a change may break the way there).
    let spots: Vec<(At, u64, u8)> = changes
        .iter()
        .map(|&(at, v)| match at {
            At::Inode(ino, off) => (at, fs.inode_offset(ino).expect("inode offset") + off, v),
            At::DirBlock(ino, lblk, off) => (at, dir_block(&fs, ino, lblk) + off, v),
        })
        .collect();
    for &(_, off, v) in &spots {
        fs.dev.store(off, &[v]).expect("store");
    }
    for &(at, off, _) in &spots {
        match at {
            At::Inode(ino, _) => {
                let start = fs.inode_offset(ino).expect("inode offset");
                let mut slot = fs.dev.view(start, isz).expect("view").into_owned();
                inode::set_checksum(&mut slot, seed, ino);
                fs.dev.store(start, &slot).expect("store");
            }
            At::DirBlock(ino, _, _) => {
                let start = off / bs * bs;
                let slot = fs.dev.view(fs.inode_offset(ino).expect("inode offset"), isz).expect("view").into_owned();
                let gen = u32::from_le_bytes(slot[0x64..0x68].try_into().expect("4 bytes"));
                let mut b = fs.dev.view(start, bs as usize).expect("view").into_owned();
                if dirent::has_tail(&b) {
                    dirent::set_tail_checksum(&mut b, inode_seed(seed, ino, gen));
                }
                fs.dev.store(start, &b).expect("store");
            }
        }
    }
    fs.dev.sync().expect("sync");
}

#[test]
fn fsck_fuzz_regressions() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let base = image_ours(dir.path(), "fuzz-base.img", "16M");
    let mut failures = Vec::new();
    for (i, (what, changes)) in FUZZ_REGRESSIONS.iter().enumerate() {
        let image = dir.path().join(format!("fuzz-{i}.img"));
        std::fs::copy(&base, &image).expect("copy");
        apply_fuzz_changes(&image, changes);
        for writable in [false, true] {
            let path = image.clone();
            let flag = if writable { "-y" } else { "-n" };
            match guarded(move || fsck_in_process(&path, writable)) {
                Ok(exit) if [0, 1, 4, 8].contains(&exit.code) && (writable || exit.code != 1) => {
                    eprintln!("fuzz regression {i} ({what}): fsck {flag} exits {}", exit.code);
                }
                Ok(exit) => failures.push(format!("{what}: fsck {flag} exited {}", exit.code)),
                Err(why) => failures.push(format!("{what}: fsck {flag} {why}")),
            }
        }
    }
    assert!(failures.is_empty(), "fuzz regressions:\n  {}", failures.join("\n  "));
}
