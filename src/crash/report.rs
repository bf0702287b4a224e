//! The crash report: what was explored and what was found, in words and in JSON, and the merge
//! of sharded reports into the unsharded totals.

use std::collections::BTreeMap;

use super::class::Class;
use super::reduce::InvariantBreak;
use crate::error::{Error, Result};

/// A count of states that may exceed 2^128: kept as a saturating u128.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Count {
    pub value: u128,
    /// The true count is larger than `value` (`u128::MAX`).
    pub saturated: bool,
}

impl Count {
    pub fn one() -> Self {
        Count { value: 1, saturated: false }
    }

    pub fn from_u64(v: u64) -> Self {
        Count { value: u128::from(v), saturated: false }
    }

    pub fn times(self, n: u128) -> Self {
        match self.value.checked_mul(n) {
            Some(v) => Count { value: v, saturated: self.saturated },
            None => Count { value: u128::MAX, saturated: true },
        }
    }

    pub fn plus(self, o: Count) -> Self {
        match self.value.checked_add(o.value) {
            Some(v) => Count { value: v, saturated: self.saturated || o.saturated },
            None => Count { value: u128::MAX, saturated: true },
        }
    }

    /// Whether the count is at most `n`.
    pub fn at_most(self, n: u64) -> bool {
        !self.saturated && self.value <= u128::from(n)
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.saturated {
            write!(f, "more than {}", self.value)
        } else {
            write!(f, "{}", self.value)
        }
    }
}

impl serde::Serialize for Count {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let (saturated, digits) = match s.strip_prefix("more than ") {
            Some(r) => (true, r),
            None => (false, s.as_str()),
        };
        let value = digits.parse::<u128>().map_err(serde::de::Error::custom)?;
        Ok(Count { value, saturated })
    }
}

/// What happened at one crash point.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PointOutcome {
    /// Trace position (events that happened before the crash).
    pub point: usize,
    pub step: String,
    pub context: String,
    /// Crash states at this point (the reduced space under `--reduce`).
    pub states: Count,
    pub checked: u64,
    pub violations: u64,
    /// The most severe class seen.
    pub worst: Class,
}

/// A violation found, with enough to rebuild its state.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Found {
    pub point: usize,
    pub step: String,
    pub context: String,
    pub class: Class,
    pub detail: String,
    /// What fsck alone said of the state.
    #[serde(default = "clean")]
    pub fsck: Class,
    /// `(unit, pending pieces persisted)` for every unit that persisted some of its pending
    /// pieces; other units keep only their durable pieces.
    pub persisted: Vec<(u64, u16)>,
    /// Where it was saved, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saved: Option<String>,
    /// Persisted units before `--minimize` shrank the set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persisted_before_minimize: Option<usize>,
}

fn clean() -> Class {
    Class::Clean
}

/// The report of one exploration (or of merged shards).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub workload: String,
    pub policy: String,
    pub injected: Vec<String>,
    /// The persistence model, in words.
    pub model: String,
    pub granularity: String,
    pub reduce: bool,
    pub at_step: Option<String>,
    pub max_states: u64,
    pub seed: u64,
    pub time: u64,
    /// `[K, N]` when sharded.
    pub shard: Option<[u32; 2]>,
    /// Shards merged into this report (K values).
    #[serde(default)]
    pub merged_shards: Vec<u32>,
    pub trace_events: usize,
    pub points_total: usize,
    pub points_checked: usize,
    /// Every crash state of the points checked, under the exhaustive model.
    pub states_total: Count,
    /// The same under `--reduce` (protected lines collapsed), when reduced.
    pub states_reduced: Option<Count>,
    pub states_checked: u64,
    /// States whose verdict is known exactly: every state of the points explored
    /// exhaustively (directly, or as a projection no check could tell apart).
    pub states_covered: Count,
    /// The covered states by class.
    pub states_covered_by_class: BTreeMap<String, Count>,
    pub states_distinct: u64,
    /// Points where the states were too many and a seeded sample was checked.
    pub points_sampled: usize,
    pub checks_run: u64,
    pub checks_memoised: u64,
    pub replays_interrupted: u64,
    pub replay_cuts: u64,
    pub violations: u64,
    pub by_class: BTreeMap<String, u64>,
    /// step -> class -> states.
    pub by_step: BTreeMap<String, BTreeMap<String, u64>>,
    pub invariant_breaks: Vec<InvariantBreak>,
    pub found: Vec<Found>,
    pub elapsed_seconds: f64,
    pub states_per_second: f64,
    pub jobs: usize,
    pub points: Vec<PointOutcome>,
    /// Hashes of the distinct states (hex), kept in sharded reports so that a merge counts
    /// distinct states exactly.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub distinct_hashes: Vec<String>,
}

impl Report {
    /// Whether anything violated the policy's guarantees.
    pub fn has_violations(&self) -> bool {
        self.violations > 0 || !self.invariant_breaks.is_empty()
    }

    /// The earliest violating crash point.
    pub fn first_violation(&self) -> Option<&Found> {
        self.found.iter().min_by_key(|f| f.point)
    }
}

/// Add `from`'s counts into `into`.
pub(crate) fn add_counts(into: &mut BTreeMap<String, u64>, from: BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k).or_default() += v;
    }
}

/// Add `from`'s exact counts into `into`.
pub(crate) fn add_exact_counts(into: &mut BTreeMap<String, Count>, from: BTreeMap<String, Count>) {
    for (k, v) in from {
        let e = into.entry(k).or_default();
        *e = e.plus(v);
    }
}

/// Add `from`'s per-step counts into `into`.
pub(crate) fn add_step_counts(
    into: &mut BTreeMap<String, BTreeMap<String, u64>>,
    from: BTreeMap<String, BTreeMap<String, u64>>,
) {
    for (step, m) in from {
        add_counts(into.entry(step).or_default(), m);
    }
}

impl Found {
    /// Which of two reproducers of one class and step to keep (the smaller): the one on which
    /// fsck finds least, then the fewest pending lines persisted, then the earliest.
    pub fn rank(&self) -> (Class, usize, usize) {
        (self.fsck, self.persisted.len(), self.point)
    }
}

/// Merge the reports of the shards of one run into the unsharded totals.
pub fn merge(reports: Vec<Report>) -> Result<Report> {
    let mut it = reports.into_iter();
    let Some(mut out) = it.next() else { return Err(Error::Invalid("nothing to merge".into())) };
    let same = |a: &Report, b: &Report| {
        a.workload == b.workload
            && a.policy == b.policy
            && a.injected == b.injected
            && a.granularity == b.granularity
            && a.reduce == b.reduce
            && a.at_step == b.at_step
            && a.max_states == b.max_states
            && a.seed == b.seed
            && a.time == b.time
            && a.trace_events == b.trace_events
            && a.shard.map(|s| s[1]) == b.shard.map(|s| s[1])
    };
    let n = out.shard.map(|s| s[1]);
    let mut shards: Vec<u32> = out.shard.map(|s| s[0]).into_iter().chain(out.merged_shards.iter().copied()).collect();
    let mut hashes: std::collections::BTreeSet<String> = std::mem::take(&mut out.distinct_hashes).into_iter().collect();
    for r in it {
        if !same(&out, &r) {
            return Err(Error::Invalid(format!(
                "reports of different runs: {} / {} / {:?} vs {} / {} / {:?}",
                out.workload, out.policy, out.shard, r.workload, r.policy, r.shard
            )));
        }
        for k in r.shard.map(|s| s[0]).into_iter().chain(r.merged_shards.iter().copied()) {
            if shards.contains(&k) {
                return Err(Error::Invalid(format!("shard {k} appears twice")));
            }
            shards.push(k);
        }
        out.points_checked += r.points_checked;
        out.states_total = out.states_total.plus(r.states_total);
        out.states_reduced = match (out.states_reduced, r.states_reduced) {
            (Some(a), Some(b)) => Some(a.plus(b)),
            (a, b) => a.or(b),
        };
        out.states_checked += r.states_checked;
        out.states_covered = out.states_covered.plus(r.states_covered);
        add_exact_counts(&mut out.states_covered_by_class, r.states_covered_by_class);
        out.points_sampled += r.points_sampled;
        out.checks_run += r.checks_run;
        out.checks_memoised += r.checks_memoised;
        out.replays_interrupted += r.replays_interrupted;
        out.replay_cuts += r.replay_cuts;
        out.violations += r.violations;
        add_counts(&mut out.by_class, r.by_class);
        add_step_counts(&mut out.by_step, r.by_step);
        for b in r.invariant_breaks {
            if !out.invariant_breaks.contains(&b) {
                out.invariant_breaks.push(b);
            }
        }
        out.found.extend(r.found);
        out.elapsed_seconds = out.elapsed_seconds.max(r.elapsed_seconds);
        out.jobs += r.jobs;
        out.points.extend(r.points);
        hashes.extend(r.distinct_hashes);
    }
    out.points.sort_by_key(|p| p.point);
    out.found.sort_by_key(|f| (f.rank(), f.class));
    // One reproducer per (class, step), as an unsharded run keeps.
    let mut seen = std::collections::BTreeSet::new();
    out.found.retain(|f| seen.insert((f.class, f.step.clone())));
    out.found.sort_by_key(|f| (f.point, f.class));
    out.states_distinct = hashes.len() as u64;
    shards.sort_unstable();
    if let Some(n) = n {
        if shards.len() as u32 == n {
            out.shard = None;
            out.merged_shards = Vec::new();
        } else {
            out.shard = Some([shards[0], n]);
            out.merged_shards = shards[1..].to_vec();
        }
    }
    out.distinct_hashes = if out.shard.is_some() { hashes.into_iter().collect() } else { Vec::new() };
    out.states_per_second =
        if out.elapsed_seconds > 0.0 { out.states_checked as f64 / out.elapsed_seconds } else { 0.0 };
    Ok(out)
}
