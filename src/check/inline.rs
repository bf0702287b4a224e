//! Inline data in the checker (`inline_data`, see [`crate::fs::inline`]).
//!
//! Pass 1, as e2fsck's: an inode with both the inline and the extents flags keeps the one its
//! contents fit (or becomes a block map, or is cleared); an inline inode on a file system
//! without the feature sets the feature when its `system.data` attribute is there, else it is
//! cleared; an inline inode without the attribute is truncated (size 0, flag and `i_block`
//! cleared; a directory so emptied is cleared); an inline directory's size, and an inline
//! symlink's, is its inline space (a symlink that is not so is cleared). Inline inodes claim
//! no blocks.
//!
//! Pass 2: an inline directory's `..` (its first 4 bytes) and its two runs of entries
//! (`i_block`, then the attribute's value) are checked as a directory block's entries are.
//! Pass 3 points an inline directory's `..` elsewhere by rewriting those 4 bytes.

use super::names::NameSet;
use super::{pass1, problem, Checker};
use crate::error::Result;
use crate::fs::inline::{is_inline, I_BLOCK_BYTES, PARENT_BYTES};
use crate::ondisk::dirent::{self, file_type_of_mode};
use crate::ondisk::features::incompat;
use crate::ondisk::inode::{self as ino, Inode, ROOT_INO};
use crate::ondisk::le;
use crate::pmem::Device;

/// What pass 1 makes of an inode's inline data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Pass1 {
    /// It maps blocks (or nothing), as it always did or since a repair.
    NotInline,
    /// Its data is inline: it claims no blocks; its size was checked here.
    Inline,
    /// The inode was cleared.
    Cleared,
}

/// Pass 1's checks of inode `n`'s inline data; `node` is changed (and `dirty` set) by repairs
/// the caller writes. `ea_cleared`: the in-inode attribute area is being cleared (found
/// corrupt), `system.data` with it.
pub(super) fn pass1<D: Device>(
    c: &mut Checker<'_, D>,
    n: u32,
    node: &mut Inode,
    dirty: &mut bool,
    ea_cleared: bool,
) -> Result<Pass1> {
    if !is_inline(node) {
        return Ok(Pass1::NotInline);
    }
    if node.has_flag(ino::FL_EXTENTS) {
        match both_flags(c, n, node, dirty)? {
            Pass1::Inline => {}
            other => return Ok(other),
        }
    }
    let mut data = c.fs.inline_data(n, node)?;
    if ea_cleared {
        data.attr = None;
    }
    let checked = n >= c.fs.sb.f.s_first_ino;
    if checked && !c.fs.sb.has_incompat(incompat::INLINE_DATA) {
        if data.attr.is_some() && c.fix(problem::INLINE_DATA_FEATURE, format!("inode {n}"), Some(n), None) {
            let mut h = c.fs.handle(1)?;
            h.sb_mut().f.s_feature_incompat |= incompat::INLINE_DATA;
        } else if c.fix(problem::INLINE_DATA_SET, format!("inode {n}"), Some(n), None) {
            pass1::clear_inode(c, n)?;
            return Ok(Pass1::Cleared);
        }
    }
    // (Without the feature, e2fsck does not look for the attribute: the question above was it.)
    if checked && data.attr.is_none() && c.fs.sb.has_incompat(incompat::INLINE_DATA) {
        if c.fix(problem::INLINE_DATA_NO_ATTR, format!("inode {n}: truncated to 0 bytes"), Some(n), None) {
            node.set_size(0);
            node.f.i_flags &= !ino::FL_INLINE_DATA;
            node.f.i_block = [0; 60];
            *dirty = true;
            if node.is_dir() && c.fix(problem::DIR_ZERO_LENGTH, format!("directory {n}"), Some(n), None) {
                pass1::clear_inode(c, n)?;
                return Ok(Pass1::Cleared);
            }
            // An empty symlink is no symlink.
            if node.file_type() == ino::S_IFLNK && bad_symlink(c, n, "it is empty now")? {
                return Ok(Pass1::Cleared);
            }
            return Ok(Pass1::NotInline);
        }
        // Left as it is: read as the 60 bytes of i_block (its size is not judged).
        if node.file_type() == ino::S_IFLNK && bad_symlink(c, n, "no system.data attribute")? {
            return Ok(Pass1::Cleared);
        }
        return Ok(Pass1::Inline);
    }
    if node.file_type() == ino::S_IFLNK {
        // As e2fsck: an inline symlink's size is its whole inline space.
        let (size, want) = (node.size(), data.capacity());
        let why = if size == 0 || size > u64::from(u32::MAX) || size != want {
            Some(format!("i_size {size}, its inline data holds {want} bytes"))
        } else if node.has_flag(ino::FL_INDEX) || node.has_flag(ino::FL_EXTENTS) {
            Some(format!("flags {:#x}", node.f.i_flags))
        } else {
            None
        };
        if let Some(why) = why {
            if bad_symlink(c, n, &why)? {
                return Ok(Pass1::Cleared);
            }
        }
    }
    if node.is_dir() && data.attr.is_some() {
        let (size, want) = (node.size(), data.capacity());
        if size != want
            && c.fix(problem::BAD_I_SIZE, format!("directory {n}: i_size {size}, should be {want}"), Some(n), None)
        {
            node.set_size(want);
            *dirty = true;
        }
    }
    Ok(Pass1::Inline)
}

/// An inode with both the inline data and the extents flags, as e2fsck decides: an extent
/// root in `i_block` keeps the extents; a size that fits the inline space keeps the inline
/// data; pointers that are all block numbers make a block map (both flags cleared); else the
/// inode is cleared. Each question is asked when the one before is answered no. `Inline` when
/// it stays inline (both flags left, or only the extents flag cleared).
fn both_flags<D: Device>(c: &mut Checker<'_, D>, n: u32, node: &mut Inode, dirty: &mut bool) -> Result<Pass1> {
    let sb = &c.fs.sb;
    if !sb.has_incompat(incompat::EXTENTS) && !sb.has_incompat(incompat::INLINE_DATA) {
        return Ok(Pass1::Inline);
    }
    if !matches!(node.file_type(), ino::S_IFREG | ino::S_IFDIR | ino::S_IFLNK) {
        // Special files: their flags are pass 1's other checks' business.
        return Ok(Pass1::Inline);
    }
    let what = |w: &str| format!("inode {n}: {w}");
    if crate::ondisk::extent::Header::parse(&node.f.i_block, 4).is_ok()
        && c.fix(problem::INLINE_EXTENT_FLAGS, what("an extent tree: clearing INLINE_DATA_FL"), Some(n), None)
    {
        node.f.i_flags &= !ino::FL_INLINE_DATA;
        *dirty = true;
        return Ok(Pass1::NotInline);
    }
    let inode_size = usize::from(c.fs.sb.inode_size());
    let ea_room = inode_size.saturating_sub(ino::GOOD_OLD_SIZE + usize::from(node.f.i_extra_isize)) as u64;
    if node.size() < I_BLOCK_BYTES as u64 + ea_room
        && c.fix(problem::INLINE_EXTENT_FLAGS, what("inline data: clearing EXTENTS_FL"), Some(n), None)
    {
        node.f.i_flags &= !ino::FL_EXTENTS;
        *dirty = true;
        return Ok(Pass1::Inline);
    }
    let blocks = c.fs.sb.blocks_count();
    let block_map = (0..15).all(|i| u64::from(le::u32(&node.f.i_block, 4 * i)) < blocks);
    if block_map && c.fix(problem::INLINE_EXTENT_FLAGS, what("a block map: clearing both flags"), Some(n), None) {
        node.f.i_flags &= !(ino::FL_INLINE_DATA | ino::FL_EXTENTS);
        *dirty = true;
        return Ok(Pass1::NotInline);
    }
    if c.fix(problem::INLINE_EXTENT_INODE, format!("inode {n}"), Some(n), None) {
        pass1::clear_inode(c, n)?;
        return Ok(Pass1::Cleared);
    }
    Ok(Pass1::Inline)
}

/// Report inline symlink `n` as invalid (`why`); whether it was cleared.
fn bad_symlink<D: Device>(c: &mut Checker<'_, D>, n: u32, why: &str) -> Result<bool> {
    if c.fix(problem::SYMLINK_INVALID, format!("inode {n}: inline data, {why}"), Some(n), None) {
        pass1::clear_inode(c, n)?;
        return Ok(true);
    }
    Ok(false)
}

/// Pass 2 for inline directory `d`: its `..`, then each run of entries.
pub(super) fn check_dir<D: Device>(c: &mut Checker<'_, D>, d: u32, node: &Inode) -> Result<()> {
    let data = c.fs.inline_data(d, node)?;
    // '.' is implied.
    *c.refs.slot(d) += 1;
    let mut head = data.i_block;
    let mut head_changed = false;
    let parent = data.parent();
    if parent == 0 {
        if c.fix(problem::DIR_DOTDOT, format!("directory {d}: no '..'"), Some(d), None) {
            let p = Some(c.entry_parent.get(d)).filter(|&p| p != 0).unwrap_or(ROOT_INO);
            le::put32(&mut head, 0, p);
            head_changed = true;
            c.dotdot.set(d, p);
            *c.refs.slot(p) += 1;
        }
    } else if bad_inode(c, parent) {
        // As e2fsck: cleared here; pass 3 then finds '..' naming it and points it at the
        // parent (it is kept as what '..' said, uncounted, so that pass 3 sees it differ).
        if c.fix(problem::DIR_ENTRY_BAD_INODE, format!("directory {d}: entry '..' -> inode {parent}"), Some(d), None) {
            le::put32(&mut head, 0, 0);
            head_changed = true;
        }
        c.dotdot.set(d, parent);
    } else {
        c.dotdot.set(d, parent);
        *c.refs.slot(parent) += 1;
    }
    let mut names = NameSet::default();
    let mut region = head[PARENT_BYTES..].to_vec();
    if check_region(c, d, &mut region, "i_block", PARENT_BYTES, &mut names)? {
        head[PARENT_BYTES..].copy_from_slice(&region);
        head_changed = true;
    }
    let mut tail = data.attr_value().to_vec();
    let tail_changed = check_region(c, d, &mut tail, "system.data", 0, &mut names)?;
    if !c.writable() {
        return Ok(());
    }
    if head_changed {
        let mut node = c.fs.inode(d)?;
        node.f.i_block = head;
        let mut h = c.fs.handle(2)?;
        h.write_inode(d, &node)?;
    }
    if let (true, Some((range, _))) = (tail_changed, &data.attr) {
        let range = range.clone();
        let mut h = c.fs.handle(2)?;
        h.edit_inode_slot(d, |slot| {
            if let Some(v) = slot.get_mut(range).filter(|v| v.len() == tail.len()) {
                v.copy_from_slice(&tail);
            }
        })?;
    }
    Ok(())
}

/// An inode number no entry may name.
fn bad_inode<D: Device>(c: &Checker<'_, D>, i: u32) -> bool {
    u64::from(i) >= c.inode_used.len() || i < c.fs.sb.f.s_first_ino && i != ROOT_INO
}

/// Check one run of entries of inline directory `d` (`at`: its offset in `what`, for the
/// reports); repairs change `buf`. Returns whether it changed.
fn check_region<D: Device>(
    c: &mut Checker<'_, D>,
    d: u32,
    buf: &mut [u8],
    what: &str,
    at: usize,
    names: &mut NameSet,
) -> Result<bool> {
    let bs = c.fs.block_size();
    let filetype = c.fs.sb.has_incompat(incompat::FILETYPE);
    let end = buf.len();
    let mut changed = false;
    let mut off = 0usize;
    let mut prev: Option<usize> = None;
    while off < end {
        let e = match dirent::parse_at(buf, off, bs) {
            Ok(e) => e,
            Err(err) => {
                let detail = format!("directory {d}, inline data ({what}), offset {}: {err}", off + at);
                if c.fix(problem::DIR_BAD_ENTRY, detail, Some(d), None) {
                    // Salvage: the run ends at the previous good entry, or is one empty entry.
                    match prev {
                        Some(p) => dirent::set_rec_len(buf, p, (end - p) as u32, bs),
                        None => {
                            buf.fill(0);
                            if end >= dirent::HEADER_SIZE {
                                dirent::write_at(buf, 0, 0, end as u32, 0, b"", bs)?;
                            }
                        }
                    }
                    changed = true;
                }
                break;
            }
        };
        let (inode, rec_len, ft, name) = (e.inode, e.rec_len as usize, e.file_type, e.name.to_vec());
        let shown = String::from_utf8_lossy(&name).into_owned();
        let clear = if inode == 0 {
            None
        } else if bad_inode(c, inode) || name.is_empty() || name == b"." || name == b".." {
            Some(problem::DIR_ENTRY_BAD_INODE)
        } else if !c.inode_used.get(u64::from(inode)) {
            Some(problem::DIR_ENTRY_UNUSED_INODE)
        } else {
            let mode = c.fs.inode(inode)?.f.i_mode;
            let want = if filetype { file_type_of_mode(mode) } else { 0 };
            if ft != want
                && c.fix(
                    problem::DIR_ENTRY_FILE_TYPE,
                    format!("directory {d}: entry '{shown}' has type {ft}, should be {want}"),
                    Some(d),
                    None,
                )
            {
                buf[off + 7] = want;
                changed = true;
            }
            super::pass2::count_entry(c, d, inode, &name, names)
        };
        if let Some(code) = clear {
            if c.fix(code, format!("directory {d}: entry '{shown}' -> inode {inode}"), Some(d), None) {
                dirent::remove_at(buf, off, prev, bs)?;
                changed = true;
                if prev.is_some() {
                    // Merged into the previous entry, which stays the previous one.
                    off += rec_len;
                    continue;
                }
            }
        }
        prev = Some(off);
        off += rec_len;
    }
    Ok(changed)
}

/// Point inline directory `d`'s `..` at `to` (it named `from`); reference counts follow.
pub(super) fn set_parent<D: Device>(c: &mut Checker<'_, D>, d: u32, mut node: Inode, from: u32, to: u32) -> Result<()> {
    le::put32(&mut node.f.i_block, 0, to);
    {
        let mut h = c.fs.handle(2)?;
        h.write_inode(d, &node)?;
    }
    let r = c.refs.slot(from);
    *r = r.saturating_sub(1);
    *c.refs.slot(to) += 1;
    c.dotdot.set(d, to);
    Ok(())
}
