//! The explorer on the canonical one-fault workloads of DESIGN §4: the safe designs show no
//! violation, the injected bugs show stale data.

use super::*;
use crate::dax::workload;
use crate::dax::{Inject, Policy};
use crate::fs::layout::Params;
use crate::fs::mkfs::{mkfs, MkfsOptions};
use crate::pmem::{Device, MemDevice};

const SIZE: u64 = 16 << 20;

pub(crate) fn poisoned_image() -> Vec<u8> {
    let mut dev = MemDevice::new(vec![0; SIZE as usize]);
    let params = Params { size_bytes: SIZE, journal_bytes: None, inodes: None, journal: true };
    let opts = MkfsOptions { params, uuid: [7; 16], label: String::new(), time: 1_700_000_000, poison: true };
    mkfs(&mut dev, &opts, &mut |_, _| {}).unwrap();
    dev.view(0, SIZE as usize).unwrap().into_owned()
}

pub(crate) const HOLE: &str = include_str!("../../tests/data/fault-into-hole.wl");

fn run(policy: Policy, inject: &[&str], reduce: bool) -> Report {
    let base = poisoned_image();
    let wl = workload::parse(HOLE).unwrap();
    let mut inj = Inject::default();
    for i in inject {
        assert!(inj.set(i));
    }
    let opts = Options { policy, inject: inj, reduce, max_states: 64, jobs: 2, ..Options::default() };
    let t = std::time::Instant::now();
    let ex = explore(&base, &wl, &opts, &|_, _| {}).unwrap();
    eprintln!(
        "{policy} {inject:?} reduce={reduce}: {} points ({} sampled), {} states total, {} covered, {} checked, {} distinct, {} violations {:?}, {:.2}s, run {} memo {}",
        ex.report.points_checked,
        ex.report.points_sampled,
        ex.report.states_total,
        ex.report.states_covered,
        ex.report.states_checked,
        ex.report.states_distinct,
        ex.report.violations,
        ex.report.by_class,
        t.elapsed().as_secs_f64(),
        ex.report.checks_run,
        ex.report.checks_memoised,
    );
    for f in &ex.report.found {
        eprintln!("  {} at {} ({}): {}", f.class, f.point, f.step, f.detail);
    }
    ex.report
}

#[test]
fn canonical_fault_into_a_hole() {
    for policy in Policy::ALL {
        let r = run(policy, &[], true);
        assert!(!r.has_violations(), "{policy}: {:?}", r.found);
    }
    let r = run(Policy::Zeroed, &["no-ordered"], true);
    assert!(!r.has_violations(), "zeroed+no-ordered: {:?}", r.found);
    for (p, i) in [
        (Policy::Unwritten, "skip-zero"),
        (Policy::Zeroed, "skip-zero"),
        (Policy::Ext2, "no-fence"),
        (Policy::Zeroed, "no-fence"),
        (Policy::Unwritten, "no-ordered"),
    ] {
        let r = run(p, &[i], true);
        assert!(r.found.iter().any(|f| f.class == Class::StaleData), "{p}+{i}: {:?}", r.found);
    }
}

/// The naive explorer: copy the image, apply the durable pieces and the chosen prefix of each
/// line's pending pieces (from `pmem::durable::split`, not the sweep), replay, fsck, oracle.
fn naive_verdict(rec: &super::record::Recording, base: &[u8], k: usize, persisted: &[(u64, u16)]) -> (Class, u128) {
    use crate::pmem::durable::{self, Piece};
    let split = durable::split(&rec.trace, k);
    let mut chosen: Vec<Piece> = split.durable.clone();
    for &(line, j) in persisted {
        chosen.extend(split.pending.iter().filter(|p| p.line == line).take(j as usize).copied());
    }
    chosen.sort_unstable();
    let mut dev = MemDevice::new(base.to_vec());
    durable::apply(&rec.trace, &chosen, &mut dev).unwrap();
    let image = dev.view(0, base.len()).unwrap();
    let hash = super::hash::unit_hash(0, &image);
    let plain = || super::overlay::Overlay::plain(&image);
    let mut v = super::check::fsck_state(plain());
    if v.class != Class::ReplayFailure {
        match super::check::oracle_state(plain(), &rec.model, k) {
            Some(super::oracle::DataFault::Stale(d)) => v = v.worst(Verdict::new(Class::StaleData, d)),
            Some(super::oracle::DataFault::Lost(d)) => v = v.worst(Verdict::new(Class::LostDurableData, d)),
            None => {}
        }
        let mut ran = (0, 0);
        if let Some(d) = super::check::interrupted_replay(plain(), &mut ran) {
            v = v.worst(Verdict::new(Class::ReplayFailure, d));
        }
    }
    (v.class, hash)
}

/// A state the explorer checked: point, persisted prefixes, class, hash.
type Seen = (usize, Vec<(u64, u16)>, Class, u128);

#[test]
fn overlay_explorer_agrees_with_a_naive_one() {
    use std::sync::Mutex;
    let base = poisoned_image();
    let wl = workload::parse(HOLE).unwrap();
    for (policy, inj) in [(Policy::Zeroed, "no-fence"), (Policy::Unwritten, "skip-zero"), (Policy::Ext2, "")] {
        let mut inject = Inject::default();
        inject.set(inj);
        let opts = Options { policy, inject, max_states: 6, jobs: 1, seed: 3, ..Options::default() };
        let seen: Mutex<Vec<Seen>> = Mutex::new(Vec::new());
        let obs = |k: usize, p: &[(u64, u16)], v: &Verdict, h: u128| {
            seen.lock().unwrap().push((k, p.to_vec(), v.class, h));
        };
        let ex = explore_observed(&base, &wl, &opts, &|_, _| {}, Some(&obs)).unwrap();
        let seen = seen.into_inner().unwrap();
        assert!(seen.len() as u64 >= ex.report.states_checked);
        let mut naive_distinct = std::collections::HashSet::new();
        let mut overlay_distinct = std::collections::HashSet::new();
        let mut classes = std::collections::BTreeSet::new();
        for (k, persisted, class, h) in &seen {
            let (naive, nh) = naive_verdict(&ex.recording, &base, *k, persisted);
            assert_eq!(naive, *class, "{policy}+{inj}: point {k}, persisted {persisted:?}");
            naive_distinct.insert(nh);
            overlay_distinct.insert(*h);
            classes.insert(*class);
        }
        assert_eq!(naive_distinct.len(), overlay_distinct.len(), "{policy}+{inj}: distinct states");
        assert_eq!(overlay_distinct.len() as u64, ex.report.states_distinct);
        eprintln!(
            "{policy}+{inj}: {} states agree, {} distinct, classes {classes:?}",
            seen.len(),
            naive_distinct.len()
        );
        if !inj.is_empty() {
            assert!(classes.contains(&Class::StaleData), "{policy}+{inj}: the bug is found");
        }
    }
}

/// A workload per acceptance case: the fault into a hole, into a fallocated extent, and a
/// multi-file one.
pub(crate) const UNWRITTEN: &str = include_str!("../../tests/data/fault-into-unwritten.wl");

#[test]
fn reduce_and_exhaustive_modes_agree() {
    let base = poisoned_image();
    for text in [HOLE, UNWRITTEN] {
        let wl = workload::parse(text).unwrap();
        for (policy, inj) in [
            (Policy::Ext2, ""),
            (Policy::Unwritten, ""),
            (Policy::Zeroed, ""),
            (Policy::Zeroed, "no-ordered"),
            (Policy::Unwritten, "skip-zero"),
            (Policy::Zeroed, "skip-zero"),
            (Policy::Ext2, "no-fence"),
            (Policy::Zeroed, "no-fence"),
            (Policy::Unwritten, "no-ordered"),
        ] {
            let mut inject = Inject::default();
            inject.set(inj);
            let verdicts = |reduce: bool| {
                let opts = Options { policy, inject, reduce, max_states: 64, jobs: 2, ..Options::default() };
                let r = explore(&base, &wl, &opts, &|_, _| {}).unwrap().report;
                let classes: std::collections::BTreeSet<Class> = r.found.iter().map(|f| f.class).collect();
                (r.has_violations(), classes, r.invariant_breaks.len())
            };
            let (a, b) = (verdicts(false), verdicts(true));
            assert_eq!(a, b, "{policy}+{inj}: exhaustive vs --reduce");
            assert_eq!(b.2, 0, "{policy}+{inj}: the jbd2 invariants hold");
        }
    }
}
