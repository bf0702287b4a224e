//! The jbd2 journal against e2fsprogs: transactions written by debugfs (`jo -c`/`jw`/`jc`) and
//! by e4dax (`--no-checkpoint`) are replayed by `e4dax journal-replay` exactly as `e2fsck -fy`
//! replays them, also when torn (no commit block, bad commit, logged block or descriptor
//! checksum, corrupt journal superblock); operations killed at random moments recover to a
//! clean file system; and a log that wraps around several times stays replayable.

use std::io::Write;
use std::path::{Path, PathBuf};

use e4dax::fs::Fs;
use e4dax::journal::logdump;
use e4dax::pmem::MappedImage;

use crate::common::{
    assert_e2fsck_clean, copy_image, debugfs, e2fsprogs, e4dax, read_bytes, stock_image, tempdir, tool, MIB, UUID_A,
};
use crate::files_model::assert_same_but_times;

/// Run `e2fsck -fy` (replaying only: no extent-tree optimisation) and return its exit code.
fn e2fsck_fy(img: &Path) -> i32 {
    let out = std::process::Command::new(tool("e2fsck"))
        .args(["-fy", "-E", "no_optimize_extents"])
        .arg(img)
        .output()
        .unwrap();
    out.status.code().unwrap_or(-1)
}

fn copy(img: &Path, name: &str) -> PathBuf {
    let p = img.with_file_name(name);
    copy_image(img, &p);
    p
}

/// Device byte offset of the journal superblock, from the journal inode alone (the journal
/// superblock itself may be corrupt).
fn journal_superblock_offset(img: &Path) -> u64 {
    let fs = Fs::open(MappedImage::open(img, false).unwrap()).unwrap();
    let node = fs.inode(8).unwrap();
    fs.file_extents(8, &node).unwrap()[0].physical * 4096
}

/// Device byte offset of log block `n`.
fn log_offset(img: &Path, n: u32) -> u64 {
    let fs = Fs::open(MappedImage::open(img, false).unwrap()).unwrap();
    let (geo, _) = fs.journal_geometry().unwrap().unwrap();
    geo.map(n).unwrap() * 4096
}

fn flip(img: &Path, off: u64) {
    let mut b = read_bytes(img);
    b[off as usize] ^= 0xFF;
    std::fs::write(img, b).unwrap();
}

/// A stock image with three committed transactions written by debugfs:
/// T1 = {10000, 10001}, T2 = {10002}, T3 = {10003}; their log blocks as logdump finds them.
fn debugfs_transactions(dir: &Path) -> (PathBuf, Vec<logdump::LogBlock>) {
    let img = stock_image(dir, "jw.img", 64 * MIB, UUID_A, &["-O", "metadata_csum,64bit"]);
    let data = |name: &str, blocks: u8, seed: u8| {
        let p = dir.join(name);
        let v: Vec<u8> = (0..blocks as usize * 4096).map(|i| (i as u8).wrapping_mul(seed) ^ seed).collect();
        std::fs::write(&p, v).unwrap();
        p
    };
    let d1 = data("d1.bin", 2, 7);
    let d2 = data("d2.bin", 1, 11);
    let d3 = data("d3.bin", 1, 13);
    let script = format!(
        "jo -c\njw -b 10000,10001 {}\njc\njo\njw -b 10002 {}\njc\njo\njw -b 10003 {}\njc\n",
        d1.display(),
        d2.display(),
        d3.display()
    );
    let mut child = std::process::Command::new(tool("debugfs"))
        .args(["-w", "-f", "-"])
        .arg(&img)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    let fs = Fs::open(MappedImage::open(&img, false).unwrap()).unwrap();
    let (geo, jsb) = fs.journal_geometry().unwrap().unwrap();
    let dump = logdump::dump(&fs.dev, &geo, &jsb).unwrap();
    assert_eq!(dump.blocks.iter().filter(|b| b.kind == "commit").count(), 3, "{dump:?}");
    (img, dump.blocks)
}

/// What a replay must do to the blocks outside the journal and the superblock ("home").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Home {
    /// Write home what the log holds: some home block changes.
    Changes,
    /// Nothing to replay (a torn first transaction, a reset journal superblock): no home block
    /// changes.
    Unchanged,
}

/// The blocks of `before` and `after` that differ, outside block 0 (the superblock) and the
/// journal's own blocks.
fn home_changes(img: &Path, before: &[u8], after: &[u8]) -> Vec<u64> {
    let fs = Fs::open(MappedImage::open(img, false).unwrap()).unwrap();
    let node = fs.inode(8).unwrap();
    let journal: Vec<(u64, u64)> =
        fs.file_extents(8, &node).unwrap().iter().map(|e| (e.physical, e.physical + u64::from(e.len))).collect();
    before
        .chunks(4096)
        .zip(after.chunks(4096))
        .enumerate()
        .map(|(b, (x, y))| (b as u64, x != y))
        .filter(|&(b, differ)| differ && b != 0 && !journal.iter().any(|&(s, e)| (s..e).contains(&b)))
        .map(|(b, _)| b)
        .collect()
}

/// Replay with e2fsck on one copy and e4dax on another; the images must match except for the
/// superblock's time fields and (when `jsb_may_differ`) the journal superblock. Both replays
/// must also do what `home` says to the image they start from: were everything home already
/// (say `--no-checkpoint` wrote home as well), two replays that do nothing would match.
fn compare_replays(img: &Path, what: &str, jsb_may_differ: bool, home: Home) -> (Vec<u8>, Vec<u8>) {
    let jsb = journal_superblock_offset(img) as usize;
    let before = read_bytes(img);
    let theirs = copy(img, &format!("{what}.e2fsck.img"));
    let ours = copy(img, &format!("{what}.e4dax.img"));
    let rc = e2fsck_fy(&theirs);
    assert!(rc == 0 || rc == 1, "{what}: e2fsck -fy exit {rc}");
    let dry = e4dax().args(["journal-replay", "--dry-run", "--json"]).arg(&ours).output().unwrap();
    let incomplete = serde_json::from_slice::<serde_json::Value>(&dry.stdout)
        .ok()
        .and_then(|v| v["incomplete"].as_bool())
        .unwrap_or(false);
    let out = e4dax().arg("journal-replay").arg(&ours).output().unwrap();
    // An incomplete replay (blocks skipped, a corrupt transaction, an unreadable log) exits 1
    // and leaves the file system marked as having errors, as e2fsck's replay does; e2fsck -fy
    // then checks everything and marks it clean, so the state word is compared apart.
    assert_eq!(
        out.status.code(),
        Some(if incomplete { 1 } else { 0 }),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (mut a, mut b) = (read_bytes(&ours), read_bytes(&theirs));
    let state = 1024 + 0x3A;
    assert_eq!(a[state] & 2 != 0, incomplete, "{what}: error state after an incomplete replay");
    a[state..state + 2].copy_from_slice(&b[state..state + 2]);
    for (who, after) in [("e4dax journal-replay", &a), ("e2fsck -fy", &b)] {
        let changed = home_changes(img, &before, after);
        match home {
            Home::Changes => assert!(!changed.is_empty(), "{what}: {who} changed no block outside the journal"),
            Home::Unchanged => {
                assert!(changed.is_empty(), "{what}: {who} changed blocks {changed:?}, nothing to replay")
            }
        }
    }
    // The journal superblock's s_sequence (and checksum) may differ: e2fsck's choice after an
    // error is its own (a random sequence after a reset).
    let spans: &[(usize, usize)] = if jsb_may_differ { &[(0, 1024)] } else { &[(0x18, 4), (0xFC, 4)] };
    for &(o, n) in spans {
        a[jsb + o..jsb + o + n].fill(0);
        b[jsb + o..jsb + o + n].fill(0);
    }
    assert_same_but_times(&a, &b);
    assert_e2fsck_clean(&ours);
    (a, b)
}

fn home_block(img_bytes: &[u8], blk: usize) -> &[u8] {
    &img_bytes[blk * 4096..(blk + 1) * 4096]
}

#[test]
fn debugfs_transactions_replay_as_e2fsck_does() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let (img, _) = debugfs_transactions(dir.path());
    // The transactions are in the log only: their home blocks are still zeros.
    let before = read_bytes(&img);
    for blk in 10000..=10003 {
        assert!(home_block(&before, blk).iter().all(|&b| b == 0), "block {blk} is home before the replay");
    }
    let (ours, _) = compare_replays(&img, "clean", false, Home::Changes);
    let d1 = std::fs::read(dir.path().join("d1.bin")).unwrap();
    assert_eq!(home_block(&ours, 10000), &d1[..4096]);
    assert_eq!(home_block(&ours, 10001), &d1[4096..]);
}

#[test]
fn torn_transactions_replay_as_e2fsck_does() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let (img, blocks) = debugfs_transactions(dir.path());
    let of = |kind: &str, nth: usize| blocks.iter().filter(|b| b.kind == kind).nth(nth).unwrap().log_block;
    let data_of =
        |nth_txn: usize| blocks.iter().filter(|b| b.kind == "descriptor").nth(nth_txn).unwrap().tags[0].log_block;
    let zeros = vec![0u8; 4096];
    let d1 = std::fs::read(dir.path().join("d1.bin")).unwrap();
    let d3 = std::fs::read(dir.path().join("d3.bin")).unwrap();
    type Check = Box<dyn Fn(&[u8])>;
    let cases: Vec<(&str, u64, bool, Home, Check)> = vec![
        // T2 without a commit block: T1 only.
        (
            "no-commit",
            log_offset(&img, of("commit", 1)),
            false,
            Home::Changes,
            Box::new({
                let (z, d1) = (zeros.clone(), d1.clone());
                move |b: &[u8]| {
                    assert_eq!(home_block(b, 10000), &d1[..4096], "T1 is replayed");
                    assert_eq!(home_block(b, 10002), &z[..]);
                }
            }),
        ),
        // T2's commit checksum broken: T1 only ("transaction 2 was corrupt").
        (
            "bad-commit",
            log_offset(&img, of("commit", 1)) + 16,
            false,
            Home::Changes,
            Box::new({
                let (z, d1) = (zeros.clone(), d1.clone());
                move |b: &[u8]| {
                    assert_eq!(home_block(b, 10000), &d1[..4096], "T1 is replayed");
                    assert_eq!(home_block(b, 10002), &z[..]);
                }
            }),
        ),
        // A logged block of T2 fails its tag checksum: skipped, T3 still replayed.
        (
            "bad-logged-block",
            log_offset(&img, data_of(1)) + 100,
            false,
            Home::Changes,
            Box::new({
                let (z, d3) = (zeros.clone(), d3.clone());
                move |b: &[u8]| {
                    assert_eq!(home_block(b, 10002), &z[..]);
                    assert_eq!(home_block(b, 10003), &d3[..]);
                }
            }),
        ),
        // T1's descriptor checksum broken: the whole recovery fails, nothing replayed.
        (
            "bad-descriptor",
            log_offset(&img, of("descriptor", 0)) + 200,
            false,
            Home::Unchanged,
            Box::new({
                let z = zeros.clone();
                move |b: &[u8]| assert_eq!(home_block(b, 10000), &z[..])
            }),
        ),
        // A corrupt journal superblock: reset, nothing replayed.
        (
            "bad-journal-superblock",
            log_offset(&img, 0) + 0x40,
            true,
            Home::Unchanged,
            Box::new({
                let z = zeros.clone();
                move |b: &[u8]| assert_eq!(home_block(b, 10000), &z[..])
            }),
        ),
    ];
    for (name, off, jsb_differs, home, check) in cases {
        let torn = copy(&img, &format!("{name}.img"));
        if name == "no-commit" {
            let mut b = read_bytes(&torn);
            b[off as usize..off as usize + 4096].fill(0);
            std::fs::write(&torn, b).unwrap();
        } else {
            flip(&torn, off);
        }
        // Skipped blocks, a corrupt transaction, an unreadable log: an incomplete replay (exit 1,
        // error state), as e2fsck's; a missing commit block is the normal end of the log.
        let out = e4dax().args(["journal-replay", "--dry-run", "--json"]).arg(&torn).output().unwrap();
        let incomplete = serde_json::from_slice::<serde_json::Value>(&out.stdout).ok().map(|v| v["incomplete"] == true);
        let want = match name {
            "bad-commit" | "bad-logged-block" | "bad-descriptor" => Some(true),
            "no-commit" => Some(false),
            _ => None, // a corrupt journal superblock: reset, not replayed
        };
        assert_eq!(incomplete, want, "{name}");
        let (ours, theirs) = compare_replays(&torn, name, jsb_differs, home);
        check(&ours);
        check(&theirs);
    }
}

#[test]
fn our_transactions_are_read_and_replayed_by_e2fsprogs() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = dir.path().join("ours.img");
    e4dax()
        .args(["mkfs"])
        .arg(&img)
        .args(["--size", "64M", "--uuid", UUID_A, "--time", "1700000000"])
        .assert()
        .success();
    e4dax().arg("create").arg(&img).args(["/d/f", "-p"]).assert().success();
    // Each step leaves its transaction in the log; the next command replays it first.
    let steps: &[&[&str]] = &[
        &["create", "/d/g"],
        &["fallocate", "/d/f", "--offset", "0", "--len", "2M"],
        &["punch", "/d/f", "--offset", "4K", "--len", "1M"],
        &["rm", "/d/f"],
    ];
    for step in steps {
        let mut cmd = e4dax();
        cmd.arg("--no-checkpoint").arg(step[0]).arg(&img).args(&step[1..]);
        cmd.assert().success();
        let dump = debugfs(&img, "logdump -a");
        assert!(dump.contains("(commit block)"), "logdump lists no commit block after {step:?}:\n{dump}");
        let name = step.join("-").replace('/', "_");
        compare_replays(&img, &name, false, Home::Changes);
    }
}

/// The seed of the crash points of [`killed_operations_recover_clean`] (E4DAX_CRASH_SEED
/// overrides it; failures name it).
const CRASH_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// How many crash points of the operation are checked, each as a killed process and as a
/// power failure would leave the image.
const CRASH_POINTS: usize = 20;

/// `rm` of a file of 12,000 extents, stopped at [`CRASH_POINTS`] points of
/// its trace: one chosen at random (seeded) in each of as many equal slices of the trace, so
/// the points cover the whole operation whatever the machine's speed. At each point the image
/// is rebuilt twice — with every store issued so far (what a killed process leaves in the page
/// cache of a mapped file) and with only the durable ones (a power failure: flushed and
/// fenced, DESIGN §3) — then `e4dax journal-replay` must leave it `e2fsck -fn` clean.
#[test]
fn killed_operations_recover_clean() {
    use e4dax::pmem::durable::{self, Keep};
    use e4dax::pmem::{CowDevice, Device, EventKind, RecordingDevice};
    if !e2fsprogs() {
        return;
    }
    let seed = std::env::var("E4DAX_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(CRASH_SEED);
    let dir = tempdir();
    let base = dir.path().join("base.img");
    e4dax()
        .args(["mkfs"])
        .arg(&base)
        .args(["--size", "256M", "--uuid", UUID_A, "--time", "1700000000"])
        .assert()
        .success();
    {
        let mut fs = Fs::open(MappedImage::open(&base, true).unwrap()).unwrap();
        let ino = fs.create("/f", false, false).unwrap();
        fs.fallocate(ino, 0, 24_000 * 4096, false).unwrap();
        for b in (1..24_000u64).step_by(2) {
            fs.punch(ino, b * 4096, 4096).unwrap();
        }
        fs.commit().unwrap();
    }
    assert_e2fsck_clean(&base);
    // `e4dax rm IMAGE /f`, in-process and recorded: mount (replay), remove, unmount.
    let trace = {
        let dev = RecordingDevice::over(CowDevice::new(MappedImage::open(&base, false).unwrap()));
        let mut fs = Fs::mount(dev, true).unwrap().0;
        fs.remove("/f").unwrap();
        fs.unmount().unwrap();
        fs.dev.into_inner().1
    };
    // The trace holds only what writes: the commit (log blocks, commit block, needs_recovery)
    // and the checkpoint (home blocks, the log marked empty); points fall in both.
    let at = |name: &str| trace.events().iter().position(|e| e.kind == EventKind::Marker && e.tag == name);
    let (commit, checkpoint) = (at("commit"), at("checkpoint"));
    assert!(commit.is_some() && checkpoint.is_some(), "rm: no commit or no checkpoint in the trace");
    let mut x = seed | 1;
    let slice = trace.len() as f64 / CRASH_POINTS as f64;
    let points: Vec<usize> = (0..CRASH_POINTS)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            1 + (slice * (i as f64 + (x % 1000) as f64 / 1000.0)) as usize
        })
        .collect();
    assert!(
        points.iter().any(|&p| p <= commit.unwrap()) && points.iter().any(|&p| p > commit.unwrap()),
        "crash points {points:?} do not straddle the commit at {commit:?}"
    );
    for (i, &at) in points.iter().enumerate() {
        for keep in [Keep::All, Keep::Durable] {
            let what = format!(
                "crash point {i} of {CRASH_POINTS}: event {at} of {} ({keep:?}; E4DAX_CRASH_SEED={seed})",
                trace.len()
            );
            let img = copy(&base, &format!("crash{i}-{keep:?}.img"));
            {
                let mut dev = MappedImage::open(&img, true).unwrap();
                durable::write_state(&trace, at, keep, &mut dev).unwrap();
                dev.sync().unwrap();
            }
            let out = e4dax().arg("journal-replay").arg(&img).output().unwrap();
            assert!(out.status.success(), "{what}: journal-replay failed: {}", String::from_utf8_lossy(&out.stderr));
            let e2fsck = std::process::Command::new(tool("e2fsck")).arg("-fn").arg(&img).output().unwrap();
            assert!(
                e2fsck.status.success(),
                "{what}: not e2fsck -fn clean after journal-replay:\n{}",
                String::from_utf8_lossy(&e2fsck.stdout)
            );
            std::fs::remove_file(&img).unwrap();
        }
    }
}

#[test]
fn a_log_that_wraps_around_stays_replayable() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = dir.path().join("wrap.img");
    e4dax()
        .args(["mkfs"])
        .arg(&img)
        .args(["--size", "64M", "--journal-size", "4M", "--uuid", UUID_A, "--time", "1700000000"])
        .assert()
        .success();
    let mut fs = Fs::mount(MappedImage::open(&img, true).unwrap(), true).unwrap().0;
    fs.no_checkpoint = true;
    let ino = fs.create("/f", false, false).unwrap();
    let capacity = fs.journal.as_ref().unwrap().geo.capacity() as u64;
    let mut snapshots = 0;
    for i in 0..600u64 {
        fs.fallocate(ino, (i % 500) * 8192, 8192, false).unwrap();
        fs.punch(ino, ((i + 250) % 500) * 8192, 4096).unwrap();
        fs.commit().unwrap();
        // Now and then, the image as a crash right after this commit would leave it.
        if i % 97 == 0 {
            let snap = copy(&img, &format!("snap{i}.img"));
            compare_replays(&snap, &format!("snap{i}"), false, Home::Changes);
            std::fs::remove_file(&snap).unwrap();
            snapshots += 1;
        }
    }
    let stats = fs.journal.as_ref().unwrap().stats.clone();
    fs.unmount().unwrap();
    drop(fs);
    assert!(
        stats.log_blocks_written > 3 * capacity,
        "the log wrapped only {} times",
        stats.log_blocks_written / capacity
    );
    assert!(stats.checkpoints >= 3, "{stats:?}");
    assert_eq!(snapshots, 7, "one snapshot every 97 commits of 600");
    compare_replays(&img, "final", false, Home::Changes);
}
