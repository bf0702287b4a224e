//! Pass 1: every inode in use — mode, dtime, checksum, its extent tree (structure, node
//! checksums, ranges, blocks claimed twice, unwritten directory extents), i_size and i_blocks.
//! Collects the blocks and inodes in use and the directories for the later passes. With
//! several threads ([`super::Checker::with_jobs`]) inodes are read ahead in batches ([`Ahead`]).

use super::{fields, inline, problem, special, xattr, Checker};
use crate::error::Result;
use crate::extent::{self, NodeEntries, Root};
use crate::fs::file::{HandleTree, ReadTree};
use crate::fs::map::{BlockMapWalk, Slot, DIND_SLOT, IND_SLOT, LOGICAL_LIMIT, TIND_SLOT};
use crate::ondisk::extent::Extent;
use crate::ondisk::features::{compat, incompat, ro_compat};
use crate::ondisk::group_desc::INODE_UNINIT;
use crate::ondisk::inode::{self as ino, Inode};
use crate::ondisk::le;
use crate::pmem::Device;

/// Credits of one repair of an inode's tree.
const REPAIR_CREDITS: u32 = 64;

pub fn run<D: Device>(c: &mut Checker<'_, D>) -> Result<()> {
    let sb = c.fs.sb.clone();
    let ipg = sb.f.s_inodes_per_group;
    let first_ino = sb.f.s_first_ino;
    let csum = sb.has_metadata_csum() || sb.has_ro_compat(ro_compat::GDT_CSUM);
    let groups = c.fs.groups().len() as u64;
    let mut bad_blocks = Vec::new();
    let mut ahead = Ahead::default();
    // The resize inode cleared to be made anew (its old double indirect block).
    let mut recreate_resize = None;
    // Reserved inodes are in use wherever they are, even past a group's initialised part
    // (a large s_first_ino): the bitmap must say so, whatever the scan below reaches.
    let reserved_end = u64::from(first_ino).min(u64::from(sb.f.s_inodes_count) + 1);
    if reserved_end > 1 {
        c.inode_used.set_range(1, reserved_end - 1);
    }
    for g in 0..c.fs.groups().len() {
        c.tick(1, g as u64, groups);
        let d = c.fs.groups()[g].clone();
        // A descriptor failing its checksum is not trusted (pass 0 reported it): its
        // uninitialised flag and unused count hide nothing.
        let trusted = csum && c.fs.group_checksum_ok(g);
        if trusted && d.has_flag(INODE_UNINIT) {
            continue;
        }
        // An impossible unused count (reported by pass 0) hides nothing: scan everything.
        let n = if trusted && d.itable_unused <= ipg { ipg - d.itable_unused } else { ipg };
        // Reserved inodes are checked wherever they are: once pass 5 counts them in use, the
        // part of the table they are in is scanned.
        let reserved_here = (u64::from(first_ino).saturating_sub(1 + g as u64 * u64::from(ipg))).min(u64::from(ipg));
        let n = n.max(reserved_here as u32);
        for i in 0..n {
            let ino = g as u32 * ipg + i + 1;
            if i % BATCH == 0 && c.jobs > 1 {
                ahead.read(c, ino, (n - i).min(BATCH));
            }
            if ino < first_ino {
                c.inode_used.set(u64::from(ino));
                if ino == ino::BAD_BLOCKS_INO {
                    bad_blocks = special::bad_blocks_inode(c)?;
                    continue;
                }
                if matches!(ino, special::USR_QUOTA_INO | special::GRP_QUOTA_INO) {
                    if special::reserved_quota_inode(c, ino)? {
                        check_inode(c, ino, None)?;
                    }
                    continue;
                }
                if ino == ino::RESIZE_INO && sb.has_compat(compat::RESIZE_INODE) {
                    recreate_resize = special::resize_inode_invalid(c)?;
                    // As e2fsck's pass 1: a resize inode of mode 0 is not checked as a file
                    // (with no reserved descriptor blocks there is nothing to recreate).
                    if recreate_resize.is_some() || c.fs.inode(ino)?.f.i_mode == 0 {
                        continue;
                    }
                }
                if !reserved_in_use(&sb, ino) {
                    if ino == ino::JOURNAL_INO {
                        journal_inode_not_clear(c)?;
                    } else {
                        special::reserved_inode(c, ino)?;
                    }
                    continue;
                }
            }
            let pre = ahead.take(c, ino);
            check_inode(c, ino, pre)?;
        }
    }
    c.tick(1, groups, groups);
    special::claim_bad_blocks(c, &bad_blocks);
    if let Some(old) = recreate_resize {
        special::recreate_resize_inode(c, old)?;
    }
    super::dup::run(c)?;
    xattr::check_refcounts(c)?;
    Ok(())
}

/// As e2fsck: with no journal in inode 8 (none, or one found invalid and deleted), inode 8 must
/// hold nothing; what it still holds is cleared (its blocks are freed by pass 5).
fn journal_inode_not_clear<D: Device>(c: &mut Checker<'_, D>) -> Result<()> {
    let n = ino::JOURNAL_INO;
    let node = c.fs.inode(n)?;
    let holds = node.f.i_links_count != 0 || node.blocks_512(false, 512) != 0 || le::u32(&node.f.i_block, 0) != 0;
    if holds && c.fix(problem::JOURNAL_INODE_NOT_CLEAR, format!("inode {n}"), Some(n), None) {
        let mut h = c.fs.handle(2)?;
        h.write_inode(n, &Inode::new(0))?;
    }
    Ok(())
}

/// Reserved inodes that hold something: root, the journal, the resize inode.
fn reserved_in_use(sb: &crate::ondisk::superblock::Superblock, n: u32) -> bool {
    n == ino::ROOT_INO
        || (sb.has_journal() && n == sb.f.s_journal_inum)
        || (sb.has_compat(compat::RESIZE_INODE) && n == ino::RESIZE_INO)
}

/// Inodes read ahead of the check at a time (by `jobs` threads, each a contiguous share).
const BATCH: u32 = 16384;
/// Fewer inodes than this are not worth a thread.
const MIN_SHARE: u32 = 8;

/// What pass 1 reads of an inode before judging it: a pure function of the image's bytes,
/// so it can be read ahead by other threads ([`Ahead`]) and give what reading it at its
/// turn would.
pub(crate) struct Prepared {
    node: Inode,
    csum_ok: bool,
    view: fields::SlotView,
    /// The extent tree's nodes (an inode in use with `EXTENTS_FL`), read with this `i_block`.
    tree: Option<(TreeBlock, Result<Vec<extent::NodeInfo>>)>,
}

type TreeBlock = [u8; 60];

impl Prepared {
    fn read<D: Device>(fs: &crate::fs::Fs<D>, n: u32) -> Result<Prepared> {
        let slot = fs.inode_slot(n)?;
        let node = Inode::parse(&slot);
        let csum_ok = !fs.sb.has_metadata_csum() || ino::checksum_ok_or_zero(&slot, fs.sb.csum_seed(), n);
        let view = fields::SlotView::of(&slot, &node);
        drop(slot);
        let live = node.f.i_links_count != 0 || n < fs.sb.f.s_first_ino;
        let tree = (live && node.has_flag(ino::FL_EXTENTS)).then(|| (node.f.i_block, tree_nodes(fs, n, &node)));
        Ok(Prepared { node, csum_ok, view, tree })
    }
}

/// The extent tree nodes of inode `n`.
fn tree_nodes<D: Device>(fs: &crate::fs::Fs<D>, n: u32, node: &Inode) -> Result<Vec<extent::NodeInfo>> {
    let seed = fs.inode_csum_seed(n, node);
    let io = ReadTree { fs };
    let mut ib = node.f.i_block;
    let root = Root { i_block: &mut ib, csum_seed: seed };
    extent::nodes(&io, &root)
}

/// Inodes read ahead by several threads, handed out in inode order. Valid only while nothing
/// was written since they were read (`Checker::writes` unchanged): after a repair, the rest
/// are read again at their turn, so any number of threads finds and repairs the same.
#[derive(Default)]
struct Ahead {
    first: u32,
    writes: u64,
    items: Vec<Option<Result<Prepared>>>,
}

/// How a checker reads inodes `first..` into every slot of `out` with `jobs` threads.
pub(crate) type ReadAhead<D> = fn(&crate::fs::Fs<D>, u32, &mut [Option<Result<Prepared>>], usize);

/// Inodes `first..first + out.len()` past the reserved ones, read by `jobs` threads, each
/// filling a contiguous share of `out` in place.
pub(crate) fn read_ahead_threads<D: Device + Sync>(
    fs: &crate::fs::Fs<D>,
    first: u32,
    out: &mut [Option<Result<Prepared>>],
    jobs: usize,
) {
    let first_ino = fs.sb.f.s_first_ino;
    let fill = |at: u32, part: &mut [Option<Result<Prepared>>]| {
        for (i, slot) in part.iter_mut().enumerate() {
            let n = at + i as u32;
            *slot = (n >= first_ino).then(|| Prepared::read(fs, n));
        }
    };
    let share = out.len().div_ceil(jobs.max(1)).max(MIN_SHARE as usize);
    std::thread::scope(|s| {
        let mut parts = out.chunks_mut(share).enumerate().map(|(k, part)| (part, first + (k * share) as u32));
        let mine = parts.next();
        for (part, at) in parts {
            s.spawn(move || fill(at, part));
        }
        if let Some((part, at)) = mine {
            fill(at, part);
        }
    });
}

impl Ahead {
    /// Read inodes `first..first + count` ahead, when the checker has threads to do it.
    fn read<D: Device>(&mut self, c: &Checker<'_, D>, first: u32, count: u32) {
        self.first = first;
        self.writes = c.writes;
        // The buffer is kept from one batch to the next (no fresh pages each time).
        self.items.clear();
        self.items.resize_with(count as usize, || None);
        if let Some(read) = c.read_ahead {
            read(&*c.fs, first, &mut self.items, c.jobs);
        }
    }

    /// Inode `n`'s reading, when it was read ahead and is still valid.
    fn take<D: Device>(&mut self, c: &Checker<'_, D>, n: u32) -> Option<Result<Prepared>> {
        if c.writes != self.writes {
            return None;
        }
        let i = n.checked_sub(self.first)? as usize;
        self.items.get_mut(i)?.take()
    }
}

fn check_inode<D: Device>(c: &mut Checker<'_, D>, n: u32, pre: Option<Result<Prepared>>) -> Result<()> {
    let Prepared { mut node, csum_ok, view, tree } = match pre {
        Some(p) => p?,
        None => Prepared::read(&*c.fs, n)?,
    };
    let reserved = n < c.fs.sb.f.s_first_ino;
    if !reserved && node.f.i_links_count == 0 {
        // Not in use; a deleted inode must say when it died.
        if node.f.i_mode != 0 && node.f.i_dtime == 0 && c.fix(problem::ZERO_DTIME, format!("inode {n}"), Some(n), None)
        {
            node.f.i_dtime = c.fs.clock.now() as u32;
            let mut h = c.fs.handle(4)?;
            h.write_inode(n, &node)?;
        } else if !csum_ok && c.fix(problem::INODE_CHECKSUM, format!("inode {n}"), Some(n), None) {
            // As e2fsck: an unused inode is checked too (its checksum, unless it is all zero).
            let mut h = c.fs.handle(4)?;
            h.edit_inode_slot(n, |_| {})?;
        }
        return Ok(());
    }
    let mut dirty = false;
    let slot_fix = fields::check(c, n, &view, &mut node, &mut dirty);
    if !valid_mode(node.file_type()) {
        if c.fix(problem::INODE_BAD_MODE, format!("inode {n}: mode {:#o}", node.f.i_mode), Some(n), None) {
            clear_inode(c, n)?;
        }
        return Ok(());
    }
    // The root must be a directory (pass 3 makes a new one when it is gone): cleared before
    // any of its blocks is marked.
    if n == ino::ROOT_INO
        && !node.is_dir()
        && c.fix(problem::ROOT_NOT_DIR, format!("mode {:#o}", node.f.i_mode), Some(n), None)
    {
        clear_inode(c, n)?;
        return Ok(());
    }
    if node.f.i_dtime != 0 && n == ino::ROOT_INO {
        // Root: as e2fsck, the orphan-list reading first, then its own question.
        let sb = &c.fs.sb.f;
        if node.f.i_dtime < sb.s_inodes_count
            && c.fix(problem::INODE_LOW_DTIME, format!("inode {n}: dtime {}", node.f.i_dtime), Some(n), None)
        {
            node.f.i_dtime = 0;
            dirty = true;
        }
        if node.f.i_dtime != 0 && c.fix(problem::ROOT_DTIME, format!("dtime {}", node.f.i_dtime), Some(n), None) {
            node.f.i_dtime = 0;
            dirty = true;
        }
        if node.f.i_dtime != 0
            && c.fix(problem::INODE_DTIME_SET, format!("inode {n}: dtime {}", node.f.i_dtime), Some(n), None)
        {
            node.f.i_dtime = 0;
            dirty = true;
        }
    }
    if node.f.i_dtime != 0 && !reserved {
        // As e2fsck: a dtime below the inode count reads as a link of the orphan list (not
        // something preen fixes); any other dtime on a live inode is a stale deletion time.
        let sb = &c.fs.sb.f;
        let low = |t: u32| t != 0 && t < sb.s_inodes_count;
        let busted_time = low(sb.s_wtime) || low(sb.s_mtime) || low(sb.s_mkfs_time);
        let code = if !busted_time && node.f.i_dtime < sb.s_inodes_count {
            problem::INODE_LOW_DTIME
        } else {
            problem::INODE_DTIME_SET
        };
        if c.fix(code, format!("inode {n}: dtime {}", node.f.i_dtime), Some(n), None) {
            node.f.i_dtime = 0;
            dirty = true;
        }
    }
    c.inode_used.set(u64::from(n));
    c.facts.set(n, super::Facts { mode: node.f.i_mode, links: node.f.i_links_count });
    if node.is_dir() {
        c.dirs.push(n);
        c.dir_bits.set(u64::from(n));
    }
    let bs = c.fs.block_size();
    let mut counted_blocks = 0u64;
    let mut last_written: Option<u64> = None;
    let mut last_mapped: Option<u64> = None;
    count_kind(c, n, &node);
    let inline = match inline::pass1(c, n, &mut node, &mut dirty, slot_fix.in_inode_ea)? {
        inline::Pass1::Cleared => return Ok(()),
        inline::Pass1::Inline => true,
        inline::Pass1::NotInline => false,
    };
    if !node.has_flag(ino::FL_EXTENTS)
        && !node.has_flag(ino::FL_INLINE_DATA)
        && c.fs.sb.has_incompat(incompat::EXTENTS)
        && uses_blocks(&node)
        && crate::ondisk::extent::Header::parse(&node.f.i_block, 4).is_ok()
    {
        // As e2fsck: i_block holds a sound extent root, only the flag is missing. Read as
        // the extent tree it is, whether or not the flag is set again.
        if c.fix(problem::EXTENT_FLAG_MISSING, format!("inode {n}"), Some(n), None) {
            dirty = true;
        }
        node.f.i_flags |= ino::FL_EXTENTS;
    }
    if !inline {
        // Pass 1B reads its blocks again when any is claimed twice.
        c.claimers.set(u64::from(n));
    }
    if inline {
        // Inline data claims no blocks.
    } else if node.has_flag(ino::FL_EXTENTS) {
        let tree = tree.filter(|(ib, _)| *ib == node.f.i_block).map(|(_, t)| t);
        let Some(mut walk) = walk_tree(c, n, &mut node, tree)? else { return Ok(()) };
        counted_blocks += walk.tree_blocks;
        let depth = usize::from(walk.depth);
        if c.stats.extent_depths.len() <= depth {
            c.stats.extent_depths.resize(depth + 1, 0);
        }
        c.stats.extent_depths[depth] += 1;
        let fragmented = walk.extents.windows(2).any(|w| w[0].physical + u64::from(w[0].len) != w[1].physical);
        if fragmented && n != ino::RESIZE_INO {
            if node.is_dir() {
                c.stats.fragmented_dirs += 1;
            } else {
                c.stats.fragmented_files += 1;
            }
        }
        let mut removed = Vec::new();
        let mut converted = false;
        // Directory extents moved down to close a gap: (the extent as it was, its new start).
        let mut moved: Vec<(Extent, u32)> = Vec::new();
        let mut next_dir_lblk = 0u64;
        // As e2fsck: without large_dir (and no size past 4 GiB already), a directory ends by
        // 2 GiB; an extent past that is removed.
        let dir_limit = (node.is_dir() && node.f.i_size_high == 0 && !c.fs.sb.has_incompat(incompat::LARGEDIR))
            .then(|| 1u64 << (21 - c.fs.sb.f.s_log_block_size.min(6)));
        // Extents before `marked_until` were marked with the run they belong to (see
        // `mark_run`); before `tried_until`, a run was tried (each extent is in one try).
        let (mut marked_until, mut tried_until) = (0usize, 0usize);
        for (i, e) in walk.extents.iter().enumerate() {
            let end = e.physical.checked_add(u64::from(e.len));
            let first_data = u64::from(c.fs.sb.f.s_first_data_block);
            if e.physical < first_data || end.is_none_or(|x| x > c.fs.sb.blocks_count()) {
                if c.fix(
                    problem::EXTENT_OUT_OF_RANGE,
                    format!("inode {n}: logical {} physical {} length {}", e.logical, e.physical, e.len),
                    Some(n),
                    Some(e.physical),
                ) {
                    removed.push(*e);
                } else {
                    counted_blocks += u64::from(e.len);
                }
                c.set_logical(u64::from(e.logical));
                continue;
            }
            if dir_limit.is_some_and(|lim| e.logical_end() > lim)
                && c.fix(
                    problem::DIR_TOO_BIG,
                    format!("inode {n}: logical {} length {}", e.logical, e.len),
                    Some(n),
                    Some(e.physical),
                )
            {
                removed.push(*e);
                continue;
            }
            // As e2fsck's PR_1_COLLAPSE_DBLOCK: a directory's blocks follow one another from
            // logical 0; an extent after a gap moves down to close it (pass 2 would otherwise
            // fill the hole with empty blocks).
            let on_disk = *e;
            let mut e = *e;
            if node.is_dir() && u64::from(e.logical) > next_dir_lblk {
                let to = next_dir_lblk as u32;
                if c.fix(
                    problem::DIR_COLLAPSE_BLOCK,
                    format!("directory {n}: block {} should be at block {to}", e.logical),
                    Some(n),
                    Some(e.physical),
                ) {
                    moved.push((e, to));
                    e.logical = to;
                }
            }
            if node.is_dir() {
                next_dir_lblk = next_dir_lblk.max(e.logical_end());
            }
            let e = &e;
            // One pass over the bits: marking reports what was already claimed (the first
            // owner keeps those blocks either way).
            if i >= tried_until {
                let (end, marked) = mark_run(c, &walk.extents, i);
                tried_until = end;
                if marked {
                    marked_until = end;
                }
            }
            if i >= marked_until {
                claim(c, e);
            }
            counted_blocks += u64::from(e.len);
            last_mapped = Some(e.logical_end() - 1);
            if !e.unwritten {
                last_written = Some(e.logical_end() - 1);
            }
            if e.unwritten
                && node.is_dir()
                && c.fix(problem::DIR_UNWRITTEN_EXTENT, format!("inode {n}: logical {}", e.logical), Some(n), None)
            {
                let mut h = c.fs.handle(REPAIR_CREDITS)?;
                let seed = h.fs.inode_csum_seed(n, &node);
                let mut io = HandleTree::for_repair(&mut h);
                let mut root = Root { i_block: &mut node.f.i_block, csum_seed: seed };
                extent::convert_to_written(&mut io, &mut root, on_disk.logical, e.len)?;
                if let Some(m) = moved.last_mut().filter(|m| m.0 == on_disk) {
                    m.0.unwritten = false;
                }
                last_written = Some(e.logical_end() - 1);
                dirty = true;
                // Written neighbours merge: the tree may lose a node (counted again below).
                converted = true;
            }
        }
        if !removed.is_empty() || converted || !moved.is_empty() {
            let mut h = c.fs.handle(REPAIR_CREDITS + (removed.len() + 2 * moved.len()) as u32)?;
            let seed = h.fs.inode_csum_seed(n, &node);
            let mut io = HandleTree::for_repair(&mut h);
            let mut root = Root { i_block: &mut node.f.i_block, csum_seed: seed };
            for e in &removed {
                extent::remove_range(&mut io, &mut root, e.logical, e.len)?;
            }
            // Moved in order: each new place is below every extent not yet moved. A directory
            // extent left unwritten was converted above (or is reported).
            for (e, to) in &moved {
                extent::remove_range(&mut io, &mut root, e.logical, e.len)?;
                extent::insert(&mut io, &mut root, Extent { logical: *to, ..*e })?;
            }
            dirty = true;
            // The tree may have lost nodes: count again.
            let io = ReadTree { fs: &*h.fs };
            let mut ib = node.f.i_block;
            let root = Root { i_block: &mut ib, csum_seed: seed };
            let nodes = extent::nodes(&io, &root)?;
            counted_blocks = nodes.iter().filter(|x| x.block.is_some()).count() as u64
                + extent::extents(&io, &root)?.iter().map(|e| u64::from(e.len)).sum::<u64>();
            drop(h);
            retree(c, &mut walk.claimed, &nodes);
        }
        if node.is_dir() && last_mapped.is_none() && zero_length_dir(c, n, &node, &walk.claimed)? {
            return Ok(());
        }
    } else if uses_blocks(&node) && n == ino::RESIZE_INO {
        counted_blocks += mark_resize_inode(c, n, &mut node)?;
    } else if uses_blocks(&node) {
        let Some(walk) = check_block_map(c, n, &mut node)? else { return Ok(()) };
        counted_blocks += walk.blocks;
        last_mapped = walk.last_data;
        last_written = walk.last_data;
        dirty |= walk.changed;
        let ptr = |i: usize| le::u32(&node.f.i_block, 4 * i) != 0;
        c.stats.ind += u64::from(ptr(IND_SLOT));
        c.stats.dind += u64::from(ptr(DIND_SLOT));
        c.stats.tind += u64::from(ptr(TIND_SLOT));
        if walk.fragmented {
            if node.is_dir() {
                c.stats.fragmented_dirs += 1;
            } else {
                c.stats.fragmented_files += 1;
            }
        }
    }
    let (ea_blocks, acl_cleared) = xattr::check_block(c, n, &mut node)?;
    counted_blocks += ea_blocks + slot_fix.charged;
    dirty |= acl_cleared;
    // i_size against the blocks found.
    let size = node.size();
    let bsz = u64::from(bs);
    // e2fsck's largest size of a block-mapped file: what its pointers can address.
    let per = bsz / 4;
    let map_max = (12 + per + per * per + per * per * per).saturating_mul(bsz);
    if node.is_reg() && !node.has_flag(ino::FL_EXTENTS) && uses_blocks(&node) && size > map_max {
        let want = last_mapped.map_or(0, |l| (l + 1) * bsz);
        if c.fix(
            problem::BAD_I_SIZE,
            format!("inode {n}: i_size {size}, should be {want} (a block map addresses at most {map_max} bytes)"),
            Some(n),
            None,
        ) {
            node.set_size(want);
            dirty = true;
        }
    } else if node.is_reg() {
        if let Some(lw) = last_written {
            if size < lw * bsz
                && c.fix(
                    problem::BAD_I_SIZE,
                    format!("inode {n}: i_size {size}, should be {}", (lw + 1) * bsz),
                    Some(n),
                    None,
                )
            {
                node.set_size((lw + 1) * bsz);
                dirty = true;
            }
        }
    } else if node.is_dir() && !inline {
        let want = last_mapped.map_or(0, |l| (l + 1) * bsz);
        if size != want
            && c.fix(problem::BAD_I_SIZE, format!("directory {n}: i_size {size}, should be {want}"), Some(n), None)
        {
            node.set_size(want);
            dirty = true;
        }
    }
    let huge = c.fs.sb.has_ro_compat(ro_compat::HUGE_FILE);
    let have = node.blocks_512(huge, bs);
    let want = counted_blocks * u64::from(bs / 512);
    if have != want
        && c.fix(problem::BAD_I_BLOCKS, format!("inode {n}: i_blocks {have}, should be {want}"), Some(n), None)
    {
        node.set_blocks_512(want);
        dirty = true;
    }
    if !csum_ok && !dirty && c.fix(problem::INODE_CHECKSUM, format!("inode {n}"), Some(n), None) {
        dirty = true;
    }
    if dirty && c.writable() {
        let mut h = c.fs.handle(4)?;
        h.write_inode(n, &node)?;
    }
    if slot_fix.any() && c.writable() {
        let extra = node.f.i_extra_isize;
        let mut h = c.fs.handle(4)?;
        h.edit_inode_slot(n, |slot| slot_fix.apply(slot, extra))?;
    }
    Ok(())
}

/// e2fsck -v's counts by kind: files from the first non-reserved inode on, and the root.
fn count_kind<D: Device>(c: &mut Checker<'_, D>, n: u32, node: &Inode) {
    if node.is_reg() && node.size() >= 0x8000_0000 {
        c.stats.large_files += 1;
    }
    if n < c.fs.sb.f.s_first_ino && n != ino::ROOT_INO {
        return;
    }
    let s = &mut c.stats;
    match node.file_type() {
        ino::S_IFREG => s.regular += 1,
        ino::S_IFDIR => s.directories += 1,
        ino::S_IFCHR => s.chardevs += 1,
        ino::S_IFBLK => s.blockdevs += 1,
        ino::S_IFIFO => s.fifos += 1,
        ino::S_IFSOCK => s.sockets += 1,
        ino::S_IFLNK => {
            s.symlinks += 1;
            let acl = if node.file_acl() != 0 { u64::from(c.fs.block_size() / 512) } else { 0 };
            if !node.has_flag(ino::FL_INLINE_DATA) && node.blocks_512(false, 512).saturating_sub(acl) == 0 {
                s.fast_symlinks += 1;
            }
        }
        _ => {}
    }
}

fn valid_mode(t: u16) -> bool {
    matches!(t, ino::S_IFREG | ino::S_IFDIR | ino::S_IFLNK | ino::S_IFCHR | ino::S_IFBLK | ino::S_IFIFO | ino::S_IFSOCK)
}

/// Regular files, directories and symlinks that are not fast symlinks map blocks.
fn uses_blocks(node: &Inode) -> bool {
    match node.file_type() {
        ino::S_IFREG | ino::S_IFDIR => true,
        ino::S_IFLNK => node.blocks_512(false, 4096) != 0,
        _ => false,
    }
}

/// Mark, in one stroke, the run of extents from `i` on that follow one another on disk and lie
/// inside the file system, when none of their blocks is claimed yet (so nothing is claimed
/// twice among them, as marking them one by one would find): the index past the run, and
/// whether it was marked (runs of one extent are not).
fn mark_run<D: Device>(c: &mut Checker<'_, D>, extents: &[Extent], i: usize) -> (usize, bool) {
    let (first_data, blocks) = (u64::from(c.fs.sb.f.s_first_data_block), c.fs.sb.blocks_count());
    let inside = |e: &Extent| e.physical >= first_data && e.physical.saturating_add(u64::from(e.len)) <= blocks;
    let mut j = i;
    let mut end = extents[i].physical;
    while let Some(e) = extents.get(j).filter(|e| e.physical == end && inside(e)) {
        end += u64::from(e.len);
        j += 1;
    }
    let start = extents[i].physical;
    if j < i + 2 || c.block_found.count_range(start, end - start) != 0 {
        return (j.max(i + 1), false);
    }
    c.block_found.set_range(start, end - start);
    (j, true)
}

/// What a walk of an inode's extent tree found.
struct TreeWalk {
    extents: Vec<Extent>,
    tree_blocks: u64,
    depth: u16,
    /// The node blocks it marked in use.
    claimed: Vec<u64>,
}

/// Walk the tree: structural damage clears the inode; bad node checksums are rewritten; node
/// blocks are marked in use. `None` when the inode was cleared.
fn walk_tree<D: Device>(
    c: &mut Checker<'_, D>,
    n: u32,
    node: &mut Inode,
    read: Option<Result<Vec<extent::NodeInfo>>>,
) -> Result<Option<TreeWalk>> {
    let seed = c.fs.inode_csum_seed(n, node);
    let Some(nodes) = read_tree(c, n, node, read)? else { return Ok(None) };
    let mut out = TreeWalk {
        extents: Vec::new(),
        tree_blocks: 0,
        depth: nodes.first().map_or(0, |x| x.depth),
        claimed: Vec::new(),
    };
    let claimed = &mut out.claimed;
    for x in &nodes {
        if let Some(b) = x.block {
            if !c.block_found.set(b) {
                claimed.push(b);
            } else {
                c.note_dup(b);
            }
            out.tree_blocks += 1;
            if x.checksum_ok == Some(false)
                && c.fix(problem::EXTENT_NODE_CHECKSUM, format!("inode {n}: extent block {b}"), Some(n), Some(b))
            {
                if let Some(s) = seed {
                    let mut h = c.fs.handle(2)?;
                    let buf = h.get_write(b)?;
                    let max = le::u16(buf, 4);
                    crate::ondisk::extent::set_block_checksum(buf, s, max);
                }
            }
        }
        if let NodeEntries::Leaf(v) = &x.content {
            out.extents.extend_from_slice(v);
        }
    }
    Ok(Some(out))
}

/// The nodes of inode `n`'s extent tree, after e2fsck's repairs inside it (bad entries removed,
/// index starts corrected: [`prune`](super::prune)); a tree still unreadable clears the inode.
/// `None`: the inode was cleared, or left as it is (a repair answered no).
fn read_tree<D: Device>(
    c: &mut Checker<'_, D>,
    n: u32,
    node: &mut Inode,
    ahead: Option<Result<Vec<extent::NodeInfo>>>,
) -> Result<Option<Vec<extent::NodeInfo>>> {
    use super::prune::{prune, Pruned};
    let seed = c.fs.inode_csum_seed(n, node);
    let read = |c: &Checker<'_, D>, node: &Inode| {
        let io = ReadTree { fs: &*c.fs };
        let mut ib = node.f.i_block;
        let root = Root { i_block: &mut ib, csum_seed: seed };
        extent::nodes(&io, &root)
    };
    let mut pruned = false;
    // Read ahead by another thread, or read now: the same nodes.
    let first = ahead.unwrap_or_else(|| read(c, node));
    let nodes = match first {
        Ok(v) if !index_starts_differ(&v) => Ok(v),
        first => match prune(c, n, node)? {
            Pruned::Nothing => first,
            // Left as it is: a tree that reads (only an index start is off) is still walked.
            Pruned::Left => match first {
                Ok(v) => Ok(v),
                Err(_) => return Ok(None),
            },
            Pruned::Repaired => {
                pruned = true;
                read(c, node)
            }
        },
    };
    match nodes {
        Ok(v) => {
            if pruned && c.writable() {
                let mut h = c.fs.handle(2)?;
                h.write_inode(n, node)?;
            }
            Ok(Some(v))
        }
        Err(e) => {
            if c.fix(problem::EXTENT_TREE_CORRUPT, format!("inode {n}: {e}"), Some(n), None) {
                clear_inode(c, n)?;
            }
            Ok(None)
        }
    }
}

/// Whether an index of the tree starts at another logical block than its child's first
/// (e2fsck's PR_1_EXTENT_INDEX_START_INVALID).
fn index_starts_differ(nodes: &[extent::NodeInfo]) -> bool {
    if nodes.len() < 2 {
        return false;
    }
    let first: std::collections::HashMap<u64, Option<u32>> =
        nodes.iter().filter_map(|x| x.block.map(|b| (b, x.first))).collect();
    nodes.iter().any(|x| match &x.content {
        NodeEntries::Index(v) => {
            v.iter().any(|ix| first.get(&ix.child).is_some_and(|f| f.is_some_and(|f| f != ix.logical)))
        }
        NodeEntries::Leaf(_) => false,
    })
}

/// What pass 1 found in a block map.
struct MapWalk {
    /// Data and indirect blocks kept.
    blocks: u64,
    /// The last logical block mapped.
    last_data: Option<u64>,
    /// A pointer was cleared in the inode's `i_block` (the caller writes the inode).
    changed: bool,
    /// A block does not follow the one before it on disk.
    fragmented: bool,
}

/// Bad pointers in one inode after which e2fsck asks whether to clear the whole inode (and
/// every this many more).
const ILLEGAL_BLOCKS_ASK: u32 = 12;

/// Walk the block map of inode `n` (direct, single, double and triple indirect blocks), as
/// e2fsck's pass 1 does: a pointer outside the file system is an illegal block (cleared: the
/// pointer is zeroed, the rest of the map kept); a block already in use (by metadata, an
/// earlier inode, or this one) is noted for passes 1B-1D ([`super::dup`]); every
/// [`ILLEGAL_BLOCKS_ASK`] illegal blocks the question is whether to clear the inode. Blocks
/// kept are marked in use and counted. `None` when the inode was cleared.
fn check_block_map<D: Device>(c: &mut Checker<'_, D>, n: u32, node: &mut Inode) -> Result<Option<MapWalk>> {
    let mut w = BlockMapWalk::new(&*c.fs, &node.f.i_block, 0, LOGICAL_LIMIT);
    let mut out = MapWalk { blocks: 0, last_data: None, changed: false, fragmented: false };
    let mut illegal = 0u32;
    let mut suppress = false;
    let mut prev: Option<u64> = None;
    // The blocks this walk marked in use: given back when the inode is cleared.
    let mut claimed = Vec::new();
    while let Some(p) = w.next_pointer() {
        let at = if p.level == 0 { format!("block #{}", p.logical) } else { format!("{} block", p.what()) };
        let mut follow = true;
        let clear = if p.out_of_range {
            illegal += 1;
            if illegal.is_multiple_of(ILLEGAL_BLOCKS_ASK) && !suppress {
                if c.fix(problem::TOO_MANY_ILLEGAL_BLOCKS, format!("inode {n}"), Some(n), None) {
                    unclaim(c, &claimed);
                    clear_inode(c, n)?;
                    return Ok(None);
                }
                suppress = true;
            }
            if suppress {
                // e2fsck's answer "no" to suppressing the messages: left as it is, reported
                // no more (the inode's finding above stays unfixed).
                continue;
            }
            if !c.fix(problem::ILLEGAL_BLOCK, format!("inode {n}: {at} ({})", p.block), Some(n), Some(p.block)) {
                continue;
            }
            true
        } else if p.level > 0 && c.meta_blocks.get(p.block) {
            // An indirect block inside the superblocks, descriptors, bitmaps or inode tables:
            // its "pointers" are metadata. Cleared, or left and not followed.
            if c.fix(problem::METADATA_COLLISION, format!("inode {n}: {at} ({})", p.block), Some(n), Some(p.block)) {
                true
            } else {
                c.note_dup(p.block);
                follow = false;
                false
            }
        } else if c.block_found.set(p.block) {
            // Claimed already: passes 1B-1D settle who keeps it.
            c.note_dup(p.block);
            false
        } else {
            claimed.push(p.block);
            false
        };
        if clear {
            if p.level == 0 {
                c.set_logical(p.logical);
            }
            match p.slot {
                Slot::Inode(i) => {
                    le::put32(&mut node.f.i_block, 4 * i, 0);
                    out.changed = true;
                }
                slot @ Slot::Block { .. } => {
                    let mut h = c.fs.handle(2)?;
                    h.set_map_slot(node, slot, 0)?;
                }
            }
            continue;
        }
        out.blocks += 1;
        // As e2fsck: fragmented when a block (data or indirect, in block-iterate order) does
        // not follow the one before it on disk.
        if prev.is_some_and(|b| b + 1 != p.block) {
            out.fragmented = true;
        }
        prev = Some(p.block);
        if p.level == 0 {
            out.last_data = Some(p.logical);
        } else if follow {
            w.follow(&*c.fs, &p)?;
        }
    }
    Ok(Some(out))
}

/// The resize inode: its double indirect block is its own; the blocks it maps (the reserved
/// descriptor blocks and their backups) are the groups' metadata, marked by pass 0. Counts
/// every block it maps. A pointer out of range is an illegal block, as e2fsck's pass 1 has it
/// (pass 0's check of the resize inode, [`special::resize_inode_invalid`], looks only at what
/// the reserved descriptor blocks should hold): cleared on yes.
fn mark_resize_inode<D: Device>(c: &mut Checker<'_, D>, n: u32, node: &mut Inode) -> Result<u64> {
    let mut count = 0u64;
    let mut w = BlockMapWalk::new(&*c.fs, &node.f.i_block, 0, LOGICAL_LIMIT);
    let mut changed = false;
    while let Some(p) = w.next_pointer() {
        if p.out_of_range {
            let at = if p.level == 0 { format!("block #{}", p.logical) } else { format!("{} block", p.what()) };
            if c.fix(problem::ILLEGAL_BLOCK, format!("inode {n}: {at} ({})", p.block), Some(n), Some(p.block)) {
                let mut h = c.fs.handle(2)?;
                h.set_map_slot(node, p.slot, 0)?;
                changed |= matches!(p.slot, Slot::Inode(_));
            }
            continue;
        }
        count += 1;
        if p.slot == Slot::Inode(DIND_SLOT) && c.block_found.set(p.block) {
            c.note_dup(p.block);
        }
        w.follow(&*c.fs, &p)?;
    }
    if changed {
        let mut h = c.fs.handle(2)?;
        h.write_inode(n, node)?;
    }
    Ok(count)
}

/// Mark extent `e` in use; blocks claimed already are noted for pass 1B.
fn claim<D: Device>(c: &mut Checker<'_, D>, e: &Extent) {
    let len = u64::from(e.len);
    if c.block_found.count_range(e.physical, len) == 0 {
        c.block_found.set_range(e.physical, len);
        return;
    }
    for b in e.physical..e.physical + len {
        if c.block_found.set(b) {
            c.note_dup(b);
        }
    }
}

/// As e2fsck (PR_1_ZERO_LENGTH_DIR): a directory that maps no block (its extents all gone) is
/// cleared, its tree blocks given back; pass 3 makes a new root when it was the root. Whether
/// it was cleared.
fn zero_length_dir<D: Device>(c: &mut Checker<'_, D>, n: u32, node: &Inode, claimed: &[u64]) -> Result<bool> {
    if node.has_flag(ino::FL_INLINE_DATA) || !c.fix(problem::DIR_ZERO_LENGTH, format!("inode {n}"), Some(n), None) {
        return Ok(false);
    }
    unclaim(c, claimed);
    clear_inode(c, n)?;
    Ok(true)
}

/// After extents were removed from a tree whose node blocks `claimed` were marked in use: a
/// node the removal freed (the tree got shallower) is free again, a node it allocated is in
/// use.
fn retree<D: Device>(c: &mut Checker<'_, D>, claimed: &mut Vec<u64>, nodes: &[extent::NodeInfo]) {
    let now: Vec<u64> = nodes.iter().filter_map(|x| x.block).collect();
    let kept: std::collections::HashSet<u64> = now.iter().copied().collect();
    let gone: Vec<u64> = claimed.iter().copied().filter(|b| !kept.contains(b)).collect();
    unclaim(c, &gone);
    for &b in &now {
        c.block_found.set(b);
    }
    *claimed = now;
}

/// Blocks an inode being cleared had marked in use: free again.
fn unclaim<D: Device>(c: &mut Checker<'_, D>, blocks: &[u64]) {
    for &b in blocks {
        c.block_found.clear(b);
    }
}

/// Clear an inode (it becomes free; pass 5 frees its blocks in the bitmaps).
pub(crate) fn clear_inode<D: Device>(c: &mut Checker<'_, D>, n: u32) -> Result<()> {
    c.inode_used.clear(u64::from(n));
    if c.dir_bits.get(u64::from(n)) {
        c.dir_bits.clear(u64::from(n));
        c.dirs.retain(|&d| d != n);
    }
    if !c.writable() {
        return Ok(());
    }
    let mut dead = Inode::new(0);
    dead.f.i_dtime = c.fs.clock.now() as u32;
    let mut h = c.fs.handle(4)?;
    h.write_inode(n, &dead)?;
    Ok(())
}
