//! Read-only walks: the extent of one block, every extent in order, and every node level by
//! level (what `inspect extents` shows, like `debugfs ex`). Depth-first with an explicit stack;
//! each block is visited at most once and validated against the range its parent gives it.

use std::collections::HashSet;

use super::io::{Root, TreeIo};
use super::node::{Bounds, Node, LOGICAL_END};
use super::path::find;
use crate::error::Result;
use crate::ondisk::extent::{Extent, Header, Index, ROOT_CAPACITY};

/// The extent covering logical block `lblk`, if any.
pub fn lookup_in<I: TreeIo + ?Sized>(io: &I, root: &Root<'_>, lblk: u32) -> Result<Option<Extent>> {
    let path = find(io, root, lblk)?;
    let ext = &path.leaf().node.ext;
    let i = ext.partition_point(|e| e.logical <= lblk);
    Ok(i.checked_sub(1).map(|i| ext[i]).filter(|e| u64::from(lblk) < e.logical_end()))
}

/// The entries of one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeEntries {
    Leaf(Vec<Extent>),
    Index(Vec<Index>),
}

/// The extent covering a block and its neighbours in the leaf responsible for it: what ext4's
/// `ext4_ext_convert_to_initialized` sees as `ex`, `ex - 1` and `ex + 1` (it never looks into
/// another leaf), and what `ext4_ext_find_goal` continues for a hole.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InLeaf {
    /// The extent before the block in its leaf (before `ext` when there is one).
    pub prev: Option<Extent>,
    /// The extent covering the block; None for a hole.
    pub ext: Option<Extent>,
    /// The extent after the block in its leaf (after `ext` when there is one).
    pub next: Option<Extent>,
}

/// The extent covering logical block `lblk` (if any) with its neighbours in the same leaf.
pub fn lookup_in_leaf<I: TreeIo + ?Sized>(io: &I, root: &Root<'_>, lblk: u32) -> Result<InLeaf> {
    let path = find(io, root, lblk)?;
    let ext = &path.leaf().node.ext;
    let i = ext.partition_point(|e| e.logical <= lblk);
    match i.checked_sub(1).filter(|&at| u64::from(lblk) < ext[at].logical_end()) {
        Some(at) => {
            Ok(InLeaf { prev: at.checked_sub(1).map(|p| ext[p]), ext: Some(ext[at]), next: ext.get(at + 1).copied() })
        }
        None => Ok(InLeaf { prev: i.checked_sub(1).map(|p| ext[p]), ext: None, next: ext.get(i).copied() }),
    }
}

/// One node of the tree, as `inspect extents` and fsck see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeInfo {
    /// 0 for the root, growing downwards.
    pub level: u16,
    /// `eh_depth`: 0 for a leaf.
    pub depth: u16,
    /// `None`: the root, in the inode.
    pub block: Option<u64>,
    pub entries: u16,
    /// `eh_max` as stored.
    pub max: u16,
    /// First and last logical block mapped below this node (`None` when it maps nothing).
    pub first: Option<u32>,
    pub last: Option<u32>,
    /// Whether the block's checksum tail matches (`None`: the root, or no `metadata_csum`).
    pub checksum_ok: Option<bool>,
    pub content: NodeEntries,
}

/// Every extent of the tree in logical order. A bad checksum is an error.
pub fn extents<I: TreeIo + ?Sized>(io: &I, root: &Root<'_>) -> Result<Vec<Extent>> {
    let mut out = Vec::new();
    for n in walk(io, root, true)? {
        if let NodeEntries::Leaf(v) = n.content {
            out.extend(v);
        }
    }
    Ok(out)
}

/// Every node, depth-first (each index entry followed by its subtree, as `debugfs ex`
/// prints). A bad checksum is reported in [`NodeInfo::checksum_ok`], not an error.
pub fn nodes<I: TreeIo + ?Sized>(io: &I, root: &Root<'_>) -> Result<Vec<NodeInfo>> {
    walk(io, root, false)
}

fn walk<I: TreeIo + ?Sized>(io: &I, root: &Root<'_>, strict: bool) -> Result<Vec<NodeInfo>> {
    let blocks = io.blocks_count();
    let top = Node::read_root(root, blocks)?;
    let top_max = Header::parse(&root.i_block[..], ROOT_CAPACITY)?.max;
    let mut out = Vec::new();
    let mut parent_of: Vec<Option<usize>> = Vec::new();
    let mut seen = HashSet::new();
    // (child block, bounds, level, index of the parent in `out`)
    let mut stack: Vec<(u64, Bounds, u16, usize)> = Vec::new();
    let mut pending = Some((top, top_max, None, 0u16, None, LOGICAL_END));
    loop {
        let (node, max, csum_ok, level, parent, hi) = match pending.take() {
            Some(p) => p,
            None => match stack.pop() {
                None => break,
                Some((blk, b, level, parent)) => {
                    if !seen.insert(blk) || seen.len() as u64 > blocks {
                        return Err(super::node::corrupt_at(Some(blk), "block referenced twice in the tree".into()));
                    }
                    let (node, max, ok) = Node::read_block(io, blk, b, root.csum_seed, strict)?;
                    (node, max, ok, level, Some(parent), b.hi)
                }
            },
        };
        let me = out.len();
        for (i, ix) in node.idx.iter().enumerate().rev() {
            let b = Bounds {
                lo: u64::from(ix.logical),
                hi: node.idx.get(i + 1).map_or(hi, |n| u64::from(n.logical)),
                depth: node.depth - 1,
            };
            stack.push((ix.child, b, level + 1, me));
        }
        let (first, last) = match node.ext.as_slice() {
            [a, .., z] | [a @ z] => (Some(a.logical), Some((z.logical_end() - 1) as u32)),
            [] => (None, None),
        };
        out.push(NodeInfo {
            level,
            depth: node.depth,
            block: node.blk,
            entries: node.len() as u16,
            max,
            first,
            last,
            checksum_ok: csum_ok,
            content: if node.depth == 0 { NodeEntries::Leaf(node.ext) } else { NodeEntries::Index(node.idx) },
        });
        parent_of.push(parent);
    }
    // Children follow their parents: fold the ranges upwards, last node first.
    for i in (1..out.len()).rev() {
        if let Some(p) = parent_of[i] {
            let (f, l) = (out[i].first, out[i].last);
            let q = &mut out[p];
            q.first = min_opt(q.first, f);
            q.last = l.max(q.last);
        }
    }
    Ok(out)
}

fn min_opt(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// The extents overlapping logical blocks `[from, to)`, in order, visiting only the leaves
/// that cover that range (one root-to-leaf walk per leaf).
pub fn extents_in_range<I: TreeIo + ?Sized>(io: &I, root: &Root<'_>, from: u32, to: u64) -> Result<Vec<Extent>> {
    let mut out = Vec::new();
    let mut p = from;
    // Each round moves to a strictly later leaf; a tree has fewer leaves than this.
    for _ in 0..(1u32 << 24) {
        if u64::from(p) >= to {
            break;
        }
        let path = find(io, root, p)?;
        let ext = &path.leaf().node.ext;
        let i = ext.partition_point(|e| e.logical_end() <= u64::from(p));
        out.extend(ext[i..].iter().take_while(|e| u64::from(e.logical) < to).copied());
        match path.next_key() {
            Some(next) if next > p => p = next,
            _ => break,
        }
    }
    Ok(out)
}
