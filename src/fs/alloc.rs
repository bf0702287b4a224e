//! Block and inode allocation: bitmaps, group descriptor and superblock counts, and the
//! initialisation of `BLOCK_UNINIT` / `INODE_UNINIT` groups on first use. Every change goes
//! through a [`Handle`].

use super::image::Handle;
use crate::error::{Error, Result};
use crate::ondisk::group_desc::{BLOCK_UNINIT, INODE_UNINIT};
use crate::pmem::Device;

/// Credits an allocation of one block or inode may use (bitmap, descriptor, superblock).
pub const ALLOC_CREDITS: u32 = 3;

fn test_bit(b: &[u8], i: usize) -> bool {
    b[i / 8] & (1 << (i % 8)) != 0
}
fn set_bit(b: &mut [u8], i: usize) {
    b[i / 8] |= 1 << (i % 8);
}
fn clear_bit(b: &mut [u8], i: usize) {
    b[i / 8] &= !(1 << (i % 8));
}

/// The first clear bit in `b[from..to]`, skipping full bytes quickly.
fn find_zero(b: &[u8], from: usize, to: usize) -> Option<usize> {
    let mut i = from;
    while i < to {
        if i.is_multiple_of(64) && i + 64 <= to {
            let w = u64::from_le_bytes(b[i / 8..i / 8 + 8].try_into().unwrap_or([0xFF; 8]));
            if w == u64::MAX {
                i += 64;
                continue;
            }
        }
        if !test_bit(b, i) {
            return Some(i);
        }
        i += 1;
    }
    None
}

impl<D: Device> Handle<'_, D> {
    /// Make group `g`'s block bitmap real if it is still `BLOCK_UNINIT`: mark what the
    /// kernel's `ext4_init_block_bitmap` marks (superblock/GDT backup, reserved GDT blocks, the
    /// group's own bitmaps and table when they lie inside it, padding past the group's end).
    fn init_block_bitmap(&mut self, g: usize) -> Result<()> {
        let d = self.fs.groups()[g].clone();
        if !d.has_flag(BLOCK_UNINIT) {
            return Ok(());
        }
        let sb = &self.fs.sb;
        let first = sb.group_first_block(g as u64);
        let count = sb.group_block_count(g as u64);
        let mut marks: Vec<(u64, u64)> = Vec::new();
        if sb.group_has_super(g as u64) {
            marks.push((first, 1 + sb.gdt_blocks() + u64::from(sb.f.s_reserved_gdt_blocks)));
        }
        let itb = sb.inode_table_blocks();
        for (b, n) in [(d.block_bitmap, 1), (d.inode_bitmap, 1), (d.inode_table, itb)] {
            if b >= first && b < first + count {
                marks.push((b, n));
            }
        }
        let bits = 8 * self.fs.block_size() as usize;
        let buf = self.get_write(d.block_bitmap)?;
        buf.fill(0);
        for (b, n) in marks {
            for i in (b - first)..(b - first + n).min(count) {
                set_bit(buf, i as usize);
            }
        }
        for i in count as usize..bits {
            set_bit(buf, i);
        }
        self.group_mut(g).flags &= !BLOCK_UNINIT;
        Ok(())
    }

    fn init_inode_bitmap(&mut self, g: usize) -> Result<()> {
        let d = self.fs.groups()[g].clone();
        if !d.has_flag(INODE_UNINIT) {
            return Ok(());
        }
        let ipg = self.fs.sb.f.s_inodes_per_group as usize;
        let bits = 8 * self.fs.block_size() as usize;
        let buf = self.get_write(d.inode_bitmap)?;
        buf.fill(0);
        for i in ipg..bits {
            set_bit(buf, i);
        }
        self.group_mut(g).flags &= !INODE_UNINIT;
        Ok(())
    }

    /// Allocate one block, as close after `goal` as possible: the goal's group first, then the
    /// following groups, wrapping around. `Error::NoSpace` when the file system is full.
    pub fn alloc_block(&mut self, goal: u64) -> Result<u64> {
        Ok(self.alloc_run(goal, 1)?.0)
    }

    /// Allocate a run of up to `max` contiguous free blocks starting as close after `goal` as
    /// possible (the goal's group, then the following groups, wrapping around): `(start, len)`.
    pub fn alloc_run(&mut self, goal: u64, max: u32) -> Result<(u64, u32)> {
        let sb = &self.fs.sb;
        let groups = sb.group_count() as usize;
        let bpg = u64::from(sb.f.s_blocks_per_group);
        let first_data = u64::from(sb.f.s_first_data_block);
        let goal = if goal < first_data || goal >= sb.blocks_count() { first_data } else { goal };
        let g0 = ((goal - first_data) / bpg) as usize;
        for k in 0..=groups {
            let g = (g0 + k) % groups;
            if self.fs.groups()[g].free_blocks == 0 {
                continue;
            }
            let first = self.fs.sb.group_first_block(g as u64);
            let count = self.fs.sb.group_block_count(g as u64) as usize;
            let start = if k == 0 { (goal - first) as usize } else { 0 };
            // Peek without dirtying; an uninitialised group has room by its free count.
            let d = &self.fs.groups()[g];
            if !d.has_flag(BLOCK_UNINIT) && find_zero(&self.fs.block(d.block_bitmap)?, start, count).is_none() {
                continue;
            }
            self.init_block_bitmap(g)?;
            let bb = self.fs.groups()[g].block_bitmap;
            // Skip blocks freed by the running transaction: not reusable until it commits.
            let mut from = start;
            let mut found = None;
            while let Some(i) = find_zero(&self.fs.block(bb)?, from, count) {
                match self.fs.pending_free_end(first + i as u64) {
                    Some(end) => from = (end - first) as usize,
                    None => {
                        found = Some(i);
                        break;
                    }
                }
            }
            let Some(i) = found else { continue };
            let mut n = 1usize;
            {
                let b = self.fs.block(bb)?;
                while n < max as usize
                    && i + n < count
                    && !test_bit(&b, i + n)
                    && self.fs.pending_free_end(first + (i + n) as u64).is_none()
                {
                    n += 1;
                }
            }
            let buf = self.get_write(bb)?;
            for k in i..i + n {
                set_bit(buf, k);
            }
            let gd = self.group_mut(g);
            gd.free_blocks = gd.free_blocks.saturating_sub(n as u32);
            let sb = self.sb_mut();
            let free = sb.free_blocks_count().saturating_sub(n as u64);
            sb.set_free_blocks_count(free);
            return Ok((first + i as u64, n as u32));
        }
        Err(Error::NoSpace)
    }

    /// Free `len` blocks from `start` (all must be in use; freeing a free block is corruption).
    pub fn free_blocks(&mut self, start: u64, len: u64) -> Result<()> {
        let bpg = u64::from(self.fs.sb.f.s_blocks_per_group);
        let first_data = u64::from(self.fs.sb.f.s_first_data_block);
        let end = start.checked_add(len).filter(|&e| e <= self.fs.sb.blocks_count() && start >= first_data);
        let Some(end) = end else {
            return Err(Error::corrupt("block range", format!("{start}+{len} is outside the file system")));
        };
        let mut b = start;
        while b < end {
            let g = ((b - first_data) / bpg) as usize;
            let gfirst = self.fs.sb.group_first_block(g as u64);
            let gend = (gfirst + bpg).min(end);
            self.init_block_bitmap(g)?;
            let bb = self.fs.groups()[g].block_bitmap;
            let buf = self.get_write(bb)?;
            for x in b..gend {
                let i = (x - gfirst) as usize;
                if !test_bit(buf, i) {
                    return Err(Error::corrupt("block bitmap", format!("freeing block {x}, which is already free")));
                }
                clear_bit(buf, i);
            }
            let n = (gend - b) as u32;
            self.fs.add_pending_free(b, gend - b);
            let gd = self.group_mut(g);
            gd.free_blocks += n;
            let sb = self.sb_mut();
            let free = sb.free_blocks_count() + u64::from(n);
            sb.set_free_blocks_count(free);
            b = gend;
        }
        Ok(())
    }

    /// Free a metadata block (extent tree node, directory block): besides the bitmap, a revoke
    /// record keeps replay from writing an older logged copy over its next owner, and the
    /// running transaction forgets its own copy.
    pub fn free_metadata(&mut self, start: u64, len: u64) -> Result<()> {
        self.free_blocks(start, len)?;
        for b in start..start + len {
            self.fs.cache.forget(b);
            if let Some(j) = self.fs.journal.as_mut() {
                j.revokes.insert(b);
            }
        }
        Ok(())
    }

    /// Allocate an inode, preferring group `goal_group`; a directory bumps `used_dirs`.
    pub fn alloc_inode(&mut self, goal_group: usize, dir: bool) -> Result<u32> {
        let groups = self.fs.groups().len();
        let ipg = self.fs.sb.f.s_inodes_per_group as usize;
        let first_ino = self.fs.sb.f.s_first_ino as usize;
        for k in 0..groups {
            let g = (goal_group + k) % groups;
            if self.fs.groups()[g].free_inodes == 0 {
                continue;
            }
            self.init_inode_bitmap(g)?;
            let ib = self.fs.groups()[g].inode_bitmap;
            let start = if g == 0 { first_ino - 1 } else { 0 };
            let buf = self.get_write(ib)?;
            let Some(i) = find_zero(buf, start, ipg) else {
                continue;
            };
            set_bit(buf, i);
            let gd = self.group_mut(g);
            gd.free_inodes = gd.free_inodes.saturating_sub(1);
            if dir {
                gd.used_dirs += 1;
            }
            let unused_from = ipg as u32 - gd.itable_unused;
            if i as u32 >= unused_from {
                gd.itable_unused = ipg as u32 - i as u32 - 1;
            }
            let sb = self.sb_mut();
            sb.f.s_free_inodes_count = sb.f.s_free_inodes_count.saturating_sub(1);
            return Ok((g * ipg + i + 1) as u32);
        }
        Err(Error::NoSpace)
    }

    /// Free inode `ino` in the bitmap and counts.
    pub fn free_inode(&mut self, ino: u32, dir: bool) -> Result<()> {
        let ipg = self.fs.sb.f.s_inodes_per_group;
        if ino == 0 || ino > self.fs.sb.f.s_inodes_count {
            return Err(Error::corrupt("inode number", format!("{ino} is out of range")));
        }
        let g = ((ino - 1) / ipg) as usize;
        let i = ((ino - 1) % ipg) as usize;
        self.init_inode_bitmap(g)?;
        let ib = self.fs.groups()[g].inode_bitmap;
        let buf = self.get_write(ib)?;
        if !test_bit(buf, i) {
            return Err(Error::corrupt("inode bitmap", format!("freeing inode {ino}, which is already free")));
        }
        clear_bit(buf, i);
        let gd = self.group_mut(g);
        gd.free_inodes += 1;
        if dir {
            gd.used_dirs = gd.used_dirs.saturating_sub(1);
        }
        let sb = self.sb_mut();
        sb.f.s_free_inodes_count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_zero_skips_full_words() {
        let mut b = vec![0xFFu8; 64];
        b[40] = 0xEF;
        assert_eq!(find_zero(&b, 0, 512), Some(324));
        assert_eq!(find_zero(&b, 325, 512), None);
        assert_eq!(find_zero(&b, 0, 100), None);
    }
}
