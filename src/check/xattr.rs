//! Extended attributes in pass 1: an inode's attribute block (`i_file_acl`) — its place, header,
//! entry table, value regions, entry hashes and checksum — and, once every inode has been seen,
//! each block's reference count against the inodes that name it. As e2fsck: a damaged block is
//! dropped from the inode naming it (`i_file_acl` set to 0), never rewritten piecemeal; a
//! block that passes every check but its checksum gets its checksum rewritten.
//!
//! In-inode attributes are checked for a table that stays inside the inode and values inside
//! it; attributes whose values live in their own inodes (`ea_inode`) are not followed.

use std::collections::BTreeMap;

use super::{problem, Checker};
use crate::error::Result;
use crate::ondisk::features::{compat, incompat};
use crate::ondisk::inode::Inode;
use crate::ondisk::xattr::{self, RawEntry};
use crate::ondisk::{inode as ino, le};
use crate::pmem::Device;

/// What pass 1 learned of one attribute block.
#[derive(Clone, Copy, Debug)]
pub(crate) struct EaBlock {
    /// `h_refcount` as read.
    pub on_disk: u32,
    /// Inodes naming it.
    pub seen: u32,
    /// Blocks its value inodes charge to each inode naming it.
    pub charged: u64,
}

/// Attribute blocks by number (ordered, so that findings come out in block order).
pub(crate) type EaBlocks = BTreeMap<u64, EaBlock>;

/// What was wrong with a block that cannot be kept.
enum Bad {
    Magic,
    MultiBlock(u32),
    Table(usize),
    Name(usize),
    Value(usize),
    Collision(usize),
    ValueInode(u32),
    Hash { at: usize, stored: u32 },
}

impl Bad {
    fn code(&self) -> u32 {
        match self {
            Bad::Magic | Bad::Table(_) | Bad::Name(_) | Bad::Value(_) | Bad::MultiBlock(_) => problem::EA_BLOCK_BAD,
            Bad::Collision(_) => problem::EA_ALLOC_COLLISION,
            Bad::ValueInode(_) => problem::EA_VALUE_INODE,
            Bad::Hash { .. } => problem::EA_BAD_HASH,
        }
    }

    fn detail(&self) -> String {
        match self {
            Bad::Magic => "bad magic".into(),
            Bad::MultiBlock(n) => format!("h_blocks {n}, should be 1"),
            Bad::Table(at) => format!("entry table runs past the block at byte {at}"),
            Bad::Name(at) => format!("entry at byte {at} has no name index"),
            Bad::Value(at) => format!("value of the entry at byte {at} runs past the block"),
            Bad::Collision(at) => format!("entry or value at byte {at} overlaps another"),
            Bad::ValueInode(i) => format!("value inode {i} without the ea_inode feature"),
            Bad::Hash { at, stored } => format!("entry at byte {at} has hash {stored:#x}"),
        }
    }
}

/// Regions of a block already claimed by the header, entries and values.
struct Regions(Vec<(usize, usize)>);

impl Regions {
    /// Claim `[start, start + len)`; false when it overlaps a region already claimed.
    fn claim(&mut self, start: usize, len: usize) -> bool {
        let end = start.saturating_add(len);
        if self.0.iter().any(|&(s, e)| start < e && s < end) {
            return false;
        }
        self.0.push((start, end));
        true
    }
}

/// The hash e2fsck accepts for an entry (unsigned or signed name bytes).
fn hash_ok(area: &[u8], e: &RawEntry, value_base: usize) -> bool {
    let name_at = e.at + xattr::ENTRY_HEADER;
    let name = &area[name_at..name_at + usize::from(e.name_len)];
    let start = value_base + usize::from(e.value_offs);
    let value = area.get(start..start + e.value_size as usize);
    let value = if e.value_size == 0 { None } else { value };
    e.hash == xattr::entry_hash(name, value, false) || e.hash == xattr::entry_hash(name, value, true)
}

/// What an entry whose value lives in inode `e.value_inum` needs of that inode: in range, a
/// value inode (`EA_INODE_FL`), and the entry's hash made from the value inode's hash (kept in
/// its `i_atime`). None when sound.
fn check_value_inode<D: Device>(c: &Checker<'_, D>, area: &[u8], e: &RawEntry) -> Option<Bad> {
    let v = e.value_inum;
    if v < c.fs.sb.f.s_first_ino || v > c.fs.sb.f.s_inodes_count {
        return Some(Bad::ValueInode(v));
    }
    let Ok(node) = c.fs.inode(v) else { return Some(Bad::ValueInode(v)) };
    if !node.has_flag(ino::FL_EA_INODE) || node.f.i_links_count == 0 {
        return Some(Bad::ValueInode(v));
    }
    let name_at = e.at + xattr::ENTRY_HEADER;
    let name = &area[name_at..name_at + usize::from(e.name_len)];
    let value_hash = node.f.i_atime.to_le_bytes();
    let ok = e.hash == 0
        || e.hash == xattr::entry_hash(name, Some(&value_hash), false)
        || e.hash == xattr::entry_hash(name, Some(&value_hash), true);
    (!ok).then_some(Bad::Hash { at: e.at, stored: e.hash })
}

/// Entries of a table (already validated) whose values live in inodes: check each value
/// inode; on success count the references, and return the blocks the values charge to the
/// inode naming them (as the kernel charges quota: the value's size in blocks, added to the
/// owner's `i_blocks`).
fn value_inodes<D: Device>(c: &mut Checker<'_, D>, area: &[u8], start: usize) -> Result<u64, Bad> {
    let Ok(entries) = xattr::raw_entries(area, start) else { return Ok(0) };
    let with_inode: Vec<RawEntry> = entries.into_iter().filter(|e| e.value_inum != 0).collect();
    for e in &with_inode {
        if let Some(bad) = check_value_inode(c, area, e) {
            return Err(bad);
        }
    }
    let bs = u64::from(c.fs.block_size());
    let mut charged = 0u64;
    for e in &with_inode {
        *c.ea_inode_refs.entry(e.value_inum).or_insert(0) += 1;
        charged += u64::from(e.value_size).div_ceil(bs);
    }
    Ok(charged)
}

/// Validate an attribute block's contents (not its checksum): the first problem found.
fn validate_block(block: &[u8], ea_inode: bool) -> Option<Bad> {
    if le::u32(block, 0) != xattr::MAGIC {
        return Some(Bad::Magic);
    }
    let blocks = le::u32(block, xattr::H_BLOCKS);
    if blocks != 1 {
        return Some(Bad::MultiBlock(blocks));
    }
    let entries = match xattr::raw_entries(block, xattr::BLOCK_HEADER) {
        Ok(v) => v,
        Err(xattr::TableError::EntryPastEnd { at }) => return Some(Bad::Table(at)),
    };
    let mut regions = Regions(vec![(0, xattr::BLOCK_HEADER)]);
    let mut end = xattr::BLOCK_HEADER;
    for e in &entries {
        if !regions.claim(e.at, e.table_len()) {
            return Some(Bad::Collision(e.at));
        }
        if e.name_index == 0 {
            return Some(Bad::Name(e.at));
        }
        if e.value_inum != 0 {
            if !ea_inode {
                return Some(Bad::ValueInode(e.value_inum));
            }
        } else {
            let start = usize::from(e.value_offs);
            let size = e.value_size as usize;
            if start.saturating_add(size) > block.len() {
                return Some(Bad::Value(e.at));
            }
            if size != 0 && !regions.claim(start, size.next_multiple_of(4)) {
                return Some(Bad::Collision(start));
            }
            if !hash_ok(block, e, 0) {
                return Some(Bad::Hash { at: e.at, stored: e.hash });
            }
        }
        end = e.at + e.table_len();
    }
    if !regions.claim(end, 4) {
        return Some(Bad::Collision(end));
    }
    None
}

/// Check inode `n`'s attribute block. Returns the blocks it adds to `i_blocks` (0 or 1) and
/// whether `node` was changed (its `i_file_acl` cleared).
pub(crate) fn check_block<D: Device>(c: &mut Checker<'_, D>, n: u32, node: &mut Inode) -> Result<(u64, bool)> {
    let blk = node.file_acl();
    if blk == 0 {
        return Ok((0, false));
    }
    let sb = &c.fs.sb;
    if !sb.has_compat(compat::EXT_ATTR) || blk < u64::from(sb.f.s_first_data_block) || blk >= sb.blocks_count() {
        if c.fix(problem::FILE_ACL_INVALID, format!("inode {n}: block {blk}"), Some(n), Some(blk)) {
            node.set_file_acl(0);
            return Ok((0, true));
        }
        return Ok((0, false));
    }
    if let Some(b) = c.ea_blocks.get_mut(&blk) {
        b.seen = b.seen.saturating_add(1);
        return Ok((1 + b.charged, false));
    }
    let ea_inode = c.fs.sb.has_incompat(incompat::EA_INODE);
    let (bad, on_disk, csum_ok, charged) = {
        let block = c.fs.block(blk)?.into_owned();
        let csum_ok = !c.fs.sb.has_metadata_csum()
            || le::u32(&block, xattr::H_CHECKSUM) == xattr::block_checksum(&block, c.fs.csum_seed(), blk);
        let mut bad = validate_block(&block, ea_inode);
        let mut charged = 0;
        if bad.is_none() && ea_inode {
            match value_inodes(c, &block, xattr::BLOCK_HEADER) {
                Ok(n) => charged = n,
                Err(b) => bad = Some(b),
            }
        }
        (bad, le::u32(&block, xattr::H_REFCOUNT), csum_ok, charged)
    };
    if let Some(bad) = bad {
        if c.fix(bad.code(), format!("inode {n}: block {blk}: {}", bad.detail()), Some(n), Some(blk)) {
            node.set_file_acl(0);
            return Ok((0, true));
        }
        // Left alone (-n): the block still counts as the inode's.
    } else if !csum_ok && c.fix(problem::EA_BLOCK_CHECKSUM, format!("inode {n}: block {blk}"), Some(n), Some(blk)) {
        rewrite(c, blk, None)?;
    }
    c.ea_blocks.insert(blk, EaBlock { on_disk, seen: 1, charged });
    if c.block_found.set(blk) {
        // A file's data, or the metadata, holds it too: pass 1B sorts it out.
        c.note_dup(blk);
    }
    Ok((1 + charged, false))
}

/// Rewrite attribute block `blk` with a fresh checksum (and `h_refcount` when given).
fn rewrite<D: Device>(c: &mut Checker<'_, D>, blk: u64, refcount: Option<u32>) -> Result<()> {
    let csum = c.fs.sb.has_metadata_csum().then(|| c.fs.csum_seed());
    let mut h = c.fs.handle(1)?;
    let b = h.get_write(blk)?;
    if let Some(r) = refcount {
        le::put32(b, xattr::H_REFCOUNT, r);
    }
    if let Some(seed) = csum {
        let sum = xattr::block_checksum(b, seed, blk);
        le::put32(b, xattr::H_CHECKSUM, sum);
    }
    Ok(())
}

/// After every inode: each attribute block's reference count against the inodes naming it.
pub(crate) fn check_refcounts<D: Device>(c: &mut Checker<'_, D>) -> Result<()> {
    let blocks: Vec<(u64, EaBlock)> = c.ea_blocks.iter().map(|(&b, &e)| (b, e)).collect();
    for (blk, e) in blocks {
        if e.on_disk != e.seen
            && c.fix(
                problem::EA_REFCOUNT,
                format!("block {blk}: reference count {}, should be {}", e.on_disk, e.seen),
                None,
                Some(blk),
            )
        {
            rewrite(c, blk, Some(e.seen))?;
        }
    }
    Ok(())
}

/// Check the attributes stored in inode `n`'s slot after its extra fields. Returns whether the
/// slot's attribute area must be cleared (the caller owns the write) and the blocks its value
/// inodes charge to the inode.
pub(crate) fn check_in_inode<D: Device>(c: &mut Checker<'_, D>, n: u32, slot: &[u8], node: &Inode) -> (bool, u64) {
    let start = ino::GOOD_OLD_SIZE + usize::from(node.f.i_extra_isize);
    if slot.len() < start + 4 || le::u32(slot, start) != xattr::MAGIC {
        return (false, 0);
    }
    let area = &slot[start + 4..];
    let ea_inode = c.fs.sb.has_incompat(incompat::EA_INODE);
    let bad = match xattr::raw_entries(area, 0) {
        Err(xattr::TableError::EntryPastEnd { at }) => Some(Bad::Table(at)),
        Ok(entries) => {
            let mut regions = Regions(Vec::new());
            let mut found = None;
            for e in &entries {
                if !regions.claim(e.at, e.table_len()) {
                    found = Some(Bad::Collision(e.at));
                } else if e.value_inum != 0 {
                    if !ea_inode {
                        found = Some(Bad::ValueInode(e.value_inum));
                    }
                } else {
                    let vs = usize::from(e.value_offs);
                    let size = e.value_size as usize;
                    if vs.saturating_add(size) > area.len() {
                        found = Some(Bad::Value(e.at));
                    } else if size != 0 && !regions.claim(vs, size.next_multiple_of(4)) {
                        found = Some(Bad::Collision(vs));
                    } else if e.hash != 0 && !hash_ok(area, e, 0) {
                        // In-inode entries may carry no hash (older kernels).
                        found = Some(Bad::Hash { at: e.at, stored: e.hash });
                    }
                }
                if found.is_some() {
                    break;
                }
            }
            found
        }
    };
    let mut charged = 0;
    let bad = match bad {
        None if ea_inode => match value_inodes(c, area, 0) {
            Ok(x) => {
                charged = x;
                None
            }
            Err(b) => Some(b),
        },
        other => other,
    };
    match bad {
        Some(b) => (c.fix(problem::INODE_EA_BAD, format!("inode {n}: {}", b.detail()), Some(n), None), 0),
        None => (false, charged),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_with(name: &[u8], value: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 1024];
        le::put32(&mut b, 0, xattr::MAGIC);
        le::put32(&mut b, xattr::H_REFCOUNT, 1);
        le::put32(&mut b, xattr::H_BLOCKS, 1);
        let at = xattr::BLOCK_HEADER;
        b[at] = name.len() as u8;
        b[at + 1] = 1;
        let voff = 1024 - value.len().next_multiple_of(4);
        le::put16(&mut b, at + 2, voff as u16);
        le::put32(&mut b, at + 8, value.len() as u32);
        le::put32(&mut b, at + 12, xattr::entry_hash(name, Some(value), false));
        b[at + 16..at + 16 + name.len()].copy_from_slice(name);
        b[voff..voff + value.len()].copy_from_slice(value);
        b
    }

    #[test]
    fn a_sound_block_passes_and_each_damage_is_named() {
        let b = block_with(b"comment", b"hello");
        assert!(validate_block(&b, false).is_none());
        let mut x = b.clone();
        x[0] ^= 1;
        assert!(matches!(validate_block(&x, false), Some(Bad::Magic)));
        let mut x = b.clone();
        le::put32(&mut x, 32 + 12, 7);
        assert!(matches!(validate_block(&x, false), Some(Bad::Hash { .. })));
        let mut x = b.clone();
        le::put32(&mut x, 32 + 4, 99);
        assert!(matches!(validate_block(&x, false), Some(Bad::ValueInode(99))));
        let mut x = b.clone();
        le::put16(&mut x, 32 + 2, 20); // the value over the header
        assert!(matches!(validate_block(&x, false), Some(Bad::Collision(_) | Bad::Hash { .. })));
        let mut x = b.clone();
        le::put32(&mut x, 32 + 8, 5000);
        assert!(matches!(validate_block(&x, false), Some(Bad::Value(_))));
        let mut x = b;
        le::put32(&mut x, xattr::H_BLOCKS, 2);
        assert!(matches!(validate_block(&x, false), Some(Bad::MultiBlock(2))));
    }
}
