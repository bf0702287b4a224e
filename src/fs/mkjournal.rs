//! Making a journal on a file system that has none (e2fsck's "Recreate journal", after an
//! invalid one was deleted): blocks from the allocator, zeroed, a fresh journal superblock,
//! inode 8 mapping them, the superblock's feature and backup of the inode's map.

use super::image::Fs;
use super::map::{DIND_SLOT, IND_SLOT};
use crate::error::{Error, Result};
use crate::ondisk::checksum::inode_seed;
use crate::ondisk::extent::{self, Extent, Header, Index};
use crate::ondisk::features::{compat, incompat, jbd2 as jfeat};
use crate::ondisk::inode::{Inode, FL_EXTENTS, JOURNAL_INO, S_IFREG};
use crate::ondisk::jbd2::superblock::JournalSuperblock;
use crate::ondisk::le;
use crate::ondisk::superblock::JNL_BACKUP_BLOCKS;
use crate::pmem::Device;

/// The journal size e2fsprogs picks for a file system of `blocks` blocks
/// (`ext2fs_default_journal_size`): none below 2,048 blocks.
pub fn default_journal_blocks(blocks: u64) -> Option<u32> {
    let size = match blocks {
        0..2048 => return None,
        2048..32_768 => 1024,
        32_768..262_144 => 4096,
        262_144..524_288 => 8192,
        524_288..4_194_304 => 16_384,
        4_194_304..8_388_608 => 32_768,
        8_388_608..16_777_216 => 65_536,
        16_777_216..33_554_432 => 131_072,
        _ => 262_144,
    };
    Some(size)
}

/// Extents of one run at most (a written extent's longest).
const MAX_EXTENT: u32 = 32_768;

impl<D: Device> Fs<D> {
    /// Make a journal of `blocks` blocks in inode 8 of a file system without one: mapped by
    /// extents, or by a block map (up to double indirect) without the extent feature. Its
    /// blocks are taken near the middle of the file system (as `ext2fs_add_journal_inode`),
    /// zeroed, and reach the device before the inode and superblock naming them.
    pub fn create_journal(&mut self, blocks: u32) -> Result<()> {
        if self.sb.has_journal() {
            return Err(Error::Invalid("the file system already has a journal".into()));
        }
        let bs = self.block_size();
        let bsz = u64::from(bs);
        let first_data = u64::from(self.sb.f.s_first_data_block);
        let goal = first_data + (self.sb.blocks_count() - first_data) / 2;
        let leaf_cap = usize::from(extent::block_capacity(bs));
        let extents = self.sb.has_incompat(incompat::EXTENTS);
        let per = bsz / 4;
        // Without the extent feature, the block map's indirect blocks.
        let indirect = if extents {
            0
        } else {
            let n = u64::from(blocks);
            let past_single = n.saturating_sub(12 + per);
            if past_single > per * per {
                return Err(Error::Invalid(format!("a journal of {blocks} blocks needs a triple indirect block")));
            }
            u64::from(n > 12) + u64::from(past_single > 0) + past_single.div_ceil(per)
        };
        // The runs, then a leaf block when they do not fit in the inode, or the indirect blocks.
        let mut runs: Vec<Extent> = Vec::new();
        let mut meta = Vec::new();
        {
            let mut h = self.handle(4)?;
            let mut got = 0u32;
            let mut at = goal;
            while got < blocks {
                let (start, len) = h.alloc_run(at, (blocks - got).min(MAX_EXTENT))?;
                match runs.last_mut() {
                    Some(e) if e.physical + u64::from(e.len) == start && e.len + len <= MAX_EXTENT => e.len += len,
                    _ => runs.push(Extent { logical: got, len, physical: start, unwritten: false }),
                }
                got += len;
                at = start + u64::from(len);
                if extents && runs.len() > leaf_cap {
                    return Err(Error::NoSpace);
                }
            }
            let need = if extents { u64::from(runs.len() > usize::from(extent::ROOT_CAPACITY)) } else { indirect };
            for _ in 0..need {
                meta.push(h.alloc_block(goal)?);
            }
        }
        // The journal's blocks: zero, its superblock first.
        let zero = vec![0u8; bs as usize];
        for e in &runs {
            for b in e.physical..e.physical + u64::from(e.len) {
                self.dev.store(b * bsz, &zero)?;
            }
        }
        let features = if self.sb.has_metadata_csum() {
            jfeat::INCOMPAT_CSUM_V3 | if self.sb.is_64bit() { jfeat::INCOMPAT_64BIT } else { 0 }
        } else if self.sb.is_64bit() {
            jfeat::INCOMPAT_64BIT
        } else {
            0
        };
        let jsb = JournalSuperblock::new(bs, blocks, self.sb.f.s_uuid, features);
        self.dev.store(runs[0].physical * bsz, &jsb.encode())?;
        let mut node = Inode::new(S_IFREG | 0o600);
        node.f.i_links_count = 1;
        node.set_size(u64::from(blocks) * bsz);
        node.set_blocks_512((u64::from(blocks) + meta.len() as u64) * (bsz / 512));
        node.set_times(self.clock.now());
        if extents {
            node.f.i_flags = FL_EXTENTS;
            self.write_extent_root(&mut node, &runs, meta.first().copied())?;
        } else {
            let data: Vec<u64> = runs.iter().flat_map(|e| e.physical..e.physical + u64::from(e.len)).collect();
            self.write_block_map(&mut node, &data, &meta)?;
        }
        for e in &runs {
            self.dev.flush(e.physical * bsz, u64::from(e.len) * bsz)?;
        }
        for &b in &meta {
            self.dev.flush(b * bsz, bsz)?;
        }
        self.dev.fence()?;
        let mut h = self.handle(4)?;
        h.write_inode(JOURNAL_INO, &node)?;
        let f = &mut h.sb_mut().f;
        f.s_feature_compat |= compat::HAS_JOURNAL;
        f.s_journal_inum = JOURNAL_INO;
        f.s_jnl_backup_type = JNL_BACKUP_BLOCKS;
        for (i, w) in f.s_jnl_blocks.iter_mut().take(15).enumerate() {
            *w = le::u32(&node.f.i_block, 4 * i);
        }
        f.s_jnl_blocks[15] = node.f.i_size_high;
        f.s_jnl_blocks[16] = node.f.i_size_lo;
        Ok(())
    }

    /// The journal's extent root in `node`, and its leaf block when given.
    fn write_extent_root(&mut self, node: &mut Inode, runs: &[Extent], leaf: Option<u64>) -> Result<()> {
        let bs = self.block_size();
        let entries = if leaf.is_some() { 1 } else { runs.len() as u16 };
        let depth = u16::from(leaf.is_some());
        Header { entries, max: extent::ROOT_CAPACITY, depth, generation: 0 }.encode_into(&mut node.f.i_block);
        let Some(lb) = leaf else {
            for (i, e) in runs.iter().enumerate() {
                e.encode_into(&mut node.f.i_block[extent::entry_offset(i)..]);
            }
            return Ok(());
        };
        Index { logical: 0, child: lb }.encode_into(&mut node.f.i_block[extent::entry_offset(0)..]);
        let mut buf = vec![0u8; bs as usize];
        let max = extent::block_capacity(bs);
        Header { entries: runs.len() as u16, max, depth: 0, generation: 0 }.encode_into(&mut buf);
        for (i, e) in runs.iter().enumerate() {
            e.encode_into(&mut buf[extent::entry_offset(i)..]);
        }
        if self.sb.has_metadata_csum() {
            extent::set_block_checksum(&mut buf, inode_seed(self.csum_seed(), JOURNAL_INO, 0), max);
        }
        self.dev.store(lb * u64::from(bs), &buf)?;
        Ok(())
    }

    /// The journal's block map in `node`: `data` in logical order behind 12 direct pointers,
    /// a single and a double indirect block (taken from `map`, as many as `data` needs).
    fn write_block_map(&mut self, node: &mut Inode, data: &[u64], map: &[u64]) -> Result<()> {
        let bs = self.block_size() as usize;
        let per = bs / 4;
        let mut map = map.iter().copied();
        let mut take_map = || map.next().ok_or_else(|| Error::Invalid("too few indirect blocks".into()));
        let direct = data.len().min(IND_SLOT);
        for (i, &b) in data[..direct].iter().enumerate() {
            le::put32(&mut node.f.i_block, 4 * i, map_pointer(b)?);
        }
        let mut rest = &data[direct..];
        if !rest.is_empty() {
            let ind = take_map()?;
            let take = rest.len().min(per);
            self.store_pointers(ind, &rest[..take])?;
            le::put32(&mut node.f.i_block, 4 * IND_SLOT, map_pointer(ind)?);
            rest = &rest[take..];
        }
        if !rest.is_empty() {
            let dind = take_map()?;
            let mut inds = Vec::new();
            for chunk in rest.chunks(per).take(per) {
                let ind = take_map()?;
                self.store_pointers(ind, chunk)?;
                inds.push(ind);
            }
            self.store_pointers(dind, &inds)?;
            le::put32(&mut node.f.i_block, 4 * DIND_SLOT, map_pointer(dind)?);
        }
        Ok(())
    }

    /// An indirect block at `at` listing `ptrs`.
    fn store_pointers(&mut self, at: u64, ptrs: &[u64]) -> Result<()> {
        let bs = self.block_size();
        let mut buf = vec![0u8; bs as usize];
        for (k, &p) in ptrs.iter().enumerate() {
            le::put32(&mut buf, 4 * k, map_pointer(p)?);
        }
        self.dev.store(at * u64::from(bs), &buf)?;
        Ok(())
    }
}

/// Block `b` as a block map's 32-bit pointer.
fn map_pointer(b: u64) -> Result<u32> {
    u32::try_from(b).map_err(|_| Error::Invalid(format!("block {b} is past a block map's reach")))
}
