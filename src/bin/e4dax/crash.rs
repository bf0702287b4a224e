//! `e4dax crash`: explore every crash state of a workload (the library's `crash` module), print
//! the report, save reproducers; `crash replay` and `crash merge`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use e4dax::clock::Clock;
use e4dax::crash::{self, state, Granularity, Report};
use e4dax::dax::workload;
use e4dax::pmem::{Device, MappedImage};

use crate::cli::{CrashArgs, CrashMergeArgs, CrashReplayArgs, CrashRunArgs, CrashSub, GranularityArg};
use crate::dax::{inject_of, policy_of};
use crate::output;

/// Exit status when violations were found.
pub const EXIT_VIOLATIONS: u8 = 4;

pub fn run(a: &CrashArgs, clock: Clock, json_out: bool) -> anyhow::Result<ExitCode> {
    match &a.sub {
        Some(CrashSub::Replay(r)) => replay(r, json_out),
        Some(CrashSub::Merge(m)) => merge(m, json_out),
        None => explore(&a.run, clock, json_out),
    }
}

fn parse_shard(s: &str) -> anyhow::Result<(u32, u32)> {
    let (k, n) = s.split_once('/').with_context(|| format!("--shard {s}: expected K/N"))?;
    let k: u32 = k.trim().parse().with_context(|| format!("--shard {s}: K is not a number"))?;
    let n: u32 = n.trim().parse().with_context(|| format!("--shard {s}: N is not a number"))?;
    if n == 0 || k == 0 || k > n {
        bail!("--shard {s}: K must be between 1 and N");
    }
    Ok((k, n))
}

/// A crash clock: --time / E4DAX_TIME when given, else now, fixed for the whole run so that every
/// state can be rebuilt.
pub fn fixed_clock(clock: Clock) -> Clock {
    Clock::fixed(clock.now())
}

/// Read the base image (mapped read-only, shared lock: never written).
pub fn map_base(path: &Path) -> anyhow::Result<MappedImage> {
    let dev = MappedImage::open(path, false)?;
    if dev.is_empty() {
        bail!("{}: empty image", path.display());
    }
    Ok(dev)
}

fn explore(a: &CrashRunArgs, clock: Clock, json_out: bool) -> anyhow::Result<ExitCode> {
    let (Some(image), Some(wl_path)) = (&a.image, &a.workload) else { bail!("crash: IMAGE and WORKLOAD are required") };
    let ctx = || format!("crash {}", image.display());
    let text = std::fs::read_to_string(wl_path).with_context(|| format!("crash: {}", wl_path.display()))?;
    let wl = workload::parse(&text).with_context(|| format!("crash: {}", wl_path.display()))?;
    let shard = a.shard.as_deref().map(parse_shard).transpose()?;
    let opts = crash::Options {
        policy: policy_of(a.policy),
        inject: inject_of(&a.inject),
        clock: fixed_clock(clock),
        at_step: a.at_step.clone(),
        granularity: match a.granularity {
            GranularityArg::Line => Granularity::Line,
            GranularityArg::Word8 => Granularity::Word8,
        },
        max_states: a.max_states.max(1),
        seed: a.seed,
        reduce: a.reduce,
        shard,
        jobs: a.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1),
        interrupt_replay: true,
        workload_name: wl_path.display().to_string(),
    };
    let dev = map_base(image).with_context(ctx)?;
    let base = dev.view(0, dev.len() as usize).with_context(ctx)?;
    let pb = output::progress(0, "crash points");
    let ex = crash::explore(&base, &wl, &opts, &|done, total| {
        pb.set_length(total as u64);
        pb.set_position(done as u64);
    });
    pb.finish_and_clear();
    let mut ex = ex.with_context(ctx)?;
    if let Some(dir) = &a.save {
        state::save_reproducers(dir, &mut ex, &base, image, &text, &opts, a.minimize).with_context(ctx)?;
    }
    if let Some(svg) = &a.svg {
        std::fs::write(svg, crash::svg::render(&ex.report)).with_context(|| format!("--svg {}", svg.display()))?;
    }
    print_report(&ex.report, json_out)?;
    Ok(exit_code(&ex.report))
}

fn exit_code(r: &Report) -> ExitCode {
    if r.has_violations() {
        ExitCode::from(EXIT_VIOLATIONS)
    } else {
        ExitCode::SUCCESS
    }
}

/// Print a report as a few tables, or as JSON.
pub fn print_report(r: &Report, json_out: bool) -> anyhow::Result<()> {
    if json_out {
        return output::print_json(r);
    }
    let inj = if r.injected.is_empty() { "none".to_string() } else { r.injected.join(", ") };
    let mut t = output::FitTable::new(&[("crash exploration", 0), ("", 0)]).wrap("");
    t.row(vec!["workload".to_string(), r.workload.clone()]);
    t.row(vec!["policy / injected".to_string(), format!("{} / {inj}", r.policy)]);
    t.row(vec!["persistence model".to_string(), r.model.clone()]);
    if let Some([k, n]) = r.shard {
        t.row(vec!["shard".to_string(), format!("{k}/{n}")]);
    }
    t.row(vec![
        "crash points".to_string(),
        format!(
            "{} checked of {} (trace of {} events){}; {} sampled (over {} states)",
            r.points_checked,
            r.points_total,
            r.trace_events,
            r.at_step.as_deref().map(|s| format!(", inside {s}")).unwrap_or_default(),
            r.points_sampled,
            r.max_states
        ),
    ]);
    t.row(vec!["states (exhaustive model)".to_string(), r.states_total.to_string()]);
    if let Some(red) = r.states_reduced {
        t.row(vec!["states (--reduce)".to_string(), red.to_string()]);
    }
    t.row(vec![
        "states checked".to_string(),
        format!(
            "{} ({} distinct images); {} checks run, {} memoised",
            r.states_checked, r.states_distinct, r.checks_run, r.checks_memoised
        ),
    ]);
    t.row(vec![
        "replay interrupted".to_string(),
        format!("{} distinct journals, cut at {} places and replayed again", r.replays_interrupted, r.replay_cuts),
    ]);
    t.row(vec![
        "speed".to_string(),
        format!("{:.0} states/s ({} jobs, {:.2} s)", r.states_per_second, r.jobs, r.elapsed_seconds),
    ]);
    t.row(vec!["violations".to_string(), r.violations.to_string()]);
    t.print();
    let classes: Vec<&str> = crash::Class::ALL.iter().map(|c| c.name()).collect();
    let mut header = vec![("step", 0)];
    header.extend(classes.iter().map(|c| (*c, 0)));
    let mut by = output::FitTable::new(&header);
    for (step, m) in &r.by_step {
        let mut row = vec![step.clone()];
        row.extend(classes.iter().map(|c| m.get(*c).map_or(String::new(), |v| v.to_string())));
        by.row(row);
    }
    by.print();
    for b in &r.invariant_breaks {
        output::emit(&format!("invariant broken: {}: {}", b.invariant, b.detail));
    }
    for f in &r.found {
        output::emit(&format!(
            "{} at crash point {} ({}, {} context): {}{}",
            f.class,
            f.point,
            f.step,
            f.context,
            f.detail,
            f.saved.as_deref().map(|s| format!("\n  saved: {s}")).unwrap_or_default()
        ));
    }
    if !r.has_violations() {
        output::emit("no violation");
    }
    Ok(())
}

fn replay(a: &CrashReplayArgs, json_out: bool) -> anyhow::Result<ExitCode> {
    let ctx = || format!("crash replay {}", a.state.display());
    let text = std::fs::read_to_string(&a.state).with_context(ctx)?;
    let sf: state::StateFile = serde_json::from_str(&text).with_context(ctx)?;
    let base_path = a.base.clone().unwrap_or_else(|| sf.base_image.clone().into());
    let dev = map_base(&base_path).with_context(ctx)?;
    let base = dev.view(0, dev.len() as usize).with_context(ctx)?;
    let (st, _) = state::rebuild(&sf, &base).with_context(ctx)?;
    let sha = st.sha256(&base);
    if sha != sf.image_sha256 {
        bail!("{}: rebuilt image has sha256 {sha}, state.json says {}", ctx(), sf.image_sha256);
    }
    st.write_image(&base, &a.out).with_context(ctx)?;
    if json_out {
        output::print_json(
            &serde_json::json!({ "out": a.out.display().to_string(), "sha256": sha, "class": sf.class, "point": sf.point }),
        )?;
    } else {
        output::emit(&format!(
            "{}: sha256 {sha} ({} at crash point {}, {})",
            a.out.display(),
            sf.class,
            sf.point,
            sf.step
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn merge(a: &CrashMergeArgs, json_out: bool) -> anyhow::Result<ExitCode> {
    let mut reports = Vec::new();
    for p in &a.reports {
        let text = std::fs::read_to_string(p).with_context(|| format!("crash merge: {}", p.display()))?;
        let r: Report = serde_json::from_str(&text).with_context(|| format!("crash merge: {}", p.display()))?;
        reports.push(r);
    }
    let r = crash::merge(reports).context("crash merge")?;
    if let Some(svg) = &a.svg {
        std::fs::write(svg, crash::svg::render(&r)).with_context(|| format!("--svg {}", svg.display()))?;
    }
    print_report(&r, json_out)?;
    Ok(exit_code(&r))
}
