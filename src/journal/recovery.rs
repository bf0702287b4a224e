//! Recovery, as mount and e2fsck do it, in three passes over the log:
//!
//! 1. **scan** from `s_start` with `s_sequence` for the end of the valid log: transactions are
//!    read while each block has the jbd2 magic and the expected sequence; a transaction counts
//!    only once its commit block is found (and its checksum holds);
//! 2. **revoke**: collect every revoke record of those transactions (block -> newest sequence);
//! 3. **replay**: every logged block not revoked by a transaction at least as new as its own,
//!    and whose tag checksum holds, is the newest copy of its home block.
//!
//! Nothing is written here: the result is the set of home blocks and their contents, which the
//! caller writes (mount, `journal-replay`) or lays over the image (read-only commands).

use std::collections::BTreeMap;

use super::LogGeometry;
use crate::error::{Error, Result};
use crate::ondisk::jbd2::block::{
    self as jb, Header, Tag, FLAG_ESCAPE, FLAG_LAST_TAG, FLAG_SAME_UUID, HEADER_SIZE, TAIL_SIZE, UUID_SIZE,
};
use crate::ondisk::jbd2::superblock::JournalSuperblock;
use crate::ondisk::jbd2::{BLOCKTYPE_COMMIT, BLOCKTYPE_DESCRIPTOR, BLOCKTYPE_REVOKE, MAGIC};
use crate::pmem::Device;

/// One transaction found in the log.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct TxnInfo {
    pub sequence: u32,
    /// Log block of its first block.
    pub start: u32,
    pub descriptor_blocks: u32,
    pub revoke_blocks: u32,
    pub logged_blocks: u32,
    pub revoke_records: u32,
    /// Whether it is replayed (committed, checksums good).
    pub committed: bool,
    #[serde(skip)]
    tags: Vec<(Tag, u32)>,
    #[serde(skip)]
    revokes: Vec<u64>,
    #[serde(skip)]
    revoke_positions: Vec<u32>,
}

/// Why the scan stopped, in words.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Recovery {
    pub start: u32,
    pub start_sequence: u32,
    /// The first sequence not replayed.
    pub end_sequence: u32,
    pub transactions: Vec<TxnInfo>,
    pub end_reason: String,
    pub replayed_blocks: u64,
    pub revoked_blocks: u64,
    /// Logged blocks skipped because their tag checksum failed (home block, sequence).
    pub bad_checksum_blocks: Vec<(u64, u32)>,
    /// Descriptor or revoke blocks whose checksum failed.
    pub bad_descriptor_blocks: Vec<u32>,
    /// A transaction whose commit block failed its checksum: replay stopped before it
    /// (e2fsck: "Journal transaction N was corrupt, replay was aborted.").
    pub failed_commit: Option<u32>,
    /// Recovery failed as a whole: nothing is replayed (e2fsck: "Journal checksum error",
    /// "Journal corrupted", "Invalid argument while recovering journal").
    pub fatal: Option<String>,
    /// Home block -> where its newest replayable copy is in the log.
    #[serde(skip)]
    pub blocks: BTreeMap<u64, LoggedCopy>,
}

/// Where a logged copy lies on the device, and whether its first four bytes were escaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoggedCopy {
    pub device_block: u64,
    pub escaped: bool,
}

impl LoggedCopy {
    /// Read the copy into `buf` (a block), undoing the escape.
    pub fn read_into(&self, dev: &dyn Device, buf: &mut [u8]) -> Result<()> {
        let at = self
            .device_block
            .checked_mul(buf.len() as u64)
            .ok_or_else(|| Error::corrupt("journal", "a logged block lies past the end of addressable space"))?;
        dev.read_at(at, buf)?;
        self.unescape(buf);
        Ok(())
    }

    /// Undo the escape of a copy read into `buf` (a block): its first four bytes were the
    /// jbd2 magic, zeroed in the log.
    pub fn unescape(&self, buf: &mut [u8]) {
        if self.escaped {
            if let Some(head) = buf.get_mut(..4) {
                head.copy_from_slice(&MAGIC.to_be_bytes());
            }
        }
    }
}

/// Read log block `jblk` into `buf` (one block). Reads copy (`pread` on a mapped image), so a
/// long log is never faulted into the process as a whole.
fn read_log(dev: &dyn Device, geo: &LogGeometry, jblk: u32, buf: &mut [u8]) -> Result<()> {
    let phys = geo.map(jblk)?;
    dev.read_at(phys * u64::from(geo.block_size), buf)?;
    Ok(())
}

/// The most bytes of logged blocks read at once while their checksums are verified.
const VERIFY_BATCH_BYTES: usize = 1 << 20;

/// The tags of a descriptor block (bounded by the block).
fn parse_tags(geo: &LogGeometry, b: &[u8]) -> Vec<Tag> {
    let tail = if geo.fmt.has_csum() { TAIL_SIZE } else { 0 };
    let limit = b.len() - tail;
    let tb = geo.fmt.tag_bytes();
    let mut off = HEADER_SIZE;
    let mut tags = Vec::new();
    while off + tb <= limit {
        let t = geo.fmt.parse_tag(b, off);
        off += tb;
        if t.flags & FLAG_SAME_UUID == 0 {
            off += UUID_SIZE;
        }
        tags.push(t);
        if t.flags & FLAG_LAST_TAG != 0 {
            break;
        }
    }
    tags
}

/// Run the three passes over the log described by `jsb` (whose `s_start` is not 0).
pub fn recover(dev: &dyn Device, geo: &LogGeometry, jsb: &JournalSuperblock, blocks_count: u64) -> Result<Recovery> {
    let mut rec = Recovery {
        start: jsb.start,
        start_sequence: jsb.sequence,
        end_sequence: jsb.sequence,
        transactions: Vec::new(),
        end_reason: String::new(),
        replayed_blocks: 0,
        revoked_blocks: 0,
        bad_checksum_blocks: Vec::new(),
        bad_descriptor_blocks: Vec::new(),
        failed_commit: None,
        fatal: None,
        blocks: BTreeMap::new(),
    };
    if jsb.start == 0 {
        rec.end_reason = "the log is empty".into();
        return Ok(rec);
    }
    if jsb.start < geo.first || jsb.start >= geo.maxlen {
        rec.fatal = Some(format!("corrupted journal superblock: s_start {} is outside the log", jsb.start));
        rec.end_reason = "nothing replayed".into();
        return Ok(rec);
    }
    scan(dev, geo, &mut rec)?;
    if rec.fatal.is_some() {
        return Ok(rec);
    }
    // A revoke block claiming more bytes than it has fails the whole recovery (EINVAL).
    let tail = if geo.fmt.has_csum() { TAIL_SIZE } else { 0 };
    let mut b = vec![0u8; geo.block_size as usize];
    for t in rec.transactions.iter().filter(|t| t.committed) {
        for &pos in &t.revoke_positions {
            read_log(dev, geo, pos, &mut b)?;
            if jb::revoke_count(&b) as usize > b.len() - tail {
                rec.fatal = Some(format!("invalid argument: revoke block {pos} claims {} bytes", jb::revoke_count(&b)));
                return Ok(rec);
            }
        }
    }
    // Pass 2: revokes of committed transactions.
    let mut revoked: BTreeMap<u64, u32> = BTreeMap::new();
    for t in rec.transactions.iter().filter(|t| t.committed) {
        for &b in &t.revokes {
            let e = revoked.entry(b).or_insert(t.sequence);
            if seq_after(t.sequence, *e) {
                *e = t.sequence;
            }
        }
    }
    // Pass 3: replay. Every logged block not revoked is judged in log order; the data of
    // blocks lying next to each other on the device is read (and checksummed) in one go.
    let bs = geo.block_size as usize;
    let per_batch = (VERIFY_BATCH_BYTES / bs).max(1);
    let mut batch = Batch { items: Vec::with_capacity(per_batch), buf: Vec::new() };
    let mut judged = std::mem::take(&mut rec.transactions);
    let r = (|| {
        for t in judged.iter().filter(|t| t.committed) {
            for (tag, pos) in &t.tags {
                if revoked.get(&tag.blocknr).is_some_and(|&r| !seq_after(t.sequence, r)) {
                    rec.revoked_blocks += 1;
                    continue;
                }
                let device_block = match geo.map(*pos) {
                    Ok(d) => d,
                    Err(e) => {
                        // Blocks before this one are judged first (their read error comes first).
                        batch.judge(dev, geo, blocks_count, &mut rec)?;
                        return Err(e);
                    }
                };
                let item = Pending { tag: *tag, sequence: t.sequence, device_block };
                let next = batch.items.last().is_none_or(|p| p.device_block.checked_add(1) == Some(device_block));
                if !next || batch.items.len() >= per_batch {
                    batch.judge(dev, geo, blocks_count, &mut rec)?;
                }
                batch.items.push(item);
            }
        }
        batch.judge(dev, geo, blocks_count, &mut rec)
    })();
    std::mem::swap(&mut rec.transactions, &mut judged);
    r?;
    Ok(rec)
}

/// A logged block waiting for its checksum to be verified.
struct Pending {
    tag: Tag,
    sequence: u32,
    device_block: u64,
}

/// Logged blocks at consecutive device blocks, in log order, and the buffer they are read into.
struct Batch {
    items: Vec<Pending>,
    buf: Vec<u8>,
}

impl Batch {
    /// Read the batch's blocks and judge each in order: a bad tag checksum or a home block past
    /// the end of the file system skips it; otherwise it becomes its home block's newest copy.
    fn judge(&mut self, dev: &dyn Device, geo: &LogGeometry, blocks_count: u64, rec: &mut Recovery) -> Result<()> {
        let Some(first) = self.items.first() else { return Ok(()) };
        let bs = geo.block_size as usize;
        self.buf.resize(bs * self.items.len(), 0);
        if dev.read_at(first.device_block * bs as u64, &mut self.buf).is_err() {
            // Read block by block, so that the error is the one of the first block that fails.
            for (p, b) in self.items.iter().zip(self.buf.chunks_exact_mut(bs)) {
                dev.read_at(p.device_block * bs as u64, b)?;
            }
        }
        for (p, data) in self.items.drain(..).zip(self.buf.chunks_exact(bs)) {
            let tag = p.tag;
            if let Some(seed) = geo.seed {
                let c = jb::tag_checksum(seed, p.sequence, data);
                let ok = if geo.fmt.csum_v3 { c == tag.checksum } else { c & 0xFFFF == tag.checksum };
                if !ok {
                    rec.bad_checksum_blocks.push((tag.blocknr, p.sequence));
                    continue;
                }
            }
            if tag.blocknr >= blocks_count {
                rec.bad_checksum_blocks.push((tag.blocknr, p.sequence));
                continue;
            }
            let copy = LoggedCopy { device_block: p.device_block, escaped: tag.flags & FLAG_ESCAPE != 0 };
            rec.blocks.insert(tag.blocknr, copy);
            rec.replayed_blocks += 1;
        }
        Ok(())
    }
}

/// Whether sequence `a` comes after `b` (wrapping, as jbd2's `tid_gt`).
fn seq_after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// Pass 1: walk transactions from `s_start` until the log stops making sense. As e2fsck 1.47:
/// a bad descriptor or revoke checksum is judged at the next commit block — a commit time not
/// older than the previous transaction's makes the whole recovery fail, an older one means a
/// stale transaction where the log ends; a bad commit checksum ends the log before that
/// transaction (a "failed commit" unless its time went backwards or commits are async).
fn scan(dev: &dyn Device, geo: &LogGeometry, rec: &mut Recovery) -> Result<()> {
    let mut pos = rec.start;
    let mut seq = rec.start_sequence;
    let mut cur: Option<TxnInfo> = None;
    let mut need_check_commit_time = false;
    let mut last_commit_time = 0u64;
    let mut b = vec![0u8; geo.block_size as usize];
    // Every block of the ring at most once: a bound on the walk.
    for _ in 0..=geo.capacity() {
        read_log(dev, geo, pos, &mut b)?;
        let Some(h) = Header::parse(&b) else {
            rec.end_reason = format!("log block {pos} is not a journal block");
            break;
        };
        if h.sequence != seq {
            rec.end_reason = format!("log block {pos} has sequence {} where {seq} was expected", h.sequence);
            break;
        }
        let t = cur.get_or_insert_with(|| TxnInfo { sequence: seq, start: pos, ..Default::default() });
        match h.blocktype {
            BLOCKTYPE_DESCRIPTOR => {
                if geo.seed.is_some_and(|s| !jb::tail_checksum_ok(s, &b)) {
                    rec.bad_descriptor_blocks.push(pos);
                    need_check_commit_time = true;
                }
                t.descriptor_blocks += 1;
                for tag in parse_tags(geo, &b) {
                    pos = geo.next(pos);
                    t.tags.push((tag, pos));
                    t.logged_blocks += 1;
                }
            }
            BLOCKTYPE_REVOKE => {
                if geo.seed.is_some_and(|s| !jb::tail_checksum_ok(s, &b)) {
                    rec.bad_descriptor_blocks.push(pos);
                    need_check_commit_time = true;
                }
                t.revoke_blocks += 1;
                t.revoke_positions.push(pos);
                for r in jb::revoke_records(&b, geo.fmt.bit64, geo.fmt.has_csum()) {
                    t.revokes.push(r);
                    t.revoke_records += 1;
                }
            }
            BLOCKTYPE_COMMIT => {
                let time = jb::commit_time(&b).0;
                if need_check_commit_time {
                    if time >= last_commit_time {
                        rec.fatal = Some(format!(
                            "journal checksum error: a descriptor or revoke block of transaction {seq} is corrupt"
                        ));
                        rec.end_reason = "nothing replayed".into();
                        return Ok(());
                    }
                    rec.end_reason = format!("transaction {seq} is stale (its commit time went backwards)");
                    break;
                }
                if geo.seed.is_some_and(|s| !jb::commit_checksum_ok(s, &b)) {
                    if time >= last_commit_time && !geo.async_commit {
                        rec.failed_commit = Some(seq);
                    }
                    rec.end_reason = format!("commit block {pos} of transaction {seq} has a bad checksum");
                    break;
                }
                last_commit_time = time;
                let mut done = cur.take().unwrap_or_default();
                done.committed = true;
                rec.transactions.push(done);
                seq = seq.wrapping_add(1);
                rec.end_sequence = seq;
            }
            other => {
                rec.end_reason = format!("log block {pos} has unknown type {other}");
                break;
            }
        }
        pos = geo.next(pos);
    }
    if let Some(t) = cur.take() {
        if rec.end_reason.is_empty() {
            rec.end_reason = format!("transaction {} has no commit block", t.sequence);
        }
        rec.transactions.push(t);
    }
    if rec.end_reason.is_empty() {
        rec.end_reason = "the scan went round the whole log".into();
    }
    Ok(())
}

impl Recovery {
    /// The journal's `s_sequence` after recovery: past the last replayed transaction, or
    /// unchanged when recovery hit an error (as e2fsck leaves it) or the log was already empty
    /// (e2fsck then only clears `needs_recovery`; so a replay cut after it reset the log and
    /// run again ends where one replay does).
    pub fn next_sequence(&self) -> u32 {
        if self.start == 0 || self.fatal.is_some() || !self.bad_checksum_blocks.is_empty() {
            self.start_sequence
        } else {
            self.end_sequence.wrapping_add(1)
        }
    }

    /// Whether recovery reported an error (e2fsck's "Journal checksum error" and the like).
    pub fn had_errors(&self) -> bool {
        self.fatal.is_some() || !self.bad_checksum_blocks.is_empty()
    }

    /// Whether the replay was incomplete: blocks skipped for their checksum, a corrupt
    /// transaction that stopped it, or a log that could not be read at all. e2fsck then leaves
    /// the file system marked as having errors.
    pub fn incomplete(&self) -> bool {
        self.had_errors() || self.failed_commit.is_some()
    }
}
