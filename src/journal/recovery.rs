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
    /// Home block -> newest replayable contents.
    #[serde(skip)]
    pub blocks: BTreeMap<u64, Box<[u8]>>,
}

fn read_log<'a>(dev: &'a dyn Device, geo: &LogGeometry, jblk: u32) -> Result<std::borrow::Cow<'a, [u8]>> {
    let phys = geo.map(jblk)?;
    let bs = u64::from(geo.block_size);
    Ok(dev.view(phys * bs, bs as usize)?)
}

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
        blocks: BTreeMap::new(),
    };
    if jsb.start == 0 {
        rec.end_reason = "the log is empty".into();
        return Ok(rec);
    }
    if jsb.start < geo.first || jsb.start >= geo.maxlen {
        return Err(Error::corrupt("journal superblock", format!("s_start {} is outside the log", jsb.start)));
    }
    scan(dev, geo, &mut rec)?;
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
    // Pass 3: replay.
    let bs = geo.block_size as usize;
    for t in rec.transactions.iter().filter(|t| t.committed) {
        for (tag, pos) in &t.tags {
            if revoked.get(&tag.blocknr).is_some_and(|&r| !seq_after(t.sequence, r)) {
                rec.revoked_blocks += 1;
                continue;
            }
            let data = read_log(dev, geo, *pos)?;
            if let Some(seed) = geo.seed {
                let c = jb::tag_checksum(seed, t.sequence, &data);
                let ok = if geo.fmt.csum_v3 { c == tag.checksum } else { c & 0xFFFF == tag.checksum };
                if !ok {
                    rec.bad_checksum_blocks.push((tag.blocknr, t.sequence));
                    continue;
                }
            }
            if tag.blocknr >= blocks_count {
                rec.bad_checksum_blocks.push((tag.blocknr, t.sequence));
                continue;
            }
            let mut copy = data.into_owned().into_boxed_slice();
            if tag.flags & FLAG_ESCAPE != 0 {
                copy[..4].copy_from_slice(&MAGIC.to_be_bytes());
            }
            debug_assert_eq!(copy.len(), bs);
            rec.blocks.insert(tag.blocknr, copy);
            rec.replayed_blocks += 1;
        }
    }
    Ok(rec)
}

/// Whether sequence `a` comes after `b` (wrapping, as jbd2's `tid_gt`).
fn seq_after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// Pass 1: walk transactions from `s_start` until the log stops making sense.
fn scan(dev: &dyn Device, geo: &LogGeometry, rec: &mut Recovery) -> Result<()> {
    let mut pos = rec.start;
    let mut seq = rec.start_sequence;
    let mut cur: Option<TxnInfo> = None;
    // Every block of the ring at most once: a bound on the walk.
    for _ in 0..=geo.capacity() {
        let b = read_log(dev, geo, pos)?;
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
                if let Some(seed) = geo.seed {
                    if !jb::tail_checksum_ok(seed, &b) {
                        rec.bad_descriptor_blocks.push(pos);
                        rec.end_reason = format!("descriptor block {pos} of transaction {seq} has a bad checksum");
                        break;
                    }
                }
                t.descriptor_blocks += 1;
                let tags = parse_tags(geo, &b);
                for tag in tags {
                    pos = geo.next(pos);
                    t.tags.push((tag, pos));
                    t.logged_blocks += 1;
                }
            }
            BLOCKTYPE_REVOKE => {
                if let Some(seed) = geo.seed {
                    if !jb::tail_checksum_ok(seed, &b) {
                        rec.bad_descriptor_blocks.push(pos);
                        rec.end_reason = format!("revoke block {pos} of transaction {seq} has a bad checksum");
                        break;
                    }
                }
                t.revoke_blocks += 1;
                for r in jb::revoke_records(&b, geo.fmt.bit64, geo.fmt.has_csum()) {
                    t.revokes.push(r);
                    t.revoke_records += 1;
                }
            }
            BLOCKTYPE_COMMIT => {
                if let Some(seed) = geo.seed {
                    if !jb::commit_checksum_ok(seed, &b) {
                        rec.end_reason = format!("commit block {pos} of transaction {seq} has a bad checksum");
                        break;
                    }
                }
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
