//! `e4dax journal-replay`: replay the journal as mount or e2fsck would, and say what it found.

use std::process::ExitCode;

use anyhow::Context;
use e4dax::fs::open::{replay_journal, ReplayReport};
use e4dax::pmem::MappedImage;
use serde_json::json;

use crate::cli::JournalReplayArgs;
use crate::output;

pub fn replay(a: &JournalReplayArgs, json_out: bool) -> anyhow::Result<ExitCode> {
    let ctx = || format!("journal-replay {}", a.image.display());
    let mut dev = MappedImage::open(&a.image, !a.dry_run).with_context(ctx)?;
    dev.set_map_budget(Some(crate::open::MAP_BUDGET));
    // A big log takes a while: a spinner on a terminal (nothing on a pipe).
    let pb = output::spinner();
    pb.set_message(if a.dry_run { "reading the journal" } else { "replaying the journal" });
    let replayed = replay_journal(dev, a.dry_run);
    pb.finish_and_clear();
    let (_fs, report) = replayed.with_context(ctx)?;
    let (rec, log_start, wrote) = match report {
        ReplayReport::NoJournal => anyhow::bail!("{}: the file system has no journal", ctx()),
        ReplayReport::Reset { error, sequence } => {
            // As e2fsck -fy: a corrupt journal superblock is reset; nothing is replayed.
            let msg = format!(
                "the journal superblock was corrupt ({error}): reset it to an empty log (sequence {sequence}); nothing replayed"
            );
            if json_out {
                output::print_json(
                    &json!({ "image": a.image.display().to_string(), "journal_superblock_reset": true, "message": msg }),
                )?;
            } else {
                eprintln!("e4dax: {}: {msg}", a.image.display());
            }
            return Ok(ExitCode::SUCCESS);
        }
        ReplayReport::NotNeeded { log_start } => (None, log_start, false),
        ReplayReport::Recovered { recovery, written } => (Some(recovery), 0, written),
    };
    let v = match &rec {
        None => json!({
            "image": a.image.display().to_string(),
            "needs_recovery": false,
            "log_start": log_start,
            "message": if log_start == 0 { "the journal is empty: nothing to replay" }
                       else { "needs_recovery is clear: the log is not replayed (mount would discard it)" },
        }),
        Some(r) => json!({
            "image": a.image.display().to_string(),
            "needs_recovery": true,
            "dry_run": a.dry_run,
            "written": wrote,
            "log_start": r.start,
            "start_sequence": r.start_sequence,
            "end_sequence": r.end_sequence,
            "end_reason": r.end_reason,
            "transactions": r.transactions,
            "blocks_replayed": r.replayed_blocks,
            "blocks_revoked": r.revoked_blocks,
            "blocks_skipped_bad_checksum": r.bad_checksum_blocks.iter().map(|(b, s)| json!({"block": b, "sequence": s})).collect::<Vec<_>>(),
            "bad_descriptor_blocks": r.bad_descriptor_blocks,
            "failed_commit": r.failed_commit,
            "error": r.fatal,
            "next_sequence": r.next_sequence(),
            "incomplete": r.incomplete(),
        }),
    };
    if json_out {
        output::print_json(&v)?;
    } else {
        match &rec {
            None => output::emit(&format!("{}: {}", a.image.display(), v["message"].as_str().unwrap_or(""))),
            Some(r) => {
                let mut t = output::FitTable::new(&[
                    ("sequence", 0),
                    ("start block", 2),
                    ("descriptors", 3),
                    ("logged blocks", 0),
                    ("revokes", 1),
                    ("committed", 0),
                ]);
                for x in &r.transactions {
                    t.row(vec![
                        x.sequence.to_string(),
                        x.start.to_string(),
                        x.descriptor_blocks.to_string(),
                        x.logged_blocks.to_string(),
                        x.revoke_records.to_string(),
                        if x.committed { "yes".into() } else { "no (not replayed)".to_string() },
                    ]);
                }
                t.print();
                if let Some(f) = &r.fatal {
                    eprintln!(
                        "e4dax: {}: {f}; nothing replayed (the log is cleared, as e2fsck does)",
                        a.image.display()
                    );
                }
                if let Some(n) = r.failed_commit {
                    eprintln!("e4dax: {}: journal transaction {n} was corrupt, replay was aborted", a.image.display());
                }
                if !r.bad_checksum_blocks.is_empty() {
                    eprintln!(
                        "e4dax: {}: journal checksum error: {} logged block(s) skipped",
                        a.image.display(),
                        r.bad_checksum_blocks.len()
                    );
                }
                if r.incomplete() && !a.dry_run {
                    eprintln!(
                        "e4dax: {}: the replay was incomplete: the file system is marked as having errors (run fsck)",
                        a.image.display()
                    );
                }
                output::emit(&format!(
                    "{} {} block(s), {} revoked, {} skipped (bad checksum); scan ended: {}",
                    if a.dry_run { "would replay" } else { "replayed" },
                    r.replayed_blocks,
                    r.revoked_blocks,
                    r.bad_checksum_blocks.len(),
                    r.end_reason
                ));
            }
        }
    }
    // As e2fsck: a replay that skipped blocks or gave up is not a success.
    if rec.as_ref().is_some_and(|r| r.incomplete()) {
        return Ok(ExitCode::from(EXIT_INCOMPLETE));
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit status when the replay skipped blocks or abandoned the log.
const EXIT_INCOMPLETE: u8 = 1;
