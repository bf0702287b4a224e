//! The crash-state space at every position of a trace, built once and moved forward event by
//! event (DESIGN §3, §6).
//!
//! Every store is split into *pieces*, one per unit it touches (a 64-byte cache line, or an
//! 8-byte word in the tearing mode). A piece becomes durable when its context's fence follows it
//! (non-temporal), or when a flush of its line issued after it is followed by a fence of the
//! flushing context (cached). At a crash point each unit holds its durable pieces plus a prefix,
//! in program order, of its pending ones: its *choices*. Prefixes that leave the unit as a
//! shorter prefix did are the same choice, so a checkpoint that rewrites a whole block to change
//! two lines adds states for two lines only.
//!
//! The sweep keeps, per unit, only what can still change (durable prefixes are folded into the
//! unit's content), so moving from one crash point to the next costs the work of one event.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::hash::unit_hash;
use crate::pmem::{Context, EventKind, Trace, TraceEvent, CACHE_LINE};

/// One unit's part of one store.
#[derive(Debug, Clone, Copy)]
struct Piece {
    event: u32,
    nt: bool,
    durable: bool,
    protected: bool,
}

/// One possible content of a unit at a crash point.
#[derive(Debug, Clone)]
pub struct Choice {
    pub content: Box<[u8]>,
    /// Hash of (unit, content); 0 when the content is the base image's.
    pub hash: u128,
    /// The number of pending pieces persisted (the shortest prefix giving this content).
    pub prefix: u16,
}

/// A unit touched by the trace so far.
#[derive(Debug, Clone)]
pub struct Unit {
    folded: Box<[u8]>,
    pieces: Vec<Piece>,
    pub choices: Vec<Choice>,
    /// The choice with every pending piece persisted.
    pub full: u16,
    /// Every pending piece is protected by the journal's ordering (`--reduce`).
    pub protected: bool,
    /// Pending pieces (those that change nothing included).
    pub pending: u16,
}

/// The state space at the current crash point.
pub struct Sweep<'t> {
    trace: &'t Trace,
    base: &'t [u8],
    unit: u64,
    next: usize,
    units: BTreeMap<u64, Unit>,
    dirty: BTreeSet<u64>,
    nt_pending: HashMap<Context, Vec<(u64, u32)>>,
    flushed: HashMap<Context, Vec<(u64, u32)>>,
    /// Units with more than one choice.
    var: BTreeSet<u64>,
    /// XOR of the hashes of units with exactly one choice.
    fixed_xor: u128,
    protected: Vec<bool>,
}

impl<'t> Sweep<'t> {
    /// A sweep over `trace`, which started from `base`, in units of `unit` bytes (64 or 8).
    /// `protected[i]` says whether event i's pieces are protected by the journal (`--reduce`).
    pub fn new(trace: &'t Trace, base: &'t [u8], unit: u64, protected: Vec<bool>) -> Self {
        debug_assert!(unit > 0 && CACHE_LINE.is_multiple_of(unit));
        Sweep {
            trace,
            base,
            unit,
            next: 0,
            units: BTreeMap::new(),
            dirty: BTreeSet::new(),
            nt_pending: HashMap::new(),
            flushed: HashMap::new(),
            var: BTreeSet::new(),
            fixed_xor: 0,
            protected,
        }
    }

    /// Bytes per unit.
    pub fn unit_size(&self) -> u64 {
        self.unit
    }

    /// The crash point the sweep stands at: the number of events that happened.
    pub fn point(&self) -> usize {
        self.next
    }

    /// Move to crash point `k` (only forward).
    pub fn advance_to(&mut self, k: usize) {
        let k = k.min(self.trace.len());
        while self.next < k {
            let e = self.trace.events()[self.next];
            self.apply_event(self.next as u32, &e);
            self.next += 1;
        }
        let dirty = std::mem::take(&mut self.dirty);
        for u in dirty {
            self.recompute(u);
        }
    }

    fn apply_event(&mut self, i: u32, e: &TraceEvent) {
        let lines_to_units = |l: std::ops::Range<u64>, unit: u64| {
            let per = CACHE_LINE / unit;
            l.start * per..l.end * per
        };
        match e.kind {
            EventKind::Store | EventKind::StoreNt => {
                let nt = e.kind == EventKind::StoreNt;
                let protected = self.protected.get(i as usize).copied().unwrap_or(false);
                let r = e.range();
                let (first, last) = (r.start / self.unit, r.end.div_ceil(self.unit));
                for u in first..last {
                    let base = self.base_unit(u);
                    let entry = self.units.entry(u).or_insert_with(|| Unit {
                        folded: base.into(),
                        pieces: Vec::new(),
                        choices: Vec::new(),
                        full: 0,
                        protected: false,
                        pending: 0,
                    });
                    entry.pieces.push(Piece { event: i, nt, durable: false, protected });
                    self.dirty.insert(u);
                    if nt {
                        self.nt_pending.entry(e.ctx).or_default().push((u, i));
                    }
                }
            }
            EventKind::Flush => {
                let v = self.flushed.entry(e.ctx).or_default();
                for u in lines_to_units(e.lines(), self.unit) {
                    v.push((u, i));
                }
            }
            EventKind::Fence => {
                for (u, ev) in self.nt_pending.remove(&e.ctx).unwrap_or_default() {
                    if let Some(unit) = self.units.get_mut(&u) {
                        if let Ok(p) = unit.pieces.binary_search_by_key(&ev, |p| p.event) {
                            unit.pieces[p].durable = true;
                            self.dirty.insert(u);
                        }
                    }
                }
                for (u, at) in self.flushed.remove(&e.ctx).unwrap_or_default() {
                    if let Some(unit) = self.units.get_mut(&u) {
                        let mut any = false;
                        for p in unit.pieces.iter_mut().take_while(|p| p.event < at) {
                            if !p.nt && !p.durable {
                                p.durable = true;
                                any = true;
                            }
                        }
                        if any {
                            self.dirty.insert(u);
                        }
                    }
                }
            }
            EventKind::Marker => {}
        }
    }

    fn base_unit(&self, u: u64) -> &'t [u8] {
        let s = (u * self.unit) as usize;
        let e = (s + self.unit as usize).min(self.base.len());
        self.base.get(s..e).unwrap_or(&[])
    }

    fn apply_piece(&self, u: u64, p: &Piece, content: &mut [u8]) {
        let e = &self.trace.events()[p.event as usize];
        let data = self.trace.data(e);
        let r = e.range();
        let us = u * self.unit;
        let s = r.start.max(us);
        let t = r.end.min(us + self.unit);
        if s < t {
            content[(s - us) as usize..(t - us) as usize]
                .copy_from_slice(&data[(s - r.start) as usize..(t - r.start) as usize]);
        }
    }

    fn recompute(&mut self, u: u64) {
        let Some(mut unit) = self.units.remove(&u) else { return };
        let old_single = (unit.choices.len() == 1).then(|| unit.choices[0].hash);
        // Fold the durable prefix into the unit's content.
        let n = unit.pieces.iter().take_while(|p| p.durable).count();
        for p in unit.pieces.drain(..n).collect::<Vec<_>>() {
            self.apply_piece(u, &p, &mut unit.folded);
        }
        let pending = unit.pieces.iter().filter(|p| !p.durable).count();
        unit.pending = pending.min(u16::MAX as usize) as u16;
        unit.protected = pending > 0 && unit.pieces.iter().all(|p| p.durable || p.protected);
        let base = self.base_unit(u);
        let mut choices: Vec<Choice> = Vec::with_capacity(2);
        let mut full = 0u16;
        for j in 0..=pending {
            let mut c = unit.folded.clone();
            let mut rank = 0;
            for p in &unit.pieces {
                if p.durable || rank < j {
                    self.apply_piece(u, p, &mut c);
                }
                if !p.durable {
                    rank += 1;
                }
            }
            let idx = match choices.iter().position(|x| x.content == c) {
                Some(i) => i,
                None => {
                    let hash = if &c[..] == base { 0 } else { unit_hash(u, &c) };
                    choices.push(Choice { content: c, hash, prefix: j as u16 });
                    choices.len() - 1
                }
            };
            if j == pending {
                full = idx as u16;
            }
        }
        unit.choices = choices;
        unit.full = full;
        if let Some(h) = old_single {
            self.fixed_xor ^= h;
        }
        if unit.choices.len() == 1 {
            self.fixed_xor ^= unit.choices[0].hash;
            self.var.remove(&u);
        } else {
            self.var.insert(u);
        }
        self.units.insert(u, unit);
    }

    /// Units with more than one choice, in order.
    pub fn variable(&self) -> impl Iterator<Item = (u64, &Unit)> + '_ {
        self.var.iter().map(|u| (*u, &self.units[u]))
    }

    /// Number of units with more than one choice.
    pub fn variable_count(&self) -> usize {
        self.var.len()
    }

    /// The unit `u`, if the trace touched it.
    pub fn unit(&self, u: u64) -> Option<&Unit> {
        self.units.get(&u)
    }

    /// XOR of the hashes of units with one choice.
    pub fn fixed_hash(&self) -> u128 {
        self.fixed_xor
    }

    /// Units with one choice that differs from the base: `(unit, content, hash)`.
    pub fn fixed(&self) -> impl Iterator<Item = (u64, &[u8], u128)> + '_ {
        self.units
            .iter()
            .filter(|(_, x)| x.choices.len() == 1 && x.choices[0].hash != 0)
            .map(|(&u, x)| (u, &x.choices[0].content[..], x.choices[0].hash))
    }

    /// Every changed unit of the state that picks `choice(u)` for each variable unit, sorted.
    pub fn state_units(&self, choice: impl Fn(u64) -> u16) -> Vec<(u64, &[u8])> {
        let mut out = Vec::new();
        for (&u, x) in &self.units {
            let c = if x.choices.len() == 1 { &x.choices[0] } else { &x.choices[choice(u) as usize] };
            if c.hash != 0 && c.content.len() as u64 == self.unit {
                out.push((u, &c.content[..]));
            }
        }
        out
    }

    /// Pending pieces of units that change something, as `(unit, event)` (for the jbd2
    /// invariants).
    pub fn pending_events(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.var
            .iter()
            .flat_map(move |&u| self.units[&u].pieces.iter().filter(|p| !p.durable).map(move |p| (u, p.event)))
    }

    /// The choice of unit `u` that persists its first `j` pending pieces.
    pub fn choice_for_prefix(&self, u: u64, j: u16) -> Option<u16> {
        let x = self.units.get(&u)?;
        let mut c = x.folded.clone();
        let mut rank = 0u16;
        for p in &x.pieces {
            if p.durable || rank < j {
                self.apply_piece(u, p, &mut c);
            }
            if !p.durable {
                rank += 1;
            }
        }
        x.choices.iter().position(|ch| ch.content == c).map(|i| i as u16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pmem::{Device, RecordingDevice};

    fn sweep_of(dev: &RecordingDevice, unit: u64) -> Sweep<'_> {
        Sweep::new(dev.trace(), dev.initial(), unit, vec![false; dev.trace().len()])
    }

    #[test]
    fn pending_lines_have_prefix_choices_and_fences_fold_them() {
        let mut dev = RecordingDevice::new(vec![0; 256]);
        dev.store(0, &[1; 8]).unwrap(); // 0
        dev.store(4, &[2; 8]).unwrap(); // 1: same line, a second piece
        dev.store(64, &[0; 8]).unwrap(); // 2: changes nothing
        dev.flush(0, 128).unwrap(); // 3
        dev.fence().unwrap(); // 4
        let mut s = sweep_of(&dev, 64);
        s.advance_to(3);
        assert_eq!(s.variable_count(), 1, "the line of zeros over zeros adds no state");
        let (u, x) = s.variable().next().unwrap();
        assert_eq!(u, 0);
        assert_eq!(x.choices.len(), 3);
        assert_eq!(x.choices[x.full as usize].content[..12], [1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]);
        s.advance_to(5);
        assert_eq!(s.variable_count(), 0);
        let fixed: Vec<_> = s.fixed().collect();
        assert_eq!(fixed.len(), 1);
        assert_eq!(fixed[0].0, 0);
    }

    #[test]
    fn word_units_split_a_line() {
        let mut dev = RecordingDevice::new(vec![0; 128]);
        dev.store(0, &[7; 16]).unwrap();
        let mut s = sweep_of(&dev, 8);
        s.advance_to(1);
        assert_eq!(s.variable_count(), 2);
    }

    #[test]
    fn nt_stores_need_their_own_context_fence() {
        let mut dev = RecordingDevice::new(vec![0; 128]);
        dev.store_nt(0, &[7; 64]).unwrap();
        dev.set_context(Context::Jbd2);
        dev.fence().unwrap();
        dev.set_context(Context::Fault);
        dev.fence().unwrap();
        let mut s = sweep_of(&dev, 64);
        s.advance_to(2);
        assert_eq!(s.variable_count(), 1);
        s.advance_to(3);
        assert_eq!(s.variable_count(), 0);
        assert_eq!(s.fixed().count(), 1);
    }
}
