//! The seam between the extent tree and the file system: [`TreeIo`] for node blocks and
//! allocation, [`Root`] for the inode's `i_block`. Every metadata block the tree changes goes
//! through [`TreeIo::write_block`], so a journal handle can log it.

use crate::error::Result;
use crate::ondisk::extent::{Header, ROOT_CAPACITY, ROOT_SIZE};

/// What the tree needs from the file system. Implemented by the fs layer over a journal handle.
pub trait TreeIo {
    /// Block size in bytes (1024 to 65536).
    fn block_size(&self) -> u32;
    /// Blocks in the file system; every child pointer and extent must lie below it.
    fn blocks_count(&self) -> u64;
    /// A node block as the running transaction sees it; `buf` is one block long.
    fn read_block(&self, blk: u64, buf: &mut [u8]) -> Result<()>;
    /// New content of a node block (its checksum tail already set).
    fn write_block(&mut self, blk: u64, data: &[u8]) -> Result<()>;
    /// A new tree block near `goal` (the caller accounts `i_blocks`).
    fn alloc_node(&mut self, goal: u64) -> Result<u64>;
    /// A tree block no longer used.
    fn free_node(&mut self, blk: u64) -> Result<()>;
    /// Data blocks `start..start + len` unmapped by a punch.
    fn free_data(&mut self, start: u64, len: u64) -> Result<()>;
    /// Whether node block `blk` holds exactly what [`write_block`](Self::write_block) last put
    /// there with checksum seed `seed` (a node this process wrote): reading it back then skips
    /// verifying its checksum (its structure is still validated). By default nothing is.
    fn trusted(&self, _blk: u64, _seed: u32) -> bool {
        false
    }
}

/// The root of a tree: the inode's 60-byte `i_block` plus what node checksums need.
pub struct Root<'a> {
    pub i_block: &'a mut [u8; ROOT_SIZE],
    /// The inode's checksum seed; `None` when the file system has no `metadata_csum`.
    pub csum_seed: Option<u32>,
}

/// Make `i_block` an empty tree: a depth-0 root with no entries and room for four.
pub fn init_empty(i_block: &mut [u8; ROOT_SIZE]) {
    i_block.fill(0);
    Header { entries: 0, max: ROOT_CAPACITY, depth: 0, generation: 0 }.encode_into(&mut i_block[..]);
}
