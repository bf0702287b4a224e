//! The fault path on the library's devices: every step leaves a marker, `ext2` fences its
//! zeroing in the fault context before the link is written and never touches the journal, and a
//! fault gives the same final image on a recording device as on a mapped image.

use super::session::{self, Options};
use super::*;
use crate::fs::layout::Params;
use crate::fs::mkfs::{mkfs, MkfsOptions};
use crate::fs::Fs;
use crate::pmem::{Context, Device, EventKind, MappedImage, MemDevice, RecordingDevice};

const SIZE: u64 = 32 << 20;

fn image(journal: bool) -> Vec<u8> {
    let mut dev = MemDevice::new(vec![0; SIZE as usize]);
    let params = Params { size_bytes: SIZE, journal_bytes: None, inodes: None, journal };
    let opts = MkfsOptions { params, uuid: [7; 16], label: String::new(), time: 1_700_000_000, poison: true };
    mkfs(&mut dev, &opts, &mut |_, _| {}).unwrap();
    let mut fs = Fs::mount(dev, true).unwrap().0;
    let ino = fs.create("/f", false, false).unwrap();
    fs.truncate(ino, 8192).unwrap();
    fs.unmount().unwrap();
    fs.dev.view(0, SIZE as usize).unwrap().into_owned()
}

fn fault_on<D: Device>(dev: D, policy: Policy) -> D {
    let fs = Fs::mount(dev, true).unwrap().0;
    let mut dax = Dax::new(fs, policy, Inject::default());
    let (ino, _) = dax.fs.regular_file("/f").unwrap();
    dax.fault(ino, 0, 4, Access::Write, false, b"DATA").map_err(|_| "fault").unwrap();
    dax.unmount(false).map_err(|_| "unmount").unwrap();
    dax.fs.dev
}

#[test]
fn recording_and_mapped_devices_give_the_same_image() {
    let base = image(true);
    for policy in Policy::ALL {
        let rec = fault_on(RecordingDevice::new(base.clone()), policy);
        assert!(rec.trace().markers().count() > 10, "{policy}: every step leaves a marker");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.img");
        std::fs::write(&path, &base).unwrap();
        let mut mapped = fault_on(MappedImage::open(&path, true).unwrap(), policy);
        mapped.sync().unwrap();
        drop(mapped);
        let on_file = std::fs::read(&path).unwrap();
        // The clock may tick between the runs: compare with the inode times masked out.
        assert_eq!(mask_times(&on_file), mask_times(rec.memory()), "{policy}");
        // And a session (recording over a copy-on-write overlay, written back) agrees too.
        let (out, _, _, _) =
            session::run(MemDevice::new(base.clone()), &Options { policy, ..Options::default() }, |dax| {
                let (ino, _) = dax.fs.regular_file("/f")?;
                dax.fault(ino, 0, 4, Access::Write, false, b"DATA")
            })
            .unwrap();
        let out = out.view(0, SIZE as usize).unwrap().into_owned();
        assert_eq!(mask_times(&out), mask_times(rec.memory()), "{policy}: session");
    }
}

/// Every byte that differs between images made a second apart lies in inode slots (times and
/// checksums) or journal commit blocks (commit time, checksum): zero those blocks.
fn mask_times(img: &[u8]) -> Vec<u8> {
    let fs = Fs::open(MemDevice::new(img.to_vec())).unwrap();
    let mut out = img.to_vec();
    let bs = fs.block_size() as usize;
    let itb = fs.sb.inode_table_blocks() as usize;
    for g in fs.groups() {
        let s = g.inode_table as usize * bs;
        out[s..s + itb.min(2) * bs].fill(0);
    }
    if let Ok(Some((geo, _))) = fs.journal_geometry() {
        for j in 0..geo.maxlen {
            if let Ok(p) = geo.map(j) {
                out[p as usize * bs..(p as usize + 1) * bs].fill(0);
            }
        }
    }
    out
}

#[test]
fn ext2_fences_its_zeroing_before_the_link_and_leaves_the_journal_alone() {
    for journal in [true, false] {
        let rec = fault_on(RecordingDevice::new(image(journal)), Policy::Ext2);
        let t = rec.trace();
        let ev = t.events();
        let zero = ev.iter().position(|e| e.kind == EventKind::StoreNt && e.tag == "zero-block").expect("zeroing");
        assert_eq!(ev[zero].ctx, Context::Fault);
        let fence = ev[zero..].iter().position(|e| e.kind == EventKind::Fence).map(|i| i + zero).expect("a fence");
        assert_eq!(ev[fence].ctx, Context::Fault, "the fault context fences its own zeroing");
        let link = ev.iter().position(|e| e.kind.is_store() && e.tag == "writeback").expect("writeback");
        assert!(fence < link, "zeroing fenced (event {fence}) before the link is written (event {link})");
        assert!(ev[link].ctx == Context::Flusher);
        assert!(ev.iter().all(|e| e.tag != "commit" && e.tag != "checkpoint"), "journal {journal}: no jbd2 work");
    }
}

#[test]
fn a_stop_keeps_only_what_was_durable() {
    let base = image(true);
    let opts = Options { policy: Policy::Unwritten, stop_after: Some(Step::InsertMapping), ..Options::default() };
    let (out, outcome, _, trace) = session::run(MemDevice::new(base.clone()), &opts, |dax| {
        let (ino, _) = dax.fs.regular_file("/f")?;
        dax.fault(ino, 0, 4, Access::Write, false, b"DATA")
    })
    .unwrap();
    assert_eq!(outcome.stopped_after, Some("insert-mapping"));
    assert!(outcome.state.pending_pieces > 0 && outcome.state.durable_pieces == 0, "{:?}", outcome.state);
    assert_eq!(out.view(0, SIZE as usize).unwrap().as_ref(), &base[..], "nothing was durable yet");
    let steps: Vec<&str> = trace.markers().map(|m| m.1).collect();
    assert_eq!(
        steps,
        ["start-pagefault", "update-time", "journal-start", "lock-entry", "get-block", "zero-block", "insert-mapping"]
    );
}

/// A commit forced inside `journal-start` (the running transaction has no room for the fault's
/// handle) is in the trace as a `commit` marker of the jbd2 context, between the fault's
/// `update-time` and `journal-start` markers, and in the rows as a `commit` row of the jbd2
/// context right before the `journal-start` row.
#[test]
fn a_commit_forced_in_journal_start_is_a_jbd2_commit_in_trace_and_rows() {
    let fs = Fs::mount(RecordingDevice::new(image(true)), true).unwrap().0;
    let mut dax = Dax::new(fs, Policy::Zeroed, Inject::default());
    dax.fs.clock = crate::clock::Clock::fixed(1_800_000_000);
    dax.record_rows = true;
    let (ino, _) = dax.fs.regular_file("/f").unwrap();
    dax.fault(ino, 0, 1, Access::Write, false, b"A").map_err(|_| "fault 0").unwrap();
    // Page 1 at the same time: update-time changes nothing (no handle), so journal-start is the
    // first to find the transaction full.
    let held = dax.fs.running_blocks() as u32;
    assert!(held > 0);
    dax.fs.journal.as_mut().unwrap().max_transaction = held + crate::fs::file::EDIT_CREDITS - 1;
    let rows_before = dax.rows.len();
    let events_before = dax.fs.dev.trace().len();
    dax.fault(ino, 4096, 1, Access::Write, false, b"B").map_err(|_| "fault 1").unwrap();
    assert_eq!(dax.stats.forced_commits, 1);
    assert_eq!(dax.fs.forced_commits, 1);

    let rows = &dax.rows[rows_before..];
    let steps: Vec<(&str, &str)> = rows.iter().map(|r| (r.step, r.context)).collect();
    let js = steps.iter().position(|s| s.0 == "journal-start").expect("a journal-start row");
    assert_eq!(steps[js - 1], ("commit", "jbd2"), "{steps:?}");
    assert!(steps[..js - 1].iter().all(|s| s.0 != "commit"), "{steps:?}");
    let commit = &rows[js - 1];
    assert!(commit.note.contains("forced by journal-start"), "{}", commit.note);
    assert!(commit.stores > 0 && commit.fences > 0, "the commit row counts the commit's own work: {commit:?}");
    assert_eq!((rows[js].stores, rows[js].fences), (0, 0), "journal-start itself stores nothing");
    assert!(rows[js].note.contains("waited for the forced commit"), "{}", rows[js].note);

    let t = dax.fs.dev.trace();
    let markers: Vec<(&str, Context)> =
        t.markers().filter(|m| m.0 >= events_before as u64).map(|m| (m.1, m.2)).collect();
    let at = |name: &str| markers.iter().position(|m| m.0 == name).unwrap_or_else(|| panic!("{name}: {markers:?}"));
    assert!(at("update-time") < at("commit") && at("commit") < at("journal-start"), "{markers:?}");
    assert_eq!(markers[at("commit")].1, Context::Jbd2);
    // Every store of the forced commit is the jbd2 context's.
    let (from, to) = (
        t.markers().filter(|m| m.0 >= events_before as u64 && m.1 == "update-time").map(|m| m.0).next().unwrap(),
        t.markers().filter(|m| m.0 >= events_before as u64 && m.1 == "commit").map(|m| m.0).next().unwrap(),
    );
    let commit_events: Vec<_> = t.events()[from as usize + 1..to as usize].iter().collect();
    assert!(commit_events.iter().any(|e| e.kind.is_store()), "the commit wrote its log");
    assert!(commit_events.iter().all(|e| e.ctx == Context::Jbd2), "{commit_events:?}");
    dax.unmount(false).map_err(|_| "unmount").unwrap();
}

/// `stop_after commit` stops at a forced commit too: the power cut comes right after it, with
/// the fault's handle never started.
#[test]
fn stop_after_commit_stops_at_a_forced_commit() {
    let fs = Fs::mount(RecordingDevice::new(image(true)), true).unwrap().0;
    let mut dax = Dax::new(fs, Policy::Zeroed, Inject::default());
    dax.fs.clock = crate::clock::Clock::fixed(1_800_000_000);
    let (ino, _) = dax.fs.regular_file("/f").unwrap();
    dax.fault(ino, 0, 1, Access::Write, false, b"A").map_err(|_| "fault 0").unwrap();
    let held = dax.fs.running_blocks() as u32;
    dax.fs.journal.as_mut().unwrap().max_transaction = held + crate::fs::file::EDIT_CREDITS - 1;
    dax.stop_after = Some(Step::Commit);
    assert!(matches!(dax.fault(ino, 4096, 1, Access::Write, false, b"B"), Err(Flow::Stopped)));
    assert_eq!(dax.stopped(), Some(Step::Commit));
    assert!(!dax.locks.holds(Lock::Handle), "stopped before the handle started");
    assert_eq!(dax.stop_report().running_blocks, 0, "the forced commit emptied the transaction");
}
