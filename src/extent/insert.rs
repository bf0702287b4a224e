//! Inserting an extent over a hole, merged with compatible neighbours.

use super::commit::{commit, shrink};
use super::io::{Root, TreeIo};
use super::merge::merge_boundaries;
use super::node::merge_all;
use super::path::find;
use crate::error::{Error, Result};
use crate::ondisk::extent::{Extent, MAX_LEN_UNWRITTEN, MAX_LEN_WRITTEN, ROOT_CAPACITY};

/// Map `e` (its whole logical range must be a hole). Merges with logically and physically
/// contiguous neighbours of the same kind; splits a full leaf, grows a full root.
pub fn insert<I: TreeIo + ?Sized>(io: &mut I, root: &mut Root<'_>, e: Extent) -> Result<()> {
    check_new(&e, io.blocks_count())?;
    let mut path = find(io, root, e.logical)?;
    let depth0 = path.levels.len() == 1;
    let hi = path.leaf().hi;
    let leaf = path.leaf_mut();
    let ext = &mut leaf.node.ext;
    let i = ext.partition_point(|x| x.logical < e.logical);
    let left_overlaps = i > 0 && ext[i - 1].logical_end() > u64::from(e.logical);
    let right_overlaps = ext.get(i).is_some_and(|x| u64::from(x.logical) < e.logical_end());
    if left_overlaps || right_overlaps || e.logical_end() > hi {
        return Err(Error::Invalid(format!("logical blocks {}..{} are not all a hole", e.logical, e.logical_end())));
    }
    let append = i == ext.len();
    ext.insert(i, e);
    merge_all(ext);
    leaf.dirty = true;
    // A tree that is only its root (and stays one) has no leaf boundary and cannot be lower.
    let root_only = depth0 && leaf.node.ext.len() <= usize::from(ROOT_CAPACITY);
    commit(io, root, path, append)?;
    if root_only {
        return Ok(());
    }
    merge_boundaries(io, root, e.logical, e.logical_end())?;
    shrink(io, root)
}

/// A new extent must have a valid length for its kind and lie inside the file system.
fn check_new(e: &Extent, blocks: u64) -> Result<()> {
    let max = if e.unwritten { MAX_LEN_UNWRITTEN } else { MAX_LEN_WRITTEN };
    if e.len == 0 || e.len > max {
        return Err(Error::Invalid(format!("extent length {} (expected 1 to {max})", e.len)));
    }
    if e.logical_end() > u64::from(u32::MAX) {
        return Err(Error::Invalid(format!(
            "extent at logical {} of {} blocks passes the largest logical block",
            e.logical, e.len
        )));
    }
    if e.physical == 0 || e.physical.saturating_add(u64::from(e.len)) > blocks {
        return Err(Error::Invalid(format!("extent maps physical {}+{} outside 1..{blocks}", e.physical, e.len)));
    }
    Ok(())
}
