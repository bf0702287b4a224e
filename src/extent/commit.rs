//! Writing a changed path back: bottom-up, a node that overflowed is split (new blocks are
//! allocated before anything is written, so ENOSPC leaves the tree as it was), an emptied
//! node is freed and its index entry removed, a changed first key is copied into the parent,
//! a full root grows the tree by one level. Only nodes that changed are written.
//! [`shrink`] lowers the tree while the root can hold all its children's entries.

use super::io::{Root, TreeIo};
use super::node::{internal, Bounds, Node, LOGICAL_END};
use super::path::Path;
use crate::error::{Error, Result};
use crate::ondisk::extent::{block_capacity, Index, MAX_DEPTH, ROOT_CAPACITY};

/// Write back `path`, whose leaf (and possibly other levels) the caller changed and marked
/// dirty. `append`: the change was at the end of the leaf, so a split leaves the old leaf
/// full and moves only the overflow (sequential growth packs leaves densely).
pub(crate) fn commit<I: TreeIo + ?Sized>(io: &mut I, root: &mut Root<'_>, mut path: Path, append: bool) -> Result<()> {
    let bcap = usize::from(block_capacity(io.block_size()));
    let need = plan(&path, bcap)?;
    let mut fresh = alloc_all(io, &path, need)?.into_iter();
    let seed = root.csum_seed;
    let mut append_here = append;
    for l in (1..path.levels.len()).rev() {
        let (up, down) = path.levels.split_at_mut(l);
        let parent = &mut up[l - 1];
        let child = &mut down[0];
        let pos = parent.pos;
        let parent_append = append_here && pos + 1 == parent.node.idx.len();
        let Some(first) = child.node.first_key() else {
            if let Some(b) = child.node.blk {
                io.free_node(b)?;
            }
            parent.node.idx.remove(pos);
            parent.dirty = true;
            append_here = parent_append;
            continue;
        };
        if child.node.len() > bcap {
            let pieces = split(&child.node, bcap, append_here, child.node.blk, &mut fresh)?;
            for p in &pieces {
                p.write_block(io, seed)?;
            }
            parent.node.idx[pos].logical = first;
            for (j, p) in pieces[1..].iter().enumerate() {
                parent.node.idx.insert(pos + 1 + j, index_of(p)?);
            }
            parent.dirty = true;
        } else {
            if child.dirty {
                child.node.write_block(io, seed)?;
            }
            if parent.node.idx[pos].logical != first {
                parent.node.idx[pos].logical = first;
                parent.dirty = true;
            }
        }
        append_here = parent_append;
    }
    let r = &mut path.levels[0];
    if r.node.len() > usize::from(ROOT_CAPACITY) {
        let pieces = split(&r.node, bcap, append_here, None, &mut fresh)?;
        for p in &pieces {
            p.write_block(io, seed)?;
        }
        let idx = pieces.iter().map(index_of).collect::<Result<Vec<_>>>()?;
        r.node = Node { blk: None, depth: r.node.depth + 1, generation: r.node.generation, ext: Vec::new(), idx };
        r.dirty = true;
    } else if r.node.depth > 0 && r.node.len() == 0 {
        r.node = Node::empty_root(r.node.generation);
        r.dirty = true;
    }
    if fresh.next().is_some() {
        return Err(internal("allocated more tree blocks than used".into()));
    }
    if r.dirty {
        r.node.write_root(io, root)?;
    }
    Ok(())
}

/// How many new blocks the commit of `path` needs (splits and root growth).
fn plan(path: &Path, bcap: usize) -> Result<usize> {
    let mut need = 0;
    let mut delta: isize = 0;
    for (l, level) in path.levels.iter().enumerate().rev() {
        let len = level.node.len() as isize + delta;
        if l == 0 {
            if len > ROOT_CAPACITY as isize {
                let pieces = (len as usize).div_ceil(bcap);
                if pieces > usize::from(ROOT_CAPACITY) {
                    return Err(internal(format!("root would need {pieces} children")));
                }
                if level.node.depth >= MAX_DEPTH {
                    return Err(Error::Unsupported(format!("extent tree deeper than {MAX_DEPTH} levels")));
                }
                need += pieces;
            }
        } else if len == 0 {
            delta = -1;
        } else if len as usize > bcap {
            let pieces = (len as usize).div_ceil(bcap);
            need += pieces - 1;
            delta = pieces as isize - 1;
        } else {
            delta = 0;
        }
    }
    Ok(need)
}

/// Allocate `need` tree blocks up front, near the leaf; on failure give back what was taken.
fn alloc_all<I: TreeIo + ?Sized>(io: &mut I, path: &Path, need: usize) -> Result<Vec<u64>> {
    let leaf = &path.leaf().node;
    let mut goal = leaf.blk.or_else(|| leaf.ext.first().map(|e| e.physical)).unwrap_or(0);
    let mut got = Vec::with_capacity(need);
    for _ in 0..need {
        match io.alloc_node(goal) {
            Ok(b) => {
                got.push(b);
                goal = b + 1;
            }
            Err(e) => {
                for b in got {
                    io.free_node(b)?;
                }
                return Err(e);
            }
        }
    }
    Ok(got)
}

/// Cut `node` into block nodes of at most `cap` entries; the first keeps `keep_blk` when
/// given, the others take fresh blocks. Appending fills the left pieces, else they balance.
fn split(
    node: &Node,
    cap: usize,
    append: bool,
    keep_blk: Option<u64>,
    fresh: &mut impl Iterator<Item = u64>,
) -> Result<Vec<Node>> {
    let len = node.len();
    let k = len.div_ceil(cap);
    let sizes: Vec<usize> = if append {
        (0..k).map(|i| cap.min(len - i * cap)).collect()
    } else {
        (0..k).map(|i| len / k + usize::from(i < len % k)).collect()
    };
    let mut pieces = Vec::with_capacity(k);
    let mut at = 0;
    for (i, n) in sizes.into_iter().enumerate() {
        let blk = match (i, keep_blk) {
            (0, Some(b)) => b,
            _ => fresh.next().ok_or_else(|| internal("split ran out of planned blocks".into()))?,
        };
        let mut p = Node { blk: Some(blk), depth: node.depth, generation: 0, ext: Vec::new(), idx: Vec::new() };
        if node.depth == 0 {
            p.ext = node.ext[at..at + n].to_vec();
        } else {
            p.idx = node.idx[at..at + n].to_vec();
        }
        at += n;
        pieces.push(p);
    }
    Ok(pieces)
}

fn index_of(p: &Node) -> Result<Index> {
    match (p.first_key(), p.blk) {
        (Some(logical), Some(child)) => Ok(Index { logical, child }),
        _ => Err(internal("empty split piece".into())),
    }
}

/// Lower the tree while all the root's children together fit in the root: their entries
/// move into `i_block` and their blocks are freed. Reads at most four blocks per level.
pub(crate) fn shrink<I: TreeIo + ?Sized>(io: &mut I, root: &mut Root<'_>) -> Result<()> {
    let blocks = io.blocks_count();
    for _ in 0..MAX_DEPTH {
        let r = Node::read_root(root, blocks)?;
        if r.depth == 0 || r.idx.is_empty() {
            return Ok(());
        }
        let mut kids = Vec::with_capacity(r.idx.len());
        let mut total = 0;
        for (i, ix) in r.idx.iter().enumerate() {
            let hi = r.idx.get(i + 1).map_or(LOGICAL_END, |n| u64::from(n.logical));
            let b = Bounds { lo: u64::from(ix.logical), hi, depth: r.depth - 1 };
            let (kid, _, _) = Node::read_block(io, ix.child, b, root.csum_seed, true)?;
            total += kid.len();
            if total > usize::from(ROOT_CAPACITY) {
                return Ok(());
            }
            kids.push(kid);
        }
        let mut low =
            Node { blk: None, depth: r.depth - 1, generation: r.generation, ext: Vec::new(), idx: Vec::new() };
        for k in &kids {
            low.ext.extend_from_slice(&k.ext);
            low.idx.extend_from_slice(&k.idx);
        }
        low.write_root(io, root)?;
        for k in kids {
            if let Some(b) = k.blk {
                io.free_node(b)?;
            }
        }
    }
    Ok(())
}
