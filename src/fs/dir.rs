//! Directories: listing, lookup (also inside htree directories of stock images: their index
//! blocks read as empty entries, so a linear scan finds every name), adding and removing
//! entries in linear directories, and path resolution. Every walk is bounded by the
//! directory's size and the path's length.

use super::image::{Fs, Handle};
use super::inline::{self, is_inline};
use crate::error::{Error, Result};
use crate::ondisk::dirent::{self, rec_len_for};
use crate::ondisk::inode::{Inode, FL_INDEX, ROOT_INO};
use crate::pmem::Device;

/// One directory entry, owned.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    pub name: String,
    #[serde(skip)]
    pub raw_name: Vec<u8>,
    pub inode: u32,
    pub file_type: u8,
}

/// Longest path accepted (components), a bound on every resolution.
pub const PATH_DEPTH_MAX: usize = 4096;

impl<D: Device> Fs<D> {
    /// The directory inode `ino`, refusing anything else.
    pub fn dir_inode(&self, ino: u32) -> Result<Inode> {
        let node = self.inode(ino)?;
        if !node.is_dir() {
            return Err(Error::Invalid(format!("inode {ino} is not a directory")));
        }
        Ok(node)
    }

    /// Number of blocks of a directory, bounded by the file system size.
    fn dir_blocks(&self, node: &Inode) -> Result<u32> {
        let bs = u64::from(self.block_size());
        let n = node.size().div_ceil(bs);
        if n > self.sb.blocks_count() || n > u64::from(u32::MAX) {
            return Err(Error::corrupt("directory", format!("size {} is impossible", node.size())));
        }
        Ok(n as u32)
    }

    /// Call `f(lblk, physical, block)` for every mapped block of directory `node`.
    fn for_each_dir_block(&self, node: &Inode, mut f: impl FnMut(u32, u64, &[u8]) -> Result<bool>) -> Result<()> {
        for lblk in 0..self.dir_blocks(node)? {
            let Some(e) = crate::extent::lookup(self, node, lblk)? else {
                continue;
            };
            if e.unwritten {
                continue;
            }
            let phys = e.physical + u64::from(lblk - e.logical);
            let b = self.block(phys)?;
            if !f(lblk, phys, &b)? {
                break;
            }
        }
        Ok(())
    }

    /// Every live entry of directory `ino` (including `.` and `..`).
    pub fn dir_entries(&self, ino: u32) -> Result<Vec<Entry>> {
        let node = self.dir_inode(ino)?;
        if is_inline(&node) {
            return self.inline_dir_entries(ino, &node);
        }
        let bs = self.block_size();
        let mut out = Vec::new();
        self.for_each_dir_block(&node, |_, _, b| {
            walk_block(b, bs, |_, e| {
                if e.inode != 0 {
                    out.push(Entry {
                        name: String::from_utf8_lossy(e.name).into_owned(),
                        raw_name: e.name.to_vec(),
                        inode: e.inode,
                        file_type: e.file_type,
                    });
                }
                true
            })?;
            Ok(true)
        })?;
        Ok(out)
    }

    /// Look `name` up in directory `ino`.
    pub fn dir_lookup(&self, ino: u32, name: &[u8]) -> Result<Option<(u32, u8)>> {
        let node = self.dir_inode(ino)?;
        if is_inline(&node) {
            let entries = self.inline_dir_entries(ino, &node)?;
            return Ok(entries.into_iter().find(|e| e.raw_name == name).map(|e| (e.inode, e.file_type)));
        }
        let bs = self.block_size();
        let mut found = None;
        self.for_each_dir_block(&node, |_, _, b| {
            walk_block(b, bs, |_, e| {
                if e.inode != 0 && e.name == name {
                    found = Some((e.inode, e.file_type));
                    return false;
                }
                true
            })?;
            Ok(found.is_none())
        })?;
        Ok(found)
    }

    /// The inode a path names (absolute or relative to the root; symlinks are not followed),
    /// or, as debugfs, `<N>` names inode N.
    pub fn resolve(&self, path: &str) -> Result<u32> {
        if let Some(n) = inode_spec(path) {
            let count = self.sb.f.s_inodes_count;
            return match n {
                Some(ino) if ino <= count => Ok(ino),
                _ => Err(Error::Invalid(format!("{path}: not an inode number from 1 to {count}"))),
            };
        }
        self.walk(path, &components(path)?)
    }

    /// The parent directory's inode and the last component of `path`.
    pub fn resolve_parent<'p>(&self, path: &'p str) -> Result<(u32, &'p str)> {
        if inode_spec(path).is_some() {
            return Err(Error::Invalid(format!("{path} names an inode, not a directory entry: give a path")));
        }
        let comps = components(path)?;
        let Some((last, parents)) = comps.split_last() else {
            return Err(Error::Invalid(format!("{path}: names the root directory")));
        };
        let ino = self.walk(path, parents)?;
        self.dir_inode(ino).map_err(|_| Error::Invalid(format!("{path}: a component is not a directory")))?;
        Ok((ino, last))
    }

    /// Follow `comps` from the root.
    fn walk(&self, path: &str, comps: &[&str]) -> Result<u32> {
        let mut ino = ROOT_INO;
        for comp in comps {
            ino = match self.dir_lookup(ino, comp.as_bytes()) {
                Ok(Some((child, _))) => child,
                Ok(None) => return Err(Error::NotFound(path.to_string())),
                Err(Error::Invalid(_)) => {
                    return Err(Error::Invalid(format!("{path}: a component is not a directory")))
                }
                Err(e) => return Err(e),
            };
        }
        Ok(ino)
    }
}

/// `<N>` (debugfs's way of naming inode N): `Some(Some(N))`, `Some(None)` when what is
/// between the brackets is not a number; `None` for anything else (a path).
pub fn inode_spec(path: &str) -> Option<Option<u32>> {
    let inner = path.strip_prefix('<')?.strip_suffix('>')?;
    Some(inner.parse().ok().filter(|&n| n > 0))
}

/// Split a path into its components, validating each name.
pub fn components(path: &str) -> Result<Vec<&str>> {
    let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    if comps.len() > PATH_DEPTH_MAX {
        return Err(Error::Invalid(format!("path has more than {PATH_DEPTH_MAX} components")));
    }
    for c in &comps {
        if c.len() > dirent::NAME_MAX {
            return Err(Error::Invalid(format!(
                "name '{}...' is {} bytes long: at most {} are allowed",
                &c[..c.char_indices().nth(16).map_or(c.len(), |(i, _)| i)],
                c.len(),
                dirent::NAME_MAX
            )));
        }
        if *c == ".." {
            return Err(Error::Invalid(format!("{path}: '..' is not supported in paths")));
        }
    }
    Ok(comps)
}

/// Walk the entries of one directory block; `f(offset, entry)` returns false to stop. The
/// checksum tail and htree index blocks (one empty entry over the block) need no special case.
fn walk_block(b: &[u8], bs: u32, mut f: impl FnMut(usize, dirent::DirEntry<'_>) -> bool) -> Result<()> {
    let end = if dirent::has_tail(b) { b.len() - dirent::TAIL_SIZE } else { b.len() };
    let mut off = 0;
    while off < end {
        let e = dirent::parse_at(&b[..end], off, bs)?;
        if !f(off, e) {
            break;
        }
        off += e.rec_len as usize;
    }
    Ok(())
}

impl<D: Device> Handle<'_, D> {
    /// Add `name -> ino` to directory `dir`, in the first block with room, or a new block.
    pub fn dir_add(&mut self, dir: u32, name: &[u8], ino: u32, file_type: u8) -> Result<()> {
        let mut node = self.fs.dir_inode(dir)?;
        if is_inline(&node) {
            return Err(inline::unsupported(&format!("directory {dir}"), "adding an entry"));
        }
        if node.has_flag(FL_INDEX) {
            self.drop_htree(dir, &mut node)?;
        }
        let need = rec_len_for(name.len());
        let bs = self.fs.block_size();
        let csum = self.fs.sb.has_metadata_csum();
        let seed = self.fs.inode_seed(dir, node.f.i_generation);
        // Find a block with room: an unused entry big enough, or slack after a live one.
        let mut spot = None;
        self.fs.for_each_dir_block(&node, |_, phys, b| {
            walk_block(b, bs, |off, e| {
                let used = if e.inode == 0 { 0 } else { rec_len_for(e.name.len()) };
                if e.rec_len as usize >= used + need {
                    spot = Some((phys, off, used));
                    return false;
                }
                true
            })?;
            Ok(spot.is_none())
        })?;
        let (phys, off, used) = match spot {
            Some(s) => s,
            None => {
                let phys = self.dir_append_block(dir, &mut node)?;
                (phys, 0, 0)
            }
        };
        let buf = self.get_write(phys)?;
        let old = dirent::parse_at(buf, off, bs)?;
        let (old_ino, old_len, old_ft, old_name_len) = (old.inode, old.rec_len, old.file_type, old.name.len());
        if used == 0 {
            dirent::write_at(buf, off, ino, old_len, file_type, name, bs)?;
        } else {
            let name_copy: Vec<u8> = buf[off + 8..off + 8 + old_name_len].to_vec();
            dirent::write_at(buf, off, old_ino, used as u32, old_ft, &name_copy, bs)?;
            dirent::write_at(buf, off + used, ino, old_len - used as u32, file_type, name, bs)?;
        }
        if csum && dirent::has_tail(buf) {
            dirent::set_tail_checksum(buf, seed);
        }
        self.touch_dir(dir)?;
        Ok(())
    }

    /// Remove `name` from directory `dir`; returns the inode it named.
    pub fn dir_remove(&mut self, dir: u32, name: &[u8]) -> Result<u32> {
        let node = self.fs.dir_inode(dir)?;
        if is_inline(&node) {
            return Err(inline::unsupported(&format!("directory {dir}"), "removing an entry"));
        }
        let bs = self.fs.block_size();
        let mut spot = None;
        self.fs.for_each_dir_block(&node, |_, phys, b| {
            let mut prev = None;
            walk_block(b, bs, |off, e| {
                if e.inode != 0 && e.name == name {
                    spot = Some((phys, off, prev, e.inode));
                    return false;
                }
                prev = Some(off);
                true
            })?;
            Ok(spot.is_none())
        })?;
        let Some((phys, off, prev, ino)) = spot else {
            return Err(Error::NotFound(String::from_utf8_lossy(name).into_owned()));
        };
        let seed = self.fs.inode_seed(dir, node.f.i_generation);
        let csum = self.fs.sb.has_metadata_csum();
        let buf = self.get_write(phys)?;
        dirent::remove_at(buf, off, prev, bs)?;
        if csum && dirent::has_tail(buf) {
            dirent::set_tail_checksum(buf, seed);
        }
        self.touch_dir(dir)?;
        Ok(ino)
    }

    /// Update a directory's mtime/ctime after a change.
    fn touch_dir(&mut self, dir: u32) -> Result<()> {
        let mut node = self.fs.inode(dir)?;
        let t = self.fs.clock.now();
        node.f.i_mtime = t as u32;
        node.f.i_ctime = t as u32;
        self.write_inode(dir, &node)
    }

    /// Turn an htree directory into a linear one (valid ext4): clear the index flag and give
    /// the root and index blocks a plain layout with checksum tails.
    fn drop_htree(&mut self, dir: u32, node: &mut Inode) -> Result<()> {
        let bs = self.fs.block_size();
        let csum = self.fs.sb.has_metadata_csum();
        let seed = self.fs.inode_seed(dir, node.f.i_generation);
        let mut fix = Vec::new();
        self.fs.for_each_dir_block(node, |lblk, phys, b| {
            let e = dirent::parse_at(b, 0, bs)?;
            let index_node = e.inode == 0 && e.rec_len == bs;
            if lblk == 0 || index_node || (csum && !dirent::has_tail(b)) {
                fix.push((lblk, phys));
            }
            Ok(true)
        })?;
        let tail = if csum { dirent::TAIL_SIZE } else { 0 };
        for (lblk, phys) in fix {
            let buf = self.get_write(phys)?;
            if lblk == 0 {
                // "." then ".." spanning the block: the dx_root data becomes slack.
                let dot = dirent::parse_at(buf, 0, bs)?;
                let dotdot_off = dot.rec_len as usize;
                let dd = dirent::parse_at(buf, dotdot_off, bs)?;
                let (di, df) = (dd.inode, dd.file_type);
                let len = bs as usize - dotdot_off - tail;
                buf[dotdot_off..].fill(0);
                dirent::write_at(buf, dotdot_off, di, len as u32, df, b"..", bs)?;
            } else {
                let e = dirent::parse_at(buf, 0, bs)?;
                if e.inode == 0 && e.rec_len == bs {
                    buf.fill(0);
                    dirent::write_at(buf, 0, 0, bs - tail as u32, 0, b"", bs)?;
                } else {
                    return Err(Error::Unsupported("directory block without room for a checksum tail".into()));
                }
            }
            if csum {
                dirent::init_tail(buf);
                dirent::set_tail_checksum(buf, seed);
            }
        }
        node.f.i_flags &= !FL_INDEX;
        self.write_inode(dir, node)?;
        Ok(())
    }
}
