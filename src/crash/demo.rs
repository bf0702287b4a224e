//! `e4dax demo`: on a small poisoned image, the canonical one-fault workload of DESIGN §4 under
//! each policy and each known bug of its expected-outcome list, every crash state explored; one
//! row per configuration, with the reproducers and timelines written beside the image.

use std::path::{Path, PathBuf};

use super::explore::{explore, Options};
use super::state::save_reproducers;
use crate::clock::Clock;
use crate::dax::workload;
use crate::dax::{Inject, Policy};
use crate::error::{Error, Result};
use crate::fs::layout::Params;
use crate::fs::mkfs::{mkfs, MkfsOptions};
use crate::pmem::{Device, MappedImage};

/// The canonical one-fault workload: a sized hole, one write fault, the background commit,
/// then the process's msync.
pub const WORKLOAD: &str = "\
# DESIGN §4's canonical one-fault workload: a write fault into a hole
create /f --size 4K
fault /f --offset 0 --write --pattern DATA
commit          # background persistence of metadata (jbd2 commit, or the flusher's writeback)
msync /f
";

/// DESIGN §4's expected outcomes: (policy, injection, stale data expected).
pub const CONFIGS: [(Policy, Option<&str>, bool); 9] = [
    (Policy::Ext2, None, false),
    (Policy::Unwritten, None, false),
    (Policy::Zeroed, None, false),
    (Policy::Zeroed, Some("no-ordered"), false),
    (Policy::Unwritten, Some("skip-zero"), true),
    (Policy::Zeroed, Some("skip-zero"), true),
    (Policy::Ext2, Some("no-fence"), true),
    (Policy::Zeroed, Some("no-fence"), true),
    (Policy::Unwritten, Some("no-ordered"), true),
];

/// One row of the demo's table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Row {
    pub policy: String,
    pub injected: String,
    pub expected: &'static str,
    pub points: usize,
    pub states_total: String,
    pub states_reduced: String,
    pub states_checked: u64,
    pub violations: u64,
    pub first_violation: Option<String>,
    /// Whether the outcome is the one DESIGN §4 expects.
    pub as_expected: bool,
    pub reproducers: Option<String>,
    pub svg: String,
    pub seconds: f64,
}

/// Size of the demo's image.
pub const IMAGE_BYTES: u64 = 16 << 20;

/// Make the demo's image (poisoned, with a journal) at `path`.
pub fn make_image(path: &Path, clock: Clock) -> Result<()> {
    let mut dev = MappedImage::create(path, IMAGE_BYTES, true)?;
    let params = Params { size_bytes: IMAGE_BYTES, journal_bytes: None, inodes: None, journal: true };
    let opts = MkfsOptions { params, uuid: [0xD4; 16], label: "e4dax-demo".into(), time: clock.now(), poison: true };
    mkfs(&mut dev, &opts, &mut |_, _| {})?;
    dev.sync()?;
    Ok(())
}

/// Run the demo in `dir`: the image, the workload, then every configuration.
pub fn run(dir: &Path, max_states: u64, jobs: usize, clock: Clock, progress: &dyn Fn(usize, &str)) -> Result<Vec<Row>> {
    let io = |p: &Path, e: std::io::Error| Error::Invalid(format!("{}: {e}", p.display()));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let img = dir.join("pm.img");
    make_image(&img, clock)?;
    let wl_path = dir.join("fault-into-hole.wl");
    std::fs::write(&wl_path, WORKLOAD).map_err(|e| io(&wl_path, e))?;
    let wl = workload::parse(WORKLOAD)?;
    let dev = MappedImage::open(&img, false)?;
    let base = dev.view(0, dev.len() as usize)?;
    let mut rows = Vec::new();
    for (i, (policy, inj, stale)) in CONFIGS.iter().enumerate() {
        let mut inject = Inject::default();
        if let Some(n) = inj {
            inject.set(n);
        }
        let name = match inj {
            Some(n) => format!("{policy}+{n}"),
            None => policy.to_string(),
        };
        progress(i, &name);
        let opts = Options {
            policy: *policy,
            inject,
            clock,
            max_states,
            reduce: true,
            jobs,
            workload_name: "fault-into-hole.wl".into(),
            ..Options::default()
        };
        let mut ex = explore(&base, &wl, &opts, &|_, _| {})?;
        let repro: Option<PathBuf> = (!ex.report.found.is_empty()).then(|| dir.join(&name));
        if let Some(d) = &repro {
            save_reproducers(d, &mut ex, &base, &img, WORKLOAD, &opts, false)?;
        }
        let svg = dir.join(format!("{name}.svg"));
        std::fs::write(&svg, super::svg::render(&ex.report)).map_err(|e| io(&svg, e))?;
        let r = &ex.report;
        let found_stale = r.found.iter().any(|f| f.class == super::Class::StaleData);
        rows.push(Row {
            policy: policy.to_string(),
            injected: inj.unwrap_or("-").to_string(),
            expected: if *stale { "stale data" } else { "safe" },
            points: r.points_checked,
            states_total: r.states_total.to_string(),
            states_reduced: r.states_reduced.map(|c| c.to_string()).unwrap_or_default(),
            states_checked: r.states_checked,
            violations: r.violations,
            first_violation: r.first_violation().map(|f| format!("{} ({})", f.step, f.class)),
            as_expected: if *stale { found_stale } else { !r.has_violations() },
            reproducers: repro.map(|d| d.display().to_string()),
            svg: svg.display().to_string(),
            seconds: r.elapsed_seconds,
        });
    }
    Ok(rows)
}
