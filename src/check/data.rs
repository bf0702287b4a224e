//! The data pass (`--data`): the poison pattern (`mkfs --poison`) inside a written extent of a
//! regular file, past i_size too — what `read --check-stale` calls stale data. Never repaired.
//! The blocks are scanned in batches, by several threads when the checker has them
//! ([`super::Checker::with_jobs`]); hits are reported in file, extent and block order either way.

use super::{problem, Checker};
use crate::error::Result;
use crate::fs::Fs;
use crate::ondisk::poison;
use crate::pmem::Device;

/// Blocks scanned per batch (256 MiB of 4 KiB blocks).
const BATCH_BLOCKS: u64 = 1 << 16;

/// A written run of one file's blocks.
pub(crate) struct Run {
    ino: u32,
    logical: u64,
    physical: u64,
    len: u64,
}

/// A block holding the pattern: its run, its index in the run, the marker's offset.
pub(crate) type Hit = (usize, u64, usize);

/// How a checker scans runs with `jobs` threads.
pub(crate) type Scan<D> = fn(&Fs<D>, &[Run], usize) -> Result<Vec<Hit>>;

pub fn run<D: Device>(c: &mut Checker<'_, D>) -> Result<()> {
    if !c.opts.data {
        return Ok(());
    }
    let files: Vec<u32> = (1..c.inode_used.len() as u32).filter(|&i| c.inode_used.get(u64::from(i))).collect();
    let mut runs = Vec::new();
    let mut blocks = 0u64;
    for n in files {
        if n < c.fs.sb.f.s_first_ino {
            continue;
        }
        let node = c.fs.inode(n)?;
        if !node.is_reg() {
            continue;
        }
        let Ok(extents) = c.fs.file_extents(n, &node) else { continue };
        for e in extents.iter().filter(|e| !e.unwritten) {
            let len = u64::from(e.len);
            runs.push(Run { ino: n, logical: u64::from(e.logical), physical: e.physical, len });
            blocks += len;
        }
        if blocks >= BATCH_BLOCKS {
            report(c, &runs)?;
            runs.clear();
            blocks = 0;
        }
    }
    report(c, &runs)
}

/// Scan `runs` and report every hit in order.
fn report<D: Device>(c: &mut Checker<'_, D>, runs: &[Run]) -> Result<()> {
    let hits = match c.scan {
        Some(scan) if c.jobs > 1 => scan(&*c.fs, runs, c.jobs)?,
        _ => scan_range(&*c.fs, runs, 0, total(runs))?,
    };
    for (r, k, off) in hits {
        let run = &runs[r];
        let (logical, phys) = (run.logical + k, run.physical + k);
        c.fix(
            problem::STALE_DATA,
            format!("inode {}: logical block {logical}, physical block {phys}, byte {off}", run.ino),
            Some(run.ino),
            Some(phys),
        );
        c.set_logical(logical);
    }
    Ok(())
}

fn total(runs: &[Run]) -> u64 {
    runs.iter().map(|r| r.len).sum()
}

/// The hits among blocks `from..to` of the runs laid end to end, in order.
fn scan_range<D: Device>(fs: &Fs<D>, runs: &[Run], from: u64, to: u64) -> Result<Vec<Hit>> {
    let bs = fs.block_size() as usize;
    let mut hits = Vec::new();
    let mut start = 0u64;
    for (i, r) in runs.iter().enumerate() {
        let (a, b) = (from.max(start), to.min(start + r.len));
        for at in a..b {
            let k = at - start;
            let b = fs.block(r.physical + k)?;
            if let Some((off, _)) = poison::find(&b[..bs.min(b.len())]) {
                hits.push((i, k, off));
            }
        }
        start += r.len;
        if start >= to {
            break;
        }
    }
    Ok(hits)
}

/// [`scan_range`] over every block, `jobs` threads each scanning a contiguous share; the
/// first error in block order wins, as with one thread.
pub(crate) fn scan_threads<D: Device + Sync>(fs: &Fs<D>, runs: &[Run], jobs: usize) -> Result<Vec<Hit>> {
    let all = total(runs);
    let share = all.div_ceil(jobs.max(1) as u64).max(64);
    let bounds: Vec<(u64, u64)> = (0..all.div_ceil(share)).map(|k| (k * share, ((k + 1) * share).min(all))).collect();
    let parts: Vec<Result<Vec<Hit>>> = std::thread::scope(|s| {
        let mut rest = bounds.iter();
        let mine = rest.next();
        let handles: Vec<_> = rest.map(|&(a, b)| s.spawn(move || scan_range(fs, runs, a, b))).collect();
        let mut out = vec![mine.map_or(Ok(Vec::new()), |&(a, b)| scan_range(fs, runs, a, b))];
        for (h, &(a, b)) in handles.into_iter().zip(bounds.iter().skip(1)) {
            // A thread that panicked: its share is scanned here.
            out.push(h.join().unwrap_or_else(|_| scan_range(fs, runs, a, b)));
        }
        out
    });
    let mut hits = Vec::new();
    for p in parts {
        hits.extend(p?);
    }
    Ok(hits)
}
