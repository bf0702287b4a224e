//! Commit and checkpoint.
//!
//! Commit (tagged `commit`): the ordered data is flushed, then revoke blocks, descriptor blocks
//! and the logged copies are stored and flushed, a fence; the commit block, a fence. Only then
//! is the transaction durable, and only then may its blocks go home.
//!
//! Checkpoint (tagged `checkpoint`): committed blocks are written home, a fence; then the
//! journal superblock's `s_start`/`s_sequence` advance (and, when the log is empty,
//! `needs_recovery` is cleared by the caller).

use super::Journal;
use crate::error::{Error, Result};
use crate::ondisk::jbd2::block::{
    self as jb, Tag, FLAG_ESCAPE, FLAG_LAST_TAG, FLAG_SAME_UUID, HEADER_SIZE, REVOKE_HEADER_SIZE, UUID_SIZE,
};
use crate::ondisk::jbd2::MAGIC;
use crate::pmem::Device;

impl Journal {
    fn store_log(&mut self, dev: &mut dyn Device, jblk: u32, data: &[u8]) -> Result<()> {
        let phys = self.geo.map(jblk)?;
        let bs = u64::from(self.geo.block_size);
        dev.store(phys * bs, data)?;
        dev.flush(phys * bs, bs)?;
        self.stats.log_blocks_written += 1;
        Ok(())
    }

    /// Write the journal superblock: the current tail while the log is live, or an empty log
    /// (`s_start` 0) at unmount.
    pub fn write_superblock(&mut self, dev: &mut dyn Device, empty: bool) -> Result<()> {
        if empty {
            self.jsb.start = 0;
            self.jsb.sequence = self.next_sequence;
        } else {
            self.jsb.start = self.tail;
            self.jsb.sequence = self.tail_sequence;
        }
        let phys = self.geo.map(0)?;
        let bs = u64::from(self.geo.block_size);
        dev.store(phys * bs, &self.jsb.encode())?;
        dev.flush(phys * bs, crate::ondisk::jbd2::superblock::SIZE as u64)?;
        dev.fence()?;
        Ok(())
    }

    /// Commit the running transaction made of `blocks` (home block, contents), with the
    /// revokes and ordered data collected. The caller has made the log live and made room.
    pub fn commit(&mut self, dev: &mut dyn Device, blocks: &[(u64, &[u8])], now: u64) -> Result<u32> {
        let seq = self.next_sequence;
        let needed = self.blocks_needed(blocks.len(), self.revokes.len());
        if needed > self.geo.capacity() - self.used() {
            return Err(Error::Invalid(format!(
                "transaction of {needed} log blocks does not fit in the free log ({} blocks)",
                self.geo.capacity() - self.used()
            )));
        }
        let prev = dev.set_tag("commit");
        let r = self.write_transaction(dev, blocks, seq, now);
        dev.set_tag(prev);
        r?;
        for (blk, data) in blocks {
            match self.checkpoint.get_mut(blk) {
                // A newer copy of a block already waiting: overwrite it in place.
                Some(old) if old.len() == data.len() => old.copy_from_slice(data),
                _ => {
                    self.checkpoint.insert(*blk, data.to_vec().into_boxed_slice());
                }
            }
        }
        self.revokes.clear();
        self.ordered.clear();
        self.next_sequence = seq.wrapping_add(1);
        self.stats.transactions += 1;
        Ok(seq)
    }

    fn write_transaction(&mut self, dev: &mut dyn Device, blocks: &[(u64, &[u8])], seq: u32, now: u64) -> Result<()> {
        let bs = self.geo.block_size as usize;
        // 1. Ordered data: the inodes' data must be durable before the commit says so.
        if self.flush_ordered {
            let bsz = u64::from(self.geo.block_size);
            let ranges: Vec<(u64, u64)> = self.ordered.values().flatten().copied().collect();
            for (start, len) in ranges {
                dev.flush(start * bsz, len * bsz)?;
            }
            if !self.ordered.is_empty() {
                dev.fence()?;
            }
        }
        let pos = self.head;
        // Reused buffers (every byte is written before use: init_* clears the first, the
        // second takes a whole block's copy).
        let [mut buf, mut copy] = std::mem::take(&mut self.scratch);
        buf.resize(bs, 0);
        copy.resize(bs, 0);
        let r = self.write_log_blocks(dev, blocks, seq, now, pos, &mut buf, &mut copy);
        self.scratch = [buf, copy];
        r
    }

    #[allow(clippy::too_many_arguments)]
    fn write_log_blocks(
        &mut self,
        dev: &mut dyn Device,
        blocks: &[(u64, &[u8])],
        seq: u32,
        now: u64,
        mut pos: u32,
        buf: &mut [u8],
        copy: &mut [u8],
    ) -> Result<()> {
        let seed = self.geo.seed;
        // 2. Revoke blocks.
        let revokes: Vec<u64> = self.revokes.iter().copied().collect();
        for chunk in revokes.chunks(self.geo.revokes_per_block()) {
            jb::init_revoke(buf, seq);
            let mut off = REVOKE_HEADER_SIZE;
            for &b in chunk {
                off = jb::put_revoke_record(buf, off, b, self.geo.fmt.bit64);
            }
            jb::set_revoke_count(buf, off as u32);
            if let Some(s) = seed {
                jb::set_tail_checksum(s, buf);
            }
            self.store_log(dev, pos, buf)?;
            self.stats.revokes_written += chunk.len() as u64;
            pos = self.geo.next(pos);
        }
        // 3. Descriptor blocks, each followed by its copies.
        let per = self.geo.tags_per_descriptor();
        let tag_bytes = self.geo.fmt.tag_bytes();
        for chunk in blocks.chunks(per) {
            jb::init_descriptor(buf, seq);
            let mut off = HEADER_SIZE;
            let desc_pos = pos;
            pos = self.geo.next(pos);
            for (i, (home, data)) in chunk.iter().enumerate() {
                copy.copy_from_slice(data);
                let mut flags = 0;
                if u32::from_be_bytes([copy[0], copy[1], copy[2], copy[3]]) == MAGIC {
                    copy[..4].fill(0);
                    flags |= FLAG_ESCAPE;
                }
                if i > 0 {
                    flags |= FLAG_SAME_UUID;
                }
                if i + 1 == chunk.len() {
                    flags |= FLAG_LAST_TAG;
                }
                let checksum = seed.map_or(0, |s| jb::tag_checksum(s, seq, copy));
                self.geo.fmt.write_tag(buf, off, &Tag { blocknr: *home, flags, checksum });
                off += tag_bytes;
                if i == 0 {
                    buf[off..off + UUID_SIZE].copy_from_slice(&self.geo.uuid);
                    off += UUID_SIZE;
                }
                self.store_log(dev, pos, copy)?;
                pos = self.geo.next(pos);
            }
            if let Some(s) = seed {
                jb::set_tail_checksum(s, buf);
            }
            self.store_log(dev, desc_pos, buf)?;
        }
        dev.fence()?;
        // 4. The commit block, then a fence: the transaction is durable.
        jb::write_commit(buf, seed, seq, now);
        self.store_log(dev, pos, buf)?;
        dev.fence()?;
        self.head = self.geo.next(pos);
        Ok(())
    }

    /// Write every committed block home, a fence, then move the tail to the head.
    pub fn checkpoint(&mut self, dev: &mut dyn Device) -> Result<()> {
        if self.checkpoint.is_empty() && self.tail == self.head {
            return Ok(());
        }
        let prev = dev.set_tag("checkpoint");
        let bs = u64::from(self.geo.block_size);
        let mut r = Ok(());
        for (blk, data) in &self.checkpoint {
            if let Err(e) = dev.store(blk * bs, data).and_then(|_| dev.flush(blk * bs, bs)) {
                r = Err(e.into());
                break;
            }
        }
        if r.is_ok() {
            r = dev.fence().map_err(Into::into);
        }
        if r.is_ok() {
            self.stats.checkpoints += 1;
            self.stats.blocks_checkpointed += self.checkpoint.len() as u64;
            self.checkpoint.clear();
            self.tail = self.head;
            self.tail_sequence = self.next_sequence;
            if self.live {
                r = self.write_superblock(dev, false);
            }
        }
        dev.set_tag(prev);
        r
    }

    /// Make the log live before the first commit: `s_start` points at the tail. (The caller
    /// has made `needs_recovery` durable first.)
    pub fn go_live(&mut self, dev: &mut dyn Device) -> Result<()> {
        let prev = dev.set_tag("commit");
        let r = self.write_superblock(dev, false);
        dev.set_tag(prev);
        r?;
        self.live = true;
        Ok(())
    }

    /// Checkpoint everything and mark the log empty (`s_start` 0), as an unmount does. The
    /// caller clears `needs_recovery` afterwards.
    pub fn unmount(&mut self, dev: &mut dyn Device) -> Result<()> {
        self.checkpoint(dev)?;
        let prev = dev.set_tag("checkpoint");
        let r = self.write_superblock(dev, true);
        dev.set_tag(prev);
        r?;
        self.live = false;
        self.head = self.geo.first;
        self.tail = self.geo.first;
        self.tail_sequence = self.next_sequence;
        Ok(())
    }
}
