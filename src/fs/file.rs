//! Files: create, remove, fallocate (unwritten extents), punch, read, and the glue between the
//! extent tree and the file system: [`HandleTree`] lets the tree change blocks through a
//! handle, [`ReadTree`] reads it as the running transaction sees it, and `Fs` is a
//! [`extent::LookupSource`] for `extent::lookup(fs, inode, lblk)`.

use super::image::{Fs, Handle};
use super::map::MapKind;
use crate::error::{Error, Result};
use crate::extent::{self, Root, TreeIo};
use crate::ondisk::dirent::{self, FT_DIR};
use crate::ondisk::extent::{Extent, MAX_LEN_UNWRITTEN};
use crate::ondisk::features::incompat;
use crate::ondisk::inode::{Inode, FL_EXTENTS, S_IFDIR, S_IFREG};
use crate::pmem::Device;

/// Credits of one handle that changes an inode, its directory and one extent-tree edit.
pub const EDIT_CREDITS: u32 = 64;
/// Extents unmapped per handle when a file is deleted, truncated or punched. The handle's
/// credits are [`Fs::unmap_credits`] of its batch.
pub const REMOVE_BATCH_EXTENTS: usize = 64;
/// The part of an unmapping handle's credits that is not the freed blocks' bitmaps and
/// descriptors: the tree's nodes (changed, split or freed), the inode and the superblock.
pub const UNMAP_TREE_CREDITS: u32 = 64;

/// The extent tree's view of the file system: node blocks through the handle, allocation
/// through the allocator, and a count of node blocks gained or lost (for `i_blocks`).
pub struct HandleTree<'h, 'f, D: Device> {
    pub h: &'h mut Handle<'f, D>,
    /// The checksum seed of the tree's nodes (None: no `metadata_csum`, or unknown).
    pub seed: Option<u32>,
    pub node_delta: i64,
    pub data_freed: u64,
    /// The file's blocks are metadata (a directory): freeing them revokes them.
    pub metadata_data: bool,
    /// fsck repairs: freed blocks are left to pass 5, which rebuilds the bitmaps from what
    /// the check found (the bitmaps may be wrong until then).
    pub keep_bitmaps: bool,
}

impl<'h, 'f, D: Device> HandleTree<'h, 'f, D> {
    /// Tree access for fsck's repairs (see [`HandleTree::keep_bitmaps`]).
    pub fn for_repair(h: &'h mut Handle<'f, D>) -> Self {
        HandleTree { h, seed: None, node_delta: 0, data_freed: 0, metadata_data: false, keep_bitmaps: true }
    }
}

impl<D: Device> TreeIo for HandleTree<'_, '_, D> {
    fn block_size(&self) -> u32 {
        self.h.fs.block_size()
    }
    fn blocks_count(&self) -> u64 {
        self.h.fs.sb.blocks_count()
    }
    fn read_block(&self, blk: u64, buf: &mut [u8]) -> Result<()> {
        buf.copy_from_slice(&self.h.block(blk)?);
        Ok(())
    }
    fn write_block(&mut self, blk: u64, data: &[u8]) -> Result<()> {
        self.h.get_write(blk)?.copy_from_slice(data);
        if let Some(seed) = self.seed {
            self.h.fs.own_nodes.insert(blk, seed);
        }
        Ok(())
    }
    fn trusted(&self, blk: u64, seed: u32) -> bool {
        self.h.fs.own_nodes.get(&blk) == Some(&seed)
    }
    fn alloc_node(&mut self, goal: u64) -> Result<u64> {
        let b = self.h.alloc_block(goal)?;
        self.node_delta += 1;
        Ok(b)
    }
    fn free_node(&mut self, blk: u64) -> Result<()> {
        if !self.keep_bitmaps {
            self.h.free_metadata(blk, 1)?;
        }
        self.node_delta -= 1;
        Ok(())
    }
    fn free_data(&mut self, start: u64, len: u64) -> Result<()> {
        if self.keep_bitmaps {
            // Left to fsck's pass 5.
        } else if self.metadata_data {
            self.h.free_metadata(start, len)?;
        } else {
            self.h.free_blocks(start, len)?;
        }
        self.data_freed += len;
        Ok(())
    }
}

impl<D: Device> Fs<D> {
    /// Checksum seed of inode `ino`'s tree nodes and directory blocks (None without csums).
    pub fn inode_csum_seed(&self, ino: u32, node: &Inode) -> Option<u32> {
        self.sb.has_metadata_csum().then(|| self.inode_seed(ino, node.f.i_generation))
    }
}

fn sectors(blocks: u64, bs: u32) -> u64 {
    blocks * u64::from(bs / 512)
}

impl<D: Device> Handle<'_, D> {
    /// Run `f` on inode `ino`'s extent tree, then store the inode with `i_blocks` adjusted.
    pub fn with_tree<T>(
        &mut self,
        ino: u32,
        node: &mut Inode,
        f: impl FnOnce(&mut HandleTree<'_, '_, D>, &mut Root<'_>) -> Result<T>,
    ) -> Result<T> {
        let seed = self.fs.inode_csum_seed(ino, node);
        let bs = self.fs.block_size();
        let metadata_data = node.is_dir();
        let mut io = HandleTree { h: self, seed, node_delta: 0, data_freed: 0, metadata_data, keep_bitmaps: false };
        let mut root = Root { i_block: &mut node.f.i_block, csum_seed: seed };
        let out = f(&mut io, &mut root)?;
        let delta = io.node_delta;
        let freed = io.data_freed;
        let b = node.blocks_512(false, bs) as i64 + (delta * sectors(1, bs) as i64) - sectors(freed, bs) as i64;
        node.set_blocks_512(b.max(0) as u64);
        self.write_inode(ino, node)?;
        Ok(out)
    }

    /// Give directory `dir` one more block (an empty entry with a checksum tail).
    pub(crate) fn dir_append_block(&mut self, dir: u32, node: &mut Inode) -> Result<u64> {
        // Before anything changes (a new directory's inode has its extent tree already).
        require_extents(node)
            .map_err(|_| Error::Unsupported(format!("directory {dir} is block-mapped: adding a block to it")))?;
        let bs = self.fs.block_size();
        let lblk = u32::try_from(node.size() / u64::from(bs)).map_err(|_| Error::corrupt("directory", "too large"))?;
        let goal = self.fs.inode_goal(dir);
        let phys = self.alloc_block(goal)?;
        self.with_tree(dir, node, |io, root| {
            extent::insert(io, root, Extent { logical: lblk, len: 1, physical: phys, unwritten: false })
        })?;
        let seed = self.fs.inode_csum_seed(dir, node);
        let tail = if seed.is_some() { dirent::TAIL_SIZE } else { 0 };
        let buf = self.get_write(phys)?;
        buf.fill(0);
        dirent::write_at(buf, 0, 0, bs - tail as u32, 0, b"", bs)?;
        if let Some(s) = seed {
            dirent::init_tail(buf);
            dirent::set_tail_checksum(buf, s);
        }
        node.set_size(node.size() + u64::from(bs));
        node.set_blocks_512(node.blocks_512(false, bs) + sectors(1, bs));
        self.write_inode(dir, node)?;
        Ok(phys)
    }
}

impl<D: Device> Fs<D> {
    /// A block near inode `ino` (the start of its group's free space) as an allocation goal.
    pub fn inode_goal(&self, ino: u32) -> u64 {
        let g = u64::from((ino.max(1) - 1) / self.sb.f.s_inodes_per_group);
        self.sb.group_first_block(g)
    }

    /// Create a file or directory at `path`; with `parents`, missing parent directories too.
    /// Returns the new inode number.
    pub fn create(&mut self, path: &str, dir: bool, parents: bool) -> Result<u32> {
        if parents {
            let comps = super::dir::components(path)?;
            let mut prefix = String::new();
            for c in &comps[..comps.len().saturating_sub(1)] {
                prefix.push('/');
                prefix.push_str(c);
                match self.resolve(&prefix) {
                    Ok(ino) => {
                        self.dir_inode(ino).map_err(|_| Error::Invalid(format!("{prefix}: not a directory")))?;
                    }
                    Err(Error::NotFound(_)) => {
                        self.create_one(&prefix, true)?;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        self.create_one(path, dir)
    }

    fn create_one(&mut self, path: &str, dir: bool) -> Result<u32> {
        let (parent, name) = self.resolve_parent(path)?;
        if !self.sb.has_incompat(crate::ondisk::features::incompat::EXTENTS) {
            return Err(Error::Unsupported(format!(
                "{path}: creating files on a file system without the extent feature (they would be block-mapped)"
            )));
        }
        if self.dir_lookup(parent, name.as_bytes())?.is_some() {
            return Err(Error::Invalid(format!("{path}: already exists")));
        }
        if super::inline::is_inline(&self.inode(parent)?) {
            return Err(super::inline::unsupported(path, "creating an entry in an inline directory"));
        }
        let t = self.clock.now();
        let mut h = self.handle(EDIT_CREDITS)?;
        let pg = ((parent - 1) / h.fs.sb.f.s_inodes_per_group) as usize;
        let ino = h.alloc_inode(pg, dir)?;
        let mut node = Inode::new(if dir { S_IFDIR | 0o755 } else { S_IFREG | 0o644 });
        node.set_times(t);
        node.f.i_flags = FL_EXTENTS;
        node.f.i_links_count = if dir { 2 } else { 1 };
        extent::init_empty(&mut node.f.i_block);
        h.write_inode(ino, &node)?;
        if dir {
            let phys = h.dir_append_block(ino, &mut node)?;
            let seed = h.fs.inode_csum_seed(ino, &node);
            let ft = if h.fs.sb.has_incompat(incompat::FILETYPE) { FT_DIR } else { 0 };
            dirent::init_block(h.get_write(phys)?, Some((ino, parent)), ft, seed)?;
            let mut p = h.fs.inode(parent)?;
            p.f.i_links_count = p.f.i_links_count.saturating_add(1);
            h.write_inode(parent, &p)?;
        }
        // Without the filetype feature, entries carry no type.
        let ft = match (h.fs.sb.has_incompat(incompat::FILETYPE), dir) {
            (false, _) => 0,
            (true, true) => FT_DIR,
            (true, false) => dirent::FT_REG_FILE,
        };
        h.dir_add(parent, name.as_bytes(), ino, ft)?;
        Ok(ino)
    }

    /// Remove a file, or an empty directory.
    pub fn remove(&mut self, path: &str) -> Result<()> {
        let (parent, name) = self.resolve_parent(path)?;
        let Some((ino, _)) = self.dir_lookup(parent, name.as_bytes())? else {
            return Err(Error::NotFound(path.to_string()));
        };
        let mut node = self.inode(ino)?;
        let dir = node.is_dir();
        if dir && self.dir_entries(ino)?.len() > 2 {
            return Err(Error::Invalid(format!("{path}: directory not empty")));
        }
        if !dir && !node.is_reg() {
            return Err(Error::Unsupported(format!("{path}: removing special files")));
        }
        if super::inline::is_inline(&self.inode(parent)?) {
            return Err(super::inline::unsupported(path, "removing an entry from an inline directory"));
        }
        // An inline inode holds no blocks (an attribute block is not freed: refused).
        let inline = super::inline::is_inline(&node);
        if inline && node.file_acl() != 0 {
            return Err(super::inline::unsupported(path, "removing an inline file with an attribute block"));
        }
        if !inline {
            require_extents(&node).map_err(|_| Error::Unsupported(format!("{path}: removing a block-mapped file")))?;
            // Free the data a batch of extents per handle, then the inode.
            let extents = self.file_extents(ino, &node)?;
            self.unmap_extents(ino, &mut node, &extents, 0, u64::MAX)?;
        }
        let mut h = self.handle(EDIT_CREDITS)?;
        h.dir_remove(parent, name.as_bytes())?;
        if dir {
            let mut p = h.fs.inode(parent)?;
            p.f.i_links_count = p.f.i_links_count.saturating_sub(1);
            h.write_inode(parent, &p)?;
        }
        let mut dead = Inode::new(0);
        dead.f.i_dtime = h.fs.clock.now() as u32;
        h.write_inode(ino, &dead)?;
        h.free_inode(ino, dir)?;
        Ok(())
    }

    /// Unmap logical blocks `[from, to)` of `ino`, given the file's extents that overlap them
    /// (in logical order): [`REMOVE_BATCH_EXTENTS`] extents per handle, each handle reserving
    /// what its batch needs ([`Fs::unmap_credits`]). Returns the data blocks freed.
    pub(crate) fn unmap_extents(
        &mut self,
        ino: u32,
        node: &mut Inode,
        extents: &[Extent],
        from: u64,
        to: u64,
    ) -> Result<u64> {
        let mut freed = 0;
        for batch in extents.chunks(REMOVE_BATCH_EXTENTS) {
            let (Some(f), Some(l)) = (batch.first(), batch.last()) else {
                continue;
            };
            let a = u64::from(f.logical).max(from);
            let b = l.logical_end().min(to);
            if a >= b {
                continue;
            }
            let (lblk, len) = (a as u32, u32::try_from(b - a).unwrap_or(u32::MAX));
            let credits = self.unmap_credits(batch);
            let mut h = self.handle(credits)?;
            freed += h.with_tree(ino, node, |io, root| extent::remove_range(io, root, lblk, len))?;
        }
        Ok(freed)
    }

    /// Credits of a handle that unmaps `batch`: the block bitmap of every group the batch's
    /// blocks lie in and the descriptor blocks of those groups (an extent that crosses a group
    /// boundary frees blocks in two groups or more: up to five with 1 KiB blocks, and many
    /// more on images made with few blocks per group), plus [`UNMAP_TREE_CREDITS`].
    pub fn unmap_credits(&self, batch: &[Extent]) -> u32 {
        let bpg = u64::from(self.sb.f.s_blocks_per_group.max(1));
        let first_data = u64::from(self.sb.f.s_first_data_block);
        let per_desc_block = self.sb.descs_per_block().max(1);
        let mut groups = std::collections::BTreeSet::new();
        for e in batch {
            // An extent is at most 32768 blocks long: a bounded range of groups.
            let last = e.physical.saturating_add(u64::from(e.len.max(1)) - 1);
            groups.extend(e.physical.saturating_sub(first_data) / bpg..=last.saturating_sub(first_data) / bpg);
        }
        let desc_blocks: std::collections::BTreeSet<u64> = groups.iter().map(|g| g / per_desc_block).collect();
        u32::try_from(groups.len() + desc_blocks.len()).unwrap_or(u32::MAX).saturating_add(UNMAP_TREE_CREDITS)
    }

    /// All extents of a file, in logical order: its extent tree's leaves or its block map's
    /// runs ([`Fs::file_map`]); none for inline data and unmapped inodes.
    pub fn file_extents(&self, ino: u32, node: &Inode) -> Result<Vec<Extent>> {
        self.file_map(ino, node).extents()
    }

    /// The extents of a file overlapping logical blocks `[from, to)` (see [`Fs::file_extents`]).
    pub fn extents_in_range(&self, ino: u32, node: &Inode, from: u32, to: u64) -> Result<Vec<Extent>> {
        self.file_map(ino, node).extents_in(from, to)
    }

    /// The extent covering logical block `lblk` of `ino` with its neighbours in the same leaf,
    /// as the running transaction sees them.
    pub fn extent_in_leaf(&self, ino: u32, node: &Inode, lblk: u32) -> Result<extent::InLeaf> {
        let mut i_block = node.f.i_block;
        let io = ReadTree { fs: self };
        let root = Root { i_block: &mut i_block, csum_seed: self.inode_csum_seed(ino, node) };
        extent::lookup_in_leaf(&io, &root, lblk)
    }

    /// Read `len` bytes at `off` of inode `ino` into `out` (holes and unwritten extents read
    /// as zeros; reads stop at i_size).
    pub fn read_file(&self, ino: u32, off: u64, len: u64, out: &mut Vec<u8>) -> Result<()> {
        self.read_file_to(ino, off, len, out).map(|_| ())
    }

    /// Stream `len` bytes at `off` of inode `ino` to `w`, through one bounded buffer (a mapped
    /// image is read with `pread`, not faulted in); holes and unwritten extents are written as
    /// zeros. Stops at i_size. Returns the bytes written.
    pub fn read_file_to(&self, ino: u32, off: u64, len: u64, w: &mut dyn std::io::Write) -> Result<u64> {
        if let Some((bytes, total)) = self.inline_range(ino, off, len)? {
            w.write_all(&bytes).map_err(Error::Output)?;
            write_zeros(w, total - bytes.len() as u64)?;
            return Ok(total);
        }
        let mut buf = Vec::new();
        self.read_pieces(ino, off, len, &mut |piece| match piece {
            Piece::Data { dev_off, len, .. } => {
                self.copy_device_bytes(dev_off, len, &mut buf, &mut |_, b| w.write_all(b).map_err(Error::Output))
            }
            Piece::Zeros { len, .. } => write_zeros(w, len),
        })
    }

    /// Copy `len` bytes at `off` of inode `ino` into the regular file `out` as a sparse file:
    /// byte `off + i` of the inode goes to byte `i` of `out`; written extents are copied
    /// (through one bounded buffer), holes and unwritten extents are not written at all, and
    /// `out` is set to the length read, so they stay holes of `out` (a 15 TiB sparse file reads
    /// out as a 15 TiB sparse file). Stops at i_size. Returns the length of `out`.
    pub fn read_file_sparse(&self, ino: u32, off: u64, len: u64, out: &std::fs::File) -> Result<u64> {
        use std::os::unix::fs::FileExt;
        if let Some((bytes, total)) = self.inline_range(ino, off, len)? {
            out.write_all_at(&bytes, 0).map_err(Error::Output)?;
            out.set_len(total).map_err(Error::Output)?;
            return Ok(total);
        }
        let mut buf = Vec::new();
        let total = self.read_pieces(ino, off, len, &mut |piece| match piece {
            Piece::Data { at, dev_off, len } => self.copy_device_bytes(dev_off, len, &mut buf, &mut |done, b| {
                out.write_all_at(b, at + done).map_err(Error::Output)
            }),
            Piece::Zeros { .. } => Ok(()),
        })?;
        out.set_len(total).map_err(Error::Output)?;
        Ok(total)
    }

    /// When inode `ino` keeps its data inline: the inline bytes of `[off, off + len)` (see
    /// [`Fs::inline_file_bytes`]) and the length read, up to i_size (what lies past the inline
    /// data reads as zeros, as the kernel reads it); `None` for an inode that maps blocks.
    fn inline_range(&self, ino: u32, off: u64, len: u64) -> Result<Option<(Vec<u8>, u64)>> {
        let node = self.inode(ino)?;
        if !super::inline::is_inline(&node) {
            return Ok(None);
        }
        let total = off.saturating_add(len).min(node.size()).saturating_sub(off);
        Ok(Some((self.inline_file_bytes(ino, &node, off, len)?, total)))
    }

    /// Read `len` device bytes at `dev_off` through `buf` (at most [`READ_PIECE`] bytes), handing
    /// each piece to `sink` with its offset from `dev_off`.
    fn copy_device_bytes(
        &self,
        dev_off: u64,
        len: u64,
        buf: &mut Vec<u8>,
        sink: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let mut done = 0u64;
        while done < len {
            let k = (len - done).min(READ_PIECE);
            buf.resize(k as usize, 0);
            self.dev.read_at(dev_off + done, buf)?;
            sink(done, buf)?;
            done += k;
        }
        Ok(())
    }

    /// Walk `len` bytes at `off` of inode `ino` (stopping at i_size) as pieces in file order:
    /// bytes on the device (written extents) and zeros (holes, unwritten extents), each piece
    /// with its offset from `off`. Returns the bytes walked.
    fn read_pieces(&self, ino: u32, off: u64, len: u64, each: &mut dyn FnMut(Piece) -> Result<()>) -> Result<u64> {
        let node = self.inode(ino)?;
        let end = off.saturating_add(len).min(node.size());
        if off >= end {
            return Ok(0);
        }
        let bs = u64::from(self.block_size());
        let extents = self.extents_in_range(ino, &node, (off / bs) as u32, end.div_ceil(bs))?;
        let mut pos = off;
        let mut i = extents.partition_point(|e| e.logical_end() * bs <= pos);
        while pos < end {
            match extents.get(i) {
                Some(e) if u64::from(e.logical) * bs <= pos => {
                    let ext_end = (e.logical_end() * bs).min(end);
                    if e.unwritten {
                        each(Piece::Zeros { len: ext_end - pos })?;
                    } else {
                        self.check_block(e.physical + u64::from(e.len) - 1)?;
                        let dev_off = e.physical * bs + (pos - u64::from(e.logical) * bs);
                        each(Piece::Data { at: pos - off, dev_off, len: ext_end - pos })?;
                    }
                    pos = ext_end;
                    i += 1;
                }
                Some(e) => {
                    let hole_end = (u64::from(e.logical) * bs).min(end);
                    each(Piece::Zeros { len: hole_end - pos })?;
                    pos = hole_end;
                }
                None => {
                    each(Piece::Zeros { len: end - pos })?;
                    pos = end;
                }
            }
        }
        Ok(end - off)
    }
}

/// The most bytes `read_file_to` and `read_file_sparse` read from the device at once.
const READ_PIECE: u64 = 1 << 20;

/// A piece of a file being read: `len` bytes at `at` (from the start of the read) that lie on
/// the device at `dev_off`, or that read as zeros.
enum Piece {
    Data { at: u64, dev_off: u64, len: u64 },
    Zeros { len: u64 },
}

/// Write `n` zero bytes to `w`.
fn write_zeros(w: &mut dyn std::io::Write, mut n: u64) -> Result<()> {
    static ZEROS: [u8; 65536] = [0u8; 65536];
    while n > 0 {
        let k = n.min(ZEROS.len() as u64) as usize;
        w.write_all(&ZEROS[..k]).map_err(Error::Output)?;
        n -= k as u64;
    }
    Ok(())
}

/// Read-only tree access (for listing and reading).
pub struct ReadTree<'a, D: Device> {
    pub fs: &'a Fs<D>,
}

/// `extent::lookup(fs, inode, lblk)`: the extent of one block of a file, through the same
/// read-only tree access (node checksums not verified).
impl<D: Device> extent::LookupSource<Inode> for Fs<D> {
    fn lookup_extent(&self, inode: &Inode, lblk: u32) -> Result<Option<Extent>> {
        if !inode.has_flag(FL_EXTENTS) {
            return match super::map::map_kind(inode, self.block_size()) {
                MapKind::Blocks => super::map::block_map_lookup(self, &inode.f.i_block, lblk),
                k => Err(Error::Unsupported(format!("logical blocks of an inode mapped as {k:?}"))),
            };
        }
        let mut i_block = inode.f.i_block;
        let root = Root { i_block: &mut i_block, csum_seed: None };
        extent::lookup_in(&ReadTree { fs: self }, &root, lblk)
    }
}

impl<D: Device> TreeIo for ReadTree<'_, D> {
    fn block_size(&self) -> u32 {
        self.fs.block_size()
    }
    fn blocks_count(&self) -> u64 {
        self.fs.sb.blocks_count()
    }
    fn read_block(&self, blk: u64, buf: &mut [u8]) -> Result<()> {
        buf.copy_from_slice(&self.fs.block(blk)?);
        Ok(())
    }
    fn trusted(&self, blk: u64, seed: u32) -> bool {
        self.fs.own_nodes.get(&blk) == Some(&seed)
    }
    fn write_block(&mut self, _: u64, _: &[u8]) -> Result<()> {
        Err(Error::Invalid("read-only tree access".into()))
    }
    fn alloc_node(&mut self, _: u64) -> Result<u64> {
        Err(Error::Invalid("read-only tree access".into()))
    }
    fn free_node(&mut self, _: u64) -> Result<()> {
        Err(Error::Invalid("read-only tree access".into()))
    }
    fn free_data(&mut self, _: u64, _: u64) -> Result<()> {
        Err(Error::Invalid("read-only tree access".into()))
    }
}

/// Refuse to change the blocks of an inode that has no extent tree (block-mapped files are read,
/// never written; an inode with no blocks yet gets an extent tree when it is created here).
pub(crate) fn require_extents(node: &Inode) -> Result<()> {
    if node.has_flag(FL_EXTENTS) {
        return Ok(());
    }
    if super::inline::is_inline(node) {
        return Err(super::inline::unsupported("file", "changing its blocks"));
    }
    Err(Error::Unsupported("block-mapped (non-extent) file: changing its blocks".into()))
}

/// Largest file size with extents: logical blocks 0 .. 2^32 - 1 (as the kernel's ext4_max_size).
pub fn max_file_bytes(bs: u32) -> u64 {
    (u64::from(u32::MAX)) * u64::from(bs)
}

/// Blocks allocated per handle by fallocate (one unwritten extent's worth).
const FALLOC_CHUNK: u32 = MAX_LEN_UNWRITTEN;

/// What fallocate or punch changed.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RangeReport {
    pub inode: u32,
    pub blocks_allocated: u64,
    pub blocks_freed: u64,
    pub size: u64,
}

impl<D: Device> Fs<D> {
    /// Logical block range `[first, end)` covering bytes `[off, off + len)`, refusing ranges
    /// past the maximum file size.
    fn block_range(&self, off: u64, len: u64) -> Result<(u32, u32)> {
        let bs = u64::from(self.block_size());
        let end = off.checked_add(len).filter(|&e| e <= max_file_bytes(self.block_size())).ok_or_else(|| {
            Error::Invalid(format!(
                "range {off}+{len} is past the maximum file size ({} bytes)",
                max_file_bytes(self.block_size())
            ))
        })?;
        if len == 0 {
            return Err(Error::Invalid("length must be greater than zero".into()));
        }
        Ok(((off / bs) as u32, end.div_ceil(bs) as u32))
    }

    /// The regular file inode at `path`.
    pub fn regular_file(&self, path: &str) -> Result<(u32, Inode)> {
        let ino = self.resolve(path)?;
        let node = self.inode(ino)?;
        if !node.is_reg() {
            return Err(Error::Invalid(format!("{path}: not a regular file")));
        }
        Ok((ino, node))
    }

    /// The regular file inode at `path`, mapped by an extent tree: what fallocate, punch,
    /// truncate and the DAX engine change (block-mapped files are read, never written).
    pub fn extent_file(&self, path: &str) -> Result<(u32, Inode)> {
        let (ino, node) = self.regular_file(path)?;
        if super::inline::is_inline(&node) {
            return Err(super::inline::unsupported(path, "changing its blocks"));
        }
        require_extents(&node).map_err(|_| Error::Unsupported(format!("{path}: block-mapped (non-extent) file")))?;
        Ok((ino, node))
    }

    /// fallocate(2) without flags (or with KEEP_SIZE): every hole in the range gets unwritten
    /// extents; i_size grows to the range's end unless `keep_size`. Fails with `NoSpace`
    /// before changing anything when the holes need more blocks than are free.
    pub fn fallocate(&mut self, ino: u32, off: u64, len: u64, keep_size: bool) -> Result<RangeReport> {
        let (first, end) = self.block_range(off, len)?;
        let mut node = self.inode(ino)?;
        require_extents(&node)?;
        // The extent before the range too: it gives the first allocation goal.
        let extents = self.extents_in_range(ino, &node, first.saturating_sub(1), u64::from(end))?;
        let holes = holes(&extents, first, end);
        let need: u64 = holes.iter().map(|(a, b)| u64::from(b - a)).sum();
        if need > self.sb.free_blocks_count() {
            return Err(Error::Invalid(format!(
                "no space left: the range needs {need} blocks, {} are free",
                self.sb.free_blocks_count()
            )));
        }
        let bs = self.block_size();
        let mut allocated = 0u64;
        let mut goal = self.inode_goal(ino);
        for &(a, b) in &holes {
            let mut l = a;
            // Goal: right after the extent before the hole (the file's own extents, as listed
            // before this call; blocks placed since then continue from `goal`).
            let i = extents.partition_point(|e| e.logical < a);
            if let Some(prev) = i.checked_sub(1).and_then(|i| extents.get(i)) {
                goal = prev.physical + u64::from(a - prev.logical);
            }
            while l < b {
                let mut h = self.handle(EDIT_CREDITS)?;
                let want = (b - l).min(FALLOC_CHUNK);
                let (phys, n) = h.alloc_run(goal, want)?;
                let e = Extent { logical: l, len: n, physical: phys, unwritten: true };
                h.with_tree(ino, &mut node, |io, root| extent::insert(io, root, e))?;
                node.set_blocks_512(node.blocks_512(false, bs) + sectors(u64::from(n), bs));
                h.write_inode(ino, &node)?;
                allocated += u64::from(n);
                goal = phys + u64::from(n);
                l += n;
            }
        }
        let new_end = off + len;
        if keep_size && new_end > node.size() && self.index_past_eof(ino, &node)? {
            // Undo: the holes filled by this call become holes again.
            for &(a, b) in &holes {
                let (a, b) = (u64::from(a), u64::from(b));
                let filled = self.extents_in_range(ino, &node, a as u32, b)?;
                self.unmap_extents(ino, &mut node, &filled, a, b)?;
            }
            return Err(Error::Unsupported(
                "fallocate --keep-size this far past the end of the file: the extent tree would get index \
                 entries past i_size at depth 2 or more, which e2fsck 1.47 wrongly reports as corrupt \
                 (e2fsprogs issue #145); allocate without --keep-size, or less past the end"
                    .into(),
            ));
        }
        let mut h = self.handle(EDIT_CREDITS)?;
        if !keep_size && new_end > node.size() {
            node.set_size(new_end);
        }
        let t = h.fs.clock.now() as u32;
        node.f.i_ctime = t;
        node.f.i_mtime = t;
        h.write_inode(ino, &node)?;
        Ok(RangeReport { inode: ino, blocks_allocated: allocated, blocks_freed: 0, size: node.size() })
    }

    /// Whether the tree has an index entry below the root reaching past the block i_size
    /// ends in, which e2fsck 1.47 reports as "end of extent exceeds allowed value" even for
    /// unwritten preallocation (the kernel makes such trees; e2fsprogs issue #145).
    pub fn index_past_eof(&self, ino: u32, node: &Inode) -> Result<bool> {
        let eof = node.size().div_ceil(u64::from(self.block_size()));
        if eof == 0 {
            return Ok(false);
        }
        let nodes = self.extent_nodes(ino, node)?;
        Ok(nodes.iter().filter(|n| n.level >= 1 && n.depth >= 1).flat_map(|n| &n.entries).any(|e| e.logical_end >= eof))
    }

    /// Punch a hole (fallocate PUNCH_HOLE | KEEP_SIZE): whole blocks in the range are
    /// unmapped and freed; the written parts of partial blocks at its edges are zeroed.
    pub fn punch(&mut self, ino: u32, off: u64, len: u64) -> Result<RangeReport> {
        let (_, _) = self.block_range(off, len)?;
        let bs = u64::from(self.block_size());
        let end = off + len;
        let first_full = off.div_ceil(bs);
        let end_full = end / bs;
        let mut node = self.inode(ino)?;
        require_extents(&node)?;
        // Zero partial edge blocks (data stores, straight to the image as DAX would).
        for (a, b) in [(off, end.min(first_full * bs)), (off.max(end_full * bs), end)] {
            if a < b && !(a >= first_full * bs && b <= end_full * bs) {
                self.zero_written(ino, &node, a, b - a)?;
            }
        }
        let mut freed = 0;
        if first_full < end_full {
            // Only the leaves of the range are read, never a listing of the whole file.
            let inside = self.extents_in_range(ino, &node, first_full as u32, end_full)?;
            freed = self.unmap_extents(ino, &mut node, &inside, first_full, end_full)?;
        }
        let mut h = self.handle(EDIT_CREDITS)?;
        let t = h.fs.clock.now() as u32;
        node.f.i_ctime = t;
        node.f.i_mtime = t;
        h.write_inode(ino, &node)?;
        Ok(RangeReport { inode: ino, blocks_allocated: 0, blocks_freed: freed, size: node.size() })
    }

    /// Convert the unwritten blocks of `[lblk, lblk + len)` to written (the call the fault path
    /// makes after zeroing). The caller is responsible for the blocks' contents.
    pub fn convert_to_written(&mut self, ino: u32, lblk: u32, len: u32) -> Result<()> {
        let mut node = self.inode(ino)?;
        let mut h = self.handle(EDIT_CREDITS)?;
        h.with_tree(ino, &mut node, |io, root| extent::convert_to_written(io, root, lblk, len))
    }

    /// Zero the written bytes of `[off, off + len)` of a file (data stores).
    fn zero_written(&mut self, ino: u32, node: &Inode, off: u64, len: u64) -> Result<()> {
        let bs = u64::from(self.block_size());
        let lblk = (off / bs) as u32;
        let mut i_block = node.f.i_block;
        let e = {
            let io = ReadTree { fs: self };
            let root = Root { i_block: &mut i_block, csum_seed: self.inode_csum_seed(ino, node) };
            extent::lookup(&io, &root, lblk)?
        };
        if let Some(e) = e.filter(|e| !e.unwritten) {
            let phys = e.physical + u64::from(lblk - e.logical);
            self.check_block(phys)?;
            let zeros = vec![0u8; len as usize];
            let prev = self.dev.set_tag("punch");
            let r = self.dev.store(phys * bs + off % bs, &zeros);
            self.dev.set_tag(prev);
            r?;
        }
        Ok(())
    }
}

/// The holes of `[first, end)` given a file's sorted extents.
fn holes(extents: &[Extent], first: u32, end: u32) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut pos = first;
    for e in extents {
        if e.logical_end() <= u64::from(pos) {
            continue;
        }
        if e.logical >= end {
            break;
        }
        if e.logical > pos {
            out.push((pos, e.logical));
        }
        pos = e.logical_end().min(u64::from(end)) as u32;
        if pos >= end {
            break;
        }
    }
    if pos < end {
        out.push((pos, end));
    }
    out
}

/// One entry of an extent-tree node, as `inspect extents` shows it (like `debugfs ex`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct NodeEntryView {
    pub logical_start: u64,
    pub logical_end: u64,
    pub physical_start: u64,
    pub physical_end: u64,
    pub length: u64,
    pub unwritten: bool,
    /// An index entry (its physical block is the child node).
    pub index: bool,
}

/// One node of an extent tree.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NodeView {
    pub level: u16,
    pub depth: u16,
    /// None: the root in the inode.
    pub block: Option<u64>,
    pub max: u16,
    pub checksum_ok: Option<bool>,
    pub entries: Vec<NodeEntryView>,
}

impl<D: Device> Fs<D> {
    /// The extent tree of inode `ino`, node by node in depth-first order.
    pub fn extent_nodes(&self, ino: u32, node: &Inode) -> Result<Vec<NodeView>> {
        if super::inline::is_inline(node) {
            return Err(Error::Invalid(format!(
                "inode {ino} keeps its data inline (inline_data): it has no extent tree"
            )));
        }
        let mut i_block = node.f.i_block;
        let io = ReadTree { fs: self };
        let root = Root { i_block: &mut i_block, csum_seed: self.inode_csum_seed(ino, node) };
        let nodes = extent::nodes(&io, &root)?;
        let mut out = Vec::with_capacity(nodes.len());
        // Like libext2fs: the root covers up to i_size; an index entry up to the next key or
        // its parent's end. `pending[l]` holds the ends of level-l nodes still to come.
        let bs = u64::from(self.block_size());
        let root_end = node.size().div_ceil(bs).min(1 << 32);
        let mut pending: Vec<std::collections::VecDeque<u64>> = vec![Default::default(); 8];
        for n in nodes {
            let level = usize::from(n.level).min(pending.len() - 1);
            let my_end = if level == 0 { root_end } else { pending[level].pop_front().unwrap_or(root_end) };
            let entries = match &n.content {
                extent::NodeEntries::Leaf(v) => v
                    .iter()
                    .map(|e| NodeEntryView {
                        logical_start: u64::from(e.logical),
                        logical_end: e.logical_end() - 1,
                        physical_start: e.physical,
                        physical_end: e.physical + u64::from(e.len) - 1,
                        length: u64::from(e.len),
                        unwritten: e.unwritten,
                        index: false,
                    })
                    .collect(),
                extent::NodeEntries::Index(v) => v
                    .iter()
                    .enumerate()
                    .map(|(i, x)| {
                        let end = v.get(i + 1).map_or(my_end, |n| u64::from(n.logical));
                        if level + 1 < pending.len() {
                            pending[level + 1].push_back(end);
                        }
                        let length = end.wrapping_sub(u64::from(x.logical)) & 0xFFFF_FFFF;
                        NodeEntryView {
                            logical_start: u64::from(x.logical),
                            logical_end: (u64::from(x.logical) + length).wrapping_sub(1) & 0xFFFF_FFFF,
                            physical_start: x.child,
                            physical_end: x.child,
                            length,
                            unwritten: false,
                            index: true,
                        }
                    })
                    .collect(),
            };
            out.push(NodeView {
                level: n.level,
                depth: n.depth,
                block: n.block,
                max: n.max,
                checksum_ok: n.checksum_ok,
                entries,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::layout::Params;
    use crate::fs::mkfs::{mkfs, MkfsOptions};
    use crate::pmem::MemDevice;

    /// Tree nodes this `Fs` wrote are read back without re-verifying their checksum, but only
    /// while nothing else wrote the block: a change through any other write access is checked.
    #[test]
    fn own_tree_nodes_are_trusted_until_written_otherwise() {
        let size = 32u64 << 20;
        let mut dev = MemDevice::new(vec![0; size as usize]);
        let params = Params { size_bytes: size, journal_bytes: None, inodes: None, journal: true };
        let opts = MkfsOptions { params, uuid: [5; 16], label: String::new(), time: 1_700_000_000, poison: false };
        mkfs(&mut dev, &opts, &mut |_, _| {}).unwrap();
        let mut fs = Fs::mount(dev, true).unwrap().0;
        let ino = fs.create("/f", false, false).unwrap();
        for i in 0..6u64 {
            fs.fallocate(ino, i * 2 * 4096, 4096, false).unwrap();
        }
        let node = fs.inode(ino).unwrap();
        let leaf = fs.extent_nodes(ino, &node).unwrap()[1].block.expect("a leaf block");
        assert!(fs.own_nodes.contains_key(&leaf), "the leaf was written by the tree code");
        assert_eq!(fs.file_extents(ino, &node).unwrap().len(), 6);
        // Another write access to the block (here: a stray byte in an extent entry).
        fs.handle(4).unwrap().get_write(leaf).unwrap()[12 + 4] ^= 0x01;
        assert!(!fs.own_nodes.contains_key(&leaf));
        assert!(matches!(fs.file_extents(ino, &node), Err(Error::Checksum { .. })), "checked again");
    }
}
