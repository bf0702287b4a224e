//! Inodes that hold the file system's own data rather than files: the bad-block list (inode 1),
//! the quota inodes the superblock names, and the orphan file. None of them has a directory
//! entry, so pass 4 leaves them alone ([`hidden`]); each gets the checks e2fsck gives it.
//!
//! Quota files are checked as inodes (mode, blocks, sizes), not their contents: the usage they
//! record is not compared with the usage found (e2fsck's "Update quota info" step).

use super::{problem, Checker};
use crate::error::Result;
use crate::ondisk::checksum::crc32c_raw;
use crate::ondisk::features::{compat, incompat, ro_compat};
use crate::ondisk::inode::{self as ino, Inode};
use crate::ondisk::le;
use crate::ondisk::superblock::Superblock;
use crate::pmem::Device;

/// The reserved inodes of the user and group quota files.
pub const USR_QUOTA_INO: u32 = 3;
pub const GRP_QUOTA_INO: u32 = 4;
/// The boot loader inode (may be a file).
pub const BOOT_LOADER_INO: u32 = 5;

/// The quota inodes the superblock names: user, group, project (0: none).
pub fn quota_inums(sb: &Superblock) -> [u32; 3] {
    [sb.f.s_usr_quota_inum, sb.f.s_grp_quota_inum, sb.f.s_prj_quota_inum]
}

const QUOTA_NAMES: [&str; 3] = ["user", "group", "project"];

/// Whether inode `n` is one the file system keeps without a directory entry (quota files,
/// the orphan file); reserved inodes below `s_first_ino` are not listed here.
pub fn hidden(sb: &Superblock, n: u32) -> bool {
    if n == 0 {
        return false;
    }
    (sb.has_ro_compat(ro_compat::QUOTA) && quota_inums(sb).contains(&n))
        || (sb.has_compat(compat::ORPHAN_FILE) && sb.f.s_orphan_file_inum == n)
}

/// Pass 0: quota inode numbers that cannot be quota inodes (another reserved inode, or past
/// the inode count) are cleared from the superblock.
pub fn check_quota_super<D: Device>(c: &mut Checker<'_, D>) -> Result<()> {
    let count = c.fs.sb.f.s_inodes_count;
    for (k, n) in quota_inums(&c.fs.sb).into_iter().enumerate() {
        let reserved_other = matches!(n, 1 | 2 | 5..=10);
        if n != 0
            && (reserved_other || n > count)
            && c.fix(problem::QUOTA_INODE_INVALID, format!("{} quota inode {n}", QUOTA_NAMES[k]), Some(n), None)
        {
            let mut h = c.fs.handle(1)?;
            let f = &mut h.sb_mut().f;
            match k {
                0 => f.s_usr_quota_inum = 0,
                1 => f.s_grp_quota_inum = 0,
                _ => f.s_prj_quota_inum = 0,
            }
        }
    }
    Ok(())
}

/// Pass 1 for the reserved quota inodes (3 and 4). Returns whether the inode is a quota file
/// in use, to be checked as a file; an unused one holding data is cleared.
pub fn reserved_quota_inode<D: Device>(c: &mut Checker<'_, D>, n: u32) -> Result<bool> {
    let node = c.fs.inode(n)?;
    let sb = &c.fs.sb;
    if sb.has_ro_compat(ro_compat::QUOTA) && quota_inums(sb).contains(&n) {
        if node.file_type() != ino::S_IFREG
            && c.fix(problem::QUOTA_BAD_MODE, format!("inode {n}: mode {:#o}", node.f.i_mode), Some(n), None)
        {
            let mut fixed = node;
            fixed.f.i_mode = ino::S_IFREG | (fixed.f.i_mode & 0o7777);
            let mut h = c.fs.handle(1)?;
            h.write_inode(n, &fixed)?;
        }
        return Ok(true);
    }
    let holds = node.f.i_links_count != 0 || node.blocks_512(false, 512) != 0 || le::u32(&node.f.i_block, 0) != 0;
    if holds && c.fix(problem::QUOTA_INODE_NOT_CLEAR, format!("inode {n}"), Some(n), None) {
        let isz = usize::from(c.fs.sb.inode_size());
        let mut h = c.fs.handle(1)?;
        h.edit_inode_slot(n, |slot| slot[..isz].fill(0))?;
    } else if !holds {
        inode_checksum(c, n)?;
    }
    Ok(false)
}

/// Pass 1 for a reserved inode that holds nothing (5, 6, 9, 10, the resize inode without
/// `resize_inode`, ... below `s_first_ino`), as e2fsck: a mode it cannot have is cleared
/// (the boot loader inode may be a file, the resize inode a regular file), and its checksum
/// must match unless it is all zero.
pub fn reserved_inode<D: Device>(c: &mut Checker<'_, D>, n: u32) -> Result<()> {
    let node = c.fs.inode(n)?;
    let mode = node.f.i_mode;
    let bad_mode = match n {
        BOOT_LOADER_INO => node.file_type() == ino::S_IFDIR,
        ino::RESIZE_INO => mode != 0 && node.file_type() != ino::S_IFREG,
        _ => mode != 0,
    };
    if bad_mode && c.fix(problem::RESERVED_BAD_MODE, format!("inode {n}: mode {mode:#o}"), Some(n), None) {
        let mut fixed = node;
        fixed.f.i_mode = 0;
        let mut h = c.fs.handle(1)?;
        h.write_inode(n, &fixed)?;
    } else {
        inode_checksum(c, n)?;
    }
    Ok(())
}

/// INODE_CHECKSUM on an inode pass 1 does not otherwise check: the checksum rewritten, unless
/// the inode is all zero.
fn inode_checksum<D: Device>(c: &mut Checker<'_, D>, n: u32) -> Result<()> {
    let ok = !c.fs.sb.has_metadata_csum() || ino::checksum_ok_or_zero(&c.fs.inode_slot(n)?, c.fs.sb.csum_seed(), n);
    if !ok && c.fix(problem::INODE_CHECKSUM, format!("inode {n}"), Some(n), None) {
        let mut h = c.fs.handle(1)?;
        h.edit_inode_slot(n, |_| {})?;
    }
    Ok(())
}

/// Pass 1 for the bad-block inode: its fields must be those of a block list (no mode, owner,
/// links, inline data or attribute block), and every block it lists must be inside the file
/// system. Returns the blocks it holds (listed and indirect), claimed by [`claim_bad_blocks`]
/// once every other inode has claimed its own: a listed block a file also uses is the file's.
pub fn bad_blocks_inode<D: Device>(c: &mut Checker<'_, D>) -> Result<Vec<u64>> {
    let n = ino::BAD_BLOCKS_INO;
    let slot = c.fs.inode_slot(n)?;
    let node = Inode::parse(&slot);
    let csum_ok = !c.fs.sb.has_metadata_csum() || ino::checksum_ok(&slot, c.fs.sb.csum_seed(), n);
    drop(slot);
    let f = &node.f;
    let invalid = !csum_ok
        || f.i_mode != 0
        || node.uid() != 0
        || node.gid() != 0
        || f.i_links_count != 0
        || node.has_flag(ino::FL_INLINE_DATA)
        || node.file_acl() != 0;
    if invalid {
        if c.fix(problem::BAD_BLOCKS_INODE_INVALID, String::new(), Some(n), None) {
            let mut h = c.fs.handle(1)?;
            h.edit_inode_slot(n, |slot| slot[..ino::GOOD_OLD_SIZE].fill(0))?;
        }
        return Ok(Vec::new());
    }
    let mut walk = BadBlockWalk { illegal: Vec::new(), held: Vec::new(), budget: c.fs.sb.blocks_count().min(1 << 24) };
    for i in 0..15usize {
        let b = le::u32(&node.f.i_block, 4 * i);
        let level = i.saturating_sub(11).min(3) as u8;
        walk.visit(c, Where::Inode(i), b, level)?;
    }
    for (k, (at, b)) in walk.illegal.into_iter().enumerate() {
        if c.fix(problem::BAD_BLOCKS_ILLEGAL, format!("entry {k}: block {b}"), Some(n), Some(u64::from(b))) {
            let mut h = c.fs.handle(2)?;
            match at {
                Where::Inode(i) => h.edit_inode_slot(n, |slot| le::put32(slot, 0x28 + 4 * i, 0))?,
                Where::Block(blk, i) => le::put32(h.get_write(blk)?, 4 * i, 0),
            }
        }
    }
    Ok(walk.held)
}

/// After every inode of pass 1: the bad-block inode's blocks are in use, unless a file or the
/// file system's metadata uses one too — "a bad block in use", which e2fsck resolves by
/// cloning (pass 1B); e4dax reports it and leaves both.
pub fn claim_bad_blocks<D: Device>(c: &mut Checker<'_, D>, held: &[u64]) {
    for &b in held {
        if c.block_found.get(b) {
            c.fix(problem::BAD_BLOCK_IN_USE, format!("block {b}"), Some(ino::BAD_BLOCKS_INO), Some(b));
        } else {
            c.block_found.set(b);
        }
    }
}

/// Where a block pointer lives: slot `i` of `i_block`, or entry `i` of an indirect block.
#[derive(Clone, Copy, Debug)]
enum Where {
    Inode(usize),
    Block(u64, usize),
}

struct BadBlockWalk {
    illegal: Vec<(Where, u32)>,
    /// Blocks held (listed and indirect), claimed at the end of pass 1.
    held: Vec<u64>,
    /// Pointers left to follow (a bound on garbage indirect trees).
    budget: u64,
}

impl BadBlockWalk {
    fn visit<D: Device>(&mut self, c: &mut Checker<'_, D>, at: Where, b: u32, level: u8) -> Result<()> {
        if b == 0 || self.budget == 0 {
            return Ok(());
        }
        self.budget -= 1;
        let blk = u64::from(b);
        if blk < u64::from(c.fs.sb.f.s_first_data_block) || blk >= c.fs.sb.blocks_count() {
            self.illegal.push((at, b));
            return Ok(());
        }
        self.held.push(blk);
        if level == 0 {
            return Ok(());
        }
        let per = c.fs.block_size() as usize / 4;
        let ptrs: Vec<u32> = {
            let data = c.fs.block(blk)?;
            (0..per).map(|i| le::u32(&data, 4 * i)).collect()
        };
        for (i, p) in ptrs.into_iter().enumerate() {
            self.visit(c, Where::Block(blk, i), p, level - 1)?;
        }
        Ok(())
    }
}

/// The multi-mount protection block: magic, sequence (clean), checksum offset.
pub const MMP_MAGIC: u32 = 0x004D_4D50;
pub const MMP_SEQ_CLEAN: u32 = 0xFF4D_4D50;
const MMP_CHECKSUM_AT: usize = 1020;
const MMP_CHECK_INTERVAL_AT: usize = 112;

fn mmp_checksum(block: &[u8], seed: u32) -> u32 {
    crc32c_raw(seed, &block[..MMP_CHECKSUM_AT])
}

/// Pass 0: the MMP block (`mmp`): inside the file system, in use, with its magic and checksum.
/// A repair rewrites it as a clean block (sequence "clean"), as e2fsck leaves it.
pub fn check_mmp<D: Device>(c: &mut Checker<'_, D>) -> Result<()> {
    if !c.fs.sb.has_incompat(incompat::MMP) {
        return Ok(());
    }
    let blk = c.fs.sb.f.s_mmp_block;
    if blk < u64::from(c.fs.sb.f.s_first_data_block) + 1 || blk >= c.fs.sb.blocks_count() {
        if c.fix(problem::MMP_INVALID_BLOCK, format!("block {blk}"), None, Some(blk)) {
            // As e2fsck: the feature goes (tune2fs -O mmp sets it up again).
            let mut h = c.fs.handle(1)?;
            let f = &mut h.sb_mut().f;
            f.s_feature_incompat &= !incompat::MMP;
            f.s_mmp_block = 0;
        }
        return Ok(());
    }
    c.block_found.set(blk);
    let seed = c.fs.csum_seed();
    let csum = c.fs.sb.has_metadata_csum();
    let (magic_ok, sum_ok) = {
        let b = c.fs.block(blk)?;
        (le::u32(&b, 0) == MMP_MAGIC, !csum || le::u32(&b, MMP_CHECKSUM_AT) == mmp_checksum(&b, seed))
    };
    let rewrite = if !magic_ok {
        c.fix(problem::MMP_BAD_MAGIC, format!("block {blk}"), None, Some(blk))
    } else {
        !sum_ok && c.fix(problem::MMP_CHECKSUM, format!("block {blk}"), None, Some(blk))
    };
    if rewrite {
        let interval = c.fs.sb.f.s_mmp_interval;
        let now = c.fs.clock.now();
        let mut h = c.fs.handle(1)?;
        let b = h.get_write(blk)?;
        if !magic_ok {
            b.fill(0);
            le::put32(b, 0, MMP_MAGIC);
            le::put64(b, 8, now);
            le::put16(b, MMP_CHECK_INTERVAL_AT, interval);
        }
        le::put32(b, 4, MMP_SEQ_CLEAN);
        if csum {
            let sum = mmp_checksum(b, seed);
            le::put32(b, MMP_CHECKSUM_AT, sum);
        }
    }
    Ok(())
}

/// The resize inode's layout (`resize_inode`): its double indirect block lists, at entry
/// `(desc_blocks + i) % per_block`, reserved descriptor block `i` of group 0; that block lists
/// the same reserved block in every group holding a backup superblock, in group order.
struct ResizeLayout {
    /// Reserved descriptor blocks of group 0, each with its dind entry and the backups it
    /// lists.
    reserved: Vec<(usize, u64, Vec<u64>)>,
    per_block: usize,
}

fn resize_layout(sb: &Superblock) -> ResizeLayout {
    let per_block = sb.block_size() as usize / 4;
    let first = u64::from(sb.f.s_first_data_block);
    let desc = sb.gdt_blocks();
    let bpg = u64::from(sb.f.s_blocks_per_group);
    let backups: Vec<u64> = (1..sb.group_count()).filter(|&g| sb.group_has_super(g)).take(per_block).collect();
    // Bounded: pass 0 refuses more reserved blocks than a block has entries.
    let count = usize::from(sb.f.s_reserved_gdt_blocks).min(per_block);
    let reserved = (0..count)
        .map(|i| {
            let blk = first + 1 + desc + i as u64;
            let entry = (desc as usize + i) % per_block;
            (entry, blk, backups.iter().map(|&g| blk + g * bpg).collect())
        })
        .collect();
    ResizeLayout { reserved, per_block }
}

/// As e2fsck's `check_resize_inode`: with `resize_inode`, inode 7 must map nothing but its
/// double indirect block (inside the file system), be a linked regular file, and its blocks must
/// list the reserved descriptor blocks and their backups as `mke2fs` lays them out. e4dax also
/// refuses the flags no block-mapped file has (extents, inline data, an htree index), which
/// e2fsck clears in pass 1 before recreating the inode on its next run. The reason it is not
/// valid, or `None`.
fn resize_inode_fault<D: Device>(c: &Checker<'_, D>, node: &Inode) -> Result<Option<String>> {
    use crate::fs::map::DIND_SLOT;
    let sb = &c.fs.sb;
    let ptr = |i: usize| le::u32(&node.f.i_block, 4 * i);
    if let Some(i) = (0..15).find(|&i| i != DIND_SLOT && ptr(i) != 0) {
        return Ok(Some(format!("i_block[{i}] is {}", ptr(i))));
    }
    let dind = u64::from(ptr(DIND_SLOT));
    if dind < u64::from(sb.f.s_first_data_block) || dind >= sb.blocks_count() {
        return Ok(Some(format!("double indirect block {dind}")));
    }
    if node.f.i_links_count == 0 || node.file_type() != ino::S_IFREG {
        return Ok(Some(format!("mode {:#o}, {} links", node.f.i_mode, node.f.i_links_count)));
    }
    let bad_flags = ino::FL_EXTENTS | ino::FL_INLINE_DATA | ino::FL_INDEX;
    if node.f.i_flags & bad_flags != 0 {
        return Ok(Some(format!("flags {:#x}", node.f.i_flags)));
    }
    let layout = resize_layout(sb);
    let dind_buf = c.fs.block(dind)?.into_owned();
    let mut expected = vec![false; layout.per_block];
    for (entry, blk, backups) in &layout.reserved {
        expected[*entry] = true;
        let got = u64::from(le::u32(&dind_buf, 4 * entry));
        if got != *blk {
            return Ok(Some(format!("double indirect entry {entry} is {got}, should be {blk}")));
        }
        // Stricter than e2fsck, which leaves the other entries to pass 1: anything past the
        // backups (or in another entry of the DIND block) is not the layout recreated.
        let ind = c.fs.block(*blk)?;
        for k in 0..layout.per_block {
            let got = u64::from(le::u32(&ind, 4 * k));
            let want = backups.get(k).copied().unwrap_or(0);
            if got != want {
                return Ok(Some(format!("block {blk} entry {k} is {got}, should be {want}")));
            }
        }
    }
    if let Some(e) = (0..layout.per_block).find(|&e| !expected[e] && le::u32(&dind_buf, 4 * e) != 0) {
        return Ok(Some(format!("double indirect entry {e} is {}, should be 0", le::u32(&dind_buf, 4 * e))));
    }
    Ok(None)
}

/// Pass 1 for the resize inode, before it is checked as a file: when it is not valid and the
/// answer is yes, it is cleared and its old double indirect block returned —
/// [`recreate_resize_inode`] makes it anew once every other inode has claimed its blocks (as
/// e2fsck does at the end of its check).
pub fn resize_inode_invalid<D: Device>(c: &mut Checker<'_, D>) -> Result<Option<u64>> {
    let n = ino::RESIZE_INO;
    let node = c.fs.inode(n)?;
    // With no reserved descriptor blocks, a resize inode never made (mode 0) is fine; one
    // that was made must list nothing (blocks it would list are no longer reserved).
    if c.fs.sb.f.s_reserved_gdt_blocks == 0 && node.f.i_mode == 0 {
        return Ok(None);
    }
    let Some(why) = resize_inode_fault(c, &node)? else { return Ok(None) };
    if !c.fix(problem::RESIZE_INODE_INVALID, format!("inode {n}: {why}"), Some(n), None) {
        return Ok(None);
    }
    let isz = usize::from(c.fs.sb.inode_size());
    let mut h = c.fs.handle(1)?;
    h.edit_inode_slot(n, |slot| slot[..isz].fill(0))?;
    Ok(Some(u64::from(le::u32(&node.f.i_block, 4 * crate::fs::map::DIND_SLOT))))
}

/// As `ext2fs_create_resize_inode` on a cleared inode: a new double indirect block (a block no
/// one claimed, the old one when it is free), the reserved descriptor blocks of group 0 listed
/// in it, each listing its backups; inode 7 a regular file of mode 0600 whose size spans the
/// double indirect range. The blocks are marked in use for pass 5.
pub fn recreate_resize_inode<D: Device>(c: &mut Checker<'_, D>, old_dind: u64) -> Result<()> {
    let sb = c.fs.sb.clone();
    let bs = u64::from(sb.block_size());
    let first = u64::from(sb.f.s_first_data_block);
    let blocks = sb.blocks_count();
    let goal = if (first..blocks).contains(&old_dind) { old_dind } else { first };
    let Some(dind) = (goal..blocks).chain(first..goal).find(|&b| !c.block_found.get(b)) else {
        // No free block to recreate it with: left cleared, and said so (-y exits 4).
        c.note(problem::RESIZE_INODE_INVALID, "no free block to recreate the resize inode".into(), false);
        return Ok(());
    };
    c.block_found.set(dind);
    let layout = resize_layout(&sb);
    let mut dind_buf = vec![0u8; bs as usize];
    let mut mapped = 1u64;
    for (entry, blk, backups) in &layout.reserved {
        le::put32(&mut dind_buf, 4 * entry, *blk as u32);
        let mut h = c.fs.handle(1)?;
        let b = h.get_write(*blk)?;
        b.fill(0);
        for (k, &g) in backups.iter().enumerate() {
            le::put32(b, 4 * k, g as u32);
        }
        mapped += 1 + backups.len() as u64;
    }
    let per = layout.per_block as u64;
    let size = (12 + per + per * per) * bs;
    let mut node = Inode::new(ino::S_IFREG | 0o600);
    node.f.i_links_count = 1;
    le::put32(&mut node.f.i_block, 4 * crate::fs::map::DIND_SLOT, dind as u32);
    node.set_size(size);
    node.set_blocks_512(mapped * (bs / 512));
    node.set_times(c.fs.clock.now());
    let mut h = c.fs.handle(3)?;
    h.get_write(dind)?.copy_from_slice(&dind_buf);
    h.write_inode(ino::RESIZE_INO, &node)?;
    if size > 0x7FFF_FFFF && !sb.has_ro_compat(ro_compat::LARGE_FILE) {
        h.sb_mut().f.s_feature_ro_compat |= ro_compat::LARGE_FILE;
    }
    Ok(())
}
