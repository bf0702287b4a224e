//! Mounting: open a file system the way the kernel would, replaying its journal first when it
//! needs recovery — on the image for a writable mount, or as an overlay of replayed blocks for a
//! read-only one (which never writes) — and attach the journal for writing.

use super::image::Fs;
use crate::error::{Error, Result};
use crate::journal::recovery::{self, Recovery};
use crate::journal::{Journal, LogGeometry};
use crate::ondisk::features::incompat;
use crate::ondisk::jbd2::superblock::JournalSuperblock;
use crate::ondisk::superblock::{self, Superblock};
use crate::pmem::Device;

/// What mounting found in the journal.
#[derive(Debug)]
pub enum JournalState {
    /// No journal, or an empty log.
    Clean,
    /// The log was replayed (on the image, or in memory for a read-only mount).
    Replayed(Recovery),
    /// The log held transactions but `needs_recovery` was clear: discarded, as the kernel does.
    Discarded,
}

impl<D: Device> Fs<D> {
    /// The journal's superblock and geometry, when the file system has an internal journal.
    pub fn journal_geometry(&self) -> Result<Option<(LogGeometry, JournalSuperblock)>> {
        let Some(jsb) = self.journal_superblock()? else { return Ok(None) };
        let ino = self.sb.f.s_journal_inum;
        let node = self.inode(ino)?;
        let extents = self.file_extents(ino, &node)?;
        let geo = LogGeometry::new(&jsb, extents, self.block_size())?;
        Ok(Some((geo, jsb)))
    }

    /// Open `dev` as mount would: replay a journal that needs recovery, then (for `writable`)
    /// attach the journal so that every change goes through it.
    pub fn mount(dev: D, writable: bool) -> Result<(Self, JournalState)> {
        let mut fs = Fs::open(dev)?;
        let Some((geo, jsb)) = fs.journal_geometry()? else { return Ok((fs, JournalState::Clean)) };
        let mut state = JournalState::Clean;
        let mut jsb = jsb;
        if jsb.start != 0 && !fs.sb.needs_recovery() {
            if writable {
                jsb = fs.write_empty_log(&geo, &jsb, None, false)?;
            }
            state = JournalState::Discarded;
        } else if fs.sb.needs_recovery() {
            let rec = recovery::recover(&fs.dev, &geo, &jsb, fs.sb.blocks_count())?;
            if writable {
                jsb = fs.apply_recovery(&geo, &jsb, &rec)?;
                fs = Fs::open(fs.dev)?;
            } else {
                fs.lay_over(&rec)?;
            }
            state = JournalState::Replayed(rec);
        }
        if writable {
            fs.journal = Some(Journal::new(geo, jsb)?);
        }
        Ok((fs, state))
    }

    /// Write a recovery's blocks home, then empty the log and clear `needs_recovery`, each step
    /// fenced (tagged `replay`). Running it again after a crash at any point gives the same
    /// result, because the log stays in place until its end.
    pub fn apply_recovery(
        &mut self,
        geo: &LogGeometry,
        jsb: &JournalSuperblock,
        rec: &Recovery,
    ) -> Result<JournalSuperblock> {
        let prev = self.dev.set_tag("replay");
        let r = (|| {
            let bs = u64::from(self.block_size());
            let mut buf = vec![0u8; bs as usize];
            // In home-block order, each block stored and flushed (one fence at the end). Runs of
            // unescaped copies lying in order both in the log and at home are copied as one
            // (`Device::copy_within`: still a store and a flush per block where that is traced,
            // a copy inside the kernel on a mapped image); escaped copies get their magic back.
            let mut run: Option<(u64, u64, u64)> = None; // (home, log, blocks)
            for (&blk, copy) in &rec.blocks {
                if let Some((home, log, n)) = run {
                    if !copy.escaped && home + n == blk && log.checked_add(n) == Some(copy.device_block) {
                        run = Some((home, log, n + 1));
                        continue;
                    }
                    self.copy_run(home, log, n)?;
                    run = None;
                }
                if copy.escaped {
                    copy.read_into(&self.dev, &mut buf)?;
                    self.dev.store(blk * bs, &buf)?;
                    self.dev.flush(blk * bs, bs)?;
                } else {
                    run = Some((blk, copy.device_block, 1));
                }
            }
            if let Some((home, log, n)) = run {
                self.copy_run(home, log, n)?;
            }
            self.dev.fence()?;
            self.write_empty_log(geo, jsb, Some(rec.next_sequence()), rec.incomplete())
        })();
        self.dev.set_tag(prev);
        r
    }

    /// Copy `n` logged blocks from device block `log` on to home blocks `home..home + n`.
    fn copy_run(&mut self, home: u64, log: u64, n: u64) -> Result<()> {
        let bs = u64::from(self.block_size());
        let too_far = || Error::corrupt("journal", "a logged block lies past the end of addressable space");
        let at = |b: u64| b.checked_mul(bs).ok_or_else(too_far);
        let len = n.checked_mul(bs).ok_or_else(too_far)?;
        self.dev.copy_within(at(log)?, at(home)?, len, bs as usize)?;
        Ok(())
    }

    /// Mark the log empty (`s_start` 0, `s_sequence` past what it held) and clear
    /// `needs_recovery` on the image; after an incomplete replay (`errors`) mark the file system
    /// as having errors, as e2fsck does.
    fn write_empty_log(
        &mut self,
        geo: &LogGeometry,
        jsb: &JournalSuperblock,
        sequence: Option<u32>,
        errors: bool,
    ) -> Result<JournalSuperblock> {
        let mut j = jsb.clone();
        j.start = 0;
        if let Some(s) = sequence {
            j.sequence = s;
        }
        let bs = u64::from(self.block_size());
        let phys = geo.map(0)?;
        self.dev.store(phys * bs, &j.encode())?;
        self.dev.flush(phys * bs, crate::ondisk::jbd2::superblock::SIZE as u64)?;
        self.dev.fence()?;
        self.set_recover_state_on_disk(false, errors)?;
        Ok(j)
    }

    /// Delete an unusable journal, as e2fsck does ("*** journal has been deleted ***"): the
    /// `has_journal` and `needs_recovery` features cleared, the journal inode number and its
    /// backup in the superblock zeroed. The change goes home at the next commit (there is no
    /// journal to go through any more).
    pub fn delete_journal(&mut self) -> Result<()> {
        self.journal = None;
        let mut h = self.handle(1)?;
        let sb = h.sb_mut();
        sb.f.s_feature_compat &= !crate::ondisk::features::compat::HAS_JOURNAL;
        sb.f.s_feature_incompat &= !incompat::RECOVER;
        sb.f.s_journal_inum = 0;
        sb.f.s_jnl_blocks = [0; 17];
        sb.f.s_jnl_backup_type = 0;
        Ok(())
    }

    /// Replace a corrupt journal superblock with a fresh one for an empty log (as e2fsck -fy
    /// does: features and UUID cleared, nothing replayed) and clear `needs_recovery`. Returns
    /// the new sequence. The journal inode must still map the journal's first block.
    pub fn reset_journal_superblock(&mut self) -> Result<u32> {
        let ino = self.sb.f.s_journal_inum;
        let node = self.inode(ino)?;
        let extents = self.file_extents(ino, &node)?;
        let bs = u64::from(self.block_size());
        let first = extents
            .first()
            .filter(|e| e.logical == 0 && !e.unwritten)
            .ok_or_else(|| Error::corrupt("journal inode", "block 0 of the journal is not mapped"))?;
        let total: u64 = extents.iter().map(|e| u64::from(e.len)).sum::<u64>().min(node.size() / bs);
        let maxlen = u32::try_from(total).map_err(|_| Error::corrupt("journal inode", "too large"))?;
        // The old sequence, when still readable, keeps sequences moving forward.
        let old = self.dev.view(first.physical * bs, crate::ondisk::jbd2::superblock::SIZE)?;
        let seq = u32::from_be_bytes([old[0x18], old[0x19], old[0x1A], old[0x1B]]).wrapping_add(1).max(1);
        let mut j = JournalSuperblock::new(self.block_size(), maxlen, [0; 16], 0);
        j.sequence = seq;
        let prev = self.dev.set_tag("replay");
        let r = (|| {
            self.dev.store(first.physical * bs, &j.encode())?;
            self.dev.flush(first.physical * bs, bs)?;
            self.dev.fence()?;
            self.set_recover_on_disk(false)
        })();
        self.dev.set_tag(prev);
        r?;
        self.sb.f.s_feature_incompat &= !incompat::RECOVER;
        Ok(seq)
    }

    /// Lay a recovery's blocks over the image (read-only mounts): the superblock and group
    /// descriptors are read again through them.
    fn lay_over(&mut self, rec: &Recovery) -> Result<()> {
        self.overlay = rec.blocks.iter().map(|(&blk, &copy)| (blk, copy)).collect();
        let bs = u64::from(self.block_size());
        let blk = superblock::OFFSET / bs;
        let at = (superblock::OFFSET % bs) as usize;
        let sb_bytes = self.block(blk)?[at..at + superblock::SIZE].to_vec();
        let mut sb = Superblock::parse(&sb_bytes)
            .map_err(|e| Error::corrupt("superblock", format!("after journal replay: {e}")))?;
        sb.f.s_feature_incompat &= !incompat::RECOVER;
        self.sb = sb;
        self.read_groups()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::layout::Params;
    use crate::fs::mkfs::{mkfs, MkfsOptions};
    use crate::fs::open::{replay_journal, ReplayReport};
    use crate::ondisk::jbd2::MAGIC;
    use crate::pmem::{EventKind, MappedImage, MemDevice, RecordingDevice};

    const SIZE: usize = 16 << 20;
    const BS: usize = 4096;

    /// Home blocks and contents of the committed transaction: a run of three, a block on its
    /// own, and two blocks starting with the jbd2 magic (logged escaped), one inside the run.
    fn logged() -> Vec<(u64, Vec<u8>)> {
        let block = |seed: u8, magic: bool| {
            let mut b: Vec<u8> = (0..BS).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect();
            if magic {
                b[..4].copy_from_slice(&MAGIC.to_be_bytes());
            }
            b
        };
        vec![
            (3000, block(1, false)),
            (3001, block(2, true)),
            (3002, block(3, false)),
            (3003, block(4, false)),
            (3010, block(5, false)),
            (3020, block(6, true)),
        ]
    }

    /// A fresh image whose log holds one committed transaction of `logged()`, needing recovery.
    fn image_needing_recovery() -> Vec<u8> {
        let mut dev = MemDevice::new(vec![0; SIZE]);
        let params = Params { size_bytes: SIZE as u64, journal_bytes: None, inodes: None, journal: true };
        let opts = MkfsOptions { params, uuid: [9; 16], label: String::new(), time: 1_700_000_000, poison: false };
        mkfs(&mut dev, &opts, &mut |_, _| {}).unwrap();
        let (mut fs, _) = Fs::mount(dev, true).unwrap();
        let mut j = fs.journal.take().unwrap();
        fs.set_recover_on_disk(true).unwrap();
        j.go_live(&mut fs.dev).unwrap();
        let blocks = logged();
        let refs: Vec<(u64, &[u8])> = blocks.iter().map(|(b, d)| (*b, &d[..])).collect();
        j.commit(&mut fs.dev, &refs, 1_700_000_001).unwrap();
        fs.dev.view(0, SIZE).unwrap().into_owned()
    }

    fn home(img: &[u8], blk: u64) -> &[u8] {
        &img[blk as usize * BS..(blk as usize + 1) * BS]
    }

    /// Replay writes every logged block home with its magic restored where it was escaped; a
    /// recording device sees one store and one flush per block in home-block order then a fence
    /// (as before runs were copied as one); a mapped image (copied inside the kernel) ends up
    /// byte for byte as the in-memory replay; a read-only mount reads the replayed blocks from
    /// the log, escaped ones included, without writing.
    #[test]
    fn replay_copies_runs_and_restores_escaped_blocks_on_every_device() {
        let img = image_needing_recovery();
        let blocks = logged();
        assert!(blocks.iter().all(|(b, d)| home(&img, *b) != &d[..]), "home blocks already hold the log");

        let (fs, report) = replay_journal(RecordingDevice::new(img.clone()), false).unwrap();
        let ReplayReport::Recovered { recovery, written: true } = report else { panic!("not replayed") };
        assert_eq!(recovery.replayed_blocks, blocks.len() as u64);
        assert_eq!(recovery.blocks.values().filter(|c| c.escaped).count(), 2);
        let replayed = fs.dev.view(0, SIZE).unwrap().into_owned();
        for (b, d) in &blocks {
            assert!(home(&replayed, *b) == &d[..], "home block {b}");
        }
        let events: Vec<_> =
            fs.dev.trace().events_tagged("replay").take(2 * blocks.len() + 1).map(|e| (e.kind, e.off, e.len)).collect();
        let mut want = Vec::new();
        for (b, _) in &blocks {
            want.push((EventKind::Store, b * BS as u64, BS as u64));
            want.push((EventKind::Flush, b * BS as u64, BS as u64));
        }
        want.push((EventKind::Fence, 0, 0));
        assert_eq!(events, want);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("replay.img");
        std::fs::write(&path, &img).unwrap();
        let (mut fs, _) = replay_journal(MappedImage::open(&path, true).unwrap(), false).unwrap();
        fs.dev.sync().unwrap();
        drop(fs);
        assert!(std::fs::read(&path).unwrap() == replayed, "mapped replay differs from the in-memory one");

        std::fs::write(&path, &img).unwrap();
        let (fs, state) = Fs::mount(MappedImage::open(&path, false).unwrap(), false).unwrap();
        assert!(matches!(state, JournalState::Replayed(_)));
        for (b, d) in &blocks {
            assert!(fs.block(*b).unwrap().as_ref() == &d[..], "read-only view of block {b}");
        }
        drop(fs);
        assert!(std::fs::read(&path).unwrap() == img, "a read-only mount wrote");
    }
}
