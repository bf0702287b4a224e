//! Checking one crash state: journal replay as mount would, fsck without repair, the data
//! oracle, and (once per distinct journal) replay interrupted at each of its stores and run
//! again. Each stage is memoised by the blocks it read ([`super::memo`]).

use std::cell::RefCell;

use super::class::{Class, Verdict};
use super::hash::tag128;
use super::memo::{Memo, StateKey};
use super::oracle::{self, DataFault};
use super::overlay::{BlockSet, Overlay, Tracked, BLOCK};
use super::record::Model;
use crate::check::{problem, Checker, Mode, Options};
use crate::fs::mount::JournalState;
use crate::fs::Fs;
use crate::pmem::durable::{self, Keep};
use crate::pmem::{CowDevice, Device, EventKind, RecordingDevice};

/// A crash state to check: its changed units (built only when a check must really run) and
/// what the memo keys on.
pub trait CrashState: StateKey {
    /// The changed units, sorted.
    fn units(&self) -> Vec<(u64, &[u8])>;
}

/// Memoised checks over one base image.
pub struct StateChecker<'a> {
    base: &'a [u8],
    model: &'a Model,
    fsck: Memo<Verdict>,
    oracle: Memo<Option<DataFault>>,
    replay: Memo<Option<String>>,
    /// Whether to interrupt replays.
    pub interrupt_replay: bool,
    /// Whether fsck's own reads count in [`StateChecker::reads`]. Without a journal (`ext2`)
    /// fsck's findings are expected and no violation: the verdict that matters (data, replay,
    /// mount) comes from the other stages, whose reads include everything mount reads.
    pub fsck_decisive: bool,
    /// Distinct journals whose replay was interrupted and rerun, and the interrupted runs.
    pub replays_checked: u64,
    pub replay_interruptions: u64,
    /// Every block the checks since [`StateChecker::begin_point`] read (through their memoised
    /// read sets): what no check looked at cannot have changed an answer.
    reads: BlockSet,
    accounted: std::collections::HashSet<(u8, u64)>,
}

/// The memo entries a check's answer came from: `(stage, generation)`.
pub type Used = [Option<(u8, u64)>; 3];

const MEMO_SETS: usize = 16;
const SALT_ORACLE: u64 = 0x0AC1E;

impl<'a> StateChecker<'a> {
    pub fn new(base: &'a [u8], model: &'a Model) -> Self {
        StateChecker {
            base,
            model,
            fsck: Memo::new(MEMO_SETS),
            oracle: Memo::new(MEMO_SETS),
            replay: Memo::new(MEMO_SETS),
            interrupt_replay: true,
            fsck_decisive: true,
            replays_checked: 0,
            replay_interruptions: 0,
            reads: BlockSet::new(base.len() as u64),
            accounted: std::collections::HashSet::new(),
        }
    }

    /// Start accounting the blocks read afresh.
    pub fn begin_point(&mut self) {
        self.reads.clear();
        self.accounted.clear();
    }

    /// The blocks read by the checks since [`StateChecker::begin_point`].
    pub fn reads(&self) -> &BlockSet {
        &self.reads
    }

    /// Account the read sets of an earlier answer; false when the memo forgot one of them
    /// (the caller then checks again).
    pub fn account(&mut self, used: &Used) -> bool {
        for &(stage, gen) in used.iter().flatten() {
            if stage == 0 && !self.fsck_decisive || self.accounted.contains(&(stage, gen)) {
                continue;
            }
            let blocks = match stage {
                0 => self.fsck.blocks(gen),
                1 => self.oracle.blocks(gen),
                _ => self.replay.blocks(gen),
            };
            match blocks {
                Some(b) => {
                    self.reads.union_with(b);
                    self.accounted.insert((stage, gen));
                }
                None => return false,
            }
        }
        true
    }

    /// Checks that really ran (memo misses) and memo hits, over all stages.
    pub fn memo_stats(&self) -> (u64, u64) {
        (
            self.fsck.misses + self.oracle.misses + self.replay.misses,
            self.fsck.hits + self.oracle.hits + self.replay.hits,
        )
    }

    /// Check `state` at crash point `k` of the workload.
    pub fn check(&mut self, state: &dyn CrashState, k: usize) -> Verdict {
        self.check_used(state, k).0
    }

    /// Check `state` at crash point `k`, and say which read sets the answer came from (their
    /// blocks are added to [`StateChecker::reads`]).
    pub fn check_used(&mut self, state: &dyn CrashState, k: usize) -> (Verdict, Used) {
        let mut used: Used = [None; 3];
        let v = self.check_inner(state, k, &mut used);
        self.account(&used);
        (v, used)
    }

    fn check_inner(&mut self, state: &dyn CrashState, k: usize, used: &mut Used) -> Verdict {
        let base = self.base;
        let unit = state.unit_size();
        let (fsck, g) = self.fsck.get_or_run(state, 0, || {
            let read = RefCell::new(BlockSet::new(base.len() as u64));
            let v = fsck_state(Tracked::new(Overlay::new(base, unit, state.units()), &read));
            (v, read.into_inner())
        });
        used[0] = Some((0, g));
        if fsck.class == Class::ReplayFailure {
            return Verdict { fsck: Class::ReplayFailure, ..fsck };
        }
        let model = self.model;
        let epoch = model.epoch(k) as u64;
        let (data, g) = self.oracle.get_or_run(state, tag128(SALT_ORACLE, epoch), || {
            let read = RefCell::new(BlockSet::new(base.len() as u64));
            let v = oracle_state(Tracked::new(Overlay::new(base, unit, state.units()), &read), model, k);
            (v, read.into_inner())
        });
        used[1] = Some((1, g));
        let fsck_class = fsck.class;
        let mut verdict = fsck;
        verdict.fsck = fsck_class;
        match data {
            Some(DataFault::Stale(d)) => verdict = verdict.worst(Verdict::new(Class::StaleData, d)),
            Some(DataFault::Lost(d)) => verdict = verdict.worst(Verdict::new(Class::LostDurableData, d)),
            None => {}
        }
        if self.interrupt_replay {
            let before = self.replay.misses;
            let mut ran = (0u64, 0u64);
            let (failure, g) = self.replay.get_or_run(state, 0, || {
                let read = RefCell::new(BlockSet::new(base.len() as u64));
                let r = interrupted_replay(Tracked::new(Overlay::new(base, unit, state.units()), &read), &mut ran);
                (r, read.into_inner())
            });
            used[2] = Some((2, g));
            if self.replay.misses > before && ran.0 > 0 {
                self.replays_checked += 1;
                self.replay_interruptions += ran.1;
            }
            if let Some(d) = failure {
                verdict = verdict.worst(Verdict::new(Class::ReplayFailure, d));
            }
        }
        verdict
    }
}

/// Mount (replaying the journal into a copy-on-write layer) and run fsck -n.
pub fn fsck_state<D: Device>(dev: D) -> Verdict {
    let (mut fs, _) = match Fs::mount(CowDevice::new(dev), true) {
        Ok(m) => m,
        Err(e) => return Verdict::new(Class::ReplayFailure, format!("mount (journal replay) failed: {e}")),
    };
    let report = match Checker::new(&mut fs, Options { mode: Mode::No, data: false }).run(&mut |_| {}) {
        Ok(r) => r,
        Err(e) => return Verdict::new(Class::Corrupt, format!("fsck stopped: {e}")),
    };
    let worst = report.findings.iter().find(|f| {
        let code = u32::from_str_radix(f.code.trim_start_matches("0x"), 16).unwrap_or(0);
        problem::get(code).flags & problem::PREEN_OK == 0
    });
    match (report.findings.first(), worst) {
        (None, _) => Verdict::clean(),
        (Some(_), Some(f)) => Verdict::new(Class::Corrupt, format!("fsck: {}", f.message)),
        (Some(f), None) => Verdict::new(Class::Repairable, format!("fsck (preen fixes it): {}", f.message)),
    }
}

/// Mount and run the data oracle.
pub fn oracle_state<D: Device>(dev: D, model: &Model, k: usize) -> Option<DataFault> {
    let (fs, _) = Fs::mount(CowDevice::new(dev), true).ok()?;
    oracle::check(&fs, model, k)
}

/// Replay the journal of `dev`; then, for every position of that replay's own trace, cut it
/// there (keeping only what was durable, and again keeping everything), replay again, and
/// compare with the uninterrupted result. `ran` counts (replays, interruptions).
pub fn interrupted_replay<D: Device + Clone>(dev: D, ran: &mut (u64, u64)) -> Option<String> {
    let rec = RecordingDevice::over(CowDevice::new(dev.clone()));
    let Ok((fs, state)) = Fs::mount(rec, true) else { return None };
    if !matches!(state, JournalState::Replayed(_)) {
        return None;
    }
    ran.0 += 1;
    let (reference, trace) = fs.dev.into_inner();
    for j in 1..trace.len() {
        let e = &trace.events()[j - 1];
        if !matches!(e.kind, EventKind::Store | EventKind::StoreNt | EventKind::Fence) {
            continue;
        }
        for keep in [Keep::Durable, Keep::All] {
            ran.1 += 1;
            let mut partial = CowDevice::new(dev.clone());
            if durable::write_state(&trace, j, keep, &mut partial).is_err() {
                continue;
            }
            let again = match Fs::mount(partial, true) {
                Ok((fs2, _)) => fs2.dev,
                Err(e) => {
                    return Some(format!("replay cut after its event {j} and run again failed: {e}"));
                }
            };
            let mut pages: Vec<u64> = reference.changed_page_numbers().chain(again.changed_page_numbers()).collect();
            pages.sort_unstable();
            pages.dedup();
            for p in pages {
                let a = reference.view(p * BLOCK, BLOCK as usize).ok();
                let b = again.view(p * BLOCK, BLOCK as usize).ok();
                if a != b {
                    if std::env::var("E4DAX_DEBUG_REPLAY").is_ok() {
                        let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
                        let diffs: Vec<usize> = (0..a.len().min(b.len())).filter(|&i| a[i] != b[i]).collect();
                        eprintln!(
                            "block {p}: {} bytes differ, first at {:?}; events: {:?}",
                            diffs.len(),
                            diffs.first(),
                            trace.events().iter().map(|e| (e.kind, e.off, e.len, e.tag)).collect::<Vec<_>>()
                        );
                        if let Some(&d) = diffs.first() {
                            eprintln!(
                                "ref {:02x?}\nnew {:02x?}",
                                &a[d & !15..(d & !15) + 48],
                                &b[d & !15..(d & !15) + 48]
                            );
                        }
                    }
                    return Some(format!(
                        "replay cut after its event {j} ({}) and run again differs from one replay in block {p}",
                        if keep == Keep::Durable { "durable stores only" } else { "every store" }
                    ));
                }
            }
        }
    }
    None
}
