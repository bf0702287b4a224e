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

pub use convert::convert_to_written;
pub use insert::insert;
pub use io::{init_empty, Root, TreeIo};
pub use remove::remove_range;
pub use walk::{extents, extents_in_range, lookup_in, nodes, NodeEntries, NodeInfo};

use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::ondisk::extent::Extent;
use crate::ondisk::inode::{Inode, FL_EXTENTS};
use crate::pmem::Device;

/// The extent covering logical block `lblk`, from either kind of source:
/// `lookup(io, root, lblk)` with a [`TreeIo`] and a [`Root`] (the tree as a running
/// transaction sees it), or `lookup(fs, inode, lblk)` with an opened image and an inode
/// (read straight from the image, checksums not verified).
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

impl<D: Device> LookupSource<Inode> for Fs<D> {
    fn lookup_extent(&self, inode: &Inode, lblk: u32) -> Result<Option<Extent>> {
        if !inode.has_flag(FL_EXTENTS) {
            return Err(Error::Unsupported("block-mapped (non-extent) file".into()));
        }
        let mut i_block = inode.f.i_block;
        let root = Root { i_block: &mut i_block, csum_seed: None };
        lookup_in(&ImageView(self), &root, lblk)
    }
}

/// Read-only [`TreeIo`] over an opened image.
struct ImageView<'a, D: Device>(&'a Fs<D>);

impl<D: Device> TreeIo for ImageView<'_, D> {
    fn block_size(&self) -> u32 {
        self.0.block_size()
    }
    fn blocks_count(&self) -> u64 {
        self.0.sb.blocks_count()
    }
    fn read_block(&self, blk: u64, buf: &mut [u8]) -> Result<()> {
        let b = self.0.block(blk)?;
        buf.copy_from_slice(&b[..buf.len()]);
        Ok(())
    }
    fn write_block(&mut self, _: u64, _: &[u8]) -> Result<()> {
        Err(read_only())
    }
    fn alloc_node(&mut self, _: u64) -> Result<u64> {
        Err(read_only())
    }
    fn free_node(&mut self, _: u64) -> Result<()> {
        Err(read_only())
    }
    fn free_data(&mut self, _: u64, _: u64) -> Result<()> {
        Err(read_only())
    }
}

fn read_only() -> Error {
    Error::Invalid("extent tree opened read-only".into())
}
