//! Making the root directory again (fsck's repair when the root inode is gone or is not a
//! directory): inode 2 becomes an empty directory whose `.` and `..` both name it.

use super::image::Fs;
use crate::error::Result;
use crate::extent;
use crate::ondisk::dirent::{self, FT_DIR};
use crate::ondisk::features::incompat;
use crate::ondisk::inode::{Inode, FL_EXTENTS, ROOT_INO, S_IFDIR};
use crate::pmem::Device;

/// Credits of making the root: the inode, one directory block, its bitmap and descriptor.
const ROOT_CREDITS: u32 = 16;

impl<D: Device> Fs<D> {
    /// Write inode 2 as an empty directory (mode 0755, two links, one block holding `.` and
    /// `..`), whatever it held. The inode bitmap is left to the caller (fsck's pass 5 rebuilds
    /// it from the inodes it found in use).
    pub fn make_root_dir(&mut self) -> Result<()> {
        let t = self.clock.now();
        let extents = self.sb.has_incompat(crate::ondisk::features::incompat::EXTENTS);
        if !extents {
            return Err(crate::error::Error::Unsupported(
                "making the root directory without the extent feature".into(),
            ));
        }
        let mut h = self.handle(ROOT_CREDITS)?;
        let mut node = Inode::new(S_IFDIR | 0o755);
        node.set_times(t);
        node.f.i_links_count = 2;
        if extents {
            node.f.i_flags = FL_EXTENTS;
            extent::init_empty(&mut node.f.i_block);
        }
        h.write_inode(ROOT_INO, &node)?;
        let phys = h.dir_append_block(ROOT_INO, &mut node)?;
        let seed = h.fs.inode_csum_seed(ROOT_INO, &node);
        let ft = if h.fs.sb.has_incompat(incompat::FILETYPE) { FT_DIR } else { 0 };
        dirent::init_block(h.get_write(phys)?, Some((ROOT_INO, ROOT_INO)), ft, seed)?;
        Ok(())
    }
}
