//! The fault-path commands: `fault`, `write`, `msync`, `run` — each a session of the library's
//! `dax::session` on the image, printed.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use e4dax::clock::Clock;
use e4dax::dax::session::{self, Outcome, SessionDevice};
use e4dax::dax::{workload, Access, Dax, FlowResult, Inject, Policy, Step};
use e4dax::ondisk::features;
use e4dax::ondisk::superblock::{self, Superblock};
use e4dax::pmem::{Device, MappedImage};
use e4dax::units::parse_size;
use serde_json::json;

use crate::cli::{DataArgs, FaultArgs, InjectArg, MsyncArgs, PathOpts, PolicyArg, RunArgs, WriteArgs};
use crate::output;

/// Exit status when the path broke a lock-rank rule.
const EXIT_LOCK_VIOLATION: u8 = 3;

pub fn policy_of(p: PolicyArg) -> Policy {
    match p {
        PolicyArg::Ext2 => Policy::Ext2,
        PolicyArg::Unwritten => Policy::Unwritten,
        PolicyArg::Zeroed => Policy::Zeroed,
    }
}

pub fn inject_of(v: &[InjectArg]) -> Inject {
    let mut inject = Inject::default();
    for i in v {
        match i {
            InjectArg::SkipZero => inject.skip_zero = true,
            InjectArg::NoFence => inject.no_fence = true,
            InjectArg::NoOrdered => inject.no_ordered = true,
            InjectArg::LockInversion => inject.lock_inversion = true,
        }
    }
    inject
}

fn options(p: &PathOpts, race: Option<&str>, clock: Clock, no_checkpoint: bool) -> session::Options {
    let policy = policy_of(p.policy);
    let inject = inject_of(&p.inject);
    session::Options {
        policy,
        inject,
        stop_after: p.stop_after.as_deref().and_then(Step::from_name),
        race_after: race.and_then(Step::from_name),
        keep_pending: p.keep_pending,
        trace: p.trace,
        no_checkpoint,
        clock,
    }
}

fn data(d: &DataArgs, len: Option<u64>) -> anyhow::Result<Vec<u8>> {
    Ok(workload::data_from(d.data.as_deref(), d.pattern.as_deref(), d.from.as_deref(), len)?)
}

/// Open `image` for writing and run `body` in a session; print what happened.
fn run_session(
    image: &Path,
    opts: &session::Options,
    what: &str,
    json_out: bool,
    body: impl FnOnce(&mut Dax<SessionDevice<MappedImage>>) -> FlowResult,
) -> anyhow::Result<ExitCode> {
    let ctx = || format!("{what} {}", image.display());
    let dev = MappedImage::open(image, true).with_context(ctx)?;
    if let Ok(sb) = Superblock::parse(&dev.view(superblock::OFFSET, superblock::SIZE)?) {
        features::check_writable(sb.f.s_feature_incompat, sb.f.s_feature_ro_compat).with_context(ctx)?;
    }
    let (_dev, outcome, _, _) = session::run(dev, opts, body).with_context(ctx)?;
    if outcome.journal_replayed_at_mount {
        eprintln!("e4dax: {}: replayed the journal first, as mount does", image.display());
    }
    if let Some(step) = outcome.stop_not_reached {
        eprintln!("e4dax: {what}: the path never ran {step}: it completed");
    }
    print_outcome(&outcome, json_out)?;
    if let Some(v) = outcome.lock_violations.first() {
        eprintln!("e4dax: {what}: {v}");
        return Ok(ExitCode::from(EXIT_LOCK_VIOLATION));
    }
    Ok(ExitCode::SUCCESS)
}

fn print_outcome(o: &Outcome, json_out: bool) -> anyhow::Result<()> {
    if json_out {
        return output::print_json(o);
    }
    let mut text = String::new();
    if !o.rows.is_empty() {
        let mut t = output::FitTable::new(&[
            ("step", 0),
            ("ctx", 3),
            ("locks", 2),
            ("alloc", 4),
            ("zero", 4),
            ("conv", 4),
            ("extent after", 1),
            ("tid", 5),
            ("st/fl/fe", 6),
            ("note", 0),
        ])
        .wrap("note");
        for r in &o.rows {
            t.row(vec![
                r.step.to_string(),
                r.context.to_string(),
                r.locks.join(","),
                r.allocated.to_string(),
                r.zeroed.to_string(),
                r.converted.to_string(),
                r.extent.clone(),
                r.transaction.map_or("-".into(), |t| t.to_string()),
                format!("{}/{}/{}", r.stores, r.flushes, r.fences),
                r.note.clone(),
            ]);
        }
        text.push_str(&t.render(output::width()));
        text.push('\n');
    }
    if let Some(s) = &o.stop {
        text.push_str(&format!("stopped after {} — power cut: the image keeps ", s.step));
        if o.state.kept_pending {
            text.push_str(&format!(
                "every store issued ({} pieces, --keep-pending)\n",
                o.state.durable_pieces + o.state.pending_pieces
            ));
        } else {
            text.push_str(&format!(
                "what was durable ({} cache-line pieces), {} pending pieces lost\n",
                o.state.durable_pieces, o.state.pending_pieces
            ));
        }
        text.push_str(&format!(
            "in flight: locks held: {}; running transaction {}: {} block(s), handle credits {} (lost with the buffer cache)\n",
            if s.locks.is_empty() { "none".to_string() } else { s.locks.join(", ") },
            s.transaction.map_or("-".into(), |t| t.to_string()),
            s.running_blocks,
            s.credits
        ));
        if let Some(ino) = s.inode {
            let mut t = output::FitTable::new(&[
                ("logical", 0),
                ("physical", 0),
                ("length", 0),
                ("state (running transaction)", 0),
            ]);
            for e in &s.extents {
                t.row(vec![
                    format!("{}-{}", e.logical, e.logical_end() - 1),
                    format!("{}-{}", e.physical, e.physical + u64::from(e.len) - 1),
                    e.len.to_string(),
                    if e.unwritten { "unwritten".into() } else { "written".to_string() },
                ]);
            }
            text.push_str(&format!(
                "inode {ino} extents as the running transaction sees them:\n{}\n",
                t.render(output::width())
            ));
        }
    }
    if let Some((blk, seen)) = o.block_on_image {
        text.push_str(&format!("block {blk} on the image now holds: {}", seen_name(seen)));
        match o.reader_sees {
            Some(r) if r != seen => {
                text.push_str(&format!("; a reader of the page sees {} (its extent on the image)\n", seen_name(r)))
            }
            _ => text.push('\n'),
        }
    }
    for r in &o.races {
        match r.blocked_on {
            Some(l) => text.push_str(&format!("race reader after {}: blocked on the {l}\n", r.after)),
            None => text.push_str(&format!(
                "race reader after {} (through the {}): saw {} ({}…)\n",
                r.after,
                r.via,
                seen_name(r.seen),
                r.first_bytes
            )),
        }
    }
    let s = &o.stats;
    text.push_str(&format!(
        "policy {}{}: {} major / {} minor fault(s), {} get-block call(s), {} allocated, {} zeroed, {} converted{}",
        o.policy,
        if o.injected.is_empty() { String::new() } else { format!(" + {}", o.injected.join(" + ")) },
        s.major_faults,
        s.minor_faults,
        s.get_block_calls,
        s.blocks_allocated,
        s.blocks_zeroed,
        s.blocks_converted,
        if s.enospc_retries > 0 { format!(", {} ENOSPC retr(ies)", s.enospc_retries) } else { String::new() }
    ));
    output::emit_text(&text);
    Ok(())
}

fn seen_name(s: e4dax::dax::Seen) -> &'static str {
    match s {
        e4dax::dax::Seen::Zeros => "zeros",
        e4dax::dax::Seen::Data => "data",
        e4dax::dax::Seen::Poison => "POISON (stale data)",
        e4dax::dax::Seen::Blocked => "nothing (blocked)",
    }
}

pub fn fault(a: &FaultArgs, clock: Clock, json_out: bool, no_checkpoint: bool) -> anyhow::Result<ExitCode> {
    let what = format!("fault {}", a.path);
    let off = parse_size(&a.offset).with_context(|| what.clone())?;
    let len = a.len.as_deref().map(parse_size).transpose().with_context(|| what.clone())?;
    let bytes = data(&a.data, len)?;
    if a.read && !bytes.is_empty() {
        bail!("{what}: a read fault stores nothing: --data/--pattern/--from need --write");
    }
    let access = if a.write { Access::Write } else { Access::Read };
    let opts = options(&a.path_opts, a.race_read_after.as_deref(), clock, no_checkpoint);
    let len = len.unwrap_or(bytes.len().max(1) as u64);
    let (path, private, msync) = (a.path.clone(), a.private, a.msync);
    run_session(&a.image, &opts, "fault", json_out, move |dax| {
        let (ino, _) = dax.fs.extent_file(&path)?;
        dax.fault(ino, off, len, access, private, &bytes)?;
        if msync {
            dax.msync(ino, Some((off, len)))?;
        }
        Ok(())
    })
}

pub fn write(a: &WriteArgs, clock: Clock, json_out: bool, no_checkpoint: bool) -> anyhow::Result<ExitCode> {
    let what = format!("write {}", a.path);
    let off = parse_size(&a.offset).with_context(|| what.clone())?;
    let len = a.len.as_deref().map(parse_size).transpose().with_context(|| what.clone())?;
    let bytes = data(&a.data, len)?;
    if bytes.is_empty() {
        bail!("{what}: give the data: --data HEX, --pattern TEXT or --from FILE");
    }
    let opts = options(&a.path_opts, None, clock, no_checkpoint);
    let path = a.path.clone();
    run_session(&a.image, &opts, "write", json_out, move |dax| {
        let (ino, _) = dax.fs.extent_file(&path)?;
        dax.write(ino, off, &bytes)
    })
}

pub fn msync(a: &MsyncArgs, clock: Clock, json_out: bool, no_checkpoint: bool) -> anyhow::Result<ExitCode> {
    let what = format!("msync {}", a.path);
    let range = match (&a.offset, &a.len) {
        (Some(o), Some(l)) => {
            Some((parse_size(o).with_context(|| what.clone())?, parse_size(l).with_context(|| what.clone())?))
        }
        _ => None,
    };
    let opts = session::Options { no_checkpoint, clock, ..Default::default() };
    let path = a.path.clone();
    run_session(&a.image, &opts, "msync", json_out, move |dax| {
        let (ino, _) = dax.fs.extent_file(&path)?;
        dax.msync(ino, range)
    })
}

pub fn run(a: &RunArgs, clock: Clock, json_out: bool, no_checkpoint: bool) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&a.workload).with_context(|| format!("run: {}", a.workload.display()))?;
    let wl = workload::parse(&text).with_context(|| format!("run: {}", a.workload.display()))?;
    let opts = options(&a.path_opts, None, clock, no_checkpoint);
    let code = run_session(&a.image, &opts, "run", json_out, move |dax| workload::run(dax, &wl))?;
    if json_out {
        let _ = json!({});
    }
    Ok(code)
}
