//! `e4dax demo`: the library's crash demo, printed as one table.

use std::process::ExitCode;

use anyhow::Context;
use e4dax::clock::Clock;
use e4dax::crash::demo;

use crate::cli::DemoArgs;
use crate::output;

pub fn run(a: &DemoArgs, clock: Clock, json_out: bool) -> anyhow::Result<ExitCode> {
    let dir = match &a.dir {
        Some(d) => d.clone(),
        None => {
            let base = std::env::temp_dir();
            let mut n = 0u32;
            loop {
                let d = base.join(format!("e4dax-demo-{}-{n}", std::process::id()));
                if !d.exists() {
                    break d;
                }
                n += 1;
            }
        }
    };
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let clock = crate::crash::fixed_clock(clock);
    let pb = output::progress(demo::CONFIGS.len() as u64, "demo");
    let rows = demo::run(&dir, a.max_states.max(1), jobs, clock, &|i, name| {
        pb.set_position(i as u64);
        pb.set_message(name.to_string());
    })
    .with_context(|| format!("demo in {}", dir.display()))?;
    pb.finish_and_clear();
    if json_out {
        output::print_json(&serde_json::json!({ "dir": dir.display().to_string(), "rows": rows }))?;
    } else {
        let mut t = output::FitTable::new(&[
            ("policy", 0),
            ("injected", 0),
            ("expected", 3),
            ("crash states (all / --reduce)", 2),
            ("checked", 4),
            ("violations", 0),
            ("first violating step", 1),
            ("as DESIGN says", 0),
        ]);
        for r in &rows {
            t.row(vec![
                r.policy.clone(),
                r.injected.clone(),
                r.expected.to_string(),
                format!("{} / {}", r.states_total, r.states_reduced),
                r.states_checked.to_string(),
                r.violations.to_string(),
                r.first_violation.clone().unwrap_or_else(|| "-".into()),
                if r.as_expected { "yes".into() } else { "NO".to_string() },
            ]);
        }
        output::emit(&format!(
            "One write fault into a hole (create, fault, background commit, msync) on a {} MiB poisoned image,\n\
             every crash state of each policy and known bug explored (jbd2-protected stores reduced).",
            demo::IMAGE_BYTES >> 20
        ));
        t.print();
        output::emit(&format!(
            "Image, workload, reproducers (crash.img + state.json per violation) and timelines (*.svg) are in {}",
            dir.display()
        ));
        output::emit("Try: e4dax read DIR/POLICY+BUG/01-*/crash.img /f --check-stale ; e2fsck -fn that image");
    }
    let ok = rows.iter().all(|r| r.as_expected);
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
