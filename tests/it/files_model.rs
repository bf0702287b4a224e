//! The extent tree against a model and against e2fsprogs: random sequences of fallocate, punch,
//! convert-range and rm over several files (one grown to a depth-2 tree first) are checked
//! after every operation against a map of logical block -> written / unwritten / hole; after
//! each sequence `e2fsck -fn` is clean and `debugfs ex` lists exactly the leaf extents that
//! `e4dax inspect extents` lists. Also the 1->3 split and ENOSPC leaving the image unchanged.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use e4dax::fs::layout::Params;
use e4dax::fs::mkfs::{mkfs, MkfsOptions};
use e4dax::fs::Fs;
use e4dax::pmem::MappedImage;
use proptest::prelude::*;

use crate::common::{assert_e2fsck_clean, debugfs, e2fsprogs, e4dax, read_bytes, tempdir};

const BS: u64 = 4096;
const FILES: usize = 3;
/// Blocks of the file combed into single-block extents first: 1,400 extents need depth 2
/// (the root holds 4 index entries of leaves holding 340 extents each).
const COMB_BLOCKS: u32 = 2800;

fn new_image(path: &Path, size: u64) {
    let mut dev = MappedImage::create(path, size, false).unwrap();
    let opts = MkfsOptions {
        params: Params { size_bytes: size, journal_bytes: None, inodes: None, journal: true },
        uuid: [0x42; 16],
        label: String::new(),
        time: 1_700_000_000,
        poison: false,
    };
    mkfs(&mut dev, &opts, &mut |_, _| {}).unwrap();
}

#[derive(Clone, Debug)]
enum Op {
    Fallocate { file: usize, off: u64, len: u64, keep_size: bool },
    Punch { file: usize, off: u64, len: u64 },
    Convert { file: usize, lblk: u32, len: u32 },
    Recreate { file: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let file = 0..FILES;
    // Offsets within ~3,500 blocks; some unaligned byte offsets.
    let off = prop_oneof![(0u64..3500).prop_map(|b| b * BS), 0u64..3500 * BS];
    let len = prop_oneof![(1u64..64).prop_map(|b| b * BS), 1u64..300 * BS];
    prop_oneof![
        4 => (file.clone(), off.clone(), len.clone(), any::<bool>())
            .prop_map(|(file, off, len, keep_size)| Op::Fallocate { file, off, len, keep_size }),
        4 => (file.clone(), off, len).prop_map(|(file, off, len)| Op::Punch { file, off, len }),
        3 => (file.clone(), 0u32..3500, 1u32..200).prop_map(|(file, lblk, len)| Op::Convert { file, lblk, len }),
        1 => file.prop_map(|file| Op::Recreate { file }),
    ]
}

/// The model of one file: logical block -> unwritten?, and i_size.
#[derive(Clone, Debug, Default)]
struct FileModel {
    blocks: BTreeMap<u32, bool>,
    size: u64,
}

impl FileModel {
    fn fallocate(&mut self, off: u64, len: u64, keep_size: bool) {
        for b in (off / BS) as u32..(off + len).div_ceil(BS) as u32 {
            self.blocks.entry(b).or_insert(true);
        }
        if !keep_size {
            self.size = self.size.max(off + len);
        }
    }
    fn punch(&mut self, off: u64, len: u64) {
        for b in off.div_ceil(BS) as u32..((off + len) / BS) as u32 {
            self.blocks.remove(&b);
        }
    }
    /// Convert, limited to blocks inside i_size (written blocks never lie past it).
    fn convert_range(&self, lblk: u32, len: u32) -> Option<(u32, u32)> {
        let limit = self.size.div_ceil(BS) as u32;
        let end = (lblk + len).min(limit);
        (lblk < end).then(|| (lblk, end - lblk))
    }
    fn convert(&mut self, lblk: u32, len: u32) {
        for b in lblk..lblk + len {
            if let Some(u) = self.blocks.get_mut(&b) {
                *u = false;
            }
        }
    }
}

fn check_file(fs: &Fs<MappedImage>, ino: u32, m: &FileModel, what: &str) {
    let node = fs.inode(ino).unwrap();
    assert_eq!(node.size(), m.size, "{what}: i_size");
    let mut got = BTreeMap::new();
    let extents = fs.file_extents(ino, &node).unwrap();
    for e in &extents {
        for b in e.logical..e.logical + e.len {
            got.insert(b, e.unwritten);
        }
    }
    assert_eq!(got, m.blocks, "{what}: block map differs from the model");
    let data_blocks: u64 = extents.iter().map(|e| u64::from(e.len)).sum();
    let nodes = fs.extent_nodes(ino, &node).unwrap();
    let tree_blocks = nodes.iter().filter(|n| n.block.is_some()).count() as u64;
    assert_eq!(node.blocks_512(false, 4096), (data_blocks + tree_blocks) * 8, "{what}: i_blocks");
}

/// Leaf extents as `debugfs ex` lists them: (logical, physical, length, unwritten).
fn debugfs_leaves(img: &Path, path: &str) -> Vec<(u64, u64, u64, bool)> {
    let out = debugfs(img, &format!("ex {path}"));
    let mut v = Vec::new();
    for line in out.lines().skip(1) {
        let mut l = line.to_string();
        while l.contains("/ ") {
            l = l.replace("/ ", "/");
        }
        let t: Vec<&str> = l.split_whitespace().collect();
        if t.len() < 9 {
            continue;
        }
        let (lv, depth) = t[0].split_once('/').unwrap();
        if lv != depth {
            continue;
        }
        let n = |i: usize| t[i].parse::<u64>().unwrap();
        v.push((n(2), n(5), n(8), t.get(9) == Some(&"Uninit")));
    }
    v
}

fn our_leaves(img: &Path, path: &str) -> Vec<(u64, u64, u64, bool)> {
    let out = e4dax().args(["inspect"]).arg(img).args(["extents", path, "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let depth = v["nodes"][0]["depth"].as_u64().unwrap();
    let mut leaves = Vec::new();
    for n in v["nodes"].as_array().unwrap() {
        if n["level"].as_u64().unwrap() != depth {
            continue;
        }
        for it in n["items"].as_array().unwrap() {
            let g = |k: &str| it[k].as_u64().unwrap();
            leaves.push((g("logical_start"), g("physical_start"), g("length"), it["unwritten"] == true));
        }
    }
    leaves
}

/// How a sequence runs: without the journal (metadata written home at the end), through the
/// journal with a checkpoint at unmount, or leaving its transactions in the log for replay.
#[derive(Clone, Copy, Debug)]
enum Mode {
    Writeback,
    Journal,
    JournalNoCheckpoint,
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::Writeback), Just(Mode::Journal), Just(Mode::JournalNoCheckpoint)]
}

fn run_sequence(ops: &[Op], mode: Mode) -> Result<(), TestCaseError> {
    let dir = tempdir();
    let img = dir.path().join("model.img");
    new_image(&img, 64 << 20);
    let dev = MappedImage::open(&img, true).unwrap();
    let mut fs = match mode {
        Mode::Writeback => Fs::open(dev).unwrap(),
        Mode::Journal | Mode::JournalNoCheckpoint => Fs::mount(dev, true).unwrap().0,
    };
    fs.no_checkpoint = matches!(mode, Mode::JournalNoCheckpoint);
    let mut inos = Vec::new();
    let mut models = vec![FileModel::default(); FILES];
    for f in 0..FILES {
        inos.push(fs.create(&format!("/f{f}"), false, false).unwrap());
    }
    // Comb file 0 into single-block extents: a depth-2 tree.
    fs.fallocate(inos[0], 0, u64::from(COMB_BLOCKS) * BS, false).unwrap();
    models[0].fallocate(0, u64::from(COMB_BLOCKS) * BS, false);
    for b in (1..COMB_BLOCKS).step_by(2) {
        fs.punch(inos[0], u64::from(b) * BS, BS).unwrap();
        models[0].punch(u64::from(b) * BS, BS);
    }
    let root = fs.inode(inos[0]).unwrap();
    let depth = fs.extent_nodes(inos[0], &root).unwrap()[0].depth;
    prop_assert_eq!(depth, 2, "the comb must reach depth 2");
    check_file(&fs, inos[0], &models[0], "after the comb");
    let mut refused = 0;
    for (i, op) in ops.iter().enumerate() {
        let what = format!("op {i} {op:?}");
        match *op {
            Op::Fallocate { file, off, len, keep_size } => match fs.fallocate(inos[file], off, len, keep_size) {
                Ok(_) => models[file].fallocate(off, len, keep_size),
                // Refused (and undone) where e2fsck 1.47 would misreport the tree: see
                // `Fs::index_past_eof`. The file must be as it was (checked below).
                Err(e4dax::Error::Unsupported(m)) if keep_size && m.contains("#145") => refused += 1,
                Err(e) => panic!("{what}: {e}"),
            },
            Op::Punch { file, off, len } => {
                fs.punch(inos[file], off, len).unwrap();
                models[file].punch(off, len);
            }
            Op::Convert { file, lblk, len } => {
                if let Some((l, n)) = models[file].convert_range(lblk, len) {
                    fs.convert_to_written(inos[file], l, n).unwrap();
                    models[file].convert(l, n);
                }
            }
            Op::Recreate { file } => {
                fs.remove(&format!("/f{file}")).unwrap();
                inos[file] = fs.create(&format!("/f{file}"), false, false).unwrap();
                models[file] = FileModel::default();
            }
        }
        let file = match *op {
            Op::Fallocate { file, .. } | Op::Punch { file, .. } | Op::Convert { file, .. } | Op::Recreate { file } => {
                file
            }
        };
        check_file(&fs, inos[file], &models[file], &what);
    }
    // Every file, not only the ones the operations touched.
    for f in 0..FILES {
        check_file(&fs, inos[f], &models[f], &format!("after {} ops: /f{f}", ops.len()));
    }
    tally(ops, refused);
    fs.unmount().unwrap();
    drop(fs);
    if matches!(mode, Mode::JournalNoCheckpoint) {
        // The transactions are in the log, not home: replay must have something to do.
        let fs = Fs::open(MappedImage::open(&img, false).unwrap()).unwrap();
        prop_assert!(fs.sb.needs_recovery(), "--no-checkpoint left nothing to replay");
        drop(fs);
        replay_both_ways(&img);
    }
    // What is on the image now, read afresh (no cache, no journal): every file as the model.
    {
        let fs = Fs::open(MappedImage::open(&img, false).unwrap()).unwrap();
        prop_assert!(!fs.sb.needs_recovery(), "after unmount or replay the log is empty");
        for f in 0..FILES {
            let ino = fs.resolve(&format!("/f{f}")).unwrap();
            prop_assert_eq!(ino, inos[f], "/f{} is another inode on the image", f);
            check_file(&fs, ino, &models[f], &format!("/f{f} reopened from the image ({mode:?})"));
        }
    }
    assert_e2fsck_clean(&img);
    for f in 0..FILES {
        let p = format!("/f{f}");
        prop_assert_eq!(debugfs_leaves(&img, &p), our_leaves(&img, &p), "debugfs ex vs inspect extents of {}", p);
    }
    Ok(())
}

/// Across every sequence of a run: fallocate --keep-size calls, and how many were refused.
static KEEP_SIZE_CALLS: AtomicUsize = AtomicUsize::new(0);
static KEEP_SIZE_REFUSED: AtomicUsize = AtomicUsize::new(0);

fn tally(ops: &[Op], refused: usize) {
    let calls = ops.iter().filter(|op| matches!(op, Op::Fallocate { keep_size: true, .. })).count();
    KEEP_SIZE_CALLS.fetch_add(calls, Ordering::Relaxed);
    KEEP_SIZE_REFUSED.fetch_add(refused, Ordering::Relaxed);
}

/// Replay `img`'s log with `e2fsck -fy` on a copy and with `e4dax journal-replay` in place: the
/// two must leave the same bytes everywhere but the superblock's time fields and checksum.
pub fn replay_both_ways(img: &Path) {
    let theirs = img.with_extension("e2fsck.img");
    std::fs::copy(img, &theirs).unwrap();
    // e2fsck -fy would also "optimize" extent trees it finds could be narrower (a hint, not a
    // problem: -fn accepts them), which rewrites blocks: compare the replay alone.
    let out = std::process::Command::new(crate::common::tool("e2fsck"))
        .args(["-fy", "-E", "no_optimize_extents"])
        .arg(&theirs)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "e2fsck -fy: {}", String::from_utf8_lossy(&out.stdout));
    e4dax().arg("journal-replay").arg(img).assert().success();
    assert_same_but_times(&read_bytes(img), &read_bytes(&theirs));
    std::fs::remove_file(&theirs).unwrap();
}

/// Superblock bytes e2fsck rewrites on every run: s_wtime, s_lastcheck, s_kbytes_written,
/// s_wtime_hi, s_lastcheck_hi and the checksum (offsets within the superblock).
const SB_TIME_FIELDS: &[(usize, usize)] = &[(0x30, 4), (0x40, 4), (0x178, 8), (0x274, 1), (0x277, 1), (0x3FC, 4)];

pub fn assert_same_but_times(ours: &[u8], theirs: &[u8]) {
    assert_eq!(ours.len(), theirs.len());
    let allowed = |off: usize| SB_TIME_FIELDS.iter().any(|&(f, n)| off >= 1024 + f && off < 1024 + f + n);
    let diffs: Vec<usize> = ours.iter().zip(theirs).enumerate().filter(|(_, (a, b))| a != b).map(|(i, _)| i).collect();
    let bad: Vec<usize> = diffs.iter().copied().filter(|&o| !allowed(o)).collect();
    assert!(
        bad.is_empty(),
        "e4dax's replay and e2fsck's differ at {} byte(s) outside the superblock's time fields, first at {:?} (block {})",
        bad.len(),
        &bad[..bad.len().min(8)],
        bad[0] / 4096
    );
}

/// The proptest seed of [`random_range_operations_match_model_and_e2fsprogs`].
const SEED: u64 = 0x5EED_E4DA_0000_0013;

fn cases() -> u32 {
    std::env::var("E4DAX_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200)
}

#[test]
fn random_range_operations_match_model_and_e2fsprogs() {
    if !e2fsprogs() {
        return;
    }
    // Reproducible: a fixed seed unless E4DAX_PROPTEST_SEED says otherwise; a failure shows it
    // (the test's stderr is printed when it fails) with the shrunk sequence.
    let seed = std::env::var("E4DAX_PROPTEST_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(SEED);
    eprintln!("proptest seed {seed} (E4DAX_PROPTEST_SEED={seed} reruns these cases)");
    let config = ProptestConfig {
        cases: cases(),
        max_shrink_iters: 200,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in proptest::collection::vec(op(), 1..25), mode in mode())| {
        run_sequence(&ops, mode)?;
    });
    // The refusal of `Fs::index_past_eof` is for a narrow case (an index past EOF that e2fsck
    // would misreport): if it spread, the sequences would stop testing fallocate --keep-size.
    let (calls, refused) = (KEEP_SIZE_CALLS.load(Ordering::Relaxed), KEEP_SIZE_REFUSED.load(Ordering::Relaxed));
    eprintln!("fallocate --keep-size: {refused} of {calls} calls refused (#145)");
    assert!(
        refused * 100 <= calls * MAX_REFUSED_PERCENT,
        "{refused} of {calls} fallocate --keep-size calls were refused, more than {MAX_REFUSED_PERCENT}%"
    );
}

/// At most this share of fallocate --keep-size calls may be refused (#145) over a run.
const MAX_REFUSED_PERCENT: usize = 10;

// The sequences proptest once shrank failures to (they were kept as seeds in
// files_model.proptest-regressions, which stopped reproducing them when the strategy changed:
// a seed stands for the generator's choices, not for the sequence). Spelled out, they replay
// whatever the generator becomes.

fn replay(ops: &[Op], modes: &[Mode]) {
    if !e2fsprogs() {
        return;
    }
    for &mode in modes {
        if let Err(e) = run_sequence(ops, mode) {
            panic!("{mode:?}: {e}");
        }
    }
}

use Op::{Convert, Fallocate, Punch, Recreate};

/// Converting past i_size on the combed file (recorded before the mode was a parameter: every
/// mode).
#[test]
fn regression_convert_past_the_combed_file() {
    replay(&[Convert { file: 0, lblk: 2801, len: 1 }], &[Mode::Writeback, Mode::Journal, Mode::JournalNoCheckpoint]);
}

#[test]
fn regression_one_block_fallocate_left_in_the_log() {
    replay(&[Fallocate { file: 0, off: 0, len: 4096, keep_size: false }], &[Mode::JournalNoCheckpoint]);
}

#[test]
fn regression_keep_size_fallocate_past_the_combed_file() {
    replay(&[Fallocate { file: 0, off: 11468800, len: 561153, keep_size: true }], &[Mode::Writeback]);
}

#[test]
fn regression_sequence_of_22_writeback() {
    replay(
        &[
            Fallocate { file: 1, off: 7532544, len: 86016, keep_size: true },
            Punch { file: 1, off: 14313029, len: 128050 },
            Fallocate { file: 1, off: 7576017, len: 81920, keep_size: false },
            Fallocate { file: 1, off: 3989504, len: 997771, keep_size: false },
            Recreate { file: 1 },
            Recreate { file: 1 },
            Convert { file: 0, lblk: 2911, len: 119 },
            Punch { file: 2, off: 4728066, len: 106496 },
            Punch { file: 2, off: 2943748, len: 652388 },
            Convert { file: 0, lblk: 142, len: 144 },
            Fallocate { file: 2, off: 10857906, len: 131072, keep_size: false },
            Fallocate { file: 2, off: 6083849, len: 229378, keep_size: false },
            Punch { file: 2, off: 3178496, len: 870237 },
            Recreate { file: 0 },
            Convert { file: 2, lblk: 2501, len: 79 },
            Convert { file: 2, lblk: 1339, len: 56 },
            Convert { file: 2, lblk: 95, len: 55 },
            Convert { file: 0, lblk: 372, len: 137 },
            Fallocate { file: 0, off: 5789538, len: 33922, keep_size: true },
            Convert { file: 2, lblk: 2591, len: 110 },
            Fallocate { file: 0, off: 2592229, len: 49152, keep_size: false },
            Punch { file: 1, off: 5423104, len: 863703 },
        ],
        &[Mode::Writeback],
    );
}

#[test]
fn regression_sequence_of_14_writeback() {
    replay(
        &[
            Recreate { file: 0 },
            Fallocate { file: 1, off: 1132357, len: 69632, keep_size: false },
            Fallocate { file: 1, off: 11581099, len: 135168, keep_size: false },
            Fallocate { file: 1, off: 11620352, len: 77824, keep_size: true },
            Fallocate { file: 2, off: 10074675, len: 1117324, keep_size: true },
            Recreate { file: 1 },
            Punch { file: 0, off: 11796480, len: 835153 },
            Fallocate { file: 1, off: 9812753, len: 809326, keep_size: false },
            Fallocate { file: 0, off: 462848, len: 32768, keep_size: false },
            Punch { file: 1, off: 6029312, len: 122880 },
            Punch { file: 2, off: 7116687, len: 1109745 },
            Punch { file: 2, off: 4415365, len: 598154 },
            Convert { file: 0, lblk: 2602, len: 72 },
            Punch { file: 0, off: 4271933, len: 49152 },
        ],
        &[Mode::Writeback],
    );
}

#[test]
fn regression_sequence_of_24_journal() {
    replay(
        &[
            Convert { file: 1, lblk: 545, len: 121 },
            Convert { file: 2, lblk: 2147, len: 29 },
            Recreate { file: 2 },
            Recreate { file: 2 },
            Fallocate { file: 1, off: 6226114, len: 318142, keep_size: true },
            Fallocate { file: 2, off: 1964318, len: 229376, keep_size: true },
            Recreate { file: 1 },
            Fallocate { file: 1, off: 9810880, len: 1069747, keep_size: false },
            Recreate { file: 2 },
            Punch { file: 2, off: 1729710, len: 81920 },
            Punch { file: 2, off: 2916352, len: 40960 },
            Convert { file: 2, lblk: 840, len: 58 },
            Fallocate { file: 0, off: 8991905, len: 114688, keep_size: true },
            Fallocate { file: 1, off: 1884160, len: 167936, keep_size: false },
            Punch { file: 0, off: 12679369, len: 77824 },
            Fallocate { file: 1, off: 12960181, len: 106496, keep_size: false },
            Punch { file: 0, off: 12931072, len: 208896 },
            Punch { file: 0, off: 6270976, len: 81920 },
            Recreate { file: 0 },
            Fallocate { file: 1, off: 7753671, len: 237568, keep_size: true },
            Fallocate { file: 1, off: 6877184, len: 913054, keep_size: false },
            Fallocate { file: 1, off: 12547542, len: 387370, keep_size: true },
            Fallocate { file: 0, off: 2560000, len: 753806, keep_size: true },
            Fallocate { file: 0, off: 4843570, len: 184320, keep_size: false },
        ],
        &[Mode::Journal],
    );
}

#[test]
fn convert_the_middle_block_splits_one_extent_into_three() {
    if !e2fsprogs() {
        return;
    }
    let dir = tempdir();
    let img = dir.path().join("split.img");
    new_image(&img, 64 << 20);
    e4dax().arg("create").arg(&img).arg("/f").assert().success();
    e4dax().arg("fallocate").arg(&img).args(["/f", "--offset", "0", "--len", "40K"]).assert().success();
    {
        let mut fs = Fs::open(MappedImage::open(&img, true).unwrap()).unwrap();
        let ino = fs.resolve("/f").unwrap();
        fs.convert_to_written(ino, 5, 1).unwrap();
        fs.commit().unwrap();
    }
    let leaves = our_leaves(&img, "/f");
    assert_eq!(leaves.len(), 3, "{leaves:?}");
    assert_eq!(
        leaves.iter().map(|l| (l.0, l.2, l.3)).collect::<Vec<_>>(),
        vec![(0, 5, true), (5, 1, false), (6, 4, true)]
    );
    assert_eq!(leaves, debugfs_leaves(&img, "/f"));
    assert_e2fsck_clean(&img);
}

#[test]
fn fallocate_past_free_space_fails_and_leaves_the_image_unchanged() {
    let dir = tempdir();
    let img = dir.path().join("enospc.img");
    new_image(&img, 64 << 20);
    e4dax().arg("create").arg(&img).arg("/f").assert().success();
    let before = read_bytes(&img);
    let out = e4dax().arg("fallocate").arg(&img).args(["/f", "--offset", "0", "--len", "100M"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("e4dax: ") && err.contains("no space"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(read_bytes(&img) == before, "the image changed");
}
