//! Running a workload once on the recording device, from the base image, and keeping what the
//! crash explorer needs: the trace, where each operation starts and ends in it, what the
//! workload stored where (the data oracle's model, DESIGN §5), and where the journal lives.

use std::collections::BTreeMap;

use super::overlay::Overlay;
use crate::clock::Clock;
use crate::dax::workload::{self, Op, Workload};
use crate::dax::{Access, Dax, Flow, Inject, Policy};
use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::pmem::{CowDevice, Device, RecordingDevice, Trace};

/// What the workload did to one file, in trace positions.
#[derive(Debug, Clone, Default)]
pub struct FileModel {
    /// Stores into the file: (offset, bytes, trace position where the operation started).
    pub stores: Vec<(u64, Vec<u8>, usize)>,
    /// msyncs of the file.
    pub msyncs: Vec<Msync>,
    /// Ranges the workload zeroed or cut off (punch, truncate down, rm): (from, to, trace
    /// position where the operation started).
    pub clears: Vec<(u64, u64, usize)>,
    /// The file's contents in the base image, when it existed there (bounded).
    pub base: Option<Vec<u8>>,
}

/// One msync: the range (or the whole file), and the trace positions where it started and
/// ended.
#[derive(Debug, Clone, Copy)]
pub struct Msync {
    pub range: Option<(u64, u64)>,
    pub started: usize,
    pub ended: usize,
}

/// The data oracle's model: per path, what was stored.
#[derive(Debug, Clone, Default)]
pub struct Model {
    pub files: BTreeMap<String, FileModel>,
    /// The first crash points at which the model changes (just after a store's operation
    /// started, at the end of an msync), sorted: the oracle's answer for a state depends only
    /// on how many of them the crash point has reached.
    pub epochs: Vec<usize>,
}

impl Model {
    /// How many model changes crash point `k` has reached.
    pub fn epoch(&self, k: usize) -> usize {
        self.epochs.partition_point(|&p| p <= k)
    }
}

/// One workload operation's span in the trace.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OpSpan {
    pub line: usize,
    pub op: String,
    pub start: usize,
    pub end: usize,
}

/// Where the journal lives on the device.
#[derive(Debug, Clone, Default)]
pub struct JournalArea {
    /// Device block ranges of the log, `[start, end)`.
    pub ranges: Vec<(u64, u64)>,
    /// The device block holding the journal superblock.
    pub superblock: u64,
    pub block_size: u64,
}

impl JournalArea {
    pub fn contains_block(&self, b: u64) -> bool {
        self.ranges.iter().any(|&(s, e)| b >= s && b < e)
    }
}

/// A recorded run.
pub struct Recording {
    pub trace: Trace,
    pub model: Model,
    pub ops: Vec<OpSpan>,
    pub journal: Option<JournalArea>,
    pub block_size: u64,
    pub policy: Policy,
    /// The first crash point: the trace before it is the mount's (and the base's replay).
    pub start: usize,
}

/// Paths a workload names.
fn paths(wl: &Workload) -> Vec<&str> {
    let mut v: Vec<&str> = wl
        .ops
        .iter()
        .filter_map(|(_, op)| match op {
            Op::Create { path, dir: false, .. }
            | Op::Truncate { path, .. }
            | Op::Write { path, .. }
            | Op::Fallocate { path, .. }
            | Op::Punch { path, .. }
            | Op::Rm { path }
            | Op::Fault { path, .. }
            | Op::Msync { path, .. } => Some(path.as_str()),
            _ => None,
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Bytes of a pre-existing file the oracle keeps in memory at most.
const BASE_CONTENT_MAX: u64 = 64 << 20;

fn describe(op: &Op) -> String {
    match op {
        Op::Create { path, .. } => format!("create {path}"),
        Op::Truncate { path, size } => format!("truncate {path} {size}"),
        Op::Write { path, offset, data } => format!("write {path} @{offset} ({} B)", data.len()),
        Op::Fallocate { path, offset, len, .. } => format!("fallocate {path} @{offset}+{len}"),
        Op::Punch { path, offset, len } => format!("punch {path} @{offset}+{len}"),
        Op::Rm { path } => format!("rm {path}"),
        Op::Fault { path, offset, access, private, .. } => format!(
            "fault {path} @{offset} {}{}",
            if *access == Access::Write { "write" } else { "read" },
            if *private { " private" } else { "" }
        ),
        Op::Msync { path, .. } => format!("msync {path}"),
        Op::Commit => "commit".into(),
        Op::Checkpoint => "checkpoint".into(),
    }
}

/// Run `wl` from `base` under `policy`/`inject` with the clock `clock`, recording every device
/// operation.
pub fn record(base: &[u8], wl: &Workload, policy: Policy, inject: Inject, clock: Clock) -> Result<Recording> {
    let dev = RecordingDevice::over(CowDevice::new(Overlay::plain(base)));
    let (mut fs, _) = Fs::mount(dev, true)?;
    fs.clock = clock;
    Dax::check_block_size(&fs)?;
    let journal = journal_area(&fs)?;
    let block_size = u64::from(fs.block_size());
    let mut model = Model::default();
    let mut budget = BASE_CONTENT_MAX;
    for p in paths(wl) {
        let mut fm = FileModel::default();
        if let Ok((ino, node)) = fs.regular_file(p) {
            if node.size() <= budget {
                let mut out = Vec::new();
                if fs.read_file(ino, 0, node.size(), &mut out).is_ok() {
                    budget -= node.size();
                    fm.base = Some(out);
                }
            }
        }
        model.files.insert(p.to_string(), fm);
    }
    // As the kernel, a journaled mount sets needs_recovery and the log's start before anything
    // runs: that belongs to mounting, not to the workload, and crash points start after it.
    if policy.journaled() {
        fs.go_live()?;
    }
    let start = fs.dev.trace().len();
    let mut dax = Dax::new(fs, policy, inject);
    let mut ops = Vec::new();
    for (line, op) in &wl.ops {
        let start = dax.fs.dev.trace().len();
        match workload::run_op(&mut dax, op) {
            Ok(()) => {}
            Err(Flow::Failed(e)) => return Err(Error::Invalid(format!("workload line {line}: {e}"))),
            Err(Flow::Stopped) => {}
        }
        let end = dax.fs.dev.trace().len();
        match op {
            Op::Fault { path, offset, access: Access::Write, private: false, data, .. } if !data.is_empty() => {
                if let Some(f) = model.files.get_mut(path) {
                    f.stores.push((*offset, data.clone(), start));
                    model.epochs.push(start + 1);
                }
            }
            Op::Write { path, offset, data } => {
                if let Some(f) = model.files.get_mut(path) {
                    f.stores.push((*offset, data.clone(), start));
                    model.epochs.push(start + 1);
                }
            }
            Op::Punch { path, offset, len } => {
                if let Some(f) = model.files.get_mut(path) {
                    f.clears.push((*offset, offset.saturating_add(*len), start));
                    model.epochs.push(start + 1);
                }
            }
            Op::Truncate { path, size } => {
                if let Some(f) = model.files.get_mut(path) {
                    f.clears.push((*size, u64::MAX, start));
                    model.epochs.push(start + 1);
                }
            }
            Op::Rm { path } => {
                if let Some(f) = model.files.get_mut(path) {
                    f.clears.push((0, u64::MAX, start));
                    model.epochs.push(start + 1);
                }
            }
            Op::Msync { path, range } => {
                if let Some(f) = model.files.get_mut(path) {
                    f.msyncs.push(Msync { range: *range, started: start, ended: end });
                    model.epochs.push(end);
                }
            }
            _ => {}
        }
        ops.push(OpSpan { line: *line, op: describe(op), start, end });
    }
    model.epochs.sort_unstable();
    let (_, trace) = dax.fs.dev.into_inner();
    Ok(Recording { trace, model, ops, journal, block_size, policy, start })
}

/// The journal's blocks on the device, when the file system has an internal journal.
pub fn journal_area<D: Device>(fs: &Fs<D>) -> Result<Option<JournalArea>> {
    let Some((geo, _)) = fs.journal_geometry()? else { return Ok(None) };
    let ino = fs.sb.f.s_journal_inum;
    let node = fs.inode(ino)?;
    let ranges = fs
        .file_extents(ino, &node)?
        .iter()
        .filter(|e| !e.unwritten)
        .map(|e| (e.physical, e.physical + u64::from(e.len)))
        .collect();
    Ok(Some(JournalArea { ranges, superblock: geo.map(0)?, block_size: u64::from(fs.block_size()) }))
}
