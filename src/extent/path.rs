//! The walk from the root to the leaf responsible for one logical block, kept as an explicit
//! list of levels (no recursion), each node validated against the range its parent gives it.

use super::io::{Root, TreeIo};
use super::node::{Bounds, Node, LOGICAL_END};
use crate::error::{Error, Result};
use crate::ondisk::extent::MAX_DEPTH;

/// One level of a path: the node, the index entry followed (index levels), the end `hi` of
/// the logical range the parent assigns, and whether the node has changed since it was read.
#[derive(Clone, Debug)]
pub(crate) struct Level {
    pub node: Node,
    pub pos: usize,
    pub hi: u64,
    pub dirty: bool,
}

/// Root first, leaf last.
#[derive(Clone, Debug)]
pub(crate) struct Path {
    pub levels: Vec<Level>,
}

impl Path {
    pub fn leaf(&self) -> &Level {
        // A path always holds at least the root.
        &self.levels[self.levels.len() - 1]
    }

    pub fn leaf_mut(&mut self) -> &mut Level {
        let n = self.levels.len();
        &mut self.levels[n - 1]
    }

    /// The first logical block of the next leaf (the end of this leaf's range), if any.
    pub fn next_key(&self) -> Option<u32> {
        let hi = self.leaf().hi;
        (hi < LOGICAL_END).then_some(hi as u32)
    }
}

/// The path to the leaf that holds (or would hold) logical block `lblk`: at each index level
/// the last entry whose key is <= `lblk`, or the first entry when `lblk` precedes them all.
pub(crate) fn find<I: TreeIo + ?Sized>(io: &I, root: &Root<'_>, lblk: u32) -> Result<Path> {
    let node = Node::read_root(root, io.blocks_count())?;
    let mut levels = vec![Level { node, pos: 0, hi: LOGICAL_END, dirty: false }];
    for _ in 0..=MAX_DEPTH {
        let up = levels.len() - 1;
        let parent = &mut levels[up];
        if parent.node.depth == 0 {
            return Ok(Path { levels });
        }
        let idx = &parent.node.idx;
        if idx.is_empty() {
            return Err(super::node::corrupt_at(parent.node.blk, "index node with no entries".into()));
        }
        let pos = idx.partition_point(|ix| ix.logical <= lblk).saturating_sub(1);
        parent.pos = pos;
        let lo = u64::from(idx[pos].logical);
        let hi = idx.get(pos + 1).map_or(parent.hi, |n| u64::from(n.logical));
        let b = Bounds { lo, hi, depth: parent.node.depth - 1 };
        let child = idx[pos].child;
        if levels.iter().any(|l| l.node.blk == Some(child)) {
            return Err(super::node::corrupt_at(Some(child), "extent tree loops back".into()));
        }
        let (node, _, _) = Node::read_block(io, child, b, root.csum_seed, true)?;
        levels.push(Level { node, pos: 0, hi, dirty: false });
    }
    Err(Error::corrupt("extent tree", "deeper than the depth limit"))
}
