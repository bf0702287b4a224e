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

pub(crate) const HOLE: &str = "create /f --size 4K\nfault /f --offset 0 --write --pattern DATA\ncommit\nmsync /f\n";

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

#[test]
#[ignore]
fn debug_variable_units() {
    let base = poisoned_image();
    let wl = workload::parse(HOLE).unwrap();
    let rec =
        super::record::record(&base, &wl, Policy::Zeroed, Inject::default(), crate::clock::Clock::fixed(0)).unwrap();
    let prot = super::reduce::protected_events(&rec);
    let mut sweep = super::sweep::Sweep::new(&rec.trace, &base, 64, prot.clone());
    for k in 0..=rec.trace.len() {
        sweep.advance_to(k);
        let unprot: Vec<_> = sweep.variable().filter(|(_, x)| !x.protected).map(|(u, _)| u).collect();
        if unprot.len() > 3 {
            let e = &rec.trace.events()[k - 1];
            eprintln!(
                "point {k} after {:?} {} {:?}: {} unprotected, first {:?}",
                e.kind,
                e.tag,
                e.ctx,
                unprot.len(),
                &unprot[..4]
            );
        }
    }
    for (i, e) in rec.trace.events().iter().enumerate() {
        eprintln!("{i}: {:?} {} {:?} off {} len {} prot {}", e.kind, e.tag, e.ctx, e.off, e.len, prot[i]);
    }
}
