//! The data oracle (DESIGN §5): after a crash and journal replay, every byte of every file the
//! workload touched is zero, or a value the workload stored at that offset (before the crash
//! point), or what the file held in the base image — never the stale-data pattern or anyone
//! else's bytes; and a range made durable by a completed msync holds its newest value.

use super::record::{FileModel, Model};
use crate::fs::Fs;
use crate::ondisk::poison;
use crate::pmem::Device;

/// What the oracle found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataFault {
    /// Bytes no one stored there (the stale-data pattern, or foreign data).
    Stale(String),
    /// An msynced range lost its newest value.
    Lost(String),
}

fn allowed(f: &FileModel, off: u64, b: u8, k: usize) -> bool {
    if b == 0 {
        return true;
    }
    if f.base.as_ref().is_some_and(|v| v.get(off as usize) == Some(&b)) {
        return true;
    }
    f.stores
        .iter()
        .any(|(s, data, at)| *at < k && off >= *s && off < s + data.len() as u64 && data[(off - s) as usize] == b)
}

/// What operation `at` did to byte `off`: its value, when it touched it.
fn value_at(f: &FileModel, off: u64, at: usize) -> Option<u8> {
    let store = f.stores.iter().find(|(s, d, a)| *a == at && off >= *s && off < s + d.len() as u64);
    if let Some((s, d, _)) = store {
        return Some(d[(off - s) as usize]);
    }
    f.clears.iter().any(|&(lo, hi, a)| a == at && off >= lo && off < hi).then_some(0)
}

/// Whether byte `off` may hold `b` at crash point `k`, given an msync that started at
/// `started` and completed: the newest operation on it before the msync, or any later one
/// before the crash.
fn durable_value_ok(f: &FileModel, off: u64, b: u8, started: usize, k: usize) -> bool {
    let mut ops: Vec<usize> = f.stores.iter().map(|x| x.2).chain(f.clears.iter().map(|x| x.2)).collect();
    ops.sort_unstable();
    ops.dedup();
    let newest = ops.iter().copied().filter(|&a| a < started && value_at(f, off, a).is_some()).max();
    let Some(newest) = newest else { return true };
    ops.iter().copied().filter(|&a| a >= newest && a < k).any(|a| value_at(f, off, a) == Some(b))
}

/// Check the files of `model` on `fs` (mounted, journal replayed) at crash point `k`.
pub fn check<D: Device>(fs: &Fs<D>, model: &Model, k: usize) -> Option<DataFault> {
    for (path, f) in &model.files {
        if let Some(fault) = check_file(fs, path, f, k) {
            return Some(fault);
        }
    }
    None
}

fn check_file<D: Device>(fs: &Fs<D>, path: &str, f: &FileModel, k: usize) -> Option<DataFault> {
    // A file that cannot be found or read is fsck's business, not the oracle's.
    let (ino, node) = fs.regular_file(path).ok()?;
    let bs = u64::from(fs.block_size());
    let mapped_end = node.size().div_ceil(bs) * bs;
    let extents = fs.file_extents(ino, &node).ok()?;
    for e in extents.iter().filter(|e| !e.unwritten) {
        for i in 0..u64::from(e.len) {
            let lblk = u64::from(e.logical) + i;
            if lblk * bs >= mapped_end {
                break;
            }
            let phys = e.physical + i;
            let Ok(block) = fs.block(phys) else { continue };
            if block.iter().all(|&b| b == 0) {
                continue;
            }
            if let Some((at, owner)) = poison::find(&block) {
                return Some(DataFault::Stale(format!(
                    "{path}: byte {} (block {phys}) holds the stale-data pattern{}",
                    lblk * bs + at as u64,
                    owner.map(|o| format!(" of block {o}")).unwrap_or_default()
                )));
            }
            for (j, &b) in block.iter().enumerate() {
                let off = lblk * bs + j as u64;
                if !allowed(f, off, b, k) {
                    return Some(DataFault::Stale(format!(
                        "{path}: byte {off} (block {phys}) is {b:#04x}, a value the workload never stored there"
                    )));
                }
            }
        }
    }
    // Durability of msynced ranges: each byte the workload wrote before the msync holds the
    // value of the newest operation on it before the msync (a store's byte, or zero after a
    // punch, truncate or rm), or of a later operation that started before the crash.
    for &super::record::Msync { range, started, ended } in &f.msyncs {
        if ended > k {
            continue;
        }
        let (from, to) = match range {
            Some((o, l)) => (o, o.saturating_add(l)),
            None => (0, u64::MAX),
        };
        for (s, data, at) in &f.stores {
            if *at >= started {
                continue;
            }
            let lo = (*s).max(from);
            let hi = (s + data.len() as u64).min(to);
            if lo >= hi {
                continue;
            }
            let mut got = Vec::new();
            if fs.read_file(ino, lo, hi - lo, &mut got).is_err() {
                continue;
            }
            for off in lo..hi {
                let b = got.get((off - lo) as usize).copied().unwrap_or(0);
                if !durable_value_ok(f, off, b, started, k) {
                    return Some(DataFault::Lost(format!(
                        "{path}: byte {off} is {b:#04x} after an msync that completed, not the value it held then"
                    )));
                }
            }
        }
    }
    None
}
