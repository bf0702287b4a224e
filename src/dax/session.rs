//! One command's run of the fault path on any device: mounted on a recording copy-on-write
//! overlay of the image (journal replayed as mount would), driven, ended as an unmount or cut
//! at `stop_after` like a power cut, and the resulting state — every store, or only what was
//! durable at the cut (DESIGN §3, per context) — written back to the image.

use super::{Dax, Flow, FlowResult, Inject, Policy, RaceRead, Seen, Stats, Step, StepRow, StopReport, Violation};
use crate::clock::Clock;
use crate::error::Result;
use crate::fs::mount::JournalState;
use crate::fs::Fs;
use crate::pmem::durable::{self, Keep, StateSummary};
use crate::pmem::{CowDevice, Device, RecordingDevice, Trace};

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub policy: Policy,
    pub inject: Inject,
    pub stop_after: Option<Step>,
    pub race_after: Option<Step>,
    /// At a stop, keep every store issued (the optimistic state) instead of only the durable
    /// ones.
    pub keep_pending: bool,
    /// Keep a row per step.
    pub trace: bool,
    /// Leave committed transactions in the log at the end.
    pub no_checkpoint: bool,
    /// Where inode and commit times come from.
    pub clock: Clock,
}

/// The device a session drives.
pub type SessionDevice<D> = RecordingDevice<CowDevice<D>>;

/// What a session did.
#[derive(Debug, serde::Serialize)]
pub struct Outcome {
    pub policy: Policy,
    pub injected: Vec<&'static str>,
    /// The step the path was cut after, if any.
    pub stopped_after: Option<&'static str>,
    /// `--stop-after` given but never reached.
    pub stop_not_reached: Option<&'static str>,
    pub stop: Option<StopReport>,
    pub state: StateSummary,
    pub rows: Vec<StepRow>,
    pub races: Vec<RaceRead>,
    pub stats: Stats,
    pub lock_violations: Vec<Violation>,
    /// What the faulted block holds on the image afterwards (zeros, data, poison).
    pub block_on_image: Option<(u64, Seen)>,
    /// What a reader of the faulted page sees on the image afterwards (after replaying the
    /// journal in memory, as a read-only mount): an unwritten extent or a hole reads as zeros
    /// whatever its block holds.
    pub reader_sees: Option<Seen>,
    pub journal_replayed_at_mount: bool,
    pub trace_events: usize,
}

/// Run `body` on `base` (which must hold an ext4 image): see the module documentation. On an
/// error from `body` nothing is written to `base`.
pub fn run<D, T>(
    base: D,
    opts: &Options,
    body: impl FnOnce(&mut Dax<SessionDevice<D>>) -> FlowResult<T>,
) -> Result<(D, Outcome, Option<T>, Trace)>
where
    D: Device,
{
    let dev = RecordingDevice::over(CowDevice::new(base));
    let (mut fs, jstate) = Fs::mount(dev, true)?;
    fs.clock = opts.clock;
    let mut dax = Dax::new(fs, opts.policy, opts.inject);
    Dax::check_block_size(&dax.fs)?;
    dax.stop_after = opts.stop_after;
    dax.race_after = opts.race_after;
    dax.record_rows = opts.trace;
    let mut value = None;
    match body(&mut dax) {
        Ok(v) => {
            value = Some(v);
            match dax.unmount(opts.no_checkpoint) {
                Ok(()) | Err(Flow::Stopped) => {}
                Err(Flow::Failed(e)) => return Err(e),
            }
        }
        Err(Flow::Stopped) => {}
        Err(Flow::Failed(e)) => return Err(e),
    }
    let stopped = dax.stopped();
    let stop = stopped.map(|_| dax.stop_report());
    let phys = dax.current_block();
    let (cur_ino, cur_lblk) = dax.current_page();
    let stats = dax.stats.clone();
    let rows = std::mem::take(&mut dax.rows);
    let races = std::mem::take(&mut dax.races);
    let lock_violations = dax.locks.violations.clone();
    let (cow, trace) = dax.fs.dev.into_inner();
    let mut base = cow.into_base();
    let keep = if stopped.is_some() && !opts.keep_pending { Keep::Durable } else { Keep::All };
    let state = durable::write_state(&trace, trace.len(), keep, &mut base)?;
    base.sync()?;
    let block_on_image = match phys {
        Some(p) => {
            let b = base.view(p * 4096, 4096)?;
            Some((p, super::engine::classify(&b)))
        }
        None => None,
    };
    let reader_sees = match (cur_ino, phys) {
        (Some(ino), Some(_)) => reader_view(&mut base, ino, cur_lblk),
        _ => None,
    };
    let outcome = Outcome {
        policy: opts.policy,
        injected: opts.inject.names(),
        stopped_after: stopped.map(|s| s.name()),
        stop_not_reached: match (opts.stop_after, stopped) {
            (Some(s), None) => Some(s.name()),
            _ => None,
        },
        stop,
        state,
        rows,
        races,
        stats,
        lock_violations,
        block_on_image,
        reader_sees,
        journal_replayed_at_mount: matches!(jstate, JournalState::Replayed(_)),
        trace_events: trace.len(),
    };
    Ok((base, outcome, value, trace))
}

/// What a reader sees at logical block `lblk` of `ino` on `dev` (journal replayed in memory).
fn reader_view<D: Device>(dev: &mut D, ino: u32, lblk: u32) -> Option<Seen> {
    let (fs, _) = Fs::mount(dev, false).ok()?;
    let node = fs.inode(ino).ok()?;
    let e = fs.extents_in_range(ino, &node, lblk, u64::from(lblk) + 1).ok()?;
    match e.into_iter().find(|e| e.logical <= lblk && e.logical_end() > u64::from(lblk)) {
        Some(e) if !e.unwritten => {
            let b = fs.block(e.physical + u64::from(lblk - e.logical)).ok()?;
            Some(super::engine::classify(&b))
        }
        _ => Some(Seen::Zeros),
    }
}
