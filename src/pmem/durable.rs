//! What is durable at a trace position, under DESIGN §3's persistence model with contexts.
//!
//! A store is split into *pieces*, one per [`CACHE_LINE`] it touches. At position *k*:
//! - a cached piece is durable when a flush of its line, issued after it by any context, was
//!   followed by a fence **of the flushing context** before *k* (caches are coherent: the
//!   flush writes back the line's current contents);
//! - a non-temporal piece is durable when a fence **of the issuing context** followed it
//!   before *k* (write-combining buffers belong to a CPU);
//! - every other piece before *k* is pending: it may or may not have reached the media.
//!
//! The pessimistic crash state keeps only durable pieces, the optimistic one every piece;
//! both are applied in program order over the base image.

use std::collections::HashMap;

use super::{Context, Device, Error, EventKind, Trace, CACHE_LINE};

/// The part of store event `event` that falls inside cache line `line`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Piece {
    /// Index of the store in the trace.
    pub event: usize,
    /// The cache line (byte offset / [`CACHE_LINE`]).
    pub line: u64,
}

impl Piece {
    /// The device byte range of the piece.
    pub fn range(&self, trace: &Trace) -> std::ops::Range<u64> {
        let e = &trace.events()[self.event];
        let r = e.range();
        r.start.max(self.line * CACHE_LINE)..r.end.min((self.line + 1) * CACHE_LINE)
    }

    /// The bytes the piece stores.
    pub fn data<'t>(&self, trace: &'t Trace) -> &'t [u8] {
        let e = &trace.events()[self.event];
        let r = self.range(trace);
        let data = trace.data(e);
        let s = (r.start - e.off) as usize;
        let t = (r.end - e.off) as usize;
        data.get(s..t).unwrap_or(&[])
    }
}

/// Which crash state to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Only what is guaranteed durable (the pessimistic state).
    Durable,
    /// Every store issued so far (the optimistic state).
    All,
}

/// The pieces of the first `upto` events, split into durable and pending, each in program
/// order.
#[derive(Debug, Clone, Default)]
pub struct Split {
    pub durable: Vec<Piece>,
    pub pending: Vec<Piece>,
}

/// Split the stores among the first `upto` events of `trace` into durable and pending pieces.
pub fn split(trace: &Trace, upto: usize) -> Split {
    let events = &trace.events()[..upto.min(trace.len())];
    // Cached pieces not yet durable, per line.
    let mut cached: HashMap<u64, Vec<Piece>> = HashMap::new();
    // Lines flushed by a context since its last fence, with the flush's position.
    let mut flushed: HashMap<Context, Vec<(u64, usize)>> = HashMap::new();
    // Non-temporal pieces per issuing context, waiting for its fence.
    let mut nt: HashMap<Context, Vec<Piece>> = HashMap::new();
    let mut durable = Vec::new();
    for (i, e) in events.iter().enumerate() {
        match e.kind {
            EventKind::Store => {
                for line in e.lines() {
                    cached.entry(line).or_default().push(Piece { event: i, line });
                }
            }
            EventKind::StoreNt => {
                let v = nt.entry(e.ctx).or_default();
                v.extend(e.lines().map(|line| Piece { event: i, line }));
            }
            EventKind::Flush => {
                let v = flushed.entry(e.ctx).or_default();
                v.extend(e.lines().map(|line| (line, i)));
            }
            EventKind::Fence => {
                if let Some(v) = nt.remove(&e.ctx) {
                    durable.extend(v);
                }
                for (line, at) in flushed.remove(&e.ctx).unwrap_or_default() {
                    if let Some(pieces) = cached.get_mut(&line) {
                        let n = pieces.partition_point(|p| p.event < at);
                        durable.extend(pieces.drain(..n));
                    }
                }
            }
            EventKind::Marker => {}
        }
    }
    let mut pending: Vec<Piece> = cached.into_values().flatten().chain(nt.into_values().flatten()).collect();
    durable.sort_unstable();
    pending.sort_unstable();
    Split { durable, pending }
}

/// Store `pieces` (in the order given) on `dev`, as ordinary stores.
pub fn apply(trace: &Trace, pieces: &[Piece], dev: &mut dyn Device) -> Result<(), Error> {
    for p in pieces {
        let r = p.range(trace);
        dev.store(r.start, p.data(trace))?;
    }
    Ok(())
}

/// What [`write_state`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StateSummary {
    /// Durable store pieces (cache-line parts of stores), all written.
    pub durable_pieces: usize,
    /// Pending pieces: written with [`Keep::All`], dropped with [`Keep::Durable`].
    pub pending_pieces: usize,
    /// Whether the pending pieces were written.
    pub kept_pending: bool,
}

/// Write the crash state at position `upto` of `trace` onto `dev`, which must hold the image
/// the trace started from.
pub fn write_state(trace: &Trace, upto: usize, keep: Keep, dev: &mut dyn Device) -> Result<StateSummary, Error> {
    let s = split(trace, upto);
    let summary = StateSummary {
        durable_pieces: s.durable.len(),
        pending_pieces: s.pending.len(),
        kept_pending: keep == Keep::All,
    };
    match keep {
        Keep::Durable => apply(trace, &s.durable, dev)?,
        Keep::All => {
            let mut all = s.durable;
            all.extend(s.pending);
            all.sort_unstable();
            apply(trace, &all, dev)?;
        }
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pmem::{MemDevice, RecordingDevice};

    fn state(dev: &RecordingDevice, upto: usize, keep: Keep) -> Vec<u8> {
        let mut out = MemDevice::new(dev.initial().to_vec());
        write_state(dev.trace(), upto, keep, &mut out).unwrap();
        out.view(0, dev.initial().len()).unwrap().into_owned()
    }

    #[test]
    fn cached_stores_need_a_flush_and_a_fence_of_the_flusher() {
        let mut dev = RecordingDevice::new(vec![0; 256]);
        dev.store(0, &[1; 8]).unwrap(); // 0
        dev.store(64, &[2; 8]).unwrap(); // 1
        dev.flush(0, 64).unwrap(); // 2
        let n_before_fence = dev.trace().len();
        dev.fence().unwrap(); // 3
        let all = dev.trace().len();
        assert_eq!(state(&dev, n_before_fence, Keep::Durable), vec![0; 256]);
        let s = state(&dev, all, Keep::Durable);
        assert_eq!(&s[..8], &[1; 8]);
        assert_eq!(&s[64..72], &[0; 8], "line 1 was never flushed");
        let s = state(&dev, all, Keep::All);
        assert_eq!(&s[64..72], &[2; 8]);
    }

    #[test]
    fn a_fence_of_another_context_completes_neither_flushes_nor_nt_stores() {
        let mut dev = RecordingDevice::new(vec![0; 256]);
        dev.store_nt(0, &[7; 64]).unwrap(); // fault context, not fenced
        dev.store(128, &[5; 4]).unwrap();
        dev.set_context(Context::Jbd2);
        dev.flush(128, 4).unwrap(); // the jbd2 flush of a fault's cached store: coherent
        dev.fence().unwrap();
        let s = state(&dev, dev.trace().len(), Keep::Durable);
        assert_eq!(&s[..64], &[0; 64], "another context's fence does not drain WC buffers");
        assert_eq!(&s[128..132], &[5; 4], "a flush from any context writes back the line");
        dev.set_context(Context::Fault);
        dev.fence().unwrap();
        let s = state(&dev, dev.trace().len(), Keep::Durable);
        assert_eq!(&s[..64], &[7; 64]);
    }

    #[test]
    fn stores_after_a_flush_are_not_covered_by_it() {
        let mut dev = RecordingDevice::new(vec![0; 64]);
        dev.store(0, &[1]).unwrap();
        dev.flush(0, 1).unwrap();
        dev.store(1, &[2]).unwrap();
        dev.fence().unwrap();
        let s = state(&dev, dev.trace().len(), Keep::Durable);
        assert_eq!(&s[..2], &[1, 0]);
        let sp = split(dev.trace(), dev.trace().len());
        assert_eq!(sp.durable.len(), 1);
        assert_eq!(sp.pending, vec![Piece { event: 2, line: 0 }]);
    }

    #[test]
    fn a_store_spanning_lines_becomes_one_piece_per_line() {
        let mut dev = RecordingDevice::new(vec![0; 256]);
        dev.store(60, &[9; 8]).unwrap();
        dev.flush(0, 64).unwrap();
        dev.fence().unwrap();
        let s = state(&dev, dev.trace().len(), Keep::Durable);
        assert_eq!(&s[60..64], &[9; 4]);
        assert_eq!(&s[64..68], &[0; 4]);
    }
}
