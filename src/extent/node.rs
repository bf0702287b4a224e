//! One tree node decoded into owned entries: parse with validation right after reading,
//! check again right before writing, encode into `i_block` or a checksummed block.

use super::io::{Root, TreeIo};
use crate::error::{Error, Result};
use crate::ondisk::extent::{self as x, Extent, Header, Index, MAX_LEN_UNWRITTEN, MAX_LEN_WRITTEN, ROOT_CAPACITY};
use crate::ondisk::le;

/// One past the largest logical block an extent may cover.
pub(crate) const LOGICAL_END: u64 = 1 << 32;

/// A node: the root (`blk == None`) or a tree block. Leaves use `ext`, index nodes `idx`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Node {
    pub blk: Option<u64>,
    pub depth: u16,
    pub generation: u32,
    pub ext: Vec<Extent>,
    pub idx: Vec<Index>,
}

/// Where a node sits: the logical range its parent gives it, and its expected depth.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    pub lo: u64,
    pub hi: u64,
    pub depth: u16,
}

impl Node {
    pub fn empty_root(generation: u32) -> Node {
        Node { blk: None, depth: 0, generation, ext: Vec::new(), idx: Vec::new() }
    }

    pub fn len(&self) -> usize {
        if self.depth == 0 {
            self.ext.len()
        } else {
            self.idx.len()
        }
    }

    /// First logical block the node's entries start at.
    pub fn first_key(&self) -> Option<u32> {
        if self.depth == 0 {
            self.ext.first().map(|e| e.logical)
        } else {
            self.idx.first().map(|i| i.logical)
        }
    }

    /// Entries that fit where the node lives.
    pub fn capacity(&self, block_size: u32) -> usize {
        match self.blk {
            None => usize::from(ROOT_CAPACITY),
            Some(_) => usize::from(x::block_capacity(block_size)),
        }
    }

    /// Decode the root from `i_block` and validate it.
    pub fn read_root(root: &Root<'_>, blocks_count: u64) -> Result<Node> {
        let h = Header::parse(&root.i_block[..], ROOT_CAPACITY)?;
        let b = Bounds { lo: 0, hi: LOGICAL_END, depth: h.depth };
        Node::decode(&root.i_block[..], h, None, b, blocks_count)
    }

    /// Read block `blk` through `io` and validate it; also returns the stored `eh_max`. With
    /// `seed`, a bad checksum tail is an error when `strict`, else reported as `Some(false)`.
    pub fn read_block<I: TreeIo + ?Sized>(
        io: &I,
        blk: u64,
        b: Bounds,
        seed: Option<u32>,
        strict: bool,
    ) -> Result<(Node, u16, Option<bool>)> {
        check_child(blk, io.blocks_count())?;
        let bs = io.block_size();
        let mut buf = vec![0u8; bs as usize];
        io.read_block(blk, &mut buf)?;
        let h = Header::parse(&buf, x::block_capacity(bs))?;
        let csum_ok = seed.map(|s| io.trusted(blk, s) || x::block_checksum_ok(&buf, s, h.max));
        if strict && csum_ok == Some(false) {
            let t = x::tail_offset(h.max);
            return Err(Error::Checksum {
                what: format!("extent block {blk}"),
                stored: le::u32(&buf, t),
                computed: x::block_checksum(&buf, seed.unwrap_or(0), h.max),
            });
        }
        let node = Node::decode(&buf, h, Some(blk), b, io.blocks_count())?;
        Ok((node, h.max, csum_ok))
    }

    fn decode(buf: &[u8], h: Header, blk: Option<u64>, b: Bounds, blocks: u64) -> Result<Node> {
        if h.depth != b.depth {
            return Err(corrupt_at(blk, format!("depth {} where {} was expected", h.depth, b.depth)));
        }
        let n = usize::from(h.entries);
        let mut node = Node { blk, depth: h.depth, generation: h.generation, ext: Vec::new(), idx: Vec::new() };
        // Room for the two entries a split or an insert adds, without growing.
        if h.depth == 0 {
            node.ext = Vec::with_capacity(n + 2);
            node.ext.extend((0..n).map(|i| Extent::parse(&buf[x::entry_offset(i)..])));
        } else {
            node.idx = Vec::with_capacity(n + 2);
            node.idx.extend((0..n).map(|i| Index::parse(&buf[x::entry_offset(i)..])));
        }
        node.validate(b.lo, b.hi, blocks)?;
        Ok(node)
    }

    /// Entries sorted, non-overlapping, inside `lo..hi`, pointers and extents in range.
    pub fn validate(&self, lo: u64, hi: u64, blocks: u64) -> Result<()> {
        let mut prev_end = lo;
        if self.depth == 0 {
            for e in &self.ext {
                let max = if e.unwritten { MAX_LEN_UNWRITTEN } else { MAX_LEN_WRITTEN };
                if e.len == 0 || e.len > max {
                    return Err(corrupt_at(self.blk, format!("extent of length {}", e.len)));
                }
                if u64::from(e.logical) < prev_end || e.logical_end() > hi {
                    return Err(corrupt_at(
                        self.blk,
                        format!("extent at logical {} out of order (expected {prev_end} to {hi})", e.logical),
                    ));
                }
                if e.physical == 0 || e.physical.saturating_add(u64::from(e.len)) > blocks {
                    return Err(corrupt_at(
                        self.blk,
                        format!("extent maps physical {}+{} outside 1..{blocks}", e.physical, e.len),
                    ));
                }
                prev_end = e.logical_end();
            }
        } else {
            for (i, ix) in self.idx.iter().enumerate() {
                let k = u64::from(ix.logical);
                if k < prev_end || (i > 0 && k == prev_end) || k >= hi {
                    return Err(corrupt_at(
                        self.blk,
                        format!("index key {k} out of order (expected {prev_end} to {hi})"),
                    ));
                }
                check_child(ix.child, blocks)?;
                prev_end = k;
            }
        }
        Ok(())
    }

    /// Validation right before writing: a failure here is a bug, reported, never written.
    fn check_before_write(&self, block_size: u32, blocks: u64) -> Result<()> {
        if self.len() > self.capacity(block_size) || (self.blk.is_some() && self.len() == 0) {
            return Err(internal(format!("node with {} entries about to be written", self.len())));
        }
        self.validate(0, LOGICAL_END, blocks).map_err(|e| internal(format!("invalid node about to be written: {e}")))
    }

    fn encode_entries(&self, buf: &mut [u8], max: u16) {
        Header { entries: self.len() as u16, max, depth: self.depth, generation: self.generation }.encode_into(buf);
        for (i, e) in self.ext.iter().enumerate() {
            e.encode_into(&mut buf[x::entry_offset(i)..]);
        }
        for (i, ix) in self.idx.iter().enumerate() {
            ix.encode_into(&mut buf[x::entry_offset(i)..]);
        }
    }

    /// Encode the root into `i_block` (only an in-memory change: the caller logs the inode).
    pub fn write_root<I: TreeIo + ?Sized>(&self, io: &I, root: &mut Root<'_>) -> Result<()> {
        self.check_before_write(io.block_size(), io.blocks_count())?;
        root.i_block.fill(0);
        self.encode_entries(&mut root.i_block[..], ROOT_CAPACITY);
        Ok(())
    }

    /// Encode a node block (zeroed rest, checksum tail) and write it through `io`.
    pub fn write_block<I: TreeIo + ?Sized>(&self, io: &mut I, seed: Option<u32>) -> Result<()> {
        let blk = self.blk.ok_or_else(|| internal("root node written as a block".into()))?;
        let bs = io.block_size();
        self.check_before_write(bs, io.blocks_count())?;
        let max = x::block_capacity(bs);
        let mut buf = vec![0u8; bs as usize];
        self.encode_entries(&mut buf, max);
        if let Some(s) = seed {
            x::set_block_checksum(&mut buf, s, max);
        }
        io.write_block(blk, &buf)
    }
}

/// A child pointer must name a block inside the file system, and never block 0.
pub(crate) fn check_child(blk: u64, blocks: u64) -> Result<()> {
    if blk == 0 || blk >= blocks {
        return Err(Error::corrupt("extent tree", format!("child block {blk} outside 1..{blocks}")));
    }
    Ok(())
}

pub(crate) fn corrupt_at(blk: Option<u64>, detail: String) -> Error {
    match blk {
        Some(b) => Error::corrupt("extent tree", format!("block {b}: {detail}")),
        None => Error::corrupt("extent tree", format!("root: {detail}")),
    }
}

pub(crate) fn internal(detail: String) -> Error {
    Error::corrupt("extent tree", format!("internal error: {detail}"))
}

/// Whether `b` can be appended to `a` as one extent: logically and physically contiguous,
/// the same kind, and the sum within the kind's length limit.
pub(crate) fn mergeable(a: &Extent, b: &Extent) -> bool {
    let max = if a.unwritten { MAX_LEN_UNWRITTEN } else { MAX_LEN_WRITTEN };
    a.unwritten == b.unwritten
        && a.logical_end() == u64::from(b.logical)
        && a.physical.checked_add(u64::from(a.len)) == Some(b.physical)
        && a.len + b.len <= max
}

/// Merge every mergeable neighbour pair, left to right. The result has no mergeable pair:
/// a merged extent only grows, and growing never makes a pair mergeable again.
pub(crate) fn merge_all(v: &mut Vec<Extent>) {
    let mut out: Vec<Extent> = Vec::with_capacity(v.len());
    for e in v.drain(..) {
        match out.last_mut() {
            Some(last) if mergeable(last, &e) => last.len += e.len,
            _ => out.push(e),
        }
    }
    *v = out;
}
