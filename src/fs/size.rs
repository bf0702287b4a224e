//! File size changes: `truncate` (ftruncate(2)) growing by a hole or shrinking, which frees the
//! blocks and unwritten extents past the new end and zeroes the tail of the last block.

use super::file::EDIT_CREDITS;
use super::image::Fs;
use crate::error::{Error, Result};
use crate::pmem::Device;

/// What a truncate changed.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct TruncateReport {
    pub inode: u32,
    pub old_size: u64,
    pub size: u64,
    pub blocks_freed: u64,
}

impl<D: Device> Fs<D> {
    /// Set the size of regular file `ino` to `size`, as ftruncate(2): growing leaves a hole;
    /// shrinking frees every block (written or unwritten) past the new end of file and zeroes
    /// the written bytes of the last block past `size` (data stores, as DAX would).
    pub fn truncate(&mut self, ino: u32, size: u64) -> Result<TruncateReport> {
        let bs = u64::from(self.block_size());
        let max = super::file::max_file_bytes(self.block_size());
        if size > max {
            return Err(Error::Invalid(format!("size {size} is past the maximum file size ({max} bytes)")));
        }
        let mut node = self.inode(ino)?;
        if !node.is_reg() {
            return Err(Error::Invalid(format!("inode {ino} is not a regular file")));
        }
        super::file::require_extents(&node)?;
        let old_size = node.size();
        let mut freed = 0;
        if size < old_size || size.div_ceil(bs) < self.file_end_block(ino)? {
            // Zero the tail of the block holding the new end (when written).
            if !size.is_multiple_of(bs) {
                let lblk = (size / bs) as u32;
                if let Some(e) = self.extents_in_range(ino, &node, lblk, u64::from(lblk) + 1)?.first() {
                    if !e.unwritten && e.logical <= lblk {
                        let phys = e.physical + u64::from(lblk - e.logical);
                        self.check_block(phys)?;
                        let at = size % bs;
                        let zeros = vec![0u8; (bs - at) as usize];
                        self.dev.store(phys * bs + at, &zeros)?;
                    }
                }
            }
            let first = size.div_ceil(bs);
            let past = self.extents_in_range(ino, &node, u32::try_from(first).unwrap_or(u32::MAX), u64::MAX)?;
            freed = self.unmap_extents(ino, &mut node, &past, first, u64::MAX)?;
        }
        let mut h = self.handle(EDIT_CREDITS)?;
        node.set_size(size);
        let t = h.fs.clock.now() as u32;
        node.f.i_ctime = t;
        node.f.i_mtime = t;
        h.write_inode(ino, &node)?;
        Ok(TruncateReport { inode: ino, old_size, size, blocks_freed: freed })
    }

    /// One past the last logical block the file maps (0 when it maps nothing).
    fn file_end_block(&self, ino: u32) -> Result<u64> {
        let node = self.inode(ino)?;
        Ok(self.file_extents(ino, &node)?.last().map_or(0, |e| e.logical_end()))
    }
}
