//! Passes 1B to 1D: blocks claimed more than once, resolved as e2fsck resolves them.
//!
//! Pass 1 only notes a block it finds claimed already ([`Checker::note_dup`]): the later claim
//! stays. Then, when any was noted:
//! * **1B** reads again every inode that claimed blocks in pass 1 and lists, for each noted
//!   block, the inodes claiming it (a claim per pointer: an inode mapping a block twice counts
//!   twice), and whether the file system's own metadata (superblocks, descriptors, bitmaps,
//!   inode tables, the MMP block) or an extended-attribute block holds it too.
//! * **1D** takes the files sharing blocks in inode order. A file whose shared blocks all
//!   became its own (every other claim was cloned away) is left as it is; any other is
//!   reported with what it shares and with whom, and "Clone multiply-claimed blocks?": yes
//!   gives it copies of the shared blocks, so the last claimer keeps the originals (e2fsck's
//!   order). A file that is not cloned (answer no, or no free space) gets "Delete file?".
//!
//! Where e4dax differs from e2fsck, deliberately: an extent is cloned whole (a new run of the
//! extent's length, the entry repointed: no extent is split, so the tree's shape never changes
//! and a failed allocation leaves the file as it was); the journal and the resize inode are
//! never cloned or deleted (the journal is in use by the repair itself): the files sharing
//! with them are cloned, and what they share with metadata is reported, not repaired
//! (JOURNAL_BLOCK_CLAIMED_TWICE); attribute blocks are never cloned (they are shared by design,
//! with a reference count): a file whose data claims one gets a copy. The file list names
//! inodes, not paths (e2fsck's pass 1C looks the names up).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::bits::Bits;
use super::{pass0, pass1, problem, Checker};
use crate::error::Result;
use crate::extent::{self, NodeEntries, Root};
use crate::fs::file::ReadTree;
use crate::fs::map::{BlockMapWalk, Slot, DIND_SLOT, LOGICAL_LIMIT};
use crate::ondisk::extent as ext;
use crate::ondisk::features::ro_compat;
use crate::ondisk::inode::{self as ino, Inode};
use crate::ondisk::le;
use crate::pmem::Device;

impl<D: Device> Checker<'_, D> {
    /// Pass 1 found block `b` claimed already: pass 1B will find who claims it (nothing to do
    /// on a `shared_blocks` file system, where sharing is allowed, as e2fsck).
    pub(crate) fn note_dup(&mut self, b: u64) {
        if !self.fs.sb.has_ro_compat(ro_compat::SHARED_BLOCKS) {
            if !self.dup_blocks.set(b) {
                self.dup_list.push(b);
            }
            self.any_dup = true;
        }
    }
}

/// What pass 1B found: each shared block's claims, each claimer's shared blocks.
struct Shared {
    /// Block → inodes claiming it (one entry per claim).
    claims: HashMap<u64, Vec<u32>>,
    /// Inode → the shared blocks it claims (one entry per claim).
    by_inode: BTreeMap<u32, Vec<u64>>,
    /// Blocks of the file system's metadata (and attribute blocks).
    meta: Bits,
}

impl Shared {
    /// Claims left on `b` by inodes.
    fn count(&self, b: u64) -> usize {
        self.claims.get(&b).map_or(0, Vec::len)
    }

    /// Whether `b` is still shared: by two claims, or by a claim and the metadata.
    fn needs_copy(&self, b: u64) -> bool {
        self.count(b) > 1 || (self.count(b) == 1 && self.meta.get(b))
    }

    /// Inode `n` gives up its claim on `b`: whether nobody claims it any more (free).
    fn release(&mut self, n: u32, b: u64) -> bool {
        match self.claims.get_mut(&b) {
            Some(v) => {
                if let Some(i) = v.iter().position(|&x| x == n) {
                    v.swap_remove(i);
                }
                v.is_empty() && !self.meta.get(b)
            }
            None => true,
        }
    }
}

/// Passes 1B–1D, when pass 1 noted a block claimed twice.
pub(crate) fn run<D: Device>(c: &mut Checker<'_, D>) -> Result<()> {
    if !c.any_dup {
        return Ok(());
    }
    let mut s = scan(c)?;
    // Pass 1 may have given back a noted block when one claimer let it go (a tree node freed
    // by a repair while an extent still maps it): what 1B found decides.
    for &b in &c.dup_list {
        if s.count(b) > 0 || s.meta.get(b) {
            c.block_found.set(b);
        }
    }
    let journal = if c.fs.sb.has_journal() { c.fs.sb.f.s_journal_inum } else { 0 };
    let reserved = |n: u32| n == journal || n == ino::RESIZE_INO;
    // Reserved inodes last: they are never cloned, so what they share with files goes to
    // the files.
    let order: Vec<u32> = s
        .by_inode
        .keys()
        .copied()
        .filter(|&n| !reserved(n))
        .chain(s.by_inode.keys().copied().filter(|&n| reserved(n)))
        .collect();
    for n in order {
        let mut mine = s.by_inode.get(&n).cloned().unwrap_or_default();
        mine.sort_unstable();
        mine.dedup();
        let shared_meta = mine.iter().any(|&b| s.meta.get(b));
        if !mine.iter().any(|&b| s.needs_copy(b) || s.count(b) > 1) {
            // Every other claim was cloned away: the blocks are this file's now.
            continue;
        }
        let mut others: Vec<u32> =
            mine.iter().flat_map(|b| s.claims.get(b).into_iter().flatten().copied()).filter(|&o| o != n).collect();
        others.sort_unstable();
        others.dedup();
        let detail = describe(n, &mine, &others, shared_meta);
        if reserved(n) {
            c.fix(problem::JOURNAL_BLOCK_CLAIMED_TWICE, detail, Some(n), mine.first().copied());
            continue;
        }
        if c.fix(problem::BLOCK_CLAIMED_TWICE, detail, Some(n), mine.first().copied()) && clone_file(c, &mut s, n)? {
            continue;
        }
        if c.fix(problem::DUP_DELETE, format!("inode {n}"), Some(n), None) {
            delete_file(c, &mut s, n)?;
        }
    }
    Ok(())
}

/// "inode 12: 2 blocks (1040, 1041), shared with inode 13, the file system's metadata".
fn describe(n: u32, blocks: &[u64], others: &[u32], meta: bool) -> String {
    const SHOWN: usize = 12;
    let mut list: Vec<String> = blocks.iter().take(SHOWN).map(u64::to_string).collect();
    if blocks.len() > SHOWN {
        list.push(format!("… {} more", blocks.len() - SHOWN));
    }
    let mut with: Vec<String> = others.iter().take(SHOWN).map(|o| format!("inode {o}")).collect();
    if others.len() > SHOWN {
        with.push(format!("… {} more", others.len() - SHOWN));
    }
    if meta {
        with.push("the file system's metadata".into());
    }
    let s = if blocks.len() == 1 { "" } else { "s" };
    format!("inode {n}: {} block{s} ({}), shared with {}", blocks.len(), list.join(", "), with.join(", "))
}

/// Pass 1B: who claims each noted block.
fn scan<D: Device>(c: &mut Checker<'_, D>) -> Result<Shared> {
    let mut meta = Bits::new(c.fs.sb.blocks_count());
    pass0::mark_metadata_into(c.fs, &mut meta);
    if c.fs.sb.has_incompat(crate::ondisk::features::incompat::MMP) {
        meta.set(c.fs.sb.f.s_mmp_block);
    }
    for &b in c.ea_blocks.keys() {
        meta.set(b);
    }
    let mut s = Shared { claims: HashMap::new(), by_inode: BTreeMap::new(), meta };
    let count = u64::from(c.fs.sb.f.s_inodes_count);
    for n in 1..=count {
        if n == u64::from(ino::BAD_BLOCKS_INO) || !c.claimers.get(n) || !c.inode_used.get(n) {
            continue;
        }
        let n = n as u32;
        for b in blocks_of(c, n, false)? {
            if c.dup_blocks.get(b) {
                s.claims.entry(b).or_default().push(n);
                s.by_inode.entry(n).or_default().push(b);
            }
        }
    }
    Ok(s)
}

/// Every block inode `n` claims as pass 1 claimed them: tree nodes and extents, or the block
/// map's pointers (indirect blocks included); only the double indirect block of the resize
/// inode (what it maps is metadata). Only extents holding a noted block unless `all`.
fn blocks_of<D: Device>(c: &Checker<'_, D>, n: u32, all: bool) -> Result<Vec<u64>> {
    let node = c.fs.inode(n)?;
    let mut out = Vec::new();
    let (first, end) = (u64::from(c.fs.sb.f.s_first_data_block), c.fs.sb.blocks_count());
    if n == ino::RESIZE_INO {
        let b = u64::from(le::u32(&node.f.i_block, 4 * DIND_SLOT));
        if b >= first && b < end {
            out.push(b);
        }
    } else if node.has_flag(ino::FL_EXTENTS) {
        let mut ib = node.f.i_block;
        let root = Root { i_block: &mut ib, csum_seed: c.fs.inode_csum_seed(n, &node) };
        let Ok(nodes) = extent::nodes(&ReadTree { fs: &*c.fs }, &root) else { return Ok(out) };
        for x in &nodes {
            out.extend(x.block);
            if let NodeEntries::Leaf(v) = &x.content {
                for e in v {
                    let len = u64::from(e.len);
                    if e.physical >= first
                        && e.physical.saturating_add(len) <= end
                        && (all || c.dup_blocks.count_range(e.physical, len) != 0)
                    {
                        out.extend(e.physical..e.physical + len);
                    }
                }
            }
        }
    } else if !node.has_flag(ino::FL_INLINE_DATA) {
        let mut w = BlockMapWalk::new(&*c.fs, &node.f.i_block, 0, LOGICAL_LIMIT);
        while let Some(p) = w.next_pointer() {
            if p.out_of_range {
                continue;
            }
            out.push(p.block);
            w.follow(&*c.fs, &p)?;
        }
    }
    Ok(out)
}

/// Give inode `n` copies of the blocks it still shares (pass 1D's clone). Whether it was
/// cloned (false: no room; what was cloned before stays cloned).
fn clone_file<D: Device>(c: &mut Checker<'_, D>, s: &mut Shared, n: u32) -> Result<bool> {
    let mut node = c.fs.inode(n)?;
    let done =
        if node.has_flag(ino::FL_EXTENTS) { clone_tree(c, s, n, &mut node)? } else { clone_map(c, s, n, &mut node)? };
    // New blocks reach the device before the metadata naming them commits.
    c.fs.dev.fence()?;
    Ok(done)
}

/// Extent-mapped: tree nodes still shared are copied and their parent's entry repointed;
/// an extent holding a shared block is copied whole to a new run.
fn clone_tree<D: Device>(c: &mut Checker<'_, D>, s: &mut Shared, n: u32, node: &mut Inode) -> Result<bool> {
    let seed = c.fs.inode_csum_seed(n, node);
    let nodes = {
        let mut ib = node.f.i_block;
        let root = Root { i_block: &mut ib, csum_seed: seed };
        match extent::nodes(&ReadTree { fs: &*c.fs }, &root) {
            Ok(v) => v,
            Err(_) => return Ok(false),
        }
    };
    // Where each node's entry lives: (the parent's block or None for the root, entry index).
    let mut parent: HashMap<u64, (Option<u64>, usize)> = HashMap::new();
    let mut root_dirty = false;
    for x in &nodes {
        if let NodeEntries::Index(v) = &x.content {
            for (k, ix) in v.iter().enumerate() {
                parent.entry(ix.child).or_insert((x.block, k));
            }
        }
    }
    let done = clone_nodes(c, s, n, node, seed, &nodes, &parent, &mut root_dirty)?;
    // Written whether or not every copy was made: a file left to be deleted is read again
    // from the device, and must name the copies it got.
    if root_dirty {
        let mut h = c.fs.handle(1)?;
        h.write_inode(n, node)?;
    }
    Ok(done)
}

/// [`clone_tree`]'s copies, node by node; false when one cannot be made.
#[allow(clippy::too_many_arguments)]
fn clone_nodes<D: Device>(
    c: &mut Checker<'_, D>,
    s: &mut Shared,
    n: u32,
    node: &mut Inode,
    seed: Option<u32>,
    nodes: &[extent::NodeInfo],
    parent: &HashMap<u64, (Option<u64>, usize)>,
    root_dirty: &mut bool,
) -> Result<bool> {
    let (first, end) = (u64::from(c.fs.sb.f.s_first_data_block), c.fs.sb.blocks_count());
    // Node blocks moved: old → new (children name their parent by its old block).
    let mut moved: HashMap<u64, u64> = HashMap::new();
    for x in nodes {
        if let Some(b) = x.block {
            if s.needs_copy(b) {
                let Some(nb) = alloc_run(c, 1, b) else { return Ok(false) };
                copy_metadata_block(c, b, nb)?;
                let Some(&(up, k)) = parent.get(&b) else { return Ok(false) };
                let up = up.map(|p| *moved.get(&p).unwrap_or(&p));
                set_entry(c, node, up, seed, k, EntryField::Child, nb, root_dirty)?;
                moved.insert(b, nb);
                take_over(c, s, n, &[b], nb);
            }
        }
        // The node's block now (it may have been copied just above).
        let here = x.block.map(|b| *moved.get(&b).unwrap_or(&b));
        if let NodeEntries::Leaf(v) = &x.content {
            for (k, e) in v.iter().enumerate() {
                let len = u64::from(e.len);
                if e.physical < first || e.physical.saturating_add(len) > end {
                    continue;
                }
                let range = e.physical..e.physical + len;
                if !range.clone().any(|b| s.needs_copy(b)) {
                    continue;
                }
                let Some(nb) = alloc_run(c, len, e.physical) else { return Ok(false) };
                if !e.unwritten {
                    copy_data(c, e.physical, nb, len)?;
                }
                set_entry(c, node, here, seed, k, EntryField::Start, nb, root_dirty)?;
                let old: Vec<u64> = range.collect();
                take_over(c, s, n, &old, nb);
            }
        }
    }
    Ok(true)
}

/// Which field of an extent-tree entry to repoint.
#[derive(Clone, Copy)]
enum EntryField {
    /// An index entry's child (`ei_leaf_lo`, `ei_leaf_hi`).
    Child,
    /// A leaf entry's first physical block (`ee_start_hi`, `ee_start_lo`).
    Start,
}

/// Repoint entry `k` of a node (the root in `node`'s `i_block` when `blk` is `None`).
#[allow(clippy::too_many_arguments)]
fn set_entry<D: Device>(
    c: &mut Checker<'_, D>,
    node: &mut Inode,
    blk: Option<u64>,
    seed: Option<u32>,
    k: usize,
    field: EntryField,
    to: u64,
    root_dirty: &mut bool,
) -> Result<()> {
    let put = |buf: &mut [u8]| {
        let at = ext::entry_offset(k);
        if at + ext::ENTRY_SIZE > buf.len() {
            return;
        }
        match field {
            EntryField::Child => {
                le::put32(buf, at + 4, to as u32);
                le::put16(buf, at + 8, (to >> 32) as u16);
            }
            EntryField::Start => {
                le::put16(buf, at + 6, (to >> 32) as u16);
                le::put32(buf, at + 8, to as u32);
            }
        }
    };
    match blk {
        None => {
            put(&mut node.f.i_block);
            *root_dirty = true;
        }
        Some(b) => {
            let mut h = c.fs.handle(1)?;
            let buf = h.get_write(b)?;
            put(buf);
            if let Some(seed) = seed {
                let max = le::u16(buf, 4);
                if ext::tail_offset(max) + ext::TAIL_SIZE <= buf.len() {
                    ext::set_block_checksum(buf, seed, max);
                }
            }
        }
    }
    Ok(())
}

/// Block-mapped: every pointer to a block still shared gets a copy (an indirect block's copy
/// keeps its pointers, repointed in turn as the walk reaches them).
fn clone_map<D: Device>(c: &mut Checker<'_, D>, s: &mut Shared, n: u32, node: &mut Inode) -> Result<bool> {
    let mut w = BlockMapWalk::new(&*c.fs, &node.f.i_block, 0, LOGICAL_LIMIT);
    let mut moved: HashMap<u64, u64> = HashMap::new();
    // Indirect blocks this walk read: a pointer naming one again is a claim pass 1 never
    // counted (it reads an indirect block once), copied without giving one up.
    let mut followed: HashSet<u64> = HashSet::new();
    let mut root_dirty = false;
    let huge = c.fs.sb.has_ro_compat(ro_compat::HUGE_FILE);
    let bs = c.fs.block_size();
    while let Some(p) = w.next_pointer() {
        if p.out_of_range {
            continue;
        }
        let uncounted = followed.contains(&p.block);
        if s.needs_copy(p.block) || uncounted {
            let Some(nb) = alloc_run(c, 1, p.block) else { break };
            if p.level == 0 {
                copy_data(c, p.block, nb, 1)?;
            } else {
                copy_metadata_block(c, p.block, nb)?;
                moved.insert(p.block, nb);
            }
            let slot = match p.slot {
                Slot::Block { block, index } => Slot::Block { block: *moved.get(&block).unwrap_or(&block), index },
                inode => {
                    root_dirty = true;
                    inode
                }
            };
            let Ok(to) = u32::try_from(nb) else { break };
            let mut h = c.fs.handle(1)?;
            h.set_map_slot(node, slot, to)?;
            drop(h);
            if uncounted {
                c.block_found.set(nb);
                node.set_blocks_512(node.blocks_512(huge, bs) + u64::from(bs / 512));
                root_dirty = true;
            } else {
                take_over(c, s, n, &[p.block], nb);
            }
            // The copy is what the file now reads there.
            let p = crate::fs::map::Pointer { block: nb, ..p };
            if p.level > 0 {
                followed.insert(nb);
            }
            w.follow(&*c.fs, &p)?;
            continue;
        }
        if p.level > 0 {
            followed.insert(p.block);
        }
        w.follow(&*c.fs, &p)?;
    }
    if root_dirty {
        let mut h = c.fs.handle(1)?;
        h.write_inode(n, node)?;
    }
    Ok(!(s.by_inode.get(&n).is_some_and(|v| v.iter().any(|&b| s.needs_copy(b) && is_claimed_by(s, b, n)))))
}

fn is_claimed_by(s: &Shared, b: u64, n: u32) -> bool {
    s.claims.get(&b).is_some_and(|v| v.contains(&n))
}

/// Inode `n` moved from blocks `old` to the run starting at `new`: the new blocks are in use;
/// each old block it shared loses a claim, each it alone held is free again.
fn take_over<D: Device>(c: &mut Checker<'_, D>, s: &mut Shared, n: u32, old: &[u64], new: u64) {
    c.block_found.set_range(new, old.len() as u64);
    for &b in old {
        if !c.dup_blocks.get(b) || s.release(n, b) {
            c.block_found.clear(b);
        }
    }
}

/// Delete inode `n` (pass 1D's second question): its blocks no other claims are free, its
/// claims on shared ones are given up.
fn delete_file<D: Device>(c: &mut Checker<'_, D>, s: &mut Shared, n: u32) -> Result<()> {
    let node = c.fs.inode(n)?;
    for b in blocks_of(c, n, true)? {
        if !c.dup_blocks.get(b) || s.release(n, b) {
            c.block_found.clear(b);
        }
    }
    let acl = node.file_acl();
    if acl != 0 {
        if let Some(e) = c.ea_blocks.get_mut(&acl) {
            e.seen = e.seen.saturating_sub(1);
        }
    }
    pass1::clear_inode(c, n)
}

/// `len` free blocks in a row (by what the check found in use), searched from `goal` on and
/// then from the start; marked in use by the caller.
fn alloc_run<D: Device>(c: &Checker<'_, D>, len: u64, goal: u64) -> Option<u64> {
    let (first, end) = (u64::from(c.fs.sb.f.s_first_data_block).max(1), c.fs.sb.blocks_count());
    if len == 0 || len > end.saturating_sub(first) {
        return None;
    }
    let goal = goal.clamp(first, end - 1);
    let find = |from: u64, to: u64| {
        let mut start = from;
        let mut b = from;
        while b < to {
            if c.block_found.get(b) {
                start = b + 1;
            } else if b + 1 - start == len {
                return Some(start);
            }
            b += 1;
        }
        None
    };
    find(goal, end).or_else(|| find(first, goal.saturating_add(len).min(end)))
}

/// Copy a metadata block (tree node, indirect block) into a new block through the journal.
fn copy_metadata_block<D: Device>(c: &mut Checker<'_, D>, from: u64, to: u64) -> Result<()> {
    let data = c.fs.block(from)?.into_owned();
    let mut h = c.fs.handle(1)?;
    h.get_write(to)?.copy_from_slice(&data);
    Ok(())
}

/// Copy `len` data blocks straight to the device (new blocks nothing names yet; the metadata
/// naming them commits after the caller's fence).
fn copy_data<D: Device>(c: &mut Checker<'_, D>, from: u64, to: u64, len: u64) -> Result<()> {
    let bs = u64::from(c.fs.block_size());
    let mut buf = vec![0u8; bs as usize];
    for i in 0..len {
        buf.copy_from_slice(&c.fs.block(from + i)?);
        c.fs.dev.store((to + i) * bs, &buf)?;
    }
    c.fs.dev.flush(to * bs, len * bs)?;
    Ok(())
}
