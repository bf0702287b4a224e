//! The fault path on the library's devices: every step leaves a marker, `ext2` fences its
//! zeroing in the fault context before the link is written and never touches the journal, and a
//! fault gives the same final image on a recording device as on a mapped image.

use super::session::{self, Options};
use super::*;
use crate::fs::layout::Params;
use crate::fs::mkfs::{mkfs, MkfsOptions};
use crate::fs::Fs;
use crate::pmem::{Context, Device, EventKind, MappedImage, MemDevice, RecordingDevice, Trace};

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

/// The clock of every run here: images made from the same base are then equal byte for byte.
const TIME: u64 = 1_750_000_000;

/// Mount `dev`, write-fault "DATA" at offset 0 of /f, unmount; the device and the faulted block.
fn fault_with<D: Device>(dev: D, policy: Policy, inject: Inject) -> (D, u64) {
    let mut fs = Fs::mount(dev, true).unwrap().0;
    fs.clock = crate::clock::Clock::fixed(TIME);
    let mut dax = Dax::new(fs, policy, inject);
    let (ino, _) = dax.fs.regular_file("/f").unwrap();
    dax.fault(ino, 0, 4, Access::Write, false, b"DATA").map_err(|_| "fault").unwrap();
    let phys = dax.current_block().expect("a block");
    dax.unmount(false).map_err(|_| "unmount").unwrap();
    (dax.fs.dev, phys)
}

#[test]
fn recording_and_mapped_devices_give_the_same_image() {
    for journal in [true, false] {
        let base = image(journal);
        for policy in Policy::ALL {
            if !journal && policy != Policy::Ext2 {
                continue;
            }
            let what = format!("{policy}, journal {journal}");
            let (rec, phys) = fault_with(RecordingDevice::new(base.clone()), policy, Inject::default());
            assert!(rec.trace().markers().count() > 10, "{what}: every step leaves a marker");
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("m.img");
            std::fs::write(&path, &base).unwrap();
            let (mut mapped, mphys) = fault_with(MappedImage::open(&path, true).unwrap(), policy, Inject::default());
            mapped.sync().unwrap();
            drop(mapped);
            let on_file = std::fs::read(&path).unwrap();
            assert_eq!(phys, mphys, "{what}: the same block");
            let at = (phys * 4096) as usize;
            assert_eq!(&rec.memory()[at..at + 4], b"DATA", "{what}: the fault happened");
            assert!(rec.memory() != &base[..], "{what}");
            // Byte for byte: inodes, extent tree, bitmaps, descriptors, journal, data.
            assert!(
                on_file == rec.memory(),
                "{what}: mapped and recording differ at byte {:?}",
                first_diff(&on_file, rec.memory())
            );
            // And a session (recording over a copy-on-write overlay, written back) agrees too.
            let opts = Options { policy, clock: crate::clock::Clock::fixed(TIME), ..Options::default() };
            let (out, _, _, _) = session::run(MemDevice::new(base.clone()), &opts, |dax| {
                let (ino, _) = dax.fs.regular_file("/f")?;
                dax.fault(ino, 0, 4, Access::Write, false, b"DATA")
            })
            .unwrap();
            let out = out.view(0, SIZE as usize).unwrap().into_owned();
            assert!(out == rec.memory(), "{what}: session differs at byte {:?}", first_diff(&out, rec.memory()));
        }
    }
}

fn first_diff(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter().zip(b).position(|(x, y)| x != y).or((a.len() != b.len()).then_some(a.len().min(b.len())))
}

fn overlaps(a: &std::ops::Range<u64>, b: &std::ops::Range<u64>) -> bool {
    a.start < b.end && b.start < a.end
}

/// DESIGN §4 for `ext2`: every store zeroing the faulted block is non-temporal and of the fault
/// context, and a fence of the fault context follows the last of them before the first store
/// that writes the link (the inode's slot, which holds the extent root) to the image.
fn ext2_zeroing_fenced_before_link(
    t: &Trace,
    block: std::ops::Range<u64>,
    slot: std::ops::Range<u64>,
) -> Result<(), String> {
    let ev = t.events();
    let zeroing: Vec<_> =
        ev.iter().filter(|e| e.kind.is_store() && overlaps(&e.range(), &block) && e.tag == "zero-block").collect();
    let Some(last) = zeroing.last() else { return Err("the block was never zeroed".into()) };
    if let Some(z) = zeroing.iter().find(|e| e.kind != EventKind::StoreNt || e.ctx != Context::Fault) {
        return Err(format!("zeroing store {} is {:?} in the {:?} context", z.seq, z.kind, z.ctx));
    }
    let link = ev
        .iter()
        .find(|e| e.kind.is_store() && overlaps(&e.range(), &slot))
        .ok_or("the link never reached the image")?;
    if link.ctx != Context::Flusher || link.tag != "writeback" {
        return Err(format!("the link was written by {:?}/{} (expected the flusher's writeback)", link.ctx, link.tag));
    }
    let fenced = ev[last.seq as usize + 1..link.seq as usize]
        .iter()
        .any(|e| e.kind == EventKind::Fence && e.ctx == Context::Fault);
    if !fenced {
        return Err(format!(
            "no fence of the fault context between the last zeroing store ({}) and the link ({})",
            last.seq, link.seq
        ));
    }
    Ok(())
}

/// Every block of the journal (its superblock and log) and whether the journal is empty and the
/// file system needs no recovery.
fn journal_state(img: &[u8]) -> Option<(Vec<u8>, bool)> {
    let fs = Fs::open(MemDevice::new(img.to_vec())).unwrap();
    let (geo, jsb) = fs.journal_geometry().unwrap()?;
    let mut bytes = Vec::new();
    for j in 0..geo.maxlen {
        let p = geo.map(j).unwrap() as usize * 4096;
        bytes.extend_from_slice(&img[p..p + 4096]);
    }
    Some((bytes, jsb.start == 0 && !fs.sb.needs_recovery()))
}

#[test]
fn ext2_fences_its_zeroing_before_the_link_and_leaves_the_journal_alone() {
    for journal in [true, false] {
        let base = image(journal);
        let fs = Fs::open(MemDevice::new(base.clone())).unwrap();
        let (ino, _) = fs.regular_file("/f").unwrap();
        let at = fs.inode_offset(ino).unwrap();
        let slot = at..at + u64::from(fs.sb.inode_size());
        let run = |policy, inject| {
            let (rec, phys) = fault_with(RecordingDevice::new(base.clone()), policy, inject);
            let block = phys * 4096..(phys + 1) * 4096;
            (ext2_zeroing_fenced_before_link(rec.trace(), block, slot.clone()), rec)
        };
        let (order, rec) = run(Policy::Ext2, Inject::default());
        assert_eq!(order, Ok(()), "journal {journal}");
        // The check can fail: without the fence, or without the zeroing.
        let (order, _) = run(Policy::Ext2, Inject { no_fence: true, ..Inject::default() });
        assert!(order.is_err_and(|e| e.contains("no fence")), "journal {journal}: no-fence must fail the check");
        let (order, _) = run(Policy::Ext2, Inject { skip_zero: true, ..Inject::default() });
        assert!(order.is_err(), "journal {journal}: skip-zero must fail the check");
        // Like the kernel, ext2 leaves the superblock's summary counts alone (e2fsck recomputes
        // them): nothing is stored to the superblock, where a journaled policy's checkpoint does.
        let sb = 1024..2048u64;
        let touches_sb = |t: &Trace| t.events().iter().any(|e| e.kind.is_store() && overlaps(&e.range(), &sb));
        assert!(!touches_sb(rec.trace()), "journal {journal}: ext2 rewrote the superblock");
        if journal {
            let (zeroed, _) = fault_with(RecordingDevice::new(base.clone()), Policy::Zeroed, Inject::default());
            assert!(touches_sb(zeroed.trace()), "the check sees a superblock write");
        }
        // No jbd2 work at all, and (on a journaled image) the journal is byte for byte as it was.
        let ev = rec.trace().events();
        assert!(
            ev.iter().all(|e| e.ctx != Context::Jbd2 && e.tag != "commit" && e.tag != "checkpoint"),
            "journal {journal}"
        );
        if journal {
            let (before, _) = journal_state(&base).unwrap();
            let (after, empty) = journal_state(rec.memory()).unwrap();
            assert!(before == after, "ext2 wrote into the journal");
            assert!(empty, "the journal is empty and no recovery is needed");
            // The same comparison sees a journaled policy's commit.
            let (zeroed, _) = fault_with(RecordingDevice::new(base.clone()), Policy::Zeroed, Inject::default());
            assert!(journal_state(zeroed.memory()).unwrap().0 != before, "zeroed commits through the journal");
        }
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
