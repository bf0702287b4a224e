//! An open file system: the superblock and group descriptors, read through the device seam,
//! with every on-disk number bounds-checked before it is used.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::cache::{BlockMap, BufferCache, Credits};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::journal::recovery::LoggedCopy;
use crate::journal::Journal;
use crate::ondisk::checksum::crc32c_raw;
use crate::ondisk::features::incompat;
use crate::ondisk::group_desc::{self, GroupDesc};
use crate::ondisk::inode::{self, Inode};
use crate::ondisk::jbd2::superblock::JournalSuperblock;
use crate::ondisk::superblock::{self, Superblock};
use crate::pmem::Device;

/// An ext4 file system on a device.
pub struct Fs<D: Device> {
    pub dev: D,
    pub sb: Superblock,
    groups: Vec<GroupDesc>,
    group_csum_ok: Vec<bool>,
    csum: group_desc::Csum,
    /// Dirty metadata of the running transaction.
    pub(crate) cache: BufferCache,
    dirty_groups: BTreeSet<usize>,
    sb_dirty: bool,
    /// Replayed journal blocks laid over the image by a read-only mount: where each home
    /// block's newest copy lies in the log (read from there when asked for, so a long log is
    /// not held in memory).
    pub(crate) overlay: HashMap<u64, LoggedCopy>,
    /// Blocks freed by the running transaction: not reusable until it commits.
    pending_free: BTreeMap<u64, u64>,
    /// Runs of blocks the allocator must not hand out although their bitmap says free (fsck:
    /// blocks its passes found in use before pass 5 has rewritten the bitmaps), start → length.
    pub(crate) alloc_skip: BTreeMap<u64, u64>,
    /// Extent-tree node blocks whose current contents this `Fs` wrote through the tree code,
    /// with the checksum seed used: reading them back need not verify the checksum again.
    /// Any other write access to a block, or freeing it, removes it.
    pub(crate) own_nodes: BlockMap<u64, u32>,
    /// The journal, on a writable mount of a file system that has one.
    pub journal: Option<Journal>,
    /// Leave committed transactions in the log at unmount (`--no-checkpoint`).
    pub no_checkpoint: bool,
    /// Do not rewrite the superblock's summary counts when only they changed (the `ext2`
    /// policy, as the kernel keeps them in per-cpu counters; e2fsck recomputes them).
    pub lazy_sb_counts: bool,
    /// Commits forced by `handle` because the running transaction was full.
    pub forced_commits: u64,
    /// Blocks dirtied by handles past their reservation (a credit estimate that was too small;
    /// zero in every test of ours).
    pub credit_overruns: u64,
    /// Where inode and commit times come from (default: `E4DAX_TIME`, else the system clock).
    pub clock: Clock,
    /// The primary group descriptors were unusable (a location outside the file system, or
    /// overlapping other metadata): the copy after group 1's superblock was read instead.
    pub desc_from_backup: Option<String>,
}

impl<D: Device> Fs<D> {
    /// Read and validate the superblock and group descriptors.
    pub fn open(dev: D) -> Result<Self> {
        let len = dev.len();
        let need = superblock::OFFSET + superblock::SIZE as u64;
        if len < need {
            // Too short to hold a superblock: say whether it is ext4 at all.
            let have = dev.view(0, len as usize)?;
            if have.len() > superblock::OFFSET as usize + 0x3A
                && have[superblock::OFFSET as usize + 0x38..superblock::OFFSET as usize + 0x3A] == [0x53, 0xEF]
            {
                return Err(Error::Truncated { what: "superblock", need, have: len });
            }
            return Err(Error::NotExt4(format!("{len} bytes is too short to hold a superblock")));
        }
        let sb = Superblock::parse(&dev.view(superblock::OFFSET, superblock::SIZE)?)?;
        Self::open_with_superblock(dev, sb)
    }

    /// Open with a superblock read elsewhere (a backup, when the primary is damaged).
    pub fn open_with_superblock(dev: D, sb: Superblock) -> Result<Self> {
        let len = dev.len();
        let fs_bytes = sb.blocks_count().checked_mul(u64::from(sb.block_size()));
        match fs_bytes {
            Some(n) if n <= len => {}
            Some(n) => return Err(Error::Truncated { what: "file system", need: n, have: len }),
            None => return Err(Error::corrupt("superblock", "block count overflows")),
        }
        let csum = if sb.has_metadata_csum() {
            group_desc::Csum::Crc32c { seed: sb.csum_seed() }
        } else if sb.has_ro_compat(crate::ondisk::features::ro_compat::GDT_CSUM) {
            group_desc::Csum::Crc16 { uuid: sb.f.s_uuid }
        } else {
            group_desc::Csum::None
        };
        let mut fs = Fs {
            dev,
            sb,
            groups: Vec::new(),
            group_csum_ok: Vec::new(),
            csum,
            cache: BufferCache::default(),
            dirty_groups: BTreeSet::new(),
            sb_dirty: false,
            overlay: HashMap::new(),
            pending_free: BTreeMap::new(),
            alloc_skip: BTreeMap::new(),
            own_nodes: BlockMap::default(),
            journal: None,
            no_checkpoint: false,
            lazy_sb_counts: false,
            forced_commits: 0,
            credit_overruns: 0,
            clock: Clock::from_env().unwrap_or_default(),
            desc_from_backup: None,
        };
        // As e2fsck: primary descriptors that point outside the file system or overlap other
        // metadata are replaced by group 1's copy when that one is sound.
        let primary = fs.read_groups_from(0).and_then(|()| fs.check_descriptors());
        if let Err(why) = primary {
            let has_backup = fs.sb.group_count() > 1 && fs.sb.group_has_super(1);
            if !has_backup || fs.read_groups_from(1).and_then(|()| fs.check_descriptors()).is_err() {
                return Err(why);
            }
            fs.desc_from_backup = Some(why.to_string());
        }
        Ok(fs)
    }

    pub(crate) fn read_groups(&mut self) -> Result<()> {
        self.read_groups_from(0)
    }

    /// Where block `i` of the copy of the descriptor table kept in group `copy` lives (0: the
    /// primary; a backup follows that group's superblock copy, or with `meta_bg` sits in the
    /// second group of its meta group).
    fn desc_copy_block(&self, copy: u64, i: u64) -> u64 {
        let sb = &self.sb;
        if copy == 0 {
            return sb.desc_block(i);
        }
        let meta = sb.has_incompat(crate::ondisk::features::incompat::META_BG);
        if !meta || i < u64::from(sb.f.s_first_meta_bg) {
            return sb.group_first_block(copy) + 1 + i;
        }
        let g = i.saturating_mul(sb.descs_per_block()).saturating_add(1);
        sb.group_first_block(g).saturating_add(u64::from(sb.group_has_super(g)))
    }

    /// Read the descriptor table from the copy kept in group `copy` (see [`Self::desc_copy_block`]).
    pub(crate) fn read_groups_from(&mut self, copy: u64) -> Result<()> {
        let sb = &self.sb;
        let count = sb.group_count();
        let ds = usize::from(sb.desc_size());
        if (0..sb.gdt_blocks()).any(|i| self.desc_copy_block(copy, i) >= sb.blocks_count()) {
            return Err(Error::corrupt("group descriptors", "the table runs past the end of the file system"));
        }
        let table_len =
            usize::try_from(count * ds as u64).map_err(|_| Error::corrupt("group descriptors", "too many groups"))?;
        let mut table = Vec::with_capacity(table_len);
        for i in 0..sb.gdt_blocks() {
            table.extend_from_slice(&self.block(self.desc_copy_block(copy, i))?);
        }
        let mut groups = Vec::with_capacity(count as usize);
        let mut ok = Vec::with_capacity(count as usize);
        let sb = &self.sb;
        let itb = sb.inode_table_blocks();
        let blocks = sb.blocks_count();
        for g in 0..count {
            let raw = &table[g as usize * ds..(g as usize + 1) * ds];
            let d = GroupDesc::parse(raw);
            let good = match self.csum {
                group_desc::Csum::None => true,
                c => c.compute(g as u32, raw) == d.checksum,
            };
            let in_fs = |b: u64, n: u64| {
                b >= u64::from(sb.f.s_first_data_block) && b.checked_add(n).is_some_and(|e| e <= blocks)
            };
            for (what, b, n) in [
                ("block bitmap", d.block_bitmap, 1),
                ("inode bitmap", d.inode_bitmap, 1),
                ("inode table", d.inode_table, itb),
            ] {
                if !in_fs(b, n) {
                    return Err(Error::corrupt(
                        "group descriptor",
                        format!("group {g}: {what} at block {b} is outside the file system (0..{blocks})"),
                    ));
                }
            }
            groups.push(d);
            ok.push(good);
        }
        self.groups = groups;
        self.group_csum_ok = ok;
        Ok(())
    }

    #[inline]
    pub fn block_size(&self) -> u32 {
        self.sb.block_size()
    }

    /// The `metadata_csum` seed of the file system (computed once, at open).
    pub fn csum_seed(&self) -> u32 {
        match self.csum {
            group_desc::Csum::Crc32c { seed } => seed,
            _ => self.sb.csum_seed(),
        }
    }

    /// The checksum seed of inode `ino` with generation `gen` (its tree nodes, directory
    /// blocks and the inode itself).
    pub fn inode_seed(&self, ino: u32, gen: u32) -> u32 {
        crate::ondisk::checksum::inode_seed(self.csum_seed(), ino, gen)
    }

    pub fn groups(&self) -> &[GroupDesc] {
        &self.groups
    }

    /// Whether group `g`'s descriptor checksum matches.
    pub fn group_checksum_ok(&self, g: usize) -> bool {
        self.group_csum_ok.get(g).copied().unwrap_or(false)
    }

    /// The bytes of block `blk` as the running transaction sees it (bounds-checked).
    pub fn block(&self, blk: u64) -> Result<Cow<'_, [u8]>> {
        self.check_block(blk)?;
        if let Some(b) = self.cache.get(blk) {
            return Ok(Cow::Borrowed(b));
        }
        if let Some(b) = self.committed(blk) {
            return Ok(Cow::Borrowed(b));
        }
        if let Some(b) = self.overlay_block(blk)? {
            return Ok(b);
        }
        let bs = u64::from(self.block_size());
        Ok(self.dev.view(blk * bs, bs as usize)?)
    }

    /// Block `blk` as a read-only mount's replayed journal has it, when it has it: its copy in
    /// the log (with its first four bytes restored when they were escaped).
    fn overlay_block(&self, blk: u64) -> Result<Option<Cow<'_, [u8]>>> {
        let Some(copy) = self.overlay.get(&blk) else { return Ok(None) };
        let bs = self.block_size() as usize;
        let at = copy
            .device_block
            .checked_mul(bs as u64)
            .ok_or_else(|| Error::corrupt("journal", "a logged block lies past the end of addressable space"))?;
        let view = self.dev.view(at, bs)?;
        if !copy.escaped {
            return Ok(Some(view));
        }
        let mut b = view.into_owned();
        copy.unescape(&mut b);
        Ok(Some(Cow::Owned(b)))
    }

    /// A committed block still waiting for its checkpoint (its home copy is older).
    fn committed(&self, blk: u64) -> Option<&[u8]> {
        self.journal.as_ref().and_then(|j| j.checkpoint.get(&blk)).map(|b| &b[..])
    }

    /// Refuse a block number outside the file system.
    pub fn check_block(&self, blk: u64) -> Result<()> {
        if blk >= self.sb.blocks_count() {
            return Err(Error::corrupt(
                "block number",
                format!("{blk} is past the end of the file system ({} blocks)", self.sb.blocks_count()),
            ));
        }
        Ok(())
    }

    /// Start a handle that may dirty up to `credits` distinct blocks. When the running
    /// transaction could grow past the journal's limit with it, the transaction is committed
    /// first (as jbd2 does).
    pub fn handle(&mut self, credits: u32) -> Result<Handle<'_, D>> {
        self.reserve(credits)?;
        Ok(self.join(credits))
    }

    /// Make room for a handle of `credits` in the running transaction: when it could grow past
    /// the journal's limit, commit it first (as jbd2's `start_this_handle` waits for a commit).
    /// Returns whether a commit was forced (it is in the trace as a `commit`).
    pub fn reserve(&mut self, credits: u32) -> Result<bool> {
        if let Some(j) = &self.journal {
            if self.cache.len() as u32 + credits > j.max_transaction {
                self.forced_commits += 1;
                self.commit()?;
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// A handle in the running transaction that never commits (the caller has reserved room
    /// with [`reserve`](Self::reserve)).
    pub fn join(&mut self, credits: u32) -> Handle<'_, D> {
        Handle { fs: self, credits: Credits::new(credits) }
    }

    /// Blocks the running transaction holds.
    pub fn running_blocks(&self) -> usize {
        self.cache.len()
    }

    pub(crate) fn group_mut(&mut self, g: usize) -> &mut GroupDesc {
        self.dirty_groups.insert(g);
        &mut self.groups[g]
    }

    pub(crate) fn mark_sb_dirty(&mut self) {
        self.sb_dirty = true;
    }

    /// Whether the running transaction holds changes.
    pub fn is_dirty(&self) -> bool {
        !self.cache.is_empty() || self.sb_dirty || !self.dirty_groups.is_empty()
    }

    /// Commit the running transaction. Group descriptors (with fresh bitmap and descriptor
    /// checksums) and the superblock are encoded into their blocks; then, with a journal, the
    /// transaction is logged (the first commit of a mount sets `needs_recovery` and `s_start`
    /// first); without one, every dirty block is written home in place (`writeback`).
    pub fn commit(&mut self) -> Result<()> {
        if !self.is_dirty() {
            return Ok(());
        }
        if self.journal.is_some() {
            let prev = self.dev.set_context(crate::pmem::Context::Jbd2);
            let r = self.journal_commit();
            self.dev.mark("commit");
            self.dev.set_context(prev);
            return r;
        }
        let prev = self.dev.set_context(crate::pmem::Context::Flusher);
        let r = self.writeback();
        self.dev.mark("writeback");
        self.dev.set_context(prev);
        r
    }

    /// Without a journal: every dirty block written home in place (stores, flushes, a fence).
    fn writeback(&mut self) -> Result<()> {
        self.encode_metadata()?;
        let prev = self.dev.set_tag("writeback");
        let bs = u64::from(self.block_size());
        let mut result = Ok(());
        for (blk, data) in self.cache.dirty() {
            if let Err(e) = self.dev.store(blk * bs, data).and_then(|_| self.dev.flush(blk * bs, bs)) {
                result = Err(e.into());
                break;
            }
        }
        if result.is_ok() {
            result = self.dev.fence().map_err(Into::into);
        }
        self.dev.set_tag(prev);
        self.cache.clear();
        self.pending_free.clear();
        result
    }

    fn encode_metadata(&mut self) -> Result<()> {
        self.encode_groups()?;
        if self.sb_dirty && self.lazy_sb_counts {
            self.sb_dirty = false;
        }
        if self.sb_dirty {
            let bytes = self.sb.encode();
            let bs = u64::from(self.block_size());
            let blk = superblock::OFFSET / bs;
            let off = (superblock::OFFSET % bs) as usize;
            let buf = self.cache_block_mut(blk)?;
            buf[off..off + superblock::SIZE].copy_from_slice(&bytes);
            self.sb_dirty = false;
        }
        Ok(())
    }

    /// Make the journal live, as mount does in the kernel: `needs_recovery` set on the image and
    /// the log's start written, each made durable. The first commit does it when the mount
    /// did not. Nothing to do without a journal or when already live.
    pub fn go_live(&mut self) -> Result<()> {
        if self.journal.as_ref().is_none_or(|j| j.live) {
            return Ok(());
        }
        let prev = self.dev.set_tag("commit");
        let r = self.set_recover_on_disk(true);
        self.dev.set_tag(prev);
        r?;
        self.sb.f.s_feature_incompat |= incompat::RECOVER;
        self.sb_dirty = true;
        if let Some(j) = self.journal.as_mut() {
            j.go_live(&mut self.dev)?;
        }
        Ok(())
    }

    fn journal_commit(&mut self) -> Result<()> {
        self.go_live()?;
        self.encode_metadata()?;
        let now = self.clock.now();
        let Some(j) = self.journal.as_mut() else { return Ok(()) };
        let blocks: Vec<(u64, &[u8])> = self.cache.dirty().collect();
        let needed = j.blocks_needed(blocks.len(), j.revokes.len());
        if needed > j.geo.capacity() - j.used() {
            j.checkpoint(&mut self.dev)?;
        }
        j.commit(&mut self.dev, &blocks, now)?;
        self.cache.clear();
        self.pending_free.clear();
        Ok(())
    }

    /// Set or clear `needs_recovery` in the superblock on the image directly (not through the
    /// journal): the home copy gains or loses only that bit.
    pub(crate) fn set_recover_on_disk(&mut self, on: bool) -> Result<()> {
        self.set_recover_state_on_disk(on, false)
    }

    /// Set or clear `needs_recovery` on the image, and with `errors` also mark the file system
    /// as having errors (as e2fsck does after a replay that skipped or abandoned something).
    pub(crate) fn set_recover_state_on_disk(&mut self, on: bool, errors: bool) -> Result<()> {
        let mut home = Superblock::parse_unchecked(&self.dev.view(superblock::OFFSET, superblock::SIZE)?)?;
        if on {
            home.f.s_feature_incompat |= incompat::RECOVER;
        } else {
            home.f.s_feature_incompat &= !incompat::RECOVER;
        }
        if errors {
            home.f.s_state |= superblock::STATE_ERROR;
            self.sb.f.s_state |= superblock::STATE_ERROR;
        }
        self.dev.store(superblock::OFFSET, &home.encode())?;
        self.dev.flush(superblock::OFFSET, superblock::SIZE as u64)?;
        self.dev.fence()?;
        Ok(())
    }

    /// End of a command: commit, then (unless `no_checkpoint`) checkpoint everything, mark the
    /// log empty and clear `needs_recovery`, as an unmount does.
    pub fn unmount(&mut self) -> Result<()> {
        self.commit()?;
        if self.no_checkpoint {
            return Ok(());
        }
        let Some(j) = self.journal.as_mut() else { return Ok(()) };
        if !j.live {
            return Ok(());
        }
        let prev_ctx = self.dev.set_context(crate::pmem::Context::Jbd2);
        let r = j.unmount(&mut self.dev).and_then(|_| {
            let prev = self.dev.set_tag("checkpoint");
            let r = self.set_recover_on_disk(false);
            self.dev.set_tag(prev);
            r
        });
        self.dev.mark("checkpoint");
        self.dev.set_context(prev_ctx);
        r?;
        self.sb.f.s_feature_incompat &= !incompat::RECOVER;
        Ok(())
    }

    /// Commit the running transaction, then write every committed block home and advance the
    /// journal's tail (jbd2's checkpoint), in the `jbd2` context. Without a journal: commit
    /// (writeback).
    pub fn checkpoint(&mut self) -> Result<()> {
        self.commit()?;
        let Some(j) = self.journal.as_mut() else { return Ok(()) };
        let prev = self.dev.set_context(crate::pmem::Context::Jbd2);
        let r = j.checkpoint(&mut self.dev);
        self.dev.mark("checkpoint");
        self.dev.set_context(prev);
        r
    }

    /// Whether block `blk` was freed by the running transaction; if so, the end of that run.
    pub(crate) fn pending_free_end(&self, blk: u64) -> Option<u64> {
        let end = |m: &BTreeMap<u64, u64>| {
            let (&s, &len) = m.range(..=blk).next_back()?;
            (blk < s + len).then_some(s + len)
        };
        end(&self.pending_free).or_else(|| end(&self.alloc_skip))
    }

    pub(crate) fn add_pending_free(&mut self, start: u64, len: u64) {
        if self.journal.is_some() {
            self.pending_free.insert(start, len);
        }
    }

    /// Whether any block waits for the running transaction to commit before reuse.
    pub fn has_pending_free(&self) -> bool {
        !self.pending_free.is_empty()
    }

    fn cache_block_mut(&mut self, blk: u64) -> Result<&mut [u8]> {
        self.check_block(blk)?;
        let bs = u64::from(self.block_size());
        let dev = &self.dev;
        let committed = self.journal.as_ref().and_then(|j| j.checkpoint.get(&blk));
        let overlay = self.overlay.get(&blk).copied();
        self.cache.get_mut_or_load(blk, || match (committed, overlay) {
            (Some(b), _) => Ok(b.clone()),
            (None, Some(copy)) => {
                let mut b = vec![0u8; bs as usize].into_boxed_slice();
                copy.read_into(dev, &mut b)?;
                Ok(b)
            }
            (None, None) => Ok(dev.view(blk * bs, bs as usize)?.into_owned().into_boxed_slice()),
        })
    }

    fn encode_groups(&mut self) -> Result<()> {
        let dirty: Vec<usize> = std::mem::take(&mut self.dirty_groups).into_iter().collect();
        let ds = usize::from(self.sb.desc_size());
        let bs = self.block_size() as usize;
        let seed = self.csum_seed();
        let csum_on = self.sb.has_metadata_csum();
        for g in dirty {
            let mut d = self.groups[g].clone();
            if csum_on {
                let bb_len = (self.sb.f.s_blocks_per_group / 8) as usize;
                let ib_len = (self.sb.f.s_inodes_per_group / 8) as usize;
                if !d.has_flag(group_desc::BLOCK_UNINIT) {
                    d.block_bitmap_csum = crc32c_raw(seed, &self.block(d.block_bitmap)?[..bb_len]);
                }
                if !d.has_flag(group_desc::INODE_UNINIT) {
                    d.inode_bitmap_csum = crc32c_raw(seed, &self.block(d.inode_bitmap)?[..ib_len]);
                }
                if ds < group_desc::SIZE_64 {
                    d.block_bitmap_csum &= 0xFFFF;
                    d.inode_bitmap_csum &= 0xFFFF;
                }
            }
            self.groups[g] = d.clone();
            let off = g * ds;
            let blk = self.sb.desc_block((off / bs) as u64);
            let csum = self.csum;
            let buf = self.cache_block_mut(blk)?;
            group_desc::encode_checksummed(&d, g as u32, csum, &mut buf[off % bs..off % bs + ds]);
            self.group_csum_ok[g] = true;
        }
        Ok(())
    }

    /// Byte offset of inode `ino`'s slot.
    pub fn inode_offset(&self, ino: u32) -> Result<u64> {
        if ino == 0 || ino > self.sb.f.s_inodes_count {
            return Err(Error::corrupt(
                "inode number",
                format!("{ino} is out of range 1..={}", self.sb.f.s_inodes_count),
            ));
        }
        let ipg = self.sb.f.s_inodes_per_group;
        let g = ((ino - 1) / ipg) as usize;
        let idx = u64::from((ino - 1) % ipg);
        let d = self.groups.get(g).ok_or_else(|| Error::corrupt("inode number", format!("{ino} has no group")))?;
        let isz = u64::from(self.sb.inode_size());
        Ok(d.inode_table * u64::from(self.block_size()) + idx * isz)
    }

    /// The raw slot of inode `ino` (`s_inode_size` bytes), as the running transaction sees it.
    pub fn inode_slot(&self, ino: u32) -> Result<Cow<'_, [u8]>> {
        let off = self.inode_offset(ino)?;
        let isz = usize::from(self.sb.inode_size());
        let bs = u64::from(self.block_size());
        let at = (off % bs) as usize;
        if let Some(b) = self.cache.get(off / bs) {
            return Ok(Cow::Borrowed(&b[at..at + isz]));
        }
        if let Some(b) = self.committed(off / bs) {
            return Ok(Cow::Borrowed(&b[at..at + isz]));
        }
        match self.overlay_block(off / bs)? {
            Some(Cow::Borrowed(b)) => return Ok(Cow::Borrowed(&b[at..at + isz])),
            Some(Cow::Owned(b)) => return Ok(Cow::Owned(b[at..at + isz].to_vec())),
            None => {}
        }
        Ok(self.dev.view(off, isz)?)
    }

    /// Decode inode `ino`.
    pub fn inode(&self, ino: u32) -> Result<Inode> {
        Ok(Inode::parse(&self.inode_slot(ino)?))
    }

    /// Whether inode `ino`'s checksum matches (true without `metadata_csum`).
    pub fn inode_checksum_ok(&self, ino: u32) -> Result<bool> {
        if !self.sb.has_metadata_csum() {
            return Ok(true);
        }
        let slot = self.inode_slot(ino)?;
        Ok(inode::checksum_ok(&slot, self.csum_seed(), ino))
    }

    /// The journal superblock, when the file system has an internal journal.
    pub fn journal_superblock(&self) -> Result<Option<JournalSuperblock>> {
        if !self.sb.has_journal() || self.sb.f.s_journal_inum == 0 {
            return Ok(None);
        }
        let ino = self.sb.f.s_journal_inum;
        let node = self.inode(ino)?;
        let first = crate::extent::lookup(self, &node, 0)?
            .filter(|e| !e.unwritten)
            .ok_or_else(|| Error::corrupt("journal inode", "block 0 of the journal is not mapped"))?;
        let blk = first.physical;
        let b = self.block(blk)?;
        Ok(Some(JournalSuperblock::parse(&b[..])?))
    }
}

/// A running handle: the only way metadata changes (DESIGN §2). Every block it dirties is
/// charged against its credits.
pub struct Handle<'f, D: Device> {
    pub fs: &'f mut Fs<D>,
    credits: Credits,
}

impl<D: Device> Handle<'_, D> {
    /// Read a block as the running transaction sees it.
    pub fn block(&self, blk: u64) -> Result<Cow<'_, [u8]>> {
        self.fs.block(blk)
    }

    /// Get write access to a metadata block: a cached copy, marked dirty.
    pub fn get_write(&mut self, blk: u64) -> Result<&mut [u8]> {
        self.fs.check_block(blk)?;
        self.charge(blk);
        self.fs.own_nodes.remove(&blk);
        self.fs.cache_block_mut(blk)
    }

    fn charge(&mut self, blk: u64) {
        if self.credits.charge(blk) {
            self.fs.credit_overruns += 1;
        }
    }

    /// Change group `g`'s descriptor (charges the descriptor's block).
    pub fn group_mut(&mut self, g: usize) -> &mut GroupDesc {
        let ds = u64::from(self.fs.sb.desc_size());
        let bs = u64::from(self.fs.block_size());
        let blk = self.fs.sb.desc_block((g as u64 * ds) / bs);
        self.charge(blk);
        self.fs.group_mut(g)
    }

    /// Change the superblock (charges its block).
    pub fn sb_mut(&mut self) -> &mut Superblock {
        let blk = superblock::OFFSET / u64::from(self.fs.block_size());
        self.charge(blk);
        self.fs.mark_sb_dirty();
        &mut self.fs.sb
    }

    /// Write inode `ino` (fields encoded into its slot, checksum refreshed).
    pub fn write_inode(&mut self, ino: u32, node: &Inode) -> Result<()> {
        let off = self.fs.inode_offset(ino)?;
        let bs = u64::from(self.fs.block_size());
        let isz = usize::from(self.fs.sb.inode_size());
        let csum = self.fs.sb.has_metadata_csum().then(|| self.fs.inode_seed(ino, node.f.i_generation));
        let blk = off / bs;
        let at = (off % bs) as usize;
        let buf = self.get_write(blk)?;
        let slot = &mut buf[at..at + isz];
        node.encode_into(slot);
        if let Some(seed) = csum {
            // The slot's generation is the one just encoded from `node`.
            inode::set_checksum_seeded(slot, seed);
        }
        Ok(())
    }

    /// Change inode `ino`'s slot bytes directly (fields outside [`Inode`], the in-inode
    /// attribute area); the checksum is refreshed with the generation the slot holds after.
    pub fn edit_inode_slot(&mut self, ino: u32, edit: impl FnOnce(&mut [u8])) -> Result<()> {
        let off = self.fs.inode_offset(ino)?;
        let bs = u64::from(self.fs.block_size());
        let isz = usize::from(self.fs.sb.inode_size());
        let csum = self.fs.sb.has_metadata_csum();
        let fs_seed = self.fs.csum_seed();
        let blk = off / bs;
        let at = (off % bs) as usize;
        let buf = self.get_write(blk)?;
        let slot = &mut buf[at..at + isz];
        edit(slot);
        if csum {
            inode::set_checksum(slot, fs_seed, ino);
        }
        Ok(())
    }

    /// Blocks dirtied so far, and the reservation.
    pub fn credits(&self) -> (u32, u32) {
        (self.credits.used(), self.credits.reserved)
    }
}

#[cfg(test)]
const _: () = {
    const fn sync<T: Sync>() {}
    sync::<Fs<crate::pmem::MappedImage>>();
};
