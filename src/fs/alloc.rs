//! Block and inode allocation: bitmaps, group descriptor and superblock counts, and the
//! initialisation of `BLOCK_UNINIT` / `INODE_UNINIT` groups on first use. Every change goes
//! through a [`Handle`].
//!
//! The bitmaps say what is in use; the counts are summaries read from an untrusted image. A
//! count that is merely off (e2fsck's "free blocks count wrong") is carried along: a decrement
//! stops at zero and the superblock's totals stay within the file system. A count no group can
//! have (more free blocks than the group holds, more free, unused or directory inodes than
//! `s_inodes_per_group`) is [`Error::Corrupt`], refused before anything is changed.

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

/// Refuse a group descriptor count no group can have (more than `limit`).
fn check_count(g: usize, what: &str, value: u32, limit: u64) -> Result<()> {
    if u64::from(value) > limit {
        return Err(Error::corrupt("group descriptor", format!("group {g}: {value} {what}, in a group of {limit}")));
    }
    Ok(())
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
        for (b, n) in sb.group_sb_gdt_runs(g as u64) {
            if n > 0 {
                marks.push((b, n));
            }
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
            check_count(g, "free blocks", self.fs.groups()[g].free_blocks, count as u64)?;
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
            let n = (gend - b) as u32;
            let group_blocks = self.fs.sb.group_block_count(g as u64);
            let free_now = self.fs.groups()[g].free_blocks;
            check_count(g, "free blocks", free_now, group_blocks)?;
            let Some(free_after) = free_now.checked_add(n).filter(|&f| u64::from(f) <= group_blocks) else {
                return Err(Error::corrupt(
                    "group descriptor",
                    format!(
                        "group {g}: freeing {n} blocks from {b} would make {} free of the group's {group_blocks} \
                         (the descriptor's count {free_now} is wrong)",
                        u64::from(free_now) + u64::from(n)
                    ),
                ));
            };
            self.init_block_bitmap(g)?;
            let bb = self.fs.groups()[g].block_bitmap;
            let buf = self.get_write(bb)?;
            if let Some(x) = (b..gend).find(|&x| !test_bit(buf, (x - gfirst) as usize)) {
                return Err(Error::corrupt("block bitmap", format!("freeing block {x}, which is already free")));
            }
            for x in b..gend {
                clear_bit(buf, (x - gfirst) as usize);
            }
            self.fs.add_pending_free(b, gend - b);
            self.group_mut(g).free_blocks = free_after;
            let total = self.fs.sb.blocks_count();
            let sb = self.sb_mut();
            let free = sb.free_blocks_count().saturating_add(u64::from(n)).min(total);
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
            self.fs.own_nodes.remove(&b);
            if let Some(j) = self.fs.journal.as_mut() {
                j.revokes.insert(b);
            }
        }
        Ok(())
    }

    /// Allocate an inode, preferring group `goal_group`; a directory bumps `used_dirs`.
    pub fn alloc_inode(&mut self, goal_group: usize, dir: bool) -> Result<u32> {
        let groups = self.fs.groups().len();
        let ipg = self.fs.sb.f.s_inodes_per_group;
        // Revision 0 file systems have no s_first_ino: their first ordinary inode is 11.
        let first_ino = if self.fs.sb.f.s_rev_level == 0 { 11 } else { self.fs.sb.f.s_first_ino };
        for k in 0..groups {
            let g = (goal_group + k) % groups;
            if self.fs.groups()[g].free_inodes == 0 {
                continue;
            }
            let d = &self.fs.groups()[g];
            check_count(g, "free inodes", d.free_inodes, u64::from(ipg))?;
            check_count(g, "unused inodes", d.itable_unused, u64::from(ipg))?;
            check_count(g, "directories", d.used_dirs, u64::from(ipg))?;
            if dir && d.used_dirs >= ipg {
                return Err(Error::corrupt(
                    "group descriptor",
                    format!("group {g}: {} directories already, in a group of {ipg} inodes", d.used_dirs),
                ));
            }
            let unused_from = ipg - d.itable_unused;
            let start = if g == 0 { first_ino.saturating_sub(1) as usize } else { 0 };
            let ib = d.inode_bitmap;
            if find_zero(&self.fs.block(ib)?, start, ipg as usize).is_none() && !d.has_flag(INODE_UNINIT) {
                continue;
            }
            self.init_inode_bitmap(g)?;
            let buf = self.get_write(ib)?;
            let Some(i) = find_zero(buf, start, ipg as usize) else {
                continue;
            };
            set_bit(buf, i);
            let i = i as u32;
            let gd = self.group_mut(g);
            gd.free_inodes = gd.free_inodes.saturating_sub(1);
            if dir {
                gd.used_dirs += 1;
            }
            if i >= unused_from {
                gd.itable_unused = ipg - i - 1;
            }
            let sb = self.sb_mut();
            sb.f.s_free_inodes_count = sb.f.s_free_inodes_count.saturating_sub(1);
            return Ok(g as u32 * ipg + i + 1);
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
        let free_now = self.fs.groups()[g].free_inodes;
        let Some(free_after) = free_now.checked_add(1).filter(|&f| f <= ipg) else {
            return Err(Error::corrupt(
                "group descriptor",
                format!("group {g}: freeing inode {ino} would make {free_now} + 1 free inodes of the group's {ipg}"),
            ));
        };
        self.init_inode_bitmap(g)?;
        let ib = self.fs.groups()[g].inode_bitmap;
        let buf = self.get_write(ib)?;
        if !test_bit(buf, i) {
            return Err(Error::corrupt("inode bitmap", format!("freeing inode {ino}, which is already free")));
        }
        clear_bit(buf, i);
        let gd = self.group_mut(g);
        gd.free_inodes = free_after;
        if dir {
            gd.used_dirs = gd.used_dirs.saturating_sub(1);
        }
        let total = self.fs.sb.f.s_inodes_count;
        let sb = self.sb_mut();
        sb.f.s_free_inodes_count = sb.f.s_free_inodes_count.saturating_add(1).min(total);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::layout::Params;
    use crate::fs::mkfs::{mkfs, MkfsOptions};
    use crate::fs::Fs;
    use crate::ondisk::group_desc::{self, GroupDesc};
    use crate::ondisk::superblock;
    use crate::pmem::{Device, MemDevice};

    const SIZE: u64 = 32 << 20;

    /// A fresh image holding `/f` (4 blocks, in group 0) and `/d` (a directory).
    fn image() -> Vec<u8> {
        let mut dev = MemDevice::new(vec![0; SIZE as usize]);
        let params = Params { size_bytes: SIZE, journal_bytes: None, inodes: None, journal: true };
        let opts = MkfsOptions { params, uuid: [9; 16], label: String::new(), time: 1_700_000_000, poison: false };
        mkfs(&mut dev, &opts, &mut |_, _| {}).unwrap();
        let mut fs = Fs::mount(dev, true).unwrap().0;
        let ino = fs.create("/f", false, false).unwrap();
        fs.fallocate(ino, 0, 4 * 4096, false).unwrap();
        fs.create("/d", true, false).unwrap();
        fs.unmount().unwrap();
        fs.dev.view(0, SIZE as usize).unwrap().into_owned()
    }

    /// `img` with group 0's descriptor changed by `f` on disk (its checksum kept valid, so only
    /// the value is wrong).
    fn damaged(img: &[u8], f: impl Fn(&mut GroupDesc)) -> MemDevice {
        let fs = Fs::open(MemDevice::new(img.to_vec())).unwrap();
        let ds = usize::from(fs.sb.desc_size());
        let at = (usize::from(fs.sb.f.s_first_data_block > 0) + 1) * fs.block_size() as usize;
        let csum = group_desc::Csum::Crc32c { seed: fs.sb.csum_seed() };
        let mut out = img.to_vec();
        let mut d = GroupDesc::parse(&out[at..at + ds]);
        f(&mut d);
        group_desc::encode_checksummed(&d, 0, csum, &mut out[at..at + ds]);
        MemDevice::new(out)
    }

    fn corrupt<T: std::fmt::Debug>(r: Result<T>, what: &str) {
        match r {
            Err(Error::Corrupt { what: "group descriptor", detail }) => assert!(detail.contains("group 0"), "{detail}"),
            other => panic!("{what}: expected a corrupt group descriptor, got {other:?}"),
        }
    }

    fn mounted(dev: MemDevice) -> Fs<MemDevice> {
        Fs::mount(dev, true).unwrap().0
    }

    #[test]
    fn impossible_group_counts_are_errors_not_panics() {
        let img = image();
        let ipg = Fs::open(MemDevice::new(img.clone())).unwrap().sb.f.s_inodes_per_group;

        // More unused inodes than the group has: `ipg - itable_unused` would underflow.
        let mut fs = mounted(damaged(&img, |d| d.itable_unused = ipg + 1));
        corrupt(fs.create("/g", false, false), "itable_unused > ipg");

        // A directory count at the limit: one more would overflow (u32::MAX) or pass ipg.
        for dirs in [u32::MAX, ipg] {
            let mut fs = mounted(damaged(&img, |d| d.used_dirs = dirs));
            corrupt(fs.create("/e", true, false), "used_dirs");
        }

        // Free inodes: more than the group has, when allocating and when freeing.
        for free in [u32::MAX, ipg + 8] {
            let mut fs = mounted(damaged(&img, |d| d.free_inodes = free));
            corrupt(fs.create("/g", false, false), "free_inodes > ipg, allocating");
            let mut fs = mounted(damaged(&img, |d| d.free_inodes = free));
            corrupt(fs.remove("/f"), "free_inodes > ipg, freeing");
        }
        // All free already, yet /f's inode is in use: freeing it would pass ipg.
        let mut fs = mounted(damaged(&img, |d| d.free_inodes = ipg));
        corrupt(fs.remove("/f"), "free_inodes = ipg, freeing");

        // Free blocks: more than the group holds, when allocating and when freeing.
        let bpg = Fs::open(MemDevice::new(img.clone())).unwrap().sb.f.s_blocks_per_group;
        for free in [u32::MAX, bpg + 1] {
            let mut fs = mounted(damaged(&img, |d| d.free_blocks = free));
            let (ino, _) = fs.regular_file("/f").unwrap();
            corrupt(fs.fallocate(ino, 1 << 20, 4096, false), "free_blocks > group, allocating");
            let mut fs = mounted(damaged(&img, |d| d.free_blocks = free));
            corrupt(fs.remove("/f"), "free_blocks > group, freeing");
            let mut fs = mounted(damaged(&img, |d| d.free_blocks = free));
            let (ino, _) = fs.regular_file("/f").unwrap();
            corrupt(fs.truncate(ino, 0), "free_blocks > group, truncating");
        }
        // Exactly the group's size: freeing /f's 4 blocks would pass it.
        let mut fs = mounted(damaged(&img, |d| d.free_blocks = bpg));
        let (ino, _) = fs.regular_file("/f").unwrap();
        corrupt(fs.punch(ino, 0, 4096), "free_blocks = group size, punching");
    }

    #[test]
    fn counts_that_are_merely_off_are_carried_within_bounds() {
        let img = image();
        // Group 0 says nothing is free in it, and no directory: allocation moves on to the next
        // group, and a removal saturates instead of underflowing.
        let mut fs = mounted(damaged(&img, |d| {
            d.free_inodes = 1;
            d.used_dirs = 0;
        }));
        fs.create("/g", false, false).unwrap();
        fs.remove("/d").unwrap();
        assert_eq!(fs.groups()[0].used_dirs, 0);
        // The superblock's totals at their maximum (valid at open): freeing stays within them.
        let mut raw = img.clone();
        let mut sb = superblock::Superblock::parse(&raw[1024..2048]).unwrap();
        sb.set_free_blocks_count(sb.blocks_count());
        sb.f.s_free_inodes_count = sb.f.s_inodes_count;
        raw[1024..2048].copy_from_slice(&sb.encode());
        let mut fs = mounted(MemDevice::new(raw));
        fs.remove("/f").unwrap();
        assert_eq!(fs.sb.free_blocks_count(), fs.sb.blocks_count());
        assert_eq!(fs.sb.f.s_free_inodes_count, fs.sb.f.s_inodes_count);
        assert_eq!(fs.credit_overruns, 0);
    }

    #[test]
    fn find_zero_skips_full_words() {
        let mut b = vec![0xFFu8; 64];
        b[40] = 0xEF;
        assert_eq!(find_zero(&b, 0, 512), Some(324));
        assert_eq!(find_zero(&b, 325, 512), None);
        assert_eq!(find_zero(&b, 0, 100), None);
    }
}
