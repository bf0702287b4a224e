//! `--reduce`: the search space cut by the journal's own guarantees, after checking that the
//! trace keeps them (after Silhouette, FAST '25).
//!
//! jbd2 promises an order: every log block of a transaction is durable before its commit block
//! is written; the commit block is durable before any of the transaction's blocks is written
//! home (checkpoint); those home writes are durable before the journal's tail moves past them;
//! and journal replay writes its blocks home durably before it resets the log. If the trace
//! keeps these *invariants*, the lines those stores touch cannot change what replay recovers
//! while they are pending: a log line matters only once a commit block vouches for it (and by
//! then it is durable), a home line only until replay rewrites it from the log. Such pending
//! stores are *protected*: instead of every subset of them, two representatives are explored
//! (none persisted, all persisted). Everything else — file data, zeroing, writeback without a
//! journal, the ordered-data flush — is enumerated as in the exhaustive mode.

use super::record::{JournalArea, Recording};
use super::sweep::Sweep;
use crate::ondisk::jbd2::{BLOCKTYPE_COMMIT, MAGIC};
use crate::pmem::{Context, EventKind, TraceEvent};

/// Which earlier stores an invariant forbids to be pending.
type Pred<'a> = Box<dyn Fn(&TraceEvent) -> bool + 'a>;

/// Tags of the stores the journal's ordering protects.
const PROTECTED_TAGS: [&str; 3] = ["commit", "checkpoint", "replay"];

/// A broken ordering invariant.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct InvariantBreak {
    /// The trace position of the store that came too early.
    pub point: usize,
    pub invariant: String,
    pub detail: String,
}

fn in_journal(j: &JournalArea, e: &TraceEvent) -> bool {
    j.contains_block(e.off / j.block_size)
}

fn is_commit_block(rec: &Recording, e: &TraceEvent) -> bool {
    let d = rec.trace.data(e);
    d.len() >= 8
        && e.off.is_multiple_of(rec.block_size)
        && u32::from_be_bytes([d[0], d[1], d[2], d[3]]) == MAGIC
        && u32::from_be_bytes([d[4], d[5], d[6], d[7]]) == BLOCKTYPE_COMMIT
}

/// Which events' pieces the journal protects (none without a journal or for `ext2`): copies of
/// blocks written to the log (not the journal superblock), whole blocks written home by a
/// checkpoint or by replay. In-place writes outside the log's protocol — the superblock's
/// `needs_recovery`, the journal superblock — are never protected: a torn one is a real crash
/// state.
pub fn protected_events(rec: &Recording) -> Vec<bool> {
    let Some(j) = rec.journal.as_ref().filter(|_| rec.policy.journaled()) else {
        return vec![false; rec.trace.len()];
    };
    let bs = rec.block_size;
    rec.trace
        .events()
        .iter()
        .map(|e| {
            let whole_block = e.len == bs && e.off.is_multiple_of(bs);
            let jsb = e.off / bs == j.superblock;
            e.kind == EventKind::Store
                && !jsb
                && match e.tag {
                    "commit" => e.ctx == Context::Jbd2 && in_journal(j, e),
                    "checkpoint" => e.ctx == Context::Jbd2 && !in_journal(j, e) && whole_block,
                    "replay" => !in_journal(j, e) && whole_block,
                    _ => false,
                }
        })
        .collect()
}

/// Check the jbd2 ordering invariants on the recorded trace.
pub fn check_invariants(rec: &Recording, base: &[u8]) -> Vec<InvariantBreak> {
    let Some(j) = rec.journal.as_ref() else { return Vec::new() };
    let events = rec.trace.events();
    let mut sweep = Sweep::new(&rec.trace, base, 64, vec![false; events.len()]);
    let mut out = Vec::new();
    let pending_where = |sweep: &Sweep<'_>, pred: &dyn Fn(&TraceEvent) -> bool| -> Option<usize> {
        sweep.pending_events().map(|(_, ev)| ev as usize).find(|&ev| pred(&events[ev]))
    };
    for (i, e) in events.iter().enumerate() {
        if e.kind != EventKind::Store || !PROTECTED_TAGS.contains(&e.tag) {
            continue;
        }
        sweep.advance_to(i);
        let home = !in_journal(j, e);
        let jsb = e.off / j.block_size == j.superblock;
        let check: Option<(&str, Pred<'_>)> = match e.tag {
            "commit" if !home && is_commit_block(rec, e) => Some((
                "log-before-commit",
                Box::new(|p: &TraceEvent| {
                    p.tag == "commit" && in_journal(j, p) && p.off / j.block_size != j.superblock
                }),
            )),
            "checkpoint" if jsb => {
                Some(("checkpoint-before-tail", Box::new(|p: &TraceEvent| p.tag == "checkpoint" && !in_journal(j, p))))
            }
            "checkpoint" if home => {
                Some(("commit-before-checkpoint", Box::new(|p: &TraceEvent| p.tag == "commit" && in_journal(j, p))))
            }
            "replay" if jsb => {
                Some(("replay-before-reset", Box::new(|p: &TraceEvent| p.tag == "replay" && !in_journal(j, p))))
            }
            _ => None,
        };
        if let Some((name, pred)) = check {
            if let Some(ev) = pending_where(&sweep, &*pred) {
                out.push(InvariantBreak {
                    point: i,
                    invariant: name.to_string(),
                    detail: format!(
                        "the {} store at trace position {i} (block {}) came while the {} store at position {ev} (block {}) was not durable",
                        e.tag,
                        e.off / j.block_size,
                        events[ev].tag,
                        events[ev].off / j.block_size
                    ),
                });
            }
        }
    }
    out
}
