//! Opening images for commands, as mount does: a journal that needs recovery is replayed first
//! (said on stderr) — on the image for writers, in memory for readers, which never write.

use std::path::Path;

use anyhow::{bail, Context};
use e4dax::clock::Clock;
use e4dax::fs::mount::JournalState;
use e4dax::fs::Fs;
use e4dax::ondisk::features;
use e4dax::ondisk::superblock::{self, Superblock};
use e4dax::pmem::{Device, MappedImage};

fn say(path: &Path, state: &JournalState, writable: bool) {
    match state {
        JournalState::Clean => {}
        JournalState::Replayed(r) => eprintln!(
            "e4dax: {}: replayed the journal{}: {} transaction(s), {} block(s), {} revoked, {} skipped",
            path.display(),
            if writable { "" } else { " in memory (read-only)" },
            r.transactions.iter().filter(|t| t.committed).count(),
            r.replayed_blocks,
            r.revoked_blocks,
            r.bad_checksum_blocks.len()
        ),
        JournalState::Discarded => eprintln!(
            "e4dax: {}: the journal held transactions but needs_recovery was clear: {}",
            path.display(),
            if writable { "discarded them, as the kernel does" } else { "ignored" }
        ),
    }
}

/// Pages of the image a command keeps mapped before letting them go (fsck, read-only commands;
/// `MappedImage::set_map_budget`): the page cache keeps them, the process does not.
pub const MAP_BUDGET: u64 = 32 << 20;

/// Open for reading (a journal needing recovery is replayed in memory only).
pub fn read_only(path: &Path) -> anyhow::Result<Fs<MappedImage>> {
    let mut dev = MappedImage::open(path, false)?;
    dev.set_map_budget(Some(MAP_BUDGET));
    let (fs, state) = Fs::mount(dev, false)?;
    say(path, &state, false);
    Ok(fs)
}

/// Open for writing: refuses features e4dax would not keep consistent; replays the journal.
/// Times written come from `clock`.
pub fn writable(path: &Path, no_checkpoint: bool, clock: Clock) -> anyhow::Result<Fs<MappedImage>> {
    let dev = MappedImage::open(path, true)?;
    if let Ok(sb) = Superblock::parse(&dev.view(superblock::OFFSET, superblock::SIZE)?) {
        features::check_writable(sb.f.s_feature_incompat, sb.f.s_feature_ro_compat)?;
    }
    let (mut fs, state) = Fs::mount(dev, true)?;
    say(path, &state, true);
    if let Some(why) = &fs.desc_from_backup {
        bail!("the group descriptors are damaged ({why}): run `e4dax fsck` first");
    }
    if no_checkpoint && fs.journal.is_none() {
        bail!("--no-checkpoint needs a file system with a journal");
    }
    fs.no_checkpoint = no_checkpoint;
    fs.clock = clock;
    Ok(fs)
}

/// Commit (and, unless --no-checkpoint, checkpoint) and sync the image.
pub fn finish(fs: &mut Fs<MappedImage>) -> anyhow::Result<()> {
    fs.unmount().context("committing")?;
    fs.dev.sync().context("syncing the image")?;
    Ok(())
}
