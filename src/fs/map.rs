//! The logical→physical map of an inode, whatever holds it.
//!
//! An inode maps its logical blocks one of three ways: an extent tree (`EXTENTS_FL`), a block
//! map (twelve direct pointers in `i_block`, then a single, a double and a triple indirect
//! block; a zero pointer is a hole), or not at all (inline data, fast symlinks, devices).
//! [`FileMap`] ([`Fs::file_map`], behind [`Fs::file_extents`] and [`Fs::extents_in_range`]) is
//! what the readers go through — `read`, directory listing and path lookup, `bmap`, the journal,
//! fsck's passes 2 to 4 and its data pass — so none of them cares which one an inode has. Runs
//! are [`Extent`]s: a block map's runs are its longest stretches of logically and physically
//! contiguous blocks, never unwritten. What looks at the pointers themselves uses the one walk
//! below: fsck's pass 1 ([`BlockMapWalk`], checking and clearing pointers as it goes), pass 2 on
//! a damaged directory ([`readable_runs`]) and `inspect` (block-iterate order, indirect blocks
//! included).
//!
//! Every walk of a block map is bounded: it is three levels deep by construction, each
//! indirect block is read at most once per walk (a second reference is reported, not followed),
//! pointers outside the file system are reported, not followed, and nothing is mapped past
//! logical block 2^32 - 1, which no ext4 inode can address.

use std::collections::HashSet;

use super::file::ReadTree;
use super::image::{Fs, Handle};
use crate::error::{Error, Result};
use crate::extent::{self, Root};
use crate::ondisk::extent::Extent;
use crate::ondisk::inode::{self as ino, Inode};
use crate::ondisk::le;
use crate::pmem::Device;

/// Direct pointers in `i_block`; then the single, double and triple indirect ones.
pub const DIRECT: usize = 12;
/// `i_block` slots of the single, double and triple indirect blocks.
pub const IND_SLOT: usize = 12;
pub const DIND_SLOT: usize = 13;
pub const TIND_SLOT: usize = 14;
/// One past the last logical block an inode can map.
pub const LOGICAL_LIMIT: u64 = 1 << 32;
/// Longest run a block map's [`Extent`] is cut to (an extent's length field is 16 bits).
const RUN_MAX: u64 = crate::ondisk::extent::MAX_LEN_WRITTEN as u64;

/// How an inode maps its blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MapKind {
    /// An extent tree (`EXTENTS_FL`).
    Extents,
    /// Direct and indirect block pointers.
    Blocks,
    /// Data in the inode itself (`INLINE_DATA_FL`).
    Inline,
    /// No blocks: a fast symlink, a device, a FIFO or a socket.
    Unmapped,
}

/// How inode `node` maps its blocks, by its type and flags.
pub fn map_kind(node: &Inode, block_size: u32) -> MapKind {
    if node.has_flag(ino::FL_INLINE_DATA) {
        return MapKind::Inline;
    }
    let acl = if node.file_acl() != 0 { u64::from(block_size / 512) } else { 0 };
    let maps = match node.file_type() {
        ino::S_IFREG | ino::S_IFDIR => true,
        // A fast symlink keeps its target in i_block (no block counted but an attribute block).
        ino::S_IFLNK => node.blocks_512(false, 512) > acl,
        _ => false,
    };
    match (maps, node.has_flag(ino::FL_EXTENTS)) {
        (false, _) => MapKind::Unmapped,
        (true, true) => MapKind::Extents,
        (true, false) => MapKind::Blocks,
    }
}

/// The logical→physical map of one inode: what extent trees and block maps both offer.
pub trait FileMap {
    fn kind(&self) -> MapKind;
    /// The runs overlapping logical blocks `[from, to)`, in logical order.
    fn extents_in(&self, from: u32, to: u64) -> Result<Vec<Extent>>;
    /// Every run, in logical order.
    fn extents(&self) -> Result<Vec<Extent>> {
        self.extents_in(0, LOGICAL_LIMIT)
    }
    /// The run covering logical block `lblk`, if any.
    fn lookup(&self, lblk: u32) -> Result<Option<Extent>> {
        Ok(self.extents_in(lblk, u64::from(lblk) + 1)?.into_iter().find(|e| e.logical <= lblk))
    }
}

/// An extent tree, read as the running transaction sees it.
struct ExtentMap<'a, D: Device> {
    fs: &'a Fs<D>,
    i_block: [u8; 60],
    seed: Option<u32>,
}

impl<D: Device> FileMap for ExtentMap<'_, D> {
    fn kind(&self) -> MapKind {
        MapKind::Extents
    }
    fn extents_in(&self, from: u32, to: u64) -> Result<Vec<Extent>> {
        let mut ib = self.i_block;
        let root = Root { i_block: &mut ib, csum_seed: self.seed };
        extent::extents_in_range(&ReadTree { fs: self.fs }, &root, from, to)
    }
    fn extents(&self) -> Result<Vec<Extent>> {
        let mut ib = self.i_block;
        let root = Root { i_block: &mut ib, csum_seed: self.seed };
        extent::extents(&ReadTree { fs: self.fs }, &root)
    }
    fn lookup(&self, lblk: u32) -> Result<Option<Extent>> {
        // As `extent::lookup(fs, inode, lblk)` always did: node checksums not verified.
        let mut ib = self.i_block;
        let root = Root { i_block: &mut ib, csum_seed: None };
        extent::lookup_in(&ReadTree { fs: self.fs }, &root, lblk)
    }
}

/// A block map: direct and indirect pointers.
struct IndirectMap<'a, D: Device> {
    fs: &'a Fs<D>,
    i_block: [u8; 60],
}

impl<D: Device> FileMap for IndirectMap<'_, D> {
    fn kind(&self) -> MapKind {
        MapKind::Blocks
    }
    fn extents_in(&self, from: u32, to: u64) -> Result<Vec<Extent>> {
        let mut out: Vec<Extent> = Vec::new();
        // A file holds at most every block of the file system (a garbage tree could map more).
        let mut budget = self.fs.sb.blocks_count();
        walk_block_map(self.fs, &self.i_block, u64::from(from), to, &mut |p| {
            if p.out_of_range {
                return Err(Error::corrupt(
                    "block map",
                    format!("{} block {} is outside the file system", p.what(), p.block),
                ));
            }
            if p.repeated {
                return Err(Error::corrupt("block map", format!("{} block {} is referenced twice", p.what(), p.block)));
            }
            if p.level == 0 {
                if budget == 0 {
                    return Err(Error::corrupt("block map", "maps more blocks than the file system has"));
                }
                budget -= 1;
                push_block(&mut out, p.logical, p.block);
            }
            Ok(true)
        })?;
        Ok(out)
    }
}

/// The run of the block map in `i_block` covering logical block `lblk`, if any.
pub(crate) fn block_map_lookup<D: Device>(fs: &Fs<D>, i_block: &[u8; 60], lblk: u32) -> Result<Option<Extent>> {
    IndirectMap { fs, i_block: *i_block }.lookup(lblk)
}

/// Add data block `physical` at `logical` to runs kept in logical order (pointers come in
/// logical order), extending the last run when contiguous.
pub(crate) fn push_block(out: &mut Vec<Extent>, logical: u64, physical: u64) {
    if let Some(last) = out.last_mut() {
        if u64::from(last.logical) + u64::from(last.len) == logical
            && last.physical + u64::from(last.len) == physical
            && u64::from(last.len) < RUN_MAX
        {
            last.len += 1;
            return;
        }
    }
    out.push(Extent { logical: logical as u32, len: 1, physical, unwritten: false });
}

/// No blocks at all (inline data, fast symlinks, special files).
struct NoMap(MapKind);

impl FileMap for NoMap {
    fn kind(&self) -> MapKind {
        self.0
    }
    fn extents_in(&self, _: u32, _: u64) -> Result<Vec<Extent>> {
        Ok(Vec::new())
    }
}

impl<D: Device> Fs<D> {
    /// The logical→physical map of inode `ino` (`node`): its extent tree (node checksums
    /// verified when `metadata_csum` is on, except by [`FileMap::lookup`]), its block map, or
    /// nothing.
    pub fn file_map<'a>(&'a self, ino: u32, node: &Inode) -> Box<dyn FileMap + 'a> {
        match map_kind(node, self.block_size()) {
            MapKind::Extents => {
                Box::new(ExtentMap { fs: self, i_block: node.f.i_block, seed: self.inode_csum_seed(ino, node) })
            }
            MapKind::Blocks => Box::new(IndirectMap { fs: self, i_block: node.f.i_block }),
            k => Box::new(NoMap(k)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Walking a block map
// ---------------------------------------------------------------------------------------------

/// Where a pointer of a block map is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// `i_block[i]`.
    Inode(usize),
    /// Entry `index` of indirect block `block`.
    Block { block: u64, index: usize },
}

/// One non-zero pointer of a block map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pointer {
    pub slot: Slot,
    /// 0: a data block; 1, 2, 3: a single, double or triple indirect block.
    pub level: u8,
    /// The first logical block it maps.
    pub logical: u64,
    pub block: u64,
    /// Outside the file system (below the first data block or past the last): not followed.
    pub out_of_range: bool,
    /// An indirect block this walk has already followed: not followed again.
    pub repeated: bool,
}

impl Pointer {
    /// "data", "indirect", "double indirect" or "triple indirect".
    pub fn what(&self) -> &'static str {
        match self.level {
            0 => "data",
            1 => "indirect",
            2 => "double indirect",
            _ => "triple indirect",
        }
    }
}

/// Logical blocks one pointer at `level` maps, with `per` pointers per indirect block.
pub fn span(per: u64, level: u8) -> u64 {
    per.saturating_pow(u32::from(level))
}

/// The level and first logical block of `i_block[i]`.
pub fn root_slot(i: usize, per: u64) -> (u8, u64) {
    match i {
        0..DIRECT => (0, i as u64),
        IND_SLOT => (1, DIRECT as u64),
        DIND_SLOT => (2, DIRECT as u64 + per),
        _ => (3, DIRECT as u64 + per + per * per),
    }
}

/// An indirect block being read.
struct Frame {
    block: u64,
    data: Vec<u8>,
    level: u8,
    logical: u64,
    next: usize,
}

/// A walk of a block map driven from outside, so that its caller may change the file system
/// between two pointers (fsck clears pointers as it goes): [`BlockMapWalk::next_pointer`]
/// gives the non-zero pointers in block-iterate order (each indirect block before the blocks
/// it maps, in logical order), and [`BlockMapWalk::follow`] reads the indirect block just
/// given, so that its pointers come next. Bounded: at most three levels, each indirect block
/// read once (a second reference comes back `repeated` and is not followed), pointers outside
/// the file system come back `out_of_range` and are not followed.
pub struct BlockMapWalk {
    i_block: [u8; 60],
    per: u64,
    first: u64,
    blocks: u64,
    from: u64,
    to: u64,
    /// Next slot of `i_block` to look at.
    slot: usize,
    stack: Vec<Frame>,
    seen: HashSet<u64>,
}

impl BlockMapWalk {
    /// A walk of the pointers of `i_block` whose logical span overlaps `[from, to)` (nothing
    /// past [`LOGICAL_LIMIT`]).
    pub fn new<D: Device>(fs: &Fs<D>, i_block: &[u8; 60], from: u64, to: u64) -> Self {
        BlockMapWalk {
            i_block: *i_block,
            per: u64::from(fs.block_size() / 4).max(1),
            first: u64::from(fs.sb.f.s_first_data_block),
            blocks: fs.sb.blocks_count(),
            from,
            to: to.min(LOGICAL_LIMIT),
            slot: 0,
            stack: Vec::new(),
            seen: HashSet::new(),
        }
    }

    fn overlaps(&self, logical: u64, level: u8) -> bool {
        logical < self.to && logical.saturating_add(span(self.per, level)) > self.from
    }

    fn pointer(&self, slot: Slot, level: u8, logical: u64, block: u64) -> Pointer {
        let out_of_range = block < self.first || block >= self.blocks;
        let repeated = level > 0 && !out_of_range && self.seen.contains(&block);
        Pointer { slot, level, logical, block, out_of_range, repeated }
    }

    /// The next non-zero pointer, `None` at the end.
    pub fn next_pointer(&mut self) -> Option<Pointer> {
        if self.from >= self.to {
            return None;
        }
        loop {
            if let Some(top) = self.stack.last_mut() {
                let child_level = top.level - 1;
                let child_span = span(self.per, child_level);
                let mut found = None;
                while top.next < self.per as usize {
                    let k = top.next;
                    top.next += 1;
                    let logical = top.logical + k as u64 * child_span;
                    if logical >= self.to {
                        top.next = self.per as usize;
                        break;
                    }
                    let b = u64::from(le::u32(&top.data, 4 * k));
                    if b != 0 {
                        found = Some((Slot::Block { block: top.block, index: k }, logical, b));
                        break;
                    }
                }
                match found {
                    Some((slot, logical, b)) if self.overlaps(logical, child_level) => {
                        return Some(self.pointer(slot, child_level, logical, b));
                    }
                    Some(_) => continue,
                    None => {
                        self.stack.pop();
                        continue;
                    }
                }
            }
            // The inode's own slots.
            while self.slot < 15 {
                let i = self.slot;
                self.slot += 1;
                let (level, logical) = root_slot(i, self.per);
                if logical >= self.to {
                    self.slot = 15;
                    break;
                }
                let b = u64::from(le::u32(&self.i_block, 4 * i));
                if b != 0 && self.overlaps(logical, level) {
                    return Some(self.pointer(Slot::Inode(i), level, logical, b));
                }
            }
            return None;
        }
    }

    /// Read indirect block `p` (the pointer [`BlockMapWalk::next_pointer`] just gave) so that
    /// the pointers it holds come next. Data blocks, pointers out of range and indirect blocks
    /// this walk has already read are not followed.
    pub fn follow<D: Device>(&mut self, fs: &Fs<D>, p: &Pointer) -> Result<()> {
        if p.level == 0 || p.out_of_range || !self.seen.insert(p.block) {
            return Ok(());
        }
        let data = fs.block(p.block)?.into_owned();
        // Start at the first child that can overlap the range.
        let child = span(self.per, p.level - 1);
        let next = (self.from.saturating_sub(p.logical) / child).min(self.per) as usize;
        self.stack.push(Frame { block: p.block, data, level: p.level, logical: p.logical, next });
        Ok(())
    }
}

/// Visit every non-zero pointer of the block map in `i_block` whose logical span overlaps
/// `[from, to)`, in block-iterate order (see [`BlockMapWalk`]). `visit` says whether to follow
/// an indirect block; one out of range or already followed is never followed.
pub fn walk_block_map<D: Device>(
    fs: &Fs<D>,
    i_block: &[u8; 60],
    from: u64,
    to: u64,
    visit: &mut dyn FnMut(&Pointer) -> Result<bool>,
) -> Result<()> {
    let mut w = BlockMapWalk::new(fs, i_block, from, to);
    while let Some(p) = w.next_pointer() {
        if visit(&p)? {
            w.follow(fs, &p)?;
        }
    }
    Ok(())
}

/// The data runs of a block map in `[from, to)` that can be read, leaving out pointers outside
/// the file system and indirect blocks referenced twice (fsck reads a damaged directory this
/// way; pass 1 reports what is left out). At most one run per block of the file system.
pub fn readable_runs<D: Device>(fs: &Fs<D>, i_block: &[u8; 60], from: u64, to: u64) -> Result<Vec<Extent>> {
    let mut out = Vec::new();
    let mut budget = fs.sb.blocks_count();
    walk_block_map(fs, i_block, from, to, &mut |p| {
        if p.out_of_range || p.repeated {
            return Ok(false);
        }
        if p.level == 0 {
            if budget == 0 {
                return Err(Error::corrupt("block map", "maps more blocks than the file system has"));
            }
            budget -= 1;
            push_block(&mut out, p.logical, p.block);
        }
        Ok(true)
    })?;
    Ok(out)
}

/// Where the pointer of logical block `lblk` of the block map in `i_block` is kept, when every
/// indirect block above it is there (in range); `None` otherwise.
pub fn block_map_slot<D: Device>(fs: &Fs<D>, i_block: &[u8; 60], lblk: u64) -> Result<Option<Slot>> {
    let per = u64::from(fs.block_size() / 4).max(1);
    if lblk < DIRECT as u64 {
        return Ok(Some(Slot::Inode(lblk as usize)));
    }
    let found = [IND_SLOT, DIND_SLOT, TIND_SLOT].into_iter().find_map(|s| {
        let (level, base) = root_slot(s, per);
        (lblk >= base && lblk - base < span(per, level)).then_some((s, level, base))
    });
    let Some((slot, level, base)) = found else { return Ok(None) };
    let (first, blocks) = (u64::from(fs.sb.f.s_first_data_block), fs.sb.blocks_count());
    let mut rel = lblk - base;
    let mut here = u64::from(le::u32(i_block, 4 * slot));
    for l in (1..=level).rev() {
        if here < first || here >= blocks {
            return Ok(None);
        }
        let child = span(per, l - 1);
        let k = (rel / child) as usize;
        rel %= child;
        if l == 1 {
            return Ok(Some(Slot::Block { block: here, index: k }));
        }
        here = u64::from(le::u32(&fs.block(here)?, 4 * k));
    }
    Ok(None)
}

impl<D: Device> Handle<'_, D> {
    /// Store `value` in a block map's slot (an inode's `i_block` is changed in `node`, which
    /// the caller writes; an indirect block through the handle).
    pub fn set_map_slot(&mut self, node: &mut Inode, slot: Slot, value: u32) -> Result<()> {
        match slot {
            Slot::Inode(i) if i < 15 => le::put32(&mut node.f.i_block, 4 * i, value),
            Slot::Inode(i) => return Err(Error::Invalid(format!("i_block has no slot {i}"))),
            Slot::Block { block, index } => {
                let buf = self.get_write(block)?;
                if 4 * index + 4 > buf.len() {
                    return Err(Error::Invalid(format!("indirect block {block} has no entry {index}")));
                }
                le::put32(buf, 4 * index, value);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_and_spans() {
        let per = 256;
        assert_eq!(root_slot(0, per), (0, 0));
        assert_eq!(root_slot(11, per), (0, 11));
        assert_eq!(root_slot(12, per), (1, 12));
        assert_eq!(root_slot(13, per), (2, 12 + 256));
        assert_eq!(root_slot(14, per), (3, 12 + 256 + 65536));
        assert_eq!(span(per, 3), 1 << 24);
        assert_eq!(span(16384, 3), 1 << 42);
        let mut v = Vec::new();
        for (l, p) in [(0, 10), (1, 11), (2, 12), (4, 13), (5, 20)] {
            push_block(&mut v, l, p);
        }
        assert_eq!(v.len(), 3);
        assert_eq!((v[0].logical, v[0].len, v[0].physical), (0, 3, 10));
        assert_eq!((v[1].logical, v[1].len, v[1].physical), (4, 1, 13));
    }
}
