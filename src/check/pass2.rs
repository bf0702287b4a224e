//! Pass 2: the blocks of every directory — entry structure (salvaged by cutting a block at the
//! first bad entry), `.` and `..`, entries naming unused inodes, file types, leaf checksums;
//! htree index blocks (stock images) are recognised and left alone. Counts references.

use super::names::NameSet;
use super::{problem, Checker};

use crate::error::Result;
use crate::fs::map::{block_map_slot, map_kind, readable_runs, MapKind, LOGICAL_LIMIT};
use crate::ondisk::checksum::inode_seed;
use crate::ondisk::dirent::{self, file_type_of_mode, TAIL_SIZE};
use crate::ondisk::extent::Extent;
use crate::ondisk::features::incompat;
use crate::ondisk::inode::Inode;
use crate::ondisk::inode::{FL_INDEX, ROOT_INO};
use crate::pmem::Device;

pub fn run<D: Device>(c: &mut Checker<'_, D>) -> Result<()> {
    let dirs = c.dirs.clone();
    // Reused from one directory (and block) to the next.
    let mut names = NameSet::default();
    let mut buf = Vec::new();
    for d in dirs {
        check_dir(c, d, &mut names, &mut buf)?;
    }
    Ok(())
}

fn check_dir<D: Device>(c: &mut Checker<'_, D>, d: u32, names: &mut NameSet, buf: &mut Vec<u8>) -> Result<()> {
    let node = c.fs.inode(d)?;
    if crate::fs::inline::is_inline(&node) {
        return super::inline::check_dir(c, d, &node);
    }
    let bs = c.fs.block_size();
    let csum = c.fs.sb.has_metadata_csum();
    let filetype = c.fs.sb.has_incompat(incompat::FILETYPE);
    let seed = inode_seed(c.fs.sb.csum_seed(), d, node.f.i_generation);
    let htree = node.has_flag(FL_INDEX);
    // A block map's readable blocks (pass 1 reported the pointers left out); an extent tree
    // that cannot be read was reported by pass 1 too.
    let extents = if map_kind(&node, bs) == MapKind::Blocks {
        readable_runs(&*c.fs, &node.f.i_block, 0, LOGICAL_LIMIT)
    } else {
        c.fs.file_extents(d, &node)
    };
    let Ok(extents) = extents else { return Ok(()) };
    // Holes filled are read back as the blocks they now are.
    let extents = if map_kind(&node, bs) == MapKind::Blocks && fill_holes(c, d, node, &extents)? {
        let node = c.fs.inode(d)?;
        readable_runs(&*c.fs, &node.f.i_block, 0, LOGICAL_LIMIT)?
    } else {
        extents
    };
    names.clear();
    for e in extents.iter().filter(|e| !e.unwritten) {
        for k in 0..e.len {
            let lblk = e.logical + k;
            let phys = e.physical + u64::from(k);
            buf.clear();
            buf.extend_from_slice(&c.fs.block(phys)?);
            check_block(c, d, lblk, phys, bs, csum, filetype, seed, htree, names, buf)?;
        }
    }
    if c.dotdot.get(d) == 0 && d != ROOT_INO {
        // Nothing above wrote one (no readable first block): e4dax has no repair for it (e2fsck
        // may find the inode is not really a directory); -y says so and exits 4.
        c.fix(problem::DIR_NO_DOTDOT, format!("directory {d}"), Some(d), None);
    }
    Ok(())
}

/// Which length [`resync`] corrects.
enum Resync {
    /// The previous entry (at `at`) gets `len`: the entries from its new end on are sound.
    Previous { at: usize, len: u32 },
    /// The bad entry itself gets `len`.
    This { len: u32 },
}

/// A bad entry at `off` (reached from the entry at `prev`): when some 4-byte-aligned offset
/// after the previous entry's name (or after this entry's name) starts a chain of sound
/// entries ending exactly at the block's end, one rec_len was damaged and the entries after
/// are kept (e2fsck's salvage would drop them). The earliest such offset wins.
fn resync(block: &[u8], prev: Option<usize>, off: usize, bs: u32, inodes: u32) -> Option<Resync> {
    if let Some(at) = prev {
        let e = dirent::parse_at(block, at, bs).ok()?;
        let from = at + dirent::rec_len_for(e.name.len());
        for q in (from..off).step_by(4) {
            if chain_ends(block, q, bs, inodes) {
                return Some(Resync::Previous { at, len: (q - at) as u32 });
            }
        }
    }
    // This entry's header and name are readable; only its length is wrong.
    if off + dirent::HEADER_SIZE <= block.len() {
        let name_len = usize::from(block[off + 6]);
        let ino = crate::ondisk::le::u32(block, off);
        let from = off + dirent::rec_len_for(name_len);
        if ino <= inodes && (ino == 0 || name_len > 0) && from <= block.len() {
            for q in (from..=block.len()).step_by(4) {
                if q == block.len() || chain_ends(block, q, bs, inodes) {
                    return Some(Resync::This { len: (q - off) as u32 });
                }
            }
        }
    }
    None
}

/// Whether sound entries (an inode in range, a name unless unused) run from `q` to the end.
fn chain_ends(block: &[u8], mut q: usize, bs: u32, inodes: u32) -> bool {
    let mut steps = 0;
    while q < block.len() && steps <= block.len() / dirent::HEADER_SIZE {
        match dirent::parse_at(block, q, bs) {
            Ok(e) if e.inode <= inodes && (e.inode == 0 || !e.name.is_empty()) => q += e.rec_len as usize,
            _ => return false,
        }
        steps += 1;
    }
    q == block.len() && steps > 0
}

/// Holes of one block-mapped directory filled at most (more are left as they are).
const MAX_HOLES: u64 = 4096;

/// As e2fsck: a hole in a block-mapped directory (a pointer zeroed, or cleared by pass 1 as
/// an illegal block) gets a new directory block, taken from the blocks pass 1 found free
/// (pass 5 marks it in the bitmap): empty, or for block 0 with '.' and '..' (naming the root,
/// as e2fsck's; pass 3 corrects it). A hole under an indirect block that does not exist is
/// left. Whether a block was added.
fn fill_holes<D: Device>(c: &mut Checker<'_, D>, d: u32, mut node: Inode, runs: &[Extent]) -> Result<bool> {
    let mut ranges = Vec::new();
    let mut pos = 0u64;
    for e in runs {
        if u64::from(e.logical) > pos {
            ranges.push(pos..u64::from(e.logical));
        }
        pos = pos.max(e.logical_end());
    }
    // Bounded: a garbage map can leave billions of blocks between two pointers (left alone).
    let count: u64 = ranges.iter().map(|r| r.end - r.start).sum();
    if count == 0 || count > MAX_HOLES {
        return Ok(false);
    }
    let holes = ranges.into_iter().flatten();
    let bs = c.fs.block_size();
    let first = u64::from(c.fs.sb.f.s_first_data_block);
    let blocks = c.fs.sb.blocks_count();
    let mut goal = runs.first().map_or(first, |e| e.physical);
    let mut added = 0u64;
    for lblk in holes {
        if !c.fix(problem::DIR_HOLE, format!("directory {d}: block {lblk}"), Some(d), None) {
            continue;
        }
        let Some(slot) = block_map_slot(&*c.fs, &node.f.i_block, lblk)? else { continue };
        let Some(b) = (goal..blocks).chain(first..goal).find(|&b| !c.block_found.get(b)) else { break };
        c.block_found.set(b);
        goal = b + 1;
        let seed = c.fs.inode_csum_seed(d, &node);
        let ft = if c.fs.sb.has_incompat(incompat::FILETYPE) { dirent::FT_DIR } else { 0 };
        let mut h = c.fs.handle(4)?;
        dirent::init_block(h.get_write(b)?, (lblk == 0).then_some((d, ROOT_INO)), ft, seed)?;
        h.set_map_slot(&mut node, slot, b as u32)?;
        added += 1;
    }
    if added > 0 {
        let huge = c.fs.sb.has_ro_compat(crate::ondisk::features::ro_compat::HUGE_FILE);
        node.set_blocks_512(node.blocks_512(huge, bs) + added * u64::from(bs / 512));
        let mut h = c.fs.handle(2)?;
        h.write_inode(d, &node)?;
    }
    Ok(added > 0)
}

#[allow(clippy::too_many_arguments)]
fn check_block<D: Device>(
    c: &mut Checker<'_, D>,
    d: u32,
    lblk: u32,
    phys: u64,
    bs: u32,
    csum: bool,
    filetype: bool,
    seed: u32,
    htree: bool,
    names: &mut NameSet,
    buf: &mut Vec<u8>,
) -> Result<()> {
    let mut changed = false;
    // An htree index block (not the root): one empty entry over the whole block, dx tail.
    let first = dirent::parse_at(buf, 0, bs);
    if htree && lblk > 0 && first.as_ref().is_ok_and(|e| e.inode == 0 && e.rec_len == bs) {
        return Ok(());
    }
    let dx_root = htree && lblk == 0;
    let has_tail = dirent::has_tail(buf);
    let end = if has_tail { buf.len() - TAIL_SIZE } else { buf.len() };
    let mut off = 0usize;
    let mut prev: Option<usize> = None;
    let mut index = 0usize;
    while off < end {
        let e = match dirent::parse_at(&buf[..end], off, bs) {
            Ok(e) => e,
            Err(err) => {
                if c.fix(
                    problem::DIR_BAD_ENTRY,
                    format!("directory {d}, block {lblk}, offset {off}: {err}"),
                    Some(d),
                    Some(phys),
                ) {
                    // Salvage: one length is wrong when the entries from some later offset
                    // run to the block's end (kept, see `resync`); else the block ends at the
                    // previous good entry; a directory's first block always keeps a '.' and a
                    // '..' (pass 3 corrects the parent).
                    let count = c.fs.sb.f.s_inodes_count;
                    match resync(&buf[..end], prev, off, bs, count) {
                        Some(Resync::Previous { at, len }) => {
                            dirent::set_rec_len(buf, at, len, bs);
                            off = at + len as usize;
                            changed = true;
                            continue;
                        }
                        Some(Resync::This { len }) => {
                            dirent::set_rec_len(buf, off, len, bs);
                            changed = true;
                            continue;
                        }
                        None => {}
                    }
                    match prev {
                        _ if lblk == 0 && off <= 12 => {
                            let parent = Some(c.entry_parent.get(d)).filter(|&p| p != 0).unwrap_or(ROOT_INO);
                            let ft = if filetype { dirent::FT_DIR } else { 0 };
                            buf[..end].fill(0);
                            dirent::write_at(buf, 0, d, 12, ft, b".", bs)?;
                            dirent::write_at(buf, 12, parent, end as u32 - 12, ft, b"..", bs)?;
                            if off == 0 {
                                *c.refs.slot(d) += 1;
                            }
                            c.dotdot.set(d, parent);
                            *c.refs.slot(parent) += 1;
                        }
                        Some(p) => {
                            let pe = dirent::parse_at(&buf[..end], p, bs)?;
                            let (pi, pf, pn) = (pe.inode, pe.file_type, pe.name.to_vec());
                            dirent::write_at(buf, p, pi, (end - p) as u32, pf, &pn, bs)?;
                        }
                        None => {
                            buf[..end].fill(0);
                            dirent::write_at(buf, 0, 0, end as u32, 0, b"", bs)?;
                        }
                    }
                    changed = true;
                }
                break;
            }
        };
        let (inode, mut rec_len, ft) = (e.inode, e.rec_len, e.file_type);
        let mut name_buf = [0u8; 255];
        let name_len = e.name.len().min(255);
        name_buf[..name_len].copy_from_slice(&e.name[..name_len]);
        let name = &name_buf[..name_len];
        let is_dot = lblk == 0 && index == 0;
        let is_dotdot = lblk == 0 && index == 1;
        if is_dot {
            if (name != b"." || inode != d) && c.fix(problem::DIR_DOT, format!("directory {d}"), Some(d), None) {
                dirent::write_at(buf, off, d, rec_len, if filetype { dirent::FT_DIR } else { 0 }, b".", bs)?;
                terminate(buf, off, 1, rec_len);
                changed = true;
            } else if name == b"." {
                changed |= null_terminated(c, d, buf, off, 1, rec_len, problem::DIR_DOT_NULL_TERM);
            }
            // As e2fsck's check_dot: a '.' entry spanning more than itself and another entry is
            // split; what follows it is kept when it reads as an entry, else it becomes one
            // empty entry.
            if rec_len > 24
                && c.fix(
                    problem::DIR_SPLIT_DOT,
                    format!("directory {d}: '.' is {rec_len} bytes long"),
                    Some(d),
                    Some(phys),
                )
            {
                if dirent::parse_at(&buf[..end], off + 12, bs).is_err() {
                    dirent::write_at(buf, off + 12, 0, rec_len - 12, 0, b"", bs)?;
                }
                dirent::write_at(buf, off, d, 12, if filetype { dirent::FT_DIR } else { 0 }, b".", bs)?;
                rec_len = 12;
                changed = true;
            }
            *c.refs.slot(d) += 1;
        } else if is_dotdot {
            if name != b".." || inode == 0 {
                changed |= fix_dotdot(c, d, buf, off, rec_len, name, filetype, bs)?;
            } else {
                changed |= null_terminated(c, d, buf, off, 2, rec_len, problem::DIR_DOTDOT_NULL_TERM);
                c.dotdot.set(d, inode);
                *c.refs.slot(inode) += 1;
            }
        } else if inode != 0 {
            // As e2fsck: a bad number or name is PR_2_BAD_INO and friends; an entry for an
            // inode not in use (a crash between writing the entry and the inode) is
            // PR_2_UNUSED_INODE, which preen clears.
            let bad = u64::from(inode) >= c.inode_used.len()
                || inode < c.fs.sb.f.s_first_ino && inode != ROOT_INO
                || name.is_empty()
                || name == b"."
                || name == b"..";
            let clear = if inode == d {
                // As e2fsck's PR_2_LINK_DOT: an entry naming its own directory.
                Some(problem::DIR_LINK_DOT)
            } else if bad {
                Some(problem::DIR_ENTRY_BAD_INODE)
            } else if !c.inode_used.get(u64::from(inode)) {
                Some(problem::DIR_ENTRY_UNUSED_INODE)
            } else {
                // As e2fsck's check_name: '/' and NUL in a name become '.'.
                if name.iter().any(|&b| b == 0 || b == b'/')
                    && c.fix(
                        problem::DIR_BAD_NAME,
                        format!(
                            "directory {d}: entry '{}' -> inode {inode}",
                            String::from_utf8_lossy(name).escape_debug()
                        ),
                        Some(d),
                        Some(phys),
                    )
                {
                    for b in name_buf[..name_len].iter_mut().filter(|b| **b == 0 || **b == b'/') {
                        *b = b'.';
                    }
                    // e2fsck would make a name of "." or ".." here (and clear the entry on the
                    // next run); those become underscores, so the entry stays.
                    if matches!(&name_buf[..name_len], b"." | b"..") {
                        name_buf[..name_len].fill(b'_');
                    }
                    buf[off + dirent::HEADER_SIZE..off + dirent::HEADER_SIZE + name_len]
                        .copy_from_slice(&name_buf[..name_len]);
                    changed = true;
                }
                let name = &name_buf[..name_len];
                // Pass 1's mode while nothing changed since (no inode read per entry).
                let mode = match c.facts.get(inode).mode {
                    m if m != 0 && c.writes == 0 => m,
                    _ => c.fs.inode(inode)?.f.i_mode,
                };
                let want = if filetype { file_type_of_mode(mode) } else { 0 };
                if ft != want
                    && c.fix(
                        problem::DIR_ENTRY_FILE_TYPE,
                        format!(
                            "directory {d}: entry '{}' has type {ft}, should be {want}",
                            String::from_utf8_lossy(name)
                        ),
                        Some(d),
                        Some(phys),
                    )
                {
                    buf[off + 7] = want;
                    changed = true;
                }
                count_entry(c, d, inode, name, names)
            };
            if let Some(code) = clear {
                let what = format!(
                    "directory {d}: entry '{}' -> inode {inode}",
                    String::from_utf8_lossy(&name_buf[..name_len])
                );
                if c.fix(code, what, Some(d), Some(phys)) {
                    dirent::remove_at(buf, off, prev, bs)?;
                    changed = true;
                    if prev.is_some() {
                        // Merged into the previous entry, which stays the previous one.
                        off += rec_len as usize;
                        index += 1;
                        continue;
                    }
                }
            }
        }
        prev = Some(off);
        off += rec_len as usize;
        index += 1;
    }
    if csum && !has_tail && !dx_root {
        changed |= insert_tail(c, d, lblk, phys, bs, buf);
    }
    if csum
        && has_tail
        && !changed
        && !dirent::tail_checksum_ok(buf, seed)
        && c.fix(problem::DIR_LEAF_CHECKSUM, format!("directory {d}, block {lblk}"), Some(d), Some(phys))
    {
        changed = true;
    }
    if changed && c.writable() {
        if csum && dirent::has_tail(buf) {
            dirent::set_tail_checksum(buf, seed);
        }
        let mut h = c.fs.handle(2)?;
        h.get_write(phys)?.copy_from_slice(buf);
    }
    Ok(())
}

/// Count an entry of directory `d` naming `inode` (in use, with a sound name): a reference, and
/// for a directory its parent; or the problem that makes it go (a name already in `d`, a second
/// entry for a directory).
pub(super) fn count_entry<D: Device>(
    c: &mut Checker<'_, D>,
    d: u32,
    inode: u32,
    name: &[u8],
    names: &mut NameSet,
) -> Option<u32> {
    let is_dir = c.dir_bits.get(u64::from(inode));
    if names.contains(name) {
        Some(problem::DIR_DUPLICATE)
    } else if is_dir && c.entry_parent.get(inode) != 0 {
        Some(problem::DIR_HARD_LINK)
    } else {
        *c.refs.slot(inode) += 1;
        if is_dir {
            c.entry_parent.set(inode, d);
        }
        names.insert(name);
        None
    }
}

/// As e2fsck's `check_dotdot`: a second entry of a first block that is not '..', or names no
/// inode, becomes '..' of the root (the directory's own parent is pass 3's business: it
/// corrects '..' once every entry is known). Whether `buf` changed; an entry too short for
/// the name is left (the directory then has no '..', reported as such).
#[allow(clippy::too_many_arguments)]
fn fix_dotdot<D: Device>(
    c: &mut Checker<'_, D>,
    d: u32,
    buf: &mut [u8],
    off: usize,
    rec_len: u32,
    name: &[u8],
    filetype: bool,
    bs: u32,
) -> Result<bool> {
    let what = if name == b".." {
        format!("directory {d}: '..' names no inode")
    } else {
        format!("directory {d}: second entry '{}' is not '..'", String::from_utf8_lossy(name))
    };
    if !c.fix(problem::DIR_DOTDOT, what, Some(d), None) || (rec_len as usize) < dirent::rec_len_for(2) {
        return Ok(false);
    }
    let ft = if filetype { dirent::FT_DIR } else { 0 };
    dirent::write_at(buf, off, ROOT_INO, rec_len, ft, b"..", bs)?;
    terminate(buf, off, 2, rec_len);
    c.dotdot.set(d, ROOT_INO);
    *c.refs.slot(ROOT_INO) += 1;
    Ok(true)
}

/// The byte after the name of the entry at `off` (`name_len` bytes, `rec_len` long), when the
/// entry has room for it.
fn terminator(off: usize, name_len: usize, rec_len: u32) -> Option<usize> {
    let at = off + dirent::HEADER_SIZE + name_len;
    (at < off + rec_len as usize).then_some(at)
}

fn terminate(buf: &mut [u8], off: usize, name_len: usize, rec_len: u32) {
    if let Some(at) = terminator(off, name_len, rec_len) {
        buf[at] = 0;
    }
}

/// As e2fsck: '.' and '..' are followed by a NUL (`code` is DIR_DOT_NULL_TERM or
/// DIR_DOTDOT_NULL_TERM). Whether `buf` changed.
fn null_terminated<D: Device>(
    c: &mut Checker<'_, D>,
    d: u32,
    buf: &mut [u8],
    off: usize,
    name_len: usize,
    rec_len: u32,
    code: u32,
) -> bool {
    let Some(at) = terminator(off, name_len, rec_len) else { return false };
    if buf[at] == 0 || !c.fix(code, format!("directory {d}"), Some(d), None) {
        return false;
    }
    buf[at] = 0;
    true
}

/// As e2fsck's pass 2: a leaf block of a `metadata_csum` directory without its checksum tail
/// gets one (the caller writes the block, checksummed). Whether `buf` changed.
fn insert_tail<D: Device>(c: &mut Checker<'_, D>, d: u32, lblk: u32, phys: u64, bs: u32, buf: &mut Vec<u8>) -> bool {
    let what = format!("directory {d}, block {lblk}");
    match with_tail(buf, bs) {
        Some(t) => {
            if c.fix(problem::DIR_NO_TAIL, what, Some(d), Some(phys)) {
                *buf = t;
                return true;
            }
        }
        // e2fsck rebuilds the directory (pass 3A); e4dax reports it (-y exits 4).
        None => {
            c.fix(problem::DIR_NO_ROOM_FOR_TAIL, what, Some(d), Some(phys));
        }
    }
    false
}

/// `block` with a checksum tail: its last 12 bytes, when no entry uses them; else taken from
/// the last entry before them, when that one has room to spare past its name (e2fsck's
/// `insert_dirent_tail`); else the entries in use are packed to the front. What follows the
/// first entry that does not parse is dropped, as pass 2's salvage drops it. `None`: the
/// entries leave no room.
fn with_tail(block: &[u8], bs: u32) -> Option<Vec<u8>> {
    let top = block.len().checked_sub(TAIL_SIZE)?;
    // (offset, rec_len needed for its name, inode) of each entry that starts before the tail.
    let mut entries = Vec::new();
    let mut off = 0usize;
    while off < top {
        let Ok(e) = dirent::parse_at(block, off, bs) else { break };
        entries.push((off, dirent::rec_len_for(e.name.len()), e.inode));
        off += e.rec_len as usize;
    }
    let mut out = block.to_vec();
    if off == top {
        dirent::init_tail(&mut out);
        return Some(out);
    }
    match entries.last() {
        None => {
            out[..top].fill(0);
            dirent::write_at(&mut out, 0, 0, top as u32, 0, b"", bs).ok()?;
        }
        Some(&(last, need, _)) if last + need <= top => dirent::set_rec_len(&mut out, last, (top - last) as u32, bs),
        Some(_) => {
            // Packed: the first two entries stay ('.' and '..' in a first block), and every
            // entry in use.
            let keep: Vec<(usize, usize)> =
                entries.iter().enumerate().filter(|&(i, e)| i < 2 || e.2 != 0).map(|(_, e)| (e.0, e.1)).collect();
            if keep.iter().map(|e| e.1).sum::<usize>() > top {
                return None;
            }
            out.fill(0);
            let mut at = 0usize;
            for (k, &(from, need)) in keep.iter().enumerate() {
                out[at..at + need].copy_from_slice(&block[from..from + need]);
                let rec_len = if k + 1 == keep.len() { top - at } else { need };
                dirent::set_rec_len(&mut out, at, rec_len as u32, bs);
                at += need;
            }
        }
    }
    dirent::init_tail(&mut out);
    Some(out)
}
