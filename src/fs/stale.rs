//! Stale-data detection (DESIGN §5): the poison pattern inside a file's written extents means a
//! reader can see a previous owner's data.

use super::image::Fs;
use crate::error::Result;
use crate::ondisk::poison;
use crate::pmem::Device;

/// One block of a file that holds the stale-data pattern.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StaleHit {
    pub inode: u32,
    pub logical: u64,
    pub physical: u64,
    /// Byte offset of the first marker in the block.
    pub offset: usize,
    /// The block number the pattern names (whose deleted data this is), when readable.
    pub pattern_block: Option<u64>,
}

impl<D: Device> Fs<D> {
    /// Every block of `[off, off + len)` of inode `ino` that is written and holds the pattern.
    pub fn find_stale(&self, ino: u32, off: u64, len: u64) -> Result<Vec<StaleHit>> {
        let node = self.inode(ino)?;
        let bs = u64::from(self.block_size());
        let first = off / bs;
        let end = off.saturating_add(len).div_ceil(bs);
        let mut hits = Vec::new();
        for e in self.file_extents(ino, &node)? {
            if e.unwritten || e.logical_end() <= first || u64::from(e.logical) >= end {
                continue;
            }
            let from = u64::from(e.logical).max(first);
            let to = e.logical_end().min(end);
            for l in from..to {
                let phys = e.physical + (l - u64::from(e.logical));
                let b = self.block(phys)?;
                if let Some((offset, pattern_block)) = poison::find(&b) {
                    hits.push(StaleHit { inode: ino, logical: l, physical: phys, offset, pattern_block });
                }
            }
        }
        Ok(hits)
    }
}
