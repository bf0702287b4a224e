//! Merging across leaf boundaries. Inside a leaf, [`super::node::merge_all`] runs whenever the
//! leaf is rewritten; the pair that straddles two leaves is handled here: the right leaf
//! gives up its first extent (and is freed if that empties it), the left one's last grows.

use super::commit::commit;
use super::io::{Root, TreeIo};
use super::node::mergeable;
use super::path::find;
use crate::error::Result;

/// Merge every mergeable pair that meets at a leaf boundary inside `lo..=hi`.
pub(crate) fn merge_boundaries<I: TreeIo + ?Sized>(io: &mut I, root: &mut Root<'_>, lo: u32, hi: u64) -> Result<()> {
    // Start in the leaf holding `lo - 1`, whose end may be the boundary at `lo` itself.
    let mut cur = lo.saturating_sub(1);
    // Each round moves `cur` to a strictly larger leaf boundary.
    for _ in 0..=io.blocks_count() {
        let Some(k) = find(io, root, cur)?.next_key() else {
            break;
        };
        if u64::from(k) > hi {
            break;
        }
        merge_at(io, root, k)?;
        cur = k;
    }
    Ok(())
}

/// If the extent ending at `k` (last of its leaf) and the one starting at `k` (first of the
/// next leaf) are mergeable, merge them into the left one.
fn merge_at<I: TreeIo + ?Sized>(io: &mut I, root: &mut Root<'_>, k: u32) -> Result<()> {
    if k == 0 {
        return Ok(());
    }
    let mut right = find(io, root, k)?;
    let left = find(io, root, k - 1)?;
    if left.leaf().node.blk == right.leaf().node.blk {
        return Ok(());
    }
    let (Some(a), Some(b)) = (left.leaf().node.ext.last().copied(), right.leaf().node.ext.first().copied()) else {
        return Ok(());
    };
    if !mergeable(&a, &b) {
        return Ok(());
    }
    drop(left);
    let r = right.leaf_mut();
    r.node.ext.remove(0);
    r.dirty = true;
    commit(io, root, right, false)?;
    let mut left = find(io, root, k - 1)?;
    let l = left.leaf_mut();
    match l.node.ext.last_mut() {
        Some(last) if *last == a => last.len += b.len,
        _ => return Err(super::node::internal("left extent moved during merge".into())),
    }
    l.dirty = true;
    commit(io, root, left, false)
}
