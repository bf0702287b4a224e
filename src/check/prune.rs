//! Pass 1's repairs inside an extent tree, as e2fsck's `scan_extent_node` makes them: an entry
//! that cannot be right — a leaf extent starting outside the file system or running past its
//! end (PR_1_EXTENT_BAD_START_BLK, PR_1_EXTENT_ENDS_BEYOND), out of order or past its parent's
//! range, empty; an index naming a node that cannot be read (PR_1_EXTENT_HEADER_INVALID) — is
//! removed, not the whole inode; an index whose logical start is not its child's first gets
//! the child's (PR_1_EXTENT_INDEX_START_INVALID). A node left empty goes from its parent too.
//! Blocks no longer in the tree are not marked in use, and pass 5 frees them.

use std::collections::HashSet;

use super::{problem, Checker};
use crate::error::Result;
use crate::ondisk::extent::{self as x, Extent, Header, Index};
use crate::ondisk::inode::Inode;
use crate::ondisk::le;
use crate::pmem::Device;

/// One past the last logical block an extent may map.
const LOGICAL_END: u64 = 1 << 32;

/// What [`prune`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pruned {
    /// Nothing it repairs: the tree's damage (if any) is of another kind.
    Nothing,
    /// Entries removed or keys corrected, and written (the caller writes the inode).
    Repaired,
    /// Found and reported, not repaired (answered no).
    Left,
}

/// A node read for repair: its block (`None`: the root in `i_block`), its bytes, and whether
/// they changed.
struct Raw {
    blk: Option<u64>,
    buf: Vec<u8>,
    dirty: bool,
}

struct Pruner<'a, 'f, D: Device> {
    c: &'a mut Checker<'f, D>,
    n: u32,
    nodes: Vec<Raw>,
    seen: HashSet<u64>,
    found: bool,
    refused: bool,
}

/// Look for entries of inode `n`'s extent tree that e2fsck removes (or index starts it
/// corrects), ask, and on yes rewrite the nodes: the root in `node.f.i_block`, blocks through
/// the journal.
pub fn prune<D: Device>(c: &mut Checker<'_, D>, n: u32, node: &mut Inode) -> Result<Pruned> {
    let seed = c.fs.inode_csum_seed(n, node);
    let root = Raw { blk: None, buf: node.f.i_block.to_vec(), dirty: false };
    let mut p = Pruner { c, n, nodes: vec![root], seen: HashSet::new(), found: false, refused: false };
    let Ok(h) = Header::parse(&p.nodes[0].buf, x::ROOT_CAPACITY) else { return Ok(Pruned::Nothing) };
    if p.visit(0, h.depth, 0, LOGICAL_END)?.is_none() {
        return Ok(Pruned::Nothing);
    }
    if !p.found {
        return Ok(Pruned::Nothing);
    }
    if p.refused || !p.c.writable() {
        return Ok(Pruned::Left);
    }
    let Pruner { c, nodes, .. } = p;
    for raw in nodes.into_iter().filter(|r| r.dirty) {
        match raw.blk {
            None => node.f.i_block.copy_from_slice(&raw.buf),
            Some(b) => {
                let mut buf = raw.buf;
                if let (Some(s), Ok(h)) = (seed, Header::parse(&buf, x::block_capacity(buf.len() as u32))) {
                    x::set_block_checksum(&mut buf, s, h.max);
                }
                let mut h = c.fs.handle(1)?;
                h.get_write(b)?.copy_from_slice(&buf);
            }
        }
    }
    Ok(Pruned::Repaired)
}

impl<D: Device> Pruner<'_, '_, D> {
    /// Ask about one entry; remember a no.
    fn ask(&mut self, code: u32, detail: String, blk: Option<u64>) -> bool {
        self.found = true;
        let yes = self.c.fix(code, format!("inode {}: {detail}", self.n), Some(self.n), blk);
        self.refused |= !yes;
        yes
    }

    /// Check node `k` (of depth `depth`, covering logical `lo..hi`): `None` when its header
    /// cannot be read; else the first logical block it still maps (`None` inside: empty).
    fn visit(&mut self, k: usize, depth: u16, lo: u64, hi: u64) -> Result<Option<Option<u32>>> {
        let cap = match self.nodes[k].blk {
            None => x::ROOT_CAPACITY,
            Some(_) => x::block_capacity(self.nodes[k].buf.len() as u32),
        };
        let Ok(h) = Header::parse(&self.nodes[k].buf, cap) else { return Ok(None) };
        if h.depth != depth {
            return Ok(None);
        }
        let entries: Vec<[u8; x::ENTRY_SIZE]> = (0..usize::from(h.entries))
            .map(|i| {
                let at = x::entry_offset(i);
                let mut e = [0u8; x::ENTRY_SIZE];
                e.copy_from_slice(&self.nodes[k].buf[at..at + x::ENTRY_SIZE]);
                e
            })
            .collect();
        let mut kept: Vec<[u8; x::ENTRY_SIZE]> = Vec::with_capacity(entries.len());
        let mut changed = false;
        let mut prev_end = lo;
        let at_blk = self.nodes[k].blk;
        if depth == 0 {
            for raw in entries {
                let e = Extent::parse(&raw);
                match self.extent_fault(&e, prev_end, hi) {
                    Some((code, why)) => {
                        if self.ask(
                            code,
                            format!("logical {} physical {} length {}: {why}", e.logical, e.physical, e.len),
                            at_blk,
                        ) {
                            changed = true;
                            continue;
                        }
                    }
                    None => prev_end = e.logical_end(),
                }
                kept.push(raw);
            }
        } else {
            for (i, raw) in entries.iter().enumerate() {
                let ix = Index::parse(raw);
                let next = entries.get(i + 1).map_or(hi, |r| u64::from(Index::parse(r).logical).min(hi));
                let child_lo = prev_end;
                let child = self.child(&ix, depth - 1, child_lo, next.max(child_lo))?;
                let drop = match child {
                    Err(ref why) => {
                        self.ask(problem::EXTENT_ENTRY_BAD, format!("index to block {}: {why}", ix.child), at_blk)
                    }
                    // A node this repair emptied goes with its index (as e2fsck deletes it).
                    Ok((None, true)) => true,
                    Ok(_) => false,
                };
                let first = child.map(|c| c.0);
                if drop {
                    changed = true;
                    continue;
                }
                let mut raw = *raw;
                if let Ok(Some(f)) = first {
                    if f != ix.logical
                        && self.ask(
                            problem::EXTENT_INDEX_START,
                            format!("level {} index starts at {}, its child at {f}", depth, ix.logical),
                            at_blk,
                        )
                    {
                        le::put32(&mut raw, 0, f);
                        changed = true;
                    }
                    prev_end = u64::from(f.max(ix.logical)) + 1;
                } else {
                    prev_end = u64::from(ix.logical) + 1;
                }
                kept.push(raw);
            }
        }
        if changed {
            let node = &mut self.nodes[k];
            let depth = if kept.is_empty() && node.blk.is_none() { 0 } else { h.depth };
            Header { entries: kept.len() as u16, depth, ..h }.encode_into(&mut node.buf);
            for (i, raw) in kept.iter().enumerate() {
                let at = x::entry_offset(i);
                node.buf[at..at + x::ENTRY_SIZE].copy_from_slice(raw);
            }
            let end = x::entry_offset(usize::from(h.max)).min(node.buf.len());
            let from = x::entry_offset(kept.len()).min(end);
            node.buf[from..end].fill(0);
            node.dirty = true;
        }
        let first = if depth == 0 {
            kept.first().map(|r| Extent::parse(r).logical)
        } else {
            kept.first().map(|r| Index::parse(r).logical)
        };
        Ok(Some(first))
    }

    /// Why a leaf extent is removed (e2fsck's order of checks), if it is.
    fn extent_fault(&self, e: &Extent, prev_end: u64, hi: u64) -> Option<(u32, &'static str)> {
        let first_data = u64::from(self.c.fs.sb.f.s_first_data_block);
        let blocks = self.c.fs.sb.blocks_count();
        if e.physical < first_data.max(1) || e.physical >= blocks {
            Some((problem::EXTENT_OUT_OF_RANGE, "starts outside the file system"))
        } else if u64::from(e.logical) < prev_end {
            Some((problem::EXTENT_ENTRY_BAD, "out of order"))
        } else if e.logical_end() > hi {
            Some((problem::EXTENT_ENTRY_BAD, "ends past its parent's range"))
        } else if e.len == 0 {
            Some((problem::EXTENT_ENTRY_BAD, "of length 0"))
        } else if e.physical + u64::from(e.len) > blocks {
            Some((problem::EXTENT_OUT_OF_RANGE, "ends past the file system"))
        } else {
            None
        }
    }

    /// Read and check the child an index names: `Err` why it cannot be a node of this tree;
    /// else the first logical block it maps (`None`: empty) and whether it changed.
    fn child(
        &mut self,
        ix: &Index,
        depth: u16,
        lo: u64,
        hi: u64,
    ) -> Result<std::result::Result<(Option<u32>, bool), String>> {
        let first_data = u64::from(self.c.fs.sb.f.s_first_data_block);
        let blocks = self.c.fs.sb.blocks_count();
        if ix.child < first_data.max(1) || ix.child >= blocks {
            return Ok(Err("outside the file system".into()));
        }
        // Bounded: every node is read once (a loop or a shared node is damage).
        if !self.seen.insert(ix.child) || self.seen.len() as u64 > blocks {
            return Ok(Err("already in the tree".into()));
        }
        let buf = self.c.fs.block(ix.child)?.into_owned();
        self.nodes.push(Raw { blk: Some(ix.child), buf, dirty: false });
        let k = self.nodes.len() - 1;
        Ok(match self.visit(k, depth, lo, hi)? {
            None => Err("not an extent node of the expected depth".into()),
            Some(first) => Ok((first, self.nodes[k].dirty)),
        })
    }
}
