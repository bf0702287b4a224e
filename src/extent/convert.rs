//! Unwritten -> written conversion of a range: the DAX fault path's `convert-unwritten` step.
//! An unwritten extent partly inside the range splits in two or three; written pieces merge
//! with written neighbours. Holes and written blocks are left alone, and a leaf that does not
//! change is not written.

use super::commit::{commit, shrink};
use super::io::{Root, TreeIo};
use super::merge::merge_boundaries;
use super::node::{merge_all, LOGICAL_END};
use super::path::find;
use super::remove::piece;
use crate::error::Result;

/// Mark every unwritten block in `lblk..lblk + len` written; written pieces merge with
/// mergeable neighbours, across leaf boundaries too.
pub fn convert_to_written<I: TreeIo + ?Sized>(io: &mut I, root: &mut Root<'_>, lblk: u32, len: u32) -> Result<()> {
    convert(io, root, lblk, len, true)
}

/// [`convert_to_written`] as ext4 converts (`ext4_ext_try_to_merge`): written pieces merge
/// with neighbours in their own leaf only, never with an extent in the next or previous leaf
/// (the result may keep two mergeable extents either side of a leaf boundary, as the kernel
/// leaves them). The DAX fault path converts this way.
pub fn convert_to_written_in_leaf<I: TreeIo + ?Sized>(
    io: &mut I,
    root: &mut Root<'_>,
    lblk: u32,
    len: u32,
) -> Result<()> {
    convert(io, root, lblk, len, false)
}

fn convert<I: TreeIo + ?Sized>(io: &mut I, root: &mut Root<'_>, lblk: u32, len: u32, across: bool) -> Result<()> {
    let end = (u64::from(lblk) + u64::from(len)).min(LOGICAL_END);
    if end <= u64::from(lblk) {
        return Ok(());
    }
    let mut window: Option<(u64, u64)> = None;
    let mut cur = lblk;
    // One round per leaf; `cur` moves to the next leaf's first key each time.
    for _ in 0..=io.blocks_count() {
        let mut path = find(io, root, cur)?;
        let next = path.next_key();
        let leaf = path.leaf_mut();
        let mut out = Vec::with_capacity(leaf.node.ext.len() + 2);
        let mut changed = false;
        for x in &leaf.node.ext {
            let (s, t) = (u64::from(x.logical), x.logical_end());
            let (cs, ct) = (s.max(u64::from(lblk)), t.min(end));
            if !x.unwritten || cs >= ct {
                out.push(*x);
                continue;
            }
            changed = true;
            window = Some(window.map_or((s, t), |(a, b)| (a.min(s), b.max(t))));
            if s < cs {
                out.push(piece(x, s, cs));
            }
            let mut w = piece(x, cs, ct);
            w.unwritten = false;
            out.push(w);
            if ct < t {
                out.push(piece(x, ct, t));
            }
        }
        if changed {
            merge_all(&mut out);
            leaf.node.ext = out;
            leaf.dirty = true;
            commit(io, root, path, false)?;
        }
        match next {
            Some(k) if u64::from(k) < end => cur = k,
            _ => break,
        }
    }
    if let Some((a, b)) = window {
        if across {
            merge_boundaries(io, root, a as u32, b)?;
        }
        shrink(io, root)?;
    }
    Ok(())
}
