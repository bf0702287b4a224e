//! Opening images for commands: read-only (shared lock, read-only mapping) or for writing
//! (exclusive lock, and only file systems whose features e4dax keeps consistent).

use std::path::Path;

use anyhow::{bail, Context};
use e4dax::fs::Fs;
use e4dax::ondisk::features;
use e4dax::pmem::MappedImage;

/// Open for reading.
pub fn read_only(path: &Path) -> anyhow::Result<Fs<MappedImage>> {
    let dev = MappedImage::open(path, false)?;
    Ok(Fs::open(dev)?)
}

/// Open for writing: refuses features e4dax would not keep consistent and unreplayed journals.
pub fn writable(path: &Path) -> anyhow::Result<Fs<MappedImage>> {
    let dev = MappedImage::open(path, true)?;
    let fs = Fs::open(dev)?;
    features::check_writable(fs.sb.f.s_feature_incompat, fs.sb.f.s_feature_ro_compat)?;
    if fs.sb.needs_recovery() {
        bail!("the journal needs recovery first (replay it with e2fsck -fy)");
    }
    Ok(fs)
}

/// Write the running transaction home and sync the image.
pub fn finish(fs: &mut Fs<MappedImage>) -> anyhow::Result<()> {
    use e4dax::pmem::Device;
    fs.commit().context("writing metadata")?;
    fs.dev.sync().context("syncing the image")?;
    Ok(())
}
