//! Look-ups as debugfs makes them — `icheck` (which inode owns a block), `ncheck` (the names of
//! an inode), `bmap` (the physical block of a logical block), `testb` and `testi` (bitmap bits)
//! — and the walk of every block an inode holds that they and the block map share. Read-only;
//! every walk is bounded by the file system's size.

use super::image::Fs;
use super::map::{walk_block_map, LOGICAL_LIMIT};
use crate::error::{Error, Result};
use crate::ondisk::features::ro_compat;
use crate::ondisk::group_desc::{BLOCK_UNINIT, INODE_UNINIT};
use crate::ondisk::inode::{self as ino, Inode};
use crate::pmem::Device;

/// What a run of an inode's blocks holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// File data: a leaf extent, or the data blocks of a block-mapped file.
    Data { unwritten: bool },
    /// An extent tree node below the root.
    TreeNode,
    /// An indirect block of a block-mapped file: level 1 (IND), 2 (DIND) or 3 (TIND).
    Indirect { level: u8 },
    /// The extended-attribute block (`i_file_acl`).
    Xattr,
}

/// A run of physical blocks held by an inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Run {
    pub start: u64,
    pub len: u64,
    /// First logical block (data runs only).
    pub logical: Option<u64>,
    pub kind: RunKind,
}

/// Whether bit `i` of a bitmap is set (false past its end).
fn bit(b: &[u8], i: u64) -> bool {
    usize::try_from(i / 8).ok().and_then(|k| b.get(k)).is_some_and(|byte| byte & (1 << (i % 8)) != 0)
}

impl<D: Device> Fs<D> {
    fn csum_groups(&self) -> bool {
        self.sb.has_metadata_csum() || self.sb.has_ro_compat(ro_compat::GDT_CSUM)
    }

    fn group_of_block(&self, b: u64) -> Result<usize> {
        let first = u64::from(self.sb.f.s_first_data_block);
        if b < first || b >= self.sb.blocks_count() {
            return Err(Error::Invalid(format!(
                "block {b} is out of range ({first} to {})",
                self.sb.blocks_count().saturating_sub(1)
            )));
        }
        Ok(((b - first) / u64::from(self.sb.f.s_blocks_per_group)) as usize)
    }

    /// Group `g`'s block bitmap, one bit per block of the group, as libext2fs reads it: a
    /// `BLOCK_UNINIT` group's is computed (its superblock and descriptor copies, reserved
    /// descriptor blocks, and its own bitmaps and inode table when they lie inside it).
    pub fn block_bitmap(&self, g: usize) -> Result<Vec<u8>> {
        let d = self.groups().get(g).ok_or_else(|| Error::Invalid(format!("group {g} does not exist")))?;
        let sb = &self.sb;
        let count = sb.group_block_count(g as u64);
        let bytes = (u64::from(sb.f.s_blocks_per_group) / 8) as usize;
        if !(self.csum_groups() && d.has_flag(BLOCK_UNINIT)) {
            let b = self.block(d.block_bitmap)?;
            return Ok(b[..bytes.min(b.len())].to_vec());
        }
        let mut out = vec![0u8; bytes];
        let first = sb.group_first_block(g as u64);
        let mut mark = |start: u64, n: u64| {
            for b in start..start.saturating_add(n) {
                if b >= first && b < first + count {
                    let i = (b - first) as usize;
                    out[i / 8] |= 1 << (i % 8);
                }
            }
        };
        for (b, n) in sb.group_sb_gdt_runs(g as u64) {
            mark(b, n);
        }
        mark(d.block_bitmap, 1);
        mark(d.inode_bitmap, 1);
        mark(d.inode_table, sb.inode_table_blocks());
        Ok(out)
    }

    /// Group `g`'s inode bitmap, one bit per inode of the group (zeros for `INODE_UNINIT`).
    pub fn inode_bitmap(&self, g: usize) -> Result<Vec<u8>> {
        let d = self.groups().get(g).ok_or_else(|| Error::Invalid(format!("group {g} does not exist")))?;
        let bytes = (self.sb.f.s_inodes_per_group / 8) as usize;
        if self.csum_groups() && d.has_flag(INODE_UNINIT) {
            return Ok(vec![0u8; bytes]);
        }
        let b = self.block(d.inode_bitmap)?;
        Ok(b[..bytes.min(b.len())].to_vec())
    }

    /// Whether block `b` is marked in use in the block bitmap (debugfs `testb`).
    pub fn block_in_use(&self, b: u64) -> Result<bool> {
        let g = self.group_of_block(b)?;
        let first = self.sb.group_first_block(g as u64);
        Ok(bit(&self.block_bitmap(g)?, b - first))
    }

    /// Whether inode `ino` is marked in use in the inode bitmap (debugfs `testi`).
    pub fn inode_in_use(&self, ino: u32) -> Result<bool> {
        self.inode_offset(ino)?;
        let ipg = self.sb.f.s_inodes_per_group;
        let g = ((ino - 1) / ipg) as usize;
        Ok(bit(&self.inode_bitmap(g)?, u64::from((ino - 1) % ipg)))
    }

    /// The physical block of logical block `lblk` of inode `ino`, and whether it is unwritten;
    /// `None` for a hole (debugfs `bmap`).
    pub fn bmap(&self, ino: u32, lblk: u64) -> Result<Option<(u64, bool)>> {
        let node = self.inode(ino)?;
        let Ok(l) = u32::try_from(lblk) else { return Ok(None) };
        let e = self.file_map(ino, &node).lookup(l)?;
        Ok(e.map(|e| (e.physical + u64::from(l - e.logical), e.unwritten)))
    }

    /// Every run of blocks inode `ino` holds: its extended-attribute block, its extent tree
    /// (nodes and leaves) or its block map (indirect and data blocks). Runs past the end of the
    /// file system are left out.
    pub fn inode_runs(&self, ino: u32, node: &Inode) -> Result<Vec<Run>> {
        let blocks = self.sb.blocks_count();
        let mut out = Vec::new();
        let acl = node.file_acl();
        if acl != 0 && acl < blocks {
            out.push(Run { start: acl, len: 1, logical: None, kind: RunKind::Xattr });
        }
        let t = node.file_type();
        let maps_blocks = match t {
            ino::S_IFREG | ino::S_IFDIR => true,
            // A fast symlink keeps its target in i_block.
            ino::S_IFLNK => node.blocks_512(false, 512) > if acl != 0 { u64::from(self.block_size() / 512) } else { 0 },
            _ => false,
        };
        if !maps_blocks || node.has_flag(ino::FL_INLINE_DATA) {
            return Ok(out);
        }
        if node.has_flag(ino::FL_EXTENTS) {
            for n in self.extent_nodes(ino, node)? {
                if let Some(b) = n.block {
                    out.push(Run { start: b, len: 1, logical: None, kind: RunKind::TreeNode });
                }
                for e in n.entries.iter().filter(|e| !e.index) {
                    if e.physical_start < blocks {
                        out.push(Run {
                            start: e.physical_start,
                            len: e.length.min(blocks - e.physical_start),
                            logical: Some(e.logical_start),
                            kind: RunKind::Data { unwritten: e.unwritten },
                        });
                    }
                }
            }
            return Ok(out);
        }
        self.block_map_runs(node, &mut out)?;
        Ok(out)
    }

    /// The blocks of a block-mapped (indirect) inode in block-iterate order (each indirect
    /// block before the blocks it maps, in logical order), as debugfs `blocks` and `stat` list
    /// them. Pointers outside the file system and indirect blocks referenced twice are left
    /// out; at most one data block per block of the file system.
    fn block_map_runs(&self, node: &Inode, out: &mut Vec<Run>) -> Result<()> {
        let mut budget = self.sb.blocks_count();
        walk_block_map(self, &node.f.i_block, 0, LOGICAL_LIMIT, &mut |p| {
            if p.out_of_range || p.repeated || budget == 0 {
                return Ok(false);
            }
            budget -= 1;
            if p.level > 0 {
                out.push(Run { start: p.block, len: 1, logical: None, kind: RunKind::Indirect { level: p.level } });
                return Ok(true);
            }
            match out.last_mut() {
                Some(r)
                    if r.kind == (RunKind::Data { unwritten: false })
                        && r.start + r.len == p.block
                        && r.logical.is_some_and(|l| l + r.len == p.logical) =>
                {
                    r.len += 1
                }
                _ => out.push(Run {
                    start: p.block,
                    len: 1,
                    logical: Some(p.logical),
                    kind: RunKind::Data { unwritten: false },
                }),
            }
            Ok(false)
        })
    }

    /// Call `f(ino, inode)` for every inode that holds something, as debugfs's scans see them:
    /// a link count, no deletion time; groups never initialised and the unused tail of an
    /// inode table are skipped.
    pub fn for_each_live_inode(&self, mut f: impl FnMut(u32, &Inode) -> Result<()>) -> Result<()> {
        let ipg = self.sb.f.s_inodes_per_group;
        let csum = self.csum_groups();
        for (g, d) in self.groups().iter().enumerate() {
            if csum && d.has_flag(INODE_UNINIT) {
                continue;
            }
            let n = if csum && d.itable_unused <= ipg { ipg - d.itable_unused } else { ipg };
            for i in 0..n {
                let number = g as u32 * ipg + i + 1;
                let node = self.inode(number)?;
                if node.f.i_links_count == 0 || node.f.i_dtime != 0 {
                    continue;
                }
                f(number, &node)?;
            }
        }
        Ok(())
    }

    /// For each block of `blocks`, the inode that holds it (debugfs `icheck`): data, extent
    /// tree nodes, indirect blocks and extended-attribute blocks count; `None` for a block no
    /// inode holds (metadata or free).
    pub fn block_owners(&self, blocks: &[u64]) -> Result<Vec<Option<u32>>> {
        let mut out = vec![None; blocks.len()];
        let mut left = blocks.len();
        self.for_each_live_inode(|n, node| {
            if left == 0 {
                return Ok(());
            }
            // A damaged inode is skipped, as debugfs skips what it cannot iterate.
            let Ok(runs) = self.inode_runs(n, node) else { return Ok(()) };
            for r in runs {
                for (i, &b) in blocks.iter().enumerate() {
                    if out[i].is_none() && b >= r.start && b - r.start < r.len {
                        out[i] = Some(n);
                        left -= 1;
                    }
                }
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Every path naming each inode of `inodes` (debugfs `ncheck`): for every directory, in
    /// inode order, each entry other than `.` and `..` whose inode is asked for, as
    /// (inode, path).
    pub fn inode_paths(&self, inodes: &[u32]) -> Result<Vec<(u32, String)>> {
        let mut out = Vec::new();
        let mut dirs = Vec::new();
        self.for_each_live_inode(|n, node| {
            if node.is_dir() {
                dirs.push(n);
            }
            Ok(())
        })?;
        for dir in dirs {
            let Ok(entries) = self.dir_entries(dir) else { continue };
            let mut dir_path: Option<String> = None;
            for e in entries {
                if e.name == "." || e.name == ".." || !inodes.contains(&e.inode) {
                    continue;
                }
                if dir_path.is_none() {
                    dir_path = Some(self.dir_path(dir)?);
                }
                let base = dir_path.as_deref().unwrap_or("");
                out.push((e.inode, format!("{}/{}", base.trim_end_matches('/'), e.name)));
            }
        }
        Ok(out)
    }

    /// The path of directory `dir`, found by following `..` to the root (as
    /// `ext2fs_get_pathname`); a directory whose parent does not name it is `<ino>`.
    pub fn dir_path(&self, dir: u32) -> Result<String> {
        let mut names: Vec<String> = Vec::new();
        let mut cur = dir;
        let mut seen = std::collections::HashSet::new();
        // A loop of `..` ends the walk the first time it comes back.
        while seen.insert(cur) {
            if cur == ino::ROOT_INO {
                names.reverse();
                return Ok(format!("/{}", names.join("/")));
            }
            let Some((parent, _)) = self.dir_lookup(cur, b"..")? else {
                names.push(format!("<{cur}>"));
                break;
            };
            let name =
                self.dir_entries(parent)?.into_iter().find(|e| e.inode == cur && e.name != "." && e.name != "..");
            match name {
                Some(e) => names.push(e.name),
                None => {
                    names.push(format!("<{cur}>"));
                    break;
                }
            }
            cur = parent;
        }
        names.reverse();
        Ok(names.join("/"))
    }
}

impl<D: Device> Fs<D> {
    /// The extended attributes of inode `ino`: those in the inode, then those of its
    /// attribute block.
    pub fn xattrs(&self, ino: u32, node: &Inode) -> Result<Vec<crate::ondisk::xattr::Xattr>> {
        use crate::ondisk::xattr;
        let mut out = xattr::in_inode(&self.inode_slot(ino)?, node.f.i_extra_isize);
        let acl = node.file_acl();
        if acl != 0 && acl < self.sb.blocks_count() {
            out.extend(xattr::in_block(&self.block(acl)?));
        }
        Ok(out)
    }
}
