//! Pass 0: group descriptor checksums, and the blocks the file system's own metadata takes
//! (superblocks, descriptor tables, reserved GDT blocks, bitmaps, inode tables), marked in use
//! before any file claims a block.

use super::bits::Bits;
use super::{problem, special, Checker};
use crate::error::Result;
use crate::pmem::Device;

pub fn run<D: Device>(c: &mut Checker<'_, D>) -> Result<()> {
    let groups = c.fs.groups().len();
    if let Some(why) = c.fs.desc_from_backup.clone() {
        // Opening read group 1's copy; a repair writes it over the primary.
        if c.fix(problem::GD_USE_BACKUP, why, None, None) {
            let mut h = c.fs.handle(c.fs.sb.gdt_blocks().min(u64::from(u32::MAX / 2)) as u32 + 1)?;
            for g in 0..groups {
                h.group_mut(g);
            }
            drop(h);
            c.fs.desc_from_backup = None;
        }
    }
    for g in 0..groups {
        if !c.fs.group_checksum_ok(g) && c.fix(problem::GD_CHECKSUM, format!("group {g}"), None, None) {
            // Marking the descriptor dirty rewrites it with a fresh checksum at commit.
            let mut h = c.fs.handle(2)?;
            h.group_mut(g);
        }
    }
    // An unused-inode count past the group's inodes would hide inodes from pass 1.
    let ipg = c.fs.sb.f.s_inodes_per_group;
    for g in 0..groups {
        let unused = c.fs.groups()[g].itable_unused;
        if unused > ipg && c.fix(problem::GD_BAD_UNUSED, format!("group {g}: {unused}"), None, None) {
            let mut h = c.fs.handle(2)?;
            h.group_mut(g).itable_unused = 0;
        }
    }
    special::check_quota_super(c)?;
    mark_metadata(c);
    special::check_mmp(c)?;
    Ok(())
}

/// Mark every block of the file system's own metadata in `block_found`.
pub(crate) fn mark_metadata<D: Device>(c: &mut Checker<'_, D>) {
    mark_metadata_into(c.fs, &mut c.block_found);
    mark_metadata_into(c.fs, &mut c.meta_blocks);
}

/// Mark every block of the file system's own metadata (superblocks, descriptor blocks and
/// their reserve, bitmaps, inode tables) in `bits`.
pub(crate) fn mark_metadata_into<D: Device>(fs: &crate::fs::Fs<D>, bits: &mut Bits) {
    let sb = &fs.sb;
    let itb = sb.inode_table_blocks();
    let first_data = u64::from(sb.f.s_first_data_block);
    if first_data > 0 {
        bits.set_range(0, first_data);
    }
    for (g, d) in fs.groups().iter().enumerate() {
        let g = g as u64;
        for (b, n) in sb.group_sb_gdt_runs(g) {
            bits.set_range(b, n);
        }
        bits.set(d.block_bitmap);
        bits.set(d.inode_bitmap);
        bits.set_range(d.inode_table, itb);
    }
}
