//! `e4dax mkfs`: create a sparse image and format it.

use std::process::ExitCode;

use anyhow::{bail, Context};
use e4dax::clock::Clock;
use e4dax::fs::layout::{Layout, Params, BLOCK_SIZE};
use e4dax::fs::mkfs::{mkfs, MkfsOptions};
use e4dax::ondisk::superblock::{format_uuid, parse_uuid};
use e4dax::pmem::{Device, MappedImage};
use e4dax::units::{format_size, parse_size};

use crate::cli::MkfsArgs;
use crate::output;

pub fn run(a: &MkfsArgs, clock: Clock, json: bool) -> anyhow::Result<ExitCode> {
    let ctx = || format!("mkfs {}", a.image.display());
    if a.block_size != BLOCK_SIZE {
        bail!(
            "{}: block size {} is not supported: DAX needs block size = page size ({BLOCK_SIZE})",
            ctx(),
            a.block_size
        );
    }
    let size = parse_size(&a.size).with_context(ctx)?;
    let journal_bytes = a.journal_size.as_deref().map(parse_size).transpose().with_context(ctx)?;
    let uuid = match &a.uuid {
        Some(u) => parse_uuid(u).with_context(ctx)?,
        None => random_uuid(),
    };
    if a.label.len() > 16 {
        bail!("{}: label '{}' is longer than 16 bytes", ctx(), a.label);
    }
    let time = clock.now();
    let params = Params { size_bytes: size, journal_bytes, inodes: a.inodes, journal: !a.no_journal };
    // Decide everything before touching the file, so that bad arguments leave it alone.
    let layout = Layout::compute(&params).with_context(ctx)?;
    let opts = MkfsOptions { params, uuid, label: a.label.clone(), time, poison: a.poison };
    let mut dev = MappedImage::create(&a.image, size, a.force).with_context(ctx)?;
    // Only poisoning writes every free block: without it there is nothing to show progress of.
    let pb = if a.poison {
        output::progress(layout.free_blocks(), "poisoning free blocks")
    } else {
        indicatif::ProgressBar::hidden()
    };
    let report = mkfs(&mut dev, &opts, &mut |done, _| pb.set_position(done)).with_context(ctx)?;
    pb.finish_and_clear();
    dev.sync().with_context(ctx)?;
    if json {
        let mut v = serde_json::to_value(&report)?;
        v["image"] = serde_json::json!(a.image.display().to_string());
        v["uuid"] = serde_json::json!(format_uuid(&uuid));
        v["block_size"] = serde_json::json!(BLOCK_SIZE);
        output::print_json(&v)?;
    } else {
        let mut t = output::FitTable::new(&[
            ("image", 0),
            ("size", 0),
            ("blocks", 2),
            ("groups", 3),
            ("inodes", 4),
            ("journal", 5),
            ("free blocks", 1),
            ("uuid", 0),
        ]);
        t.row(vec![
            a.image.display().to_string(),
            format_size(report.blocks_count * u64::from(BLOCK_SIZE)),
            report.blocks_count.to_string(),
            report.group_count.to_string(),
            report.inodes_count.to_string(),
            if report.journal_blocks == 0 {
                "none".into()
            } else {
                format_size(report.journal_blocks * u64::from(BLOCK_SIZE))
            },
            report.free_blocks.to_string(),
            format_uuid(&uuid),
        ]);
        t.print();
        if a.poison {
            output::emit(&format!("poisoned {} free blocks with the stale-data pattern", report.poisoned_blocks));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A random (version 4) UUID from the OS's entropy.
fn random_uuid() -> [u8; 16] {
    let mut u = [0u8; 16];
    let filled = std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut u));
    if filled.is_err() {
        // Fall back on the clock and the process id; uniqueness, not secrecy, is the point.
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        u.copy_from_slice(&(t ^ (u128::from(std::process::id()) << 64)).to_le_bytes());
    }
    u[6] = (u[6] & 0x0F) | 0x40;
    u[8] = (u[8] & 0x3F) | 0x80;
    u
}
