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
            // Fault the home blocks in by runs rather than a page per store.
            let mut run: Option<(u64, u64)> = None;
            for &blk in rec.blocks.keys() {
                run = match run {
                    Some((s, n)) if s + n == blk => Some((s, n + 1)),
                    Some((s, n)) => {
                        self.dev.prefetch(s * bs, n * bs, true);
                        Some((blk, 1))
                    }
                    None => Some((blk, 1)),
                };
            }
            if let Some((s, n)) = run {
                self.dev.prefetch(s * bs, n * bs, true);
            }
            for (blk, copy) in &rec.blocks {
                copy.read_into(&self.dev, &mut buf)?;
                self.dev.store(blk * bs, &buf)?;
                self.dev.flush(blk * bs, bs)?;
            }
            self.dev.fence()?;
            self.write_empty_log(geo, jsb, Some(rec.next_sequence()), rec.incomplete())
        })();
        self.dev.set_tag(prev);
        r
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
        let bs = self.block_size() as usize;
        let mut overlay = std::collections::HashMap::with_capacity(rec.blocks.len());
        for (&blk, copy) in &rec.blocks {
            let mut buf = vec![0u8; bs].into_boxed_slice();
            copy.read_into(&self.dev, &mut buf)?;
            overlay.insert(blk, buf);
        }
        self.overlay = overlay;
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
