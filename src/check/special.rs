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
    }
    Ok(false)
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
