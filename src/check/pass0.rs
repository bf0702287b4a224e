//! Pass 0: group descriptor checksums, and the blocks the file system's own metadata takes
//! (superblocks, descriptor tables, reserved GDT blocks, bitmaps, inode tables), marked in use
//! before any file claims a block.

use super::bits::Bits;
use super::{problem, special, Checker};
use crate::error::Result;
use crate::ondisk::features::ro_compat;
use crate::ondisk::group_desc::{BLOCK_UNINIT, INODE_UNINIT};
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
    // As e2fsck (ext2fs_update_dynamic_rev): revision 0 knows no features; with some set, the
    // file system becomes revision 1 with revision 0's geometry (first inode 11, 128-byte
    // inodes: what revision 0 reads anyway).
    let f = &c.fs.sb.f;
    if f.s_rev_level == 0
        && (f.s_feature_compat | f.s_feature_ro_compat | f.s_feature_incompat) != 0
        && c.fix(problem::FS_REV_LEVEL, String::new(), None, None)
    {
        let mut h = c.fs.handle(1)?;
        let f = &mut h.sb_mut().f;
        f.s_rev_level = 1;
        f.s_first_ino = 11;
        f.s_inode_size = crate::ondisk::inode::GOOD_OLD_SIZE as u16;
    }
    // As e2fsck: needs_recovery without a journal has nothing to recover.
    if !c.fs.sb.has_journal()
        && c.fs.sb.has_incompat(crate::ondisk::features::incompat::RECOVER)
        && c.fix(problem::JOURNAL_RECOVER_NO_JOURNAL, String::new(), None, None)
    {
        let mut h = c.fs.handle(1)?;
        h.sb_mut().f.s_feature_incompat &= !crate::ondisk::features::incompat::RECOVER;
    }
    for g in 0..groups {
        if !c.fs.group_checksum_ok(g) && c.fix(problem::GD_CHECKSUM, format!("group {g}"), None, None) {
            // As e2fsck: what a descriptor with a bad checksum says of its group is not
            // trusted: its uninitialised flags and unused count go (the whole group is
            // checked). Marking it dirty rewrites it with a fresh checksum at commit.
            let mut h = c.fs.handle(2)?;
            let d = h.group_mut(g);
            d.flags &= !(BLOCK_UNINIT | INODE_UNINIT);
            d.itable_unused = 0;
        }
    }
    let ipg = c.fs.sb.f.s_inodes_per_group;
    let csum = c.fs.sb.has_metadata_csum() || c.fs.sb.has_ro_compat(ro_compat::GDT_CSUM);
    let first_ino = u64::from(c.fs.sb.f.s_first_ino);
    for g in 0..groups {
        let d = &c.fs.groups()[g];
        let uninit = d.flags & (BLOCK_UNINIT | INODE_UNINIT) != 0;
        if !csum
            && (uninit || d.itable_unused != 0)
            && c.fix(problem::GD_UNINIT_NO_CSUM, format!("group {g}"), None, None)
        {
            // As e2fsck: only group checksums give these fields a meaning.
            let mut h = c.fs.handle(2)?;
            let d = h.group_mut(g);
            d.flags &= !(BLOCK_UNINIT | INODE_UNINIT);
            d.itable_unused = 0;
            continue;
        }
        if g + 1 == groups
            && c.fs.groups()[g].has_flag(BLOCK_UNINIT)
            && c.fix(problem::GD_BLOCK_UNINIT_LAST, format!("group {g}"), None, None)
        {
            let mut h = c.fs.handle(2)?;
            h.group_mut(g).flags &= !BLOCK_UNINIT;
        }
        // The reserved inodes (the root among them) are always in use: a group holding them
        // cannot be uninitialised (checked, its inodes would all be skipped).
        let holds_reserved = (g as u64) * u64::from(ipg) + 1 < first_ino;
        if csum
            && holds_reserved
            && c.fs.groups()[g].has_flag(INODE_UNINIT)
            && c.fix(problem::GD_INODE_UNINIT_RESERVED, format!("group {g}"), None, None)
        {
            let mut h = c.fs.handle(2)?;
            h.group_mut(g).flags &= !INODE_UNINIT;
        }
    }
    // An unused-inode count past the group's inodes (or its free inodes) would hide inodes
    // from pass 1.
    for g in 0..groups {
        let d = &c.fs.groups()[g];
        let unused = d.itable_unused;
        if csum
            && (unused > ipg || unused > d.free_inodes)
            && c.fix(problem::GD_BAD_UNUSED, format!("group {g}: {unused}"), None, None)
        {
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
