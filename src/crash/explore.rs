//! The explorer: every crash point of a recorded workload, every crash state of each point (or
//! a seeded sample beyond `max_states`), each checked; the totals counted exactly.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use super::check::{CrashState, StateChecker, Used};
use super::class::{Class, Verdict};
use super::hash::{tag128, Rng};
use super::memo::StateKey;
use super::record::{self, Recording};
use super::reduce::{self, InvariantBreak};
use super::report::{add_counts, add_exact_counts, add_step_counts, Count, Found, PointOutcome, Report};
use super::sweep::{Sweep, Unit};
use crate::clock::Clock;
use crate::dax::workload::Workload;
use crate::dax::{Inject, Policy};
use crate::error::{Error, Result};

/// Persistence granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Granularity {
    /// 64-byte cache lines: a line persists whole, with a prefix of its stores.
    #[default]
    Line,
    /// 8-byte words: a store wider than 8 bytes may persist in 8-byte pieces.
    Word8,
}

impl Granularity {
    pub fn unit(self) -> u64 {
        match self {
            Granularity::Line => 64,
            Granularity::Word8 => 8,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Granularity::Line => "line",
            Granularity::Word8 => "word8",
        }
    }
}

/// How to explore.
#[derive(Debug, Clone)]
pub struct Options {
    pub policy: Policy,
    pub inject: Inject,
    pub clock: Clock,
    /// Only crash points inside this step.
    pub at_step: Option<String>,
    pub granularity: Granularity,
    /// Per crash point: all states when there are at most this many, else a sample this large.
    pub max_states: u64,
    pub seed: u64,
    pub reduce: bool,
    /// `(K, N)`: explore the K-th of N disjoint parts of the crash points (K from 1).
    pub shard: Option<(u32, u32)>,
    pub jobs: usize,
    /// Interrupt each distinct journal replay at each of its stores and run it again.
    pub interrupt_replay: bool,
    /// A name for the workload in the report.
    pub workload_name: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            policy: Policy::default(),
            inject: Inject::default(),
            clock: Clock::fixed(0),
            at_step: None,
            granularity: Granularity::Line,
            max_states: 4096,
            seed: 0,
            reduce: false,
            shard: None,
            jobs: 1,
            interrupt_replay: true,
            workload_name: String::new(),
        }
    }
}

/// The persistence model, in words (DESIGN §3).
pub fn model_in_words(g: Granularity) -> String {
    format!(
        "a store is durable once its {} was flushed and a fence of the flushing context followed; a non-temporal \
         store once a fence of its own context followed; every other store before the crash may or may not have \
         reached the media, per {}, a prefix of each {}'s stores in program order",
        "cache line",
        if g == Granularity::Line { "64-byte cache line" } else { "8-byte word (torn stores)" },
        if g == Granularity::Line { "line" } else { "word" }
    )
}

/// Everything an exploration produced.
pub struct Exploration {
    pub report: Report,
    pub recording: Recording,
}

/// The step and context a crash point falls in: those of the last event before it.
pub fn point_step(rec: &Recording, k: usize) -> (&'static str, &'static str) {
    match k.checked_sub(1).and_then(|i| rec.trace.events().get(i)) {
        Some(e) => (e.tag, e.ctx.name()),
        None => ("start", "-"),
    }
}

/// A state: the sweep's units at one point with one choice per variable unit.
struct State<'s, 't> {
    sweep: &'s Sweep<'t>,
    fixed: &'s [(u64, u128)],
    vars: &'s [(u64, &'s Unit)],
    choice: &'s [u16],
}

impl StateKey for State<'_, '_> {
    fn for_each_unit(&self, f: &mut dyn FnMut(u64, u128)) {
        for &(u, h) in self.fixed {
            f(u, h);
        }
        for (i, (u, x)) in self.vars.iter().enumerate() {
            let h = x.choices[self.choice[i] as usize].hash;
            if h != 0 {
                f(*u, h);
            }
        }
    }
    fn unit_size(&self) -> u64 {
        self.sweep.unit_size()
    }
}

impl CrashState for State<'_, '_> {
    fn units(&self) -> Vec<(u64, &[u8])> {
        let vars = self.vars;
        let choice = self.choice;
        self.sweep.state_units(|u| match vars.binary_search_by_key(&u, |(v, _)| *v) {
            Ok(i) => choice[i],
            Err(_) => 0,
        })
    }
}

/// What one worker gathered.
#[derive(Default)]
struct Tally {
    points: Vec<PointOutcome>,
    states_total: Count,
    states_reduced: Count,
    checked: u64,
    sampled: usize,
    distinct: HashSet<u128>,
    violations: u64,
    by_class: BTreeMap<String, u64>,
    by_step: BTreeMap<String, BTreeMap<String, u64>>,
    found: BTreeMap<(Class, String), Found>,
    /// States whose verdict is known exactly (points explored exhaustively), and by class.
    covered: Count,
    covered_by_class: BTreeMap<String, Count>,
    checks_run: u64,
    checks_memo: u64,
    replays: u64,
    cuts: u64,
}

/// The crash points this run covers.
fn selected_points(rec: &Recording, opts: &Options) -> Vec<usize> {
    let n = rec.trace.len();
    (rec.start..=n)
        .filter(|&k| match opts.shard {
            Some((sk, sn)) => k % sn as usize == (sk - 1) as usize,
            None => true,
        })
        .filter(|&k| opts.at_step.as_deref().is_none_or(|s| point_step(rec, k).0 == s))
        .collect()
}

/// Sees every state checked: the crash point, the `(unit, pending pieces persisted)` of the units
/// that persisted some, the verdict and the state's hash (for cross-checks).
pub type Observer<'o> = &'o (dyn Fn(usize, &[(u64, u16)], &Verdict, u128) + Sync);

/// Record `wl` on `base` and explore its crash states.
pub fn explore(
    base: &[u8],
    wl: &Workload,
    opts: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Exploration> {
    explore_observed(base, wl, opts, progress, None)
}

/// [`explore`], with every state checked shown to `observer`.
pub fn explore_observed(
    base: &[u8],
    wl: &Workload,
    opts: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
    observer: Option<Observer<'_>>,
) -> Result<Exploration> {
    if let Some((k, n)) = opts.shard {
        if n == 0 || k == 0 || k > n {
            return Err(Error::Invalid(format!("--shard {k}/{n}: K must be between 1 and N")));
        }
    }
    let started = Instant::now();
    let rec = record::record(base, wl, opts.policy, opts.inject, opts.clock)?;
    let breaks: Vec<InvariantBreak> = if opts.reduce { reduce::check_invariants(&rec, base) } else { Vec::new() };
    // A broken invariant voids the protection it would give: enumerate everything then.
    let protected =
        if opts.reduce && breaks.is_empty() { reduce::protected_events(&rec) } else { vec![false; rec.trace.len()] };
    let points = selected_points(&rec, opts);
    let jobs = opts.jobs.max(1).min(points.len().max(1));
    let done = AtomicUsize::new(0);
    let tallies: Mutex<Vec<Tally>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for w in 0..jobs {
            let (rec, points, protected, done, tallies) = (&rec, &points, &protected, &done, &tallies);
            s.spawn(move || {
                let mine: Vec<usize> = points.iter().copied().skip(w).step_by(jobs).collect();
                let t = run_worker(rec, base, opts, protected.clone(), &mine, observer, &|| {
                    let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                    progress(d, points.len());
                });
                if let Ok(mut v) = tallies.lock() {
                    v.push(t);
                }
            });
        }
    });
    let tallies = tallies.into_inner().unwrap_or_default();
    let mut all = Tally::default();
    for t in tallies {
        all.points.extend(t.points);
        all.states_total = all.states_total.plus(t.states_total);
        all.states_reduced = all.states_reduced.plus(t.states_reduced);
        all.checked += t.checked;
        all.sampled += t.sampled;
        all.distinct.extend(t.distinct);
        all.violations += t.violations;
        add_counts(&mut all.by_class, t.by_class);
        add_step_counts(&mut all.by_step, t.by_step);
        for (k, f) in t.found {
            let better = match all.found.get(&k) {
                None => true,
                Some(g) => f.rank() < g.rank(),
            };
            if better {
                all.found.insert(k, f);
            }
        }
        all.covered = all.covered.plus(t.covered);
        add_exact_counts(&mut all.covered_by_class, t.covered_by_class);
        all.checks_run += t.checks_run;
        all.checks_memo += t.checks_memo;
        all.replays += t.replays;
        all.cuts += t.cuts;
    }
    all.points.sort_by_key(|p| p.point);
    let elapsed = started.elapsed().as_secs_f64();
    let mut found: Vec<Found> = all.found.into_values().collect();
    found.sort_by_key(|f| (f.point, f.class));
    let mut distinct_hashes: Vec<String> = Vec::new();
    if opts.shard.is_some() {
        let mut v: Vec<u128> = all.distinct.iter().copied().collect();
        v.sort_unstable();
        distinct_hashes = v.into_iter().map(|h| format!("{h:032x}")).collect();
    }
    let report = Report {
        workload: opts.workload_name.clone(),
        policy: opts.policy.name().to_string(),
        injected: opts.inject.names().into_iter().map(String::from).collect(),
        model: model_in_words(opts.granularity),
        granularity: opts.granularity.name().to_string(),
        reduce: opts.reduce,
        at_step: opts.at_step.clone(),
        max_states: opts.max_states,
        seed: opts.seed,
        time: opts.clock.now(),
        shard: opts.shard.map(|(k, n)| [k, n]),
        merged_shards: Vec::new(),
        trace_events: rec.trace.len(),
        points_total: rec.trace.len() + 1 - rec.start,
        points_checked: points.len(),
        states_total: all.states_total,
        states_reduced: opts.reduce.then_some(all.states_reduced),
        states_checked: all.checked,
        states_covered: all.covered,
        states_covered_by_class: all.covered_by_class,
        states_distinct: all.distinct.len() as u64,
        points_sampled: all.sampled,
        checks_run: all.checks_run,
        checks_memoised: all.checks_memo,
        replays_interrupted: all.replays,
        replay_cuts: all.cuts,
        violations: all.violations,
        by_class: all.by_class,
        by_step: all.by_step,
        invariant_breaks: breaks,
        found,
        elapsed_seconds: elapsed,
        states_per_second: if elapsed > 0.0 { all.checked as f64 / elapsed } else { 0.0 },
        jobs,
        points: all.points,
        distinct_hashes,
    };
    Ok(Exploration { report, recording: rec })
}

/// One state checked at a point: its verdict, and its choices when it is a violation.
struct Checked {
    verdict: Verdict,
    choice: Option<Vec<u16>>,
}

/// The per-worker state of the checks.
struct Worker<'a, 's, 'o> {
    checker: StateChecker<'a>,
    seen: HashMap<u128, (Verdict, Used)>,
    sweep: &'s Sweep<'a>,
    observer: Option<Observer<'o>>,
}

impl Worker<'_, '_, '_> {
    /// Check the state picking `choice` at point `k`; returns its verdict.
    fn check(
        &mut self,
        k: usize,
        fixed: &[(u64, u128)],
        vars: &[(u64, &Unit)],
        choice: &[u16],
        salt: u128,
    ) -> (Verdict, u128) {
        let mut hash = self.sweep.fixed_hash();
        for (j, (_, x)) in vars.iter().enumerate() {
            hash ^= x.choices[choice[j] as usize].hash;
        }
        let key = hash ^ salt;
        let v = match self.seen.get(&key).map(|(v, used)| (v.clone(), *used)) {
            Some((v, used)) if self.checker.account(&used) => v,
            _ => {
                let state = State { sweep: self.sweep, fixed, vars, choice };
                let (v, used) = self.checker.check_used(&state, k);
                self.seen.insert(key, (v.clone(), used));
                v
            }
        };
        if let Some(obs) = self.observer {
            let persisted: Vec<(u64, u16)> = vars
                .iter()
                .zip(choice)
                .filter(|(_, &c)| c != 0)
                .map(|((u, x), &c)| (*u, x.choices[c as usize].prefix))
                .collect();
            obs(k, &persisted, &v, hash);
        }
        (v, hash)
    }
}

fn run_worker(
    rec: &Recording,
    base: &[u8],
    opts: &Options,
    protected: Vec<bool>,
    points: &[usize],
    observer: Option<Observer<'_>>,
    tick: &dyn Fn(),
) -> Tally {
    let journaled = opts.policy.journaled();
    let mut sweep = Sweep::new(&rec.trace, base, opts.granularity.unit(), protected);
    let mut checker = StateChecker::new(base, &rec.model);
    checker.interrupt_replay = opts.interrupt_replay;
    checker.fsck_decisive = journaled;
    let mut seen: HashMap<u128, (Verdict, Used)> = HashMap::new();
    let per_block = super::overlay::BLOCK / opts.granularity.unit();
    let mut t = Tally::default();
    for &k in points {
        sweep.advance_to(k);
        let (step, ctx) = point_step(rec, k);
        let fixed: Vec<(u64, u128)> = sweep.fixed().map(|(u, _, h)| (u, h)).collect();
        let vars: Vec<(u64, &Unit)> = sweep.variable().collect();
        let reduce = opts.reduce;
        // The exhaustive count, and the space actually explored.
        let mut full = Count::one();
        let mut reduced = Count::one();
        let mut any_protected = false;
        for (_, x) in &vars {
            full = full.times(x.choices.len() as u128);
            if reduce && x.protected {
                any_protected = true;
            } else {
                reduced = reduced.times(x.choices.len() as u128);
            }
        }
        if any_protected {
            reduced = reduced.times(2);
        }
        let space = if reduce { reduced } else { full };
        t.states_total = t.states_total.plus(full);
        t.states_reduced = t.states_reduced.plus(reduced);
        let free: Vec<usize> = (0..vars.len()).filter(|&i| !(reduce && vars[i].1.protected)).collect();
        let prot: Vec<usize> = (0..vars.len()).filter(|&i| reduce && vars[i].1.protected).collect();
        let salt = tag128(0xE90C, rec.model.epoch(k) as u64);
        let mut w = Worker { checker, seen, sweep: &sweep, observer };
        let mut choice = vec![0u16; vars.len()];
        // Exhaustive by projection: enumerate the units some check has read, the others left
        // as durable; when no check read a unit left out, every state has the verdict of its
        // projection (the checks are deterministic functions of the blocks they read).
        let mut relevant = vec![false; vars.len()];
        let mut done: Option<(Vec<Checked>, Option<Count>)> = None;
        loop {
            w.checker.begin_point();
            let rel: Vec<usize> = free.iter().copied().filter(|&v| relevant[v]).collect();
            let mut proj = Count::one();
            for &v in &rel {
                proj = proj.times(vars[v].1.choices.len() as u128);
            }
            if any_protected {
                proj = proj.times(2);
            }
            if !proj.at_most(opts.max_states) {
                break;
            }
            let mut results = Vec::with_capacity(proj.value as usize);
            for i in 0..proj.value as u64 {
                choice.iter_mut().for_each(|c| *c = 0);
                let mut x = i;
                for &v in &rel {
                    let c = vars[v].1.choices.len() as u64;
                    choice[v] = (x % c) as u16;
                    x /= c;
                }
                let all_in = any_protected && x % 2 == 1;
                for &v in &prot {
                    choice[v] = if all_in { vars[v].1.full } else { 0 };
                }
                let (verdict, hash) = w.check(k, &fixed, &vars, &choice, salt);
                t.distinct.insert(hash);
                let violating = verdict.class.is_violation(journaled);
                results.push(Checked { verdict, choice: violating.then(|| choice.clone()) });
            }
            let reads = w.checker.reads();
            let newly: Vec<usize> =
                free.iter().copied().filter(|&v| !relevant[v] && reads.contains(vars[v].0 / per_block)).collect();
            if newly.is_empty() {
                let mut weight = Count::one();
                for &v in &free {
                    if !relevant[v] {
                        weight = weight.times(vars[v].1.choices.len() as u128);
                    }
                }
                done = Some((results, Some(weight)));
                break;
            }
            for v in newly {
                relevant[v] = true;
            }
        }
        let (results, weight) = match done {
            Some(d) => d,
            None => {
                // Too many states even so: the two extremes, then a seeded sample.
                t.sampled += 1;
                let mut rng = Rng::new(opts.seed ^ super::hash::mix64(k as u64));
                let n = opts.max_states.max(2);
                let mut results = Vec::with_capacity(n as usize);
                for i in 0..n {
                    let extreme = match i {
                        0 => Some(false),
                        1 => Some(true),
                        _ => None,
                    };
                    for &v in &free {
                        let x = vars[v].1;
                        choice[v] = match extreme {
                            Some(false) => 0,
                            Some(true) => x.full,
                            None => rng.below(x.choices.len() as u64) as u16,
                        };
                    }
                    let all_in = match extreme {
                        Some(e) => e,
                        None => rng.below(2) == 1,
                    };
                    for &v in &prot {
                        choice[v] = if all_in { vars[v].1.full } else { 0 };
                    }
                    let (verdict, hash) = w.check(k, &fixed, &vars, &choice, salt);
                    t.distinct.insert(hash);
                    let violating = verdict.class.is_violation(journaled);
                    results.push(Checked { verdict, choice: violating.then(|| choice.clone()) });
                }
                (results, None)
            }
        };
        if weight.is_some() {
            t.covered = t.covered.plus(space);
        }
        let mut outcome = PointOutcome {
            point: k,
            step: step.to_string(),
            context: ctx.to_string(),
            states: space,
            checked: 0,
            violations: 0,
            worst: Class::Clean,
        };
        for r in results {
            let verdict = r.verdict;
            t.checked += 1;
            outcome.checked += 1;
            *t.by_class.entry(verdict.class.name().to_string()).or_default() += 1;
            *t.by_step.entry(step.to_string()).or_default().entry(verdict.class.name().to_string()).or_default() += 1;
            if let Some(weight) = weight {
                // Without a journal only the violation classes are decided for every covered
                // state (fsck's findings there are expected, and not told apart).
                let name = if journaled || verdict.class.is_violation(false) {
                    verdict.class.name()
                } else {
                    "no-data-violation"
                };
                let e = t.covered_by_class.entry(name.to_string()).or_default();
                *e = e.plus(weight);
            }
            if verdict.class > outcome.worst {
                outcome.worst = verdict.class;
            }
            let Some(choice) = r.choice else { continue };
            t.violations += 1;
            outcome.violations += 1;
            let fk = (verdict.class, step.to_string());
            // One reproducer per class and step: the one on which fsck finds least (the telling
            // kind: stale data that e2fsck cannot see), with the fewest pending lines persisted.
            let persisted: Vec<(u64, u16)> = vars
                .iter()
                .zip(&choice)
                .filter(|(_, &c)| c != 0)
                .map(|((u, x), &c)| (*u, x.choices[c as usize].prefix))
                .collect();
            let better = match t.found.get(&fk) {
                None => true,
                Some(f) => (verdict.fsck, persisted.len()) < (f.fsck, f.persisted.len()),
            };
            if better {
                t.found.insert(
                    fk,
                    Found {
                        point: k,
                        step: step.to_string(),
                        context: ctx.to_string(),
                        class: verdict.class,
                        detail: verdict.detail.clone(),
                        fsck: verdict.fsck,
                        persisted,
                        saved: None,
                        persisted_before_minimize: None,
                    },
                );
            }
        }
        checker = w.checker;
        seen = w.seen;
        t.points.push(outcome);
        tick();
    }
    let (run, memo) = checker.memo_stats();
    t.checks_run = run;
    t.checks_memo = memo;
    t.replays = checker.replays_checked;
    t.cuts = checker.replay_interruptions;
    t
}
