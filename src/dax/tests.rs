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
