//! A read-only walk of the log for `inspect journal`: what `debugfs logdump -a` shows, plus a
//! checksum verdict for every block (logdump checks none).

use super::LogGeometry;
use crate::error::Result;
use crate::ondisk::jbd2::block::{
    self as jb, Header, FLAG_LAST_TAG, FLAG_SAME_UUID, HEADER_SIZE, TAIL_SIZE, UUID_SIZE,
};
use crate::ondisk::jbd2::superblock::JournalSuperblock;
use crate::ondisk::jbd2::{BLOCKTYPE_COMMIT, BLOCKTYPE_DESCRIPTOR, BLOCKTYPE_REVOKE};
use crate::pmem::Device;

/// One logged block described by a descriptor tag.
#[derive(Clone, Debug, serde::Serialize)]
pub struct TagInfo {
    pub fs_block: u64,
    pub log_block: u32,
    pub flags: u32,
    pub checksum_ok: Option<bool>,
}

/// One block of the log.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LogBlock {
    pub log_block: u32,
    pub kind: &'static str,
    pub sequence: u32,
    /// The block's own checksum (descriptor tail, revoke tail, commit); None without csums.
    pub checksum_ok: Option<bool>,
    pub tags: Vec<TagInfo>,
    pub revoked: Vec<u64>,
    pub commit_time: Option<u64>,
}

/// The log as a walk from `s_start` sees it; an empty log (`s_start` 0) is not walked, as
/// debugfs's logdump does not: what lies in its blocks belongs to transactions already
/// checkpointed.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LogDump {
    pub start: u32,
    pub sequence: u32,
    pub blocks: Vec<LogBlock>,
    pub end: String,
}

/// Walk the log, following sequence numbers, until it stops making sense.
pub fn dump(dev: &dyn Device, geo: &LogGeometry, jsb: &JournalSuperblock) -> Result<LogDump> {
    let start = jsb.start;
    let mut out = LogDump { start, sequence: jsb.sequence, blocks: Vec::new(), end: String::new() };
    if start == 0 {
        out.end = "the journal is empty (s_start 0): nothing to replay".into();
        return Ok(out);
    }
    let bs = u64::from(geo.block_size);
    let mut pos = start;
    let mut seq = jsb.sequence;
    for _ in 0..=geo.capacity() {
        let phys = geo.map(pos)?;
        let b = dev.view(phys * bs, bs as usize)?;
        let Some(h) = Header::parse(&b) else {
            out.end = format!("no magic number at block {pos}: end of journal");
            return Ok(out);
        };
        if h.sequence != seq {
            out.end = format!("found sequence {} (not {seq}) at block {pos}: end of journal", h.sequence);
            return Ok(out);
        }
        let mut lb = LogBlock {
            log_block: pos,
            kind: "unknown",
            sequence: h.sequence,
            checksum_ok: None,
            tags: Vec::new(),
            revoked: Vec::new(),
            commit_time: None,
        };
        match h.blocktype {
            BLOCKTYPE_DESCRIPTOR => {
                lb.kind = "descriptor";
                lb.checksum_ok = geo.seed.map(|s| jb::tail_checksum_ok(s, &b));
                let tail = if geo.fmt.has_csum() { TAIL_SIZE } else { 0 };
                let mut off = HEADER_SIZE;
                let tb = geo.fmt.tag_bytes();
                while off + tb <= b.len() - tail {
                    let t = geo.fmt.parse_tag(&b, off);
                    off += tb;
                    if t.flags & FLAG_SAME_UUID == 0 {
                        off += UUID_SIZE;
                    }
                    pos = geo.next(pos);
                    let data = dev.view(geo.map(pos)? * bs, bs as usize)?;
                    let ok = geo.seed.map(|s| {
                        let c = jb::tag_checksum(s, seq, &data);
                        if geo.fmt.csum_v3 {
                            c == t.checksum
                        } else {
                            c & 0xFFFF == t.checksum
                        }
                    });
                    lb.tags.push(TagInfo { fs_block: t.blocknr, log_block: pos, flags: t.flags, checksum_ok: ok });
                    if t.flags & FLAG_LAST_TAG != 0 {
                        break;
                    }
                }
            }
            BLOCKTYPE_REVOKE => {
                lb.kind = "revoke";
                lb.checksum_ok = geo.seed.map(|s| jb::tail_checksum_ok(s, &b));
                lb.revoked = jb::revoke_records(&b, geo.fmt.bit64, geo.fmt.has_csum()).collect();
            }
            BLOCKTYPE_COMMIT => {
                lb.kind = "commit";
                lb.checksum_ok = geo.seed.map(|s| jb::commit_checksum_ok(s, &b));
                lb.commit_time = Some(jb::commit_time(&b).0);
                seq = seq.wrapping_add(1);
            }
            _ => {}
        }
        let unknown = lb.kind == "unknown";
        out.blocks.push(lb);
        if unknown {
            out.end = format!("unknown block type at block {pos}: end of journal");
            return Ok(out);
        }
        pos = geo.next(pos);
    }
    out.end = "went round the whole log".into();
    Ok(out)
}
