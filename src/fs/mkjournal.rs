//! Making a journal on a file system that has none (e2fsck's "Recreate journal", after an
//! invalid one was deleted): blocks from the allocator, zeroed, a fresh journal superblock,
//! inode 8 mapping them, the superblock's feature and backup of the inode's map.

use super::image::Fs;
use crate::error::{Error, Result};
use crate::ondisk::checksum::inode_seed;
use crate::ondisk::extent::{self, Extent, Header, Index};
use crate::ondisk::features::{compat, jbd2 as jfeat};
use crate::ondisk::inode::{Inode, FL_EXTENTS, JOURNAL_INO, S_IFREG};
use crate::ondisk::jbd2::superblock::JournalSuperblock;
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
    /// Make a journal of `blocks` blocks in inode 8 of a file system without one. Its blocks
    /// are taken near the middle of the file system (as `ext2fs_add_journal_inode`), zeroed
    /// and reach the device before the inode and superblock naming them.
    pub fn create_journal(&mut self, blocks: u32) -> Result<()> {
        if self.sb.has_journal() {
            return Err(Error::Invalid("the file system already has a journal".into()));
        }
        let bs = self.block_size();
        let first_data = u64::from(self.sb.f.s_first_data_block);
        let goal = first_data + (self.sb.blocks_count() - first_data) / 2;
        let leaf_cap = usize::from(extent::block_capacity(bs));
        // The runs, then a leaf block when they do not fit in the inode.
        let mut runs: Vec<Extent> = Vec::new();
        let mut leaf = None;
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
                if runs.len() > leaf_cap {
                    return Err(Error::NoSpace);
                }
            }
            if runs.len() > usize::from(extent::ROOT_CAPACITY) {
                leaf = Some(h.alloc_block(goal)?);
            }
        }
        // The journal's blocks: zero, its superblock first.
        let bsz = u64::from(bs);
        let zero = vec![0u8; bs as usize];
        for e in &runs {
            for b in e.physical..e.physical + u64::from(e.len) {
                self.dev.store(b * bsz, &zero)?;
            }
        }
        let csum = self.sb.has_metadata_csum();
        let features = if csum {
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
        node.f.i_flags = FL_EXTENTS;
        node.set_size(u64::from(blocks) * bsz);
        node.set_blocks_512((u64::from(blocks) + u64::from(leaf.is_some())) * (bsz / 512));
        node.set_times(self.clock.now());
        let root_entries = match leaf {
            None => runs.len(),
            Some(_) => 1,
        };
        Header {
            entries: root_entries as u16,
            max: extent::ROOT_CAPACITY,
            depth: u16::from(leaf.is_some()),
            generation: 0,
        }
        .encode_into(&mut node.f.i_block);
        match leaf {
            None => {
                for (i, e) in runs.iter().enumerate() {
                    e.encode_into(&mut node.f.i_block[extent::entry_offset(i)..]);
                }
            }
            Some(lb) => {
                Index { logical: 0, child: lb }.encode_into(&mut node.f.i_block[extent::entry_offset(0)..]);
                let mut buf = vec![0u8; bs as usize];
                let max = extent::block_capacity(bs);
                Header { entries: runs.len() as u16, max, depth: 0, generation: 0 }.encode_into(&mut buf);
                for (i, e) in runs.iter().enumerate() {
                    e.encode_into(&mut buf[extent::entry_offset(i)..]);
                }
                if csum {
                    extent::set_block_checksum(&mut buf, inode_seed(self.csum_seed(), JOURNAL_INO, 0), max);
                }
                self.dev.store(lb * bsz, &buf)?;
            }
        }
        for e in &runs {
            self.dev.flush(e.physical * bsz, u64::from(e.len) * bsz)?;
        }
        if let Some(lb) = leaf {
            self.dev.flush(lb * bsz, bsz)?;
        }
        self.dev.fence()?;
        let mut h = self.handle(4)?;
        h.write_inode(JOURNAL_INO, &node)?;
        let f = &mut h.sb_mut().f;
        f.s_feature_compat |= compat::HAS_JOURNAL;
        f.s_journal_inum = JOURNAL_INO;
        f.s_jnl_backup_type = JNL_BACKUP_BLOCKS;
        for (i, w) in f.s_jnl_blocks.iter_mut().take(15).enumerate() {
            let b = &node.f.i_block[4 * i..4 * i + 4];
            *w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
        f.s_jnl_blocks[15] = node.f.i_size_high;
        f.s_jnl_blocks[16] = node.f.i_size_lo;
        Ok(())
    }
}
