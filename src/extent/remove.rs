//! Punching a range: extents trimmed or split at both ends, covered ones removed, their data
//! blocks freed, emptied nodes freed, the tree lowered when it can be.

use super::commit::{commit, shrink};
use super::io::{Root, TreeIo};
use super::merge::merge_boundaries;
use super::node::{merge_all, LOGICAL_END};
use super::path::find;
use crate::error::Result;
use crate::ondisk::extent::Extent;

/// Unmap logical blocks `lblk..lblk + len`; returns how many data blocks were freed
/// (through [`TreeIo::free_data`]). Holes in the range are fine.
pub fn remove_range<I: TreeIo + ?Sized>(io: &mut I, root: &mut Root<'_>, lblk: u32, len: u32) -> Result<u64> {
    let end = (u64::from(lblk) + u64::from(len)).min(LOGICAL_END);
    if end <= u64::from(lblk) {
        return Ok(0);
    }
    let mut freed = 0;
    let mut window: Option<(u64, u64)> = None;
    let mut cur = lblk;
    // One round per leaf; `cur` moves to the next leaf's first key each time.
    for _ in 0..=io.blocks_count() {
        let mut path = find(io, root, cur)?;
        let next = path.next_key();
        let leaf = path.leaf_mut();
        let mut out = Vec::with_capacity(leaf.node.ext.len() + 1);
        let mut gone = Vec::new();
        for x in &leaf.node.ext {
            let (s, t) = (u64::from(x.logical), x.logical_end());
            let (cs, ct) = (s.max(u64::from(lblk)), t.min(end));
            if cs >= ct {
                out.push(*x);
                continue;
            }
            window = Some(window.map_or((s, t), |(a, b)| (a.min(s), b.max(t))));
            if s < cs {
                out.push(piece(x, s, cs));
            }
            gone.push((x.physical + (cs - s), ct - cs));
            if ct < t {
                out.push(piece(x, ct, t));
            }
        }
        if !gone.is_empty() {
            merge_all(&mut out);
            leaf.node.ext = out;
            leaf.dirty = true;
            commit(io, root, path, false)?;
            for (start, n) in gone {
                io.free_data(start, n)?;
                freed += n;
            }
        }
        match next {
            Some(k) if u64::from(k) < end => cur = k,
            _ => break,
        }
    }
    if let Some((a, b)) = window {
        merge_boundaries(io, root, a as u32, b)?;
    }
    shrink(io, root)?;
    Ok(freed)
}

/// The part `s..t` of extent `x` (logical blocks, inside it).
pub(crate) fn piece(x: &Extent, s: u64, t: u64) -> Extent {
    Extent {
        logical: s as u32,
        len: (t - s) as u32,
        physical: x.physical + (s - u64::from(x.logical)),
        unwritten: x.unwritten,
    }
}
