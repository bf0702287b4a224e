//! `e4dax fsck`: e2fsck's interface over the library's checker, with its exit codes.

use std::process::ExitCode;

use e4dax::check::{self, problem, Checker, Mode, Options, EXIT_ERROR};
use e4dax::fs::Fs;
use e4dax::ondisk::superblock::{self, Superblock};
use e4dax::pmem::{Device, MappedImage};
use serde_json::json;

use crate::cli::FsckArgs;
use crate::output;

pub fn run(a: &FsckArgs, json_out: bool) -> ExitCode {
    match check_image(a, json_out) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("e4dax: fsck {}: {}", a.image.display(), output::one_line(&e));
            ExitCode::from(EXIT_ERROR as u8)
        }
    }
}

/// Findings decided before the checker runs (superblock backup, journal).
struct Early {
    notes: Vec<(u32, String, bool)>,
}

fn check_image(a: &FsckArgs, json_out: bool) -> anyhow::Result<i32> {
    let mode = if a.yes {
        Mode::Yes
    } else if a.preen {
        Mode::Preen
    } else {
        Mode::No
    };
    let writable = mode != Mode::No;
    let mut early = Early { notes: Vec::new() };
    let dev = MappedImage::open(&a.image, writable)?;
    let mut fs = open_fs(dev, writable, &mut early)?;
    let pb = output::spinner();
    let opts = Options { mode, data: a.data };
    let mut checker = Checker::new(&mut fs, opts);
    for (code, msg, fixed) in early.notes {
        checker.note(code, msg, fixed);
    }
    let report = checker.run(&mut |name| pb.set_message(name))?;
    pb.finish_and_clear();
    if writable {
        fs.dev.sync()?;
    }
    let files = u64::from(fs.sb.f.s_inodes_count) - u64::from(fs.sb.f.s_free_inodes_count);
    let blocks = fs.sb.blocks_count() - fs.sb.free_blocks_count();
    if json_out {
        let mut v = serde_json::to_value(&report)?;
        v["image"] = json!(a.image.display().to_string());
        output::print_json(&v)?;
    } else {
        if !report.findings.is_empty() {
            let mut t = output::table();
            t.set_header(vec!["code", "pass", "problem", "fixed"]);
            for f in &report.findings {
                t.add_row(vec![
                    f.code.clone(),
                    f.pass.to_string(),
                    f.message.clone(),
                    if f.fixed { "yes".into() } else { "no".to_string() },
                ]);
            }
            output::emit(&t.to_string());
        }
        output::emit(&format!(
            "{}: {}/{} files, {}/{} blocks{}",
            a.image.display(),
            files,
            fs.sb.f.s_inodes_count,
            blocks,
            fs.sb.blocks_count(),
            match report.exit_code {
                0 => "",
                1 => " (errors fixed)",
                _ => " (errors left uncorrected)",
            }
        ));
    }
    Ok(report.exit_code)
}

/// Open as e2fsck would: a primary superblock that fails its checksum is replaced by the
/// backup of group 1; a journal needing recovery is replayed (not with -n, which checks the
/// image as it is and says so); a corrupt journal superblock is reset by -y/-p.
fn open_fs(dev: MappedImage, writable: bool, early: &mut Early) -> anyhow::Result<Fs<MappedImage>> {
    let primary = dev.view(superblock::OFFSET, superblock::SIZE)?.into_owned();
    let fs = match Superblock::parse(&primary) {
        Ok(_) => Fs::open(dev)?,
        Err(e4dax::Error::Checksum { .. } | e4dax::Error::Corrupt { .. }) => {
            let backup = backup_superblock(&dev, &primary)?;
            early.notes.push((problem::SB_CHECKSUM, String::new(), writable));
            if writable {
                let mut b = backup.clone();
                b.f.s_block_group_nr = 0;
                let mut dev = dev;
                dev.store(superblock::OFFSET, &b.encode())?;
                dev.flush(superblock::OFFSET, superblock::SIZE as u64)?;
                dev.fence()?;
                Fs::open(dev)?
            } else {
                Fs::open_with_superblock(dev, backup)?
            }
        }
        Err(e) => return Err(e.into()),
    };
    if !fs.sb.has_journal() {
        return Ok(fs);
    }
    let mut fs = fs;
    match fs.journal_geometry() {
        Ok(_) => {}
        Err(e @ (e4dax::Error::Checksum { .. } | e4dax::Error::Corrupt { .. })) => {
            early.notes.push((problem::JOURNAL_SUPERBLOCK_CORRUPT, e.to_string(), writable));
            if !writable {
                return Ok(fs);
            }
            fs.reset_journal_superblock()?;
        }
        Err(e) => return Err(e.into()),
    }
    if !writable {
        if fs.sb.needs_recovery() {
            early.notes.push((problem::JOURNAL_SKIPPED, "checking the image as it is".into(), false));
        }
        return Ok(fs);
    }
    let needs = fs.sb.needs_recovery();
    let (fs, state) = Fs::mount(fs.dev, true)?;
    if needs {
        let detail = match state {
            e4dax::fs::mount::JournalState::Replayed(r) => {
                format!(
                    "replayed {} block(s) of {} transaction(s)",
                    r.replayed_blocks,
                    r.transactions.iter().filter(|t| t.committed).count()
                )
            }
            _ => String::new(),
        };
        early.notes.push((problem::JOURNAL_NEEDS_RECOVERY, detail, true));
    }
    let _ = check::PASSES;
    Ok(fs)
}

/// The superblock backup of group 1, located with the (damaged) primary's geometry.
fn backup_superblock(dev: &MappedImage, primary: &[u8]) -> anyhow::Result<Superblock> {
    let p = Superblock::parse_unchecked(primary)?;
    let bs = u64::from(p.block_size());
    let at = (u64::from(p.f.s_first_data_block) + u64::from(p.f.s_blocks_per_group)) * bs;
    let raw = dev.view(at, superblock::SIZE)?;
    Superblock::parse(&raw)
        .map_err(|e| anyhow::anyhow!("the primary superblock is damaged and so is the backup in group 1: {e}"))
}
