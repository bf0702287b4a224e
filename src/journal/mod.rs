//! jbd2 in ordered mode: the running transaction (its blocks live in the file system's buffer
//! cache), revoke records, the ordered-data list, commit, checkpoint, and recovery.
//!
//! Layout of the log: blocks `s_first .. s_maxlen` of the journal inode, used as a ring. A
//! transaction is written as revoke blocks, descriptor blocks each followed by the copies its
//! tags describe, and a commit block. `tail` is the start of the oldest transaction not yet
//! checkpointed, `head` where the next one goes.

pub mod commit;
pub mod logdump;
pub mod recovery;

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, Result};
use crate::ondisk::extent::Extent;
use crate::ondisk::features::jbd2 as feat;
use crate::ondisk::jbd2::block::TagFormat;
use crate::ondisk::jbd2::superblock::JournalSuperblock;

/// Where the log lives on the device, and how its blocks are checksummed.
#[derive(Clone, Debug)]
pub struct LogGeometry {
    /// The journal inode's extents (journal block -> device block).
    extents: Vec<Extent>,
    pub block_size: u32,
    pub first: u32,
    pub maxlen: u32,
    pub fmt: TagFormat,
    /// Seed of every log checksum (None without csum v2/v3).
    pub seed: Option<u32>,
    pub uuid: [u8; 16],
    /// `journal_async_commit`: a bad commit block is not reported as a failed commit.
    pub async_commit: bool,
}

impl LogGeometry {
    /// Geometry from a validated journal superblock and the journal inode's extents.
    pub fn new(jsb: &JournalSuperblock, extents: Vec<Extent>, fs_block_size: u32) -> Result<Self> {
        if jsb.block_size != fs_block_size {
            return Err(Error::corrupt(
                "journal superblock",
                format!("block size {} differs from the file system's {fs_block_size}", jsb.block_size),
            ));
        }
        let mapped: u64 = extents.iter().filter(|e| !e.unwritten).map(|e| u64::from(e.len)).sum();
        if mapped < u64::from(jsb.maxlen) {
            return Err(Error::corrupt(
                "journal inode",
                format!("maps {mapped} blocks, the journal superblock says {}", jsb.maxlen),
            ));
        }
        let fmt = TagFormat {
            csum_v3: jsb.feature_incompat & feat::INCOMPAT_CSUM_V3 != 0,
            csum_v2: jsb.feature_incompat & feat::INCOMPAT_CSUM_V2 != 0,
            bit64: jsb.is_64bit(),
        };
        Ok(LogGeometry {
            extents,
            block_size: fs_block_size,
            first: jsb.first,
            maxlen: jsb.maxlen,
            fmt,
            seed: jsb.has_csum().then(|| jsb.csum_seed()),
            uuid: jsb.uuid,
            async_commit: jsb.feature_incompat & feat::INCOMPAT_ASYNC_COMMIT != 0,
        })
    }

    /// Device block of journal block `jblk`.
    pub fn map(&self, jblk: u32) -> Result<u64> {
        let i = self.extents.partition_point(|e| e.logical_end() <= u64::from(jblk));
        match self.extents.get(i) {
            Some(e) if e.logical <= jblk && !e.unwritten => Ok(e.physical + u64::from(jblk - e.logical)),
            _ => Err(Error::corrupt("journal inode", format!("journal block {jblk} is not mapped"))),
        }
    }

    /// The log position after `jblk`, wrapping from the end back to `first`.
    pub fn next(&self, jblk: u32) -> u32 {
        if jblk + 1 >= self.maxlen {
            self.first
        } else {
            jblk + 1
        }
    }

    /// Usable log blocks.
    pub fn capacity(&self) -> u32 {
        self.maxlen - self.first
    }

    /// Tags that fit in one descriptor block (the first tag carries a UUID).
    pub fn tags_per_descriptor(&self) -> usize {
        use crate::ondisk::jbd2::block::{HEADER_SIZE, TAIL_SIZE, UUID_SIZE};
        let tail = if self.fmt.has_csum() { TAIL_SIZE } else { 0 };
        (self.block_size as usize - HEADER_SIZE - tail - UUID_SIZE) / self.fmt.tag_bytes()
    }

    /// Revoke records that fit in one revoke block.
    pub fn revokes_per_block(&self) -> usize {
        use crate::ondisk::jbd2::block::{REVOKE_HEADER_SIZE, TAIL_SIZE};
        let tail = if self.fmt.has_csum() { TAIL_SIZE } else { 0 };
        let rec = if self.fmt.bit64 { 8 } else { 4 };
        (self.block_size as usize - REVOKE_HEADER_SIZE - tail) / rec
    }
}

/// The journal of a mounted file system.
#[derive(Debug)]
pub struct Journal {
    pub geo: LogGeometry,
    pub jsb: JournalSuperblock,
    /// Start of the oldest transaction in the log not yet checkpointed.
    pub tail: u32,
    pub tail_sequence: u32,
    /// Where the next transaction goes, and its sequence.
    pub head: u32,
    pub next_sequence: u32,
    /// Whether `s_start` and `needs_recovery` are on the image (the log is in use).
    pub live: bool,
    /// Committed metadata waiting to be written home: block -> newest copy.
    pub checkpoint: BTreeMap<u64, Box<[u8]>>,
    /// Blocks revoked by the running transaction.
    pub revokes: BTreeSet<u64>,
    /// Ordered-data list: data ranges (device block, count) per inode that must be durable
    /// before the running transaction commits.
    pub ordered: BTreeMap<u32, Vec<(u64, u64)>>,
    /// The largest transaction, in blocks (a quarter of the log, as jbd2).
    pub max_transaction: u32,
    /// Ordered data is flushed at commit (cleared by the `no-ordered` injected bug).
    pub flush_ordered: bool,
    /// Statistics of this mount.
    pub stats: JournalStats,
    /// Two block-sized buffers a commit reuses (descriptor or revoke block, escaped copy).
    scratch: [Vec<u8>; 2],
}

/// What the journal did during one mount.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct JournalStats {
    pub transactions: u64,
    pub log_blocks_written: u64,
    pub checkpoints: u64,
    pub blocks_checkpointed: u64,
    pub revokes_written: u64,
}

impl Journal {
    /// A journal on an empty (recovered) log.
    pub fn new(geo: LogGeometry, jsb: JournalSuperblock) -> Result<Self> {
        if jsb.start != 0 {
            return Err(Error::corrupt("journal", "the log must be recovered before it is used"));
        }
        let max_transaction = (geo.capacity() / 4).max(16);
        Ok(Journal {
            tail: geo.first,
            tail_sequence: jsb.sequence,
            head: geo.first,
            next_sequence: jsb.sequence,
            live: false,
            checkpoint: BTreeMap::new(),
            revokes: BTreeSet::new(),
            ordered: BTreeMap::new(),
            max_transaction,
            flush_ordered: true,
            stats: JournalStats::default(),
            scratch: [Vec::new(), Vec::new()],
            geo,
            jsb,
        })
    }

    /// Log blocks in use between tail and head.
    pub fn used(&self) -> u32 {
        if self.head >= self.tail {
            self.head - self.tail
        } else {
            self.geo.capacity() - (self.tail - self.head)
        }
    }

    /// Log blocks a transaction of `blocks` metadata blocks and `revokes` records takes.
    pub fn blocks_needed(&self, blocks: usize, revokes: usize) -> u32 {
        let desc = blocks.div_ceil(self.geo.tags_per_descriptor());
        let rev = revokes.div_ceil(self.geo.revokes_per_block());
        (blocks + desc + rev + 1) as u32
    }

    /// Add a data range of inode `ino` to the ordered-data list (`file-inode`).
    pub fn file_inode(&mut self, ino: u32, start: u64, len: u64) {
        self.ordered.entry(ino).or_default().push((start, len));
    }
}
