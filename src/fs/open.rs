//! Opening a file system the way fsck does (falling back on group 1's backup superblock,
//! resetting a corrupt journal superblock, replaying the journal) and replaying a journal on
//! its own (`journal-replay`), on any [`Device`].

use super::image::Fs;
use super::mount::JournalState;
use crate::check::problem;
use crate::error::{Error, Result};
use crate::journal::recovery::{self, Recovery};
use crate::ondisk::superblock::{self, Superblock};
use crate::pmem::Device;

/// A finding decided before the checker runs, to be fed to `Checker::note`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlyNote {
    pub code: u32,
    pub detail: String,
    pub fixed: bool,
}

/// What [`open_for_check`] opened, and what it found on the way.
pub struct Opened<D: Device> {
    pub fs: Fs<D>,
    /// Findings for `Checker::note`, in order.
    pub notes: Vec<EarlyNote>,
    /// The primary superblock was refused and group 1's backup used instead.
    pub used_backup: bool,
}

fn note(notes: &mut Vec<EarlyNote>, code: u32, detail: String, fixed: bool) {
    notes.push(EarlyNote { code, detail, fixed });
}

/// Open as e2fsck would: a primary superblock that fails its checksum or validation is replaced
/// by the backup of group 1 (written home when `writable`); a journal needing recovery is
/// replayed (not read-only, which checks the image as it is and says so); a corrupt journal
/// superblock is reset when `writable`.
pub fn open_for_check<D: Device>(dev: D, writable: bool) -> Result<Opened<D>> {
    open_for_check_with(dev, writable, None)
}

/// Open with a backup superblock in place of the primary (written home when `writable`).
fn open_with_backup<D: Device>(dev: D, backup: Superblock, writable: bool) -> Result<Fs<D>> {
    if writable {
        let mut b = backup;
        b.f.s_block_group_nr = 0;
        let mut dev = dev;
        dev.store(superblock::OFFSET, &b.encode())?;
        dev.flush(superblock::OFFSET, superblock::SIZE as u64)?;
        dev.fence()?;
        Fs::open(dev)
    } else {
        Fs::open_with_superblock(dev, backup)
    }
}

/// The superblock at block `block`, as e2fsck -b finds it: the block size is the one, from
/// 1 KiB to 64 KiB, at which a valid superblock of that block size lies there.
pub fn superblock_at<D: Device>(dev: &D, block: u64) -> Result<Superblock> {
    let mut last = None;
    for log in superblock::LOG_BLOCK_SIZE_MIN..=superblock::LOG_BLOCK_SIZE_MAX {
        let bs = 1u64 << log;
        let Some(at) = block.checked_mul(bs) else { continue };
        let raw = match dev.view(at, superblock::SIZE) {
            Ok(r) => r,
            Err(e) => {
                last = Some(Error::from(e));
                continue;
            }
        };
        match Superblock::parse(&raw) {
            Ok(sb) if u64::from(sb.block_size()) == bs => return Ok(sb),
            Ok(_) => {}
            Err(e) => last = Some(e),
        }
    }
    Err(Error::Invalid(format!(
        "no valid superblock at block {block}{}",
        last.map(|e| format!(" ({e})")).unwrap_or_default()
    )))
}

/// [`open_for_check`], with the superblock at block `superblock` (e2fsck's `-b`) used in
/// place of the primary when given.
pub fn open_for_check_with<D: Device>(dev: D, writable: bool, superblock: Option<u64>) -> Result<Opened<D>> {
    let mut notes = Vec::new();
    let mut used_backup = false;
    let primary = dev.view(superblock::OFFSET, superblock::SIZE)?.into_owned();
    let parsed = if primary.len() == superblock::SIZE { Some(Superblock::parse(&primary)) } else { None };
    let fs = match (superblock, parsed) {
        (Some(block), _) => {
            let sb = superblock_at(&dev, block)?;
            used_backup = true;
            open_with_backup(dev, sb, writable)?
        }
        (None, None | Some(Ok(_))) => Fs::open(dev)?,
        (None, Some(Err(Error::Checksum { .. } | Error::Corrupt { .. }))) => {
            let backup = backup_superblock(&dev, &primary)?;
            used_backup = true;
            note(&mut notes, problem::SB_CHECKSUM, String::new(), writable);
            open_with_backup(dev, backup, writable)?
        }
        (None, Some(Err(e))) => return Err(e),
    };
    if !fs.sb.has_journal() {
        return Ok(Opened { fs, notes, used_backup });
    }
    let mut fs = fs;
    // As e2fsck: a journal inode that is not a regular file mapped by blocks (cleared, or
    // overwritten) is "an invalid journal"; repairing it deletes the journal.
    if let Some(why) = invalid_journal_inode(&fs) {
        let ino = fs.sb.f.s_journal_inum;
        note(&mut notes, problem::JOURNAL_INODE_INVALID, format!("inode {ino}: {why}"), writable);
        if writable {
            fs.delete_journal()?;
        } else {
            fs.sb.f.s_feature_compat &= !crate::ondisk::features::compat::HAS_JOURNAL;
        }
        return Ok(Opened { fs, notes, used_backup });
    }
    match fs.journal_geometry() {
        Ok(_) => {}
        Err(e @ (Error::Checksum { .. } | Error::Corrupt { .. })) => {
            note(&mut notes, problem::JOURNAL_SUPERBLOCK_CORRUPT, e.to_string(), writable);
            if !writable {
                return Ok(Opened { fs, notes, used_backup });
            }
            fs.reset_journal_superblock()?;
        }
        Err(e) => return Err(e),
    }
    if !writable {
        if fs.sb.needs_recovery() {
            note(&mut notes, problem::JOURNAL_SKIPPED, "checking the image as it is".into(), false);
        }
        return Ok(Opened { fs, notes, used_backup });
    }
    let needs = fs.sb.needs_recovery();
    let (fs, state) = Fs::mount(fs.dev, true)?;
    if needs {
        let detail = match state {
            JournalState::Replayed(r) => format!(
                "replayed {} block(s) of {} transaction(s)",
                r.replayed_blocks,
                r.transactions.iter().filter(|t| t.committed).count()
            ),
            _ => String::new(),
        };
        note(&mut notes, problem::JOURNAL_NEEDS_RECOVERY, detail, true);
    }
    Ok(Opened { fs, notes, used_backup })
}

/// Why the journal inode cannot hold a journal, if it cannot.
fn invalid_journal_inode<D: Device>(fs: &Fs<D>) -> Option<String> {
    let ino = fs.sb.f.s_journal_inum;
    if ino == 0 || ino >= fs.sb.f.s_first_ino {
        return Some(format!("journal inode number {ino} is not a reserved inode"));
    }
    let node = match fs.inode(ino) {
        Ok(n) => n,
        Err(e) => return Some(e.to_string()),
    };
    if !node.is_reg() {
        return Some(format!("mode {:#o} is not a regular file", node.f.i_mode));
    }
    // Mapped by extents, or by blocks (ext3's journals are block-mapped): a block map that
    // cannot be followed (a pointer out of range) holds no journal, as e2fsck finds.
    if node.has_flag(crate::ondisk::inode::FL_INLINE_DATA) {
        return Some("its data is inline".into());
    }
    if super::map::map_kind(&node, fs.block_size()) == super::map::MapKind::Blocks {
        if let Err(e) = fs.file_extents(ino, &node) {
            return Some(e.to_string());
        }
    }
    if node.size() < u64::from(fs.block_size()) * 1024 {
        return Some(format!("size {} is below the 1024 blocks of the smallest journal", node.size()));
    }
    // As e2fsck ("journal too small"): an i_size past the last block it maps, when the map is
    // the one the superblock keeps a copy of (a map that lost blocks e2fsck reads from that
    // copy instead; e4dax's later checks see it).
    let map_is_backup = (0..15).all(|i| crate::ondisk::le::u32(&node.f.i_block, 4 * i) == fs.sb.f.s_jnl_blocks[i]);
    if let (true, Ok(extents)) = (map_is_backup, fs.file_extents(ino, &node)) {
        let mapped = extents.iter().map(|e| e.logical_end()).max().unwrap_or(0);
        if mapped.saturating_mul(u64::from(fs.block_size())) < node.size() {
            return Some(format!("size {} is past the {mapped} blocks it maps", node.size()));
        }
    }
    None
}

/// The superblock backup of group 1, located with the (damaged) primary's geometry.
pub fn backup_superblock<D: Device>(dev: &D, primary: &[u8]) -> Result<Superblock> {
    let p = Superblock::parse_unchecked(primary)?;
    let bs = u64::from(p.block_size());
    let at = u64::from(p.f.s_first_data_block)
        .checked_add(u64::from(p.f.s_blocks_per_group))
        .and_then(|b| b.checked_mul(bs))
        .ok_or_else(|| Error::corrupt("superblock", "group 1 lies past the end of addressable space"))?;
    let raw = dev.view(at, superblock::SIZE)?;
    Superblock::parse(&raw)
        .map_err(|e| Error::Invalid(format!("the primary superblock is damaged and so is the backup in group 1: {e}")))
}

/// What [`replay_journal`] did.
#[derive(Debug)]
pub enum ReplayReport {
    /// The file system has no journal.
    NoJournal,
    /// The journal superblock was corrupt and was reset to an empty log; nothing replayed.
    Reset { error: String, sequence: u32 },
    /// `needs_recovery` was clear: nothing replayed (`log_start` 0 means the log is empty).
    NotNeeded { log_start: u32 },
    /// The log was scanned; `written` says whether its blocks went home.
    Recovered { recovery: Recovery, written: bool },
}

/// Replay the journal as e2fsck would: recover the log and (unless `dry_run`) write it home
/// and sync. A corrupt journal superblock is reset (unless `dry_run`, where it is an error).
pub fn replay_journal<D: Device>(dev: D, dry_run: bool) -> Result<(Fs<D>, ReplayReport)> {
    let mut fs = Fs::open(dev)?;
    let (geo, jsb) = match fs.journal_geometry() {
        Ok(Some(g)) => g,
        Ok(None) => return Ok((fs, ReplayReport::NoJournal)),
        Err(e @ (Error::Checksum { .. } | Error::Corrupt { .. })) if !dry_run => {
            let sequence = fs.reset_journal_superblock()?;
            fs.dev.sync()?;
            return Ok((fs, ReplayReport::Reset { error: e.to_string(), sequence }));
        }
        Err(e) => return Err(e),
    };
    if !fs.sb.needs_recovery() {
        return Ok((fs, ReplayReport::NotNeeded { log_start: jsb.start }));
    }
    let recovery = recovery::recover(&fs.dev, &geo, &jsb, fs.sb.blocks_count())?;
    let mut written = false;
    if !dry_run {
        fs.apply_recovery(&geo, &jsb, &recovery)?;
        fs.dev.sync()?;
        written = true;
    }
    Ok((fs, ReplayReport::Recovered { recovery, written }))
}
