//! The sanity of the group descriptors, as e2fsprogs' `ext2fs_check_desc` judges it: each
//! group's bitmaps and inode table inside the file system (inside the group itself without
//! `flex_bg`), and no two of them, nor a superblock or descriptor copy, on the same block.

use super::image::Fs;
use crate::error::{Error, Result};
use crate::ondisk::features::incompat;
use crate::pmem::Device;

impl<D: Device> Fs<D> {
    /// Whether the descriptors read are sound (an error naming the first bad one otherwise).
    pub fn check_descriptors(&self) -> Result<()> {
        let sb = &self.sb;
        let flex = sb.has_incompat(incompat::FLEX_BG);
        let itb = sb.inode_table_blocks();
        let blocks = sb.blocks_count();
        // (start, length, what, group): every run of metadata, then sorted to find overlaps.
        let mut runs: Vec<(u64, u64, &'static str, u64)> = Vec::with_capacity(self.groups().len() * 5);
        for (g, d) in self.groups().iter().enumerate() {
            let g = g as u64;
            let (first, last) = if flex {
                (u64::from(sb.f.s_first_data_block), blocks.saturating_sub(1))
            } else {
                let f = sb.group_first_block(g);
                (f, f + sb.group_block_count(g).saturating_sub(1))
            };
            for (b, n, what) in [
                (d.block_bitmap, 1, "block bitmap"),
                (d.inode_bitmap, 1, "inode bitmap"),
                (d.inode_table, itb, "inode table"),
            ] {
                let end = b.checked_add(n.saturating_sub(1));
                if b < first || end.is_none_or(|e| e > last) {
                    return Err(Error::corrupt(
                        "group descriptor",
                        format!("group {g}: {what} at block {b} is outside its range {first}..={last}"),
                    ));
                }
                runs.push((b, n, what, g));
            }
            for (b, n) in sb.group_sb_gdt_runs(g) {
                if n > 0 {
                    runs.push((b, n, "superblock or descriptor copy", g));
                }
            }
        }
        runs.sort_unstable_by_key(|r| r.0);
        for w in runs.windows(2) {
            let (a, b) = (w[0], w[1]);
            if a.0 + a.1 > b.0 {
                return Err(Error::corrupt(
                    "group descriptor",
                    format!("group {}: {} at block {} overlaps group {}'s {}", b.3, b.2, b.0, a.3, a.2),
                ));
            }
        }
        Ok(())
    }
}
