//! The extent tree of an inode: lookup, insert with merging, leaf and index splits and tree
//! growth, punch with freeing of emptied nodes and shrinking, and unwritten -> written
//! conversion (the DAX fault path's `convert-unwritten` step).
//!
//! The tree reaches the file system only through [`TreeIo`] (node blocks, allocation) and
//! [`Root`] (the inode's `i_block`), so the fs layer can route every change through a journal
//! handle. Only changed nodes are written. Every walk is bounded: depth is capped at
//! [`crate::ondisk::extent::MAX_DEPTH`], paths are explicit lists, every child block is
//! range-checked and every node is validated (sorted, non-overlapping, inside the range its
//! parent gives it) right after it is read and again right before it is written.
//!
//! Invariants kept on every tree this module writes (e2fsck's rules and a little more):
//! index keys equal the first logical block below them; no node but a depth-0 root is empty;
//! no two neighbouring extents are mergeable (logically and physically contiguous, same kind,
//! sum within 32768 written / 32767 unwritten); the tree is lowered whenever the root can
//! hold all its children's entries.

mod commit;
mod convert;
mod insert;
mod io;
mod merge;
mod node;
mod path;
mod remove;
#[cfg(test)]
mod tests;
mod walk;

pub use convert::{convert_to_written, convert_to_written_in_leaf};
pub use insert::insert;
pub use io::{init_empty, Root, TreeIo};
pub use remove::remove_range;
pub use walk::{extents, extents_in_range, lookup_in, lookup_in_leaf, nodes, InLeaf, NodeEntries, NodeInfo};

use crate::error::Result;
use crate::ondisk::extent::Extent;

/// The extent covering logical block `lblk`, from either kind of source:
/// `lookup(io, root, lblk)` with a [`TreeIo`] and a [`Root`] (the tree as a running
/// transaction sees it), or `lookup(fs, inode, lblk)` with an opened image and an inode
/// (checksums not verified; the fs layer implements [`LookupSource`] for its `Fs`, so this
/// module never reaches up into it).
pub fn lookup<S, R>(src: &S, root: &R, lblk: u32) -> Result<Option<Extent>>
where
    S: LookupSource<R> + ?Sized,
    R: ?Sized,
{
    src.lookup_extent(root, lblk)
}

/// Something [`lookup`] can search, given the matching root.
pub trait LookupSource<R: ?Sized> {
    fn lookup_extent(&self, root: &R, lblk: u32) -> Result<Option<Extent>>;
}

impl<I: TreeIo + ?Sized> LookupSource<Root<'_>> for I {
    fn lookup_extent(&self, root: &Root<'_>, lblk: u32) -> Result<Option<Extent>> {
        lookup_in(self, root, lblk)
    }
}
