//! `e4dax journal-replay`: replay the journal as mount or e2fsck would, and say what it found.

use std::process::ExitCode;

use anyhow::Context;
use e4dax::fs::Fs;
use e4dax::journal::recovery;
use e4dax::pmem::{Device, MappedImage};
use serde_json::json;

use crate::cli::JournalReplayArgs;
use crate::output;

pub fn replay(a: &JournalReplayArgs, json_out: bool) -> anyhow::Result<ExitCode> {
    let ctx = || format!("journal-replay {}", a.image.display());
    let dev = MappedImage::open(&a.image, !a.dry_run).with_context(ctx)?;
    let mut fs = Fs::open(dev).with_context(ctx)?;
    let (geo, jsb) = match fs.journal_geometry() {
        Ok(Some(g)) => g,
        Ok(None) => anyhow::bail!("{}: the file system has no journal", ctx()),
        Err(e @ (e4dax::Error::Checksum { .. } | e4dax::Error::Corrupt { .. })) if !a.dry_run => {
            // As e2fsck -fy: a corrupt journal superblock is reset; nothing is replayed.
            let seq = fs.reset_journal_superblock().with_context(ctx)?;
            fs.dev.sync().with_context(ctx)?;
            let msg = format!(
                "the journal superblock was corrupt ({e}): reset it to an empty log (sequence {seq}); nothing replayed"
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
        Err(e) => return Err(e).with_context(ctx),
    };
    let needs = fs.sb.needs_recovery();
    let rec = if needs {
        Some(recovery::recover(&fs.dev, &geo, &jsb, fs.sb.blocks_count()).with_context(ctx)?)
    } else {
        None
    };
    let mut wrote = false;
    if !a.dry_run {
        if let Some(r) = &rec {
            fs.apply_recovery(&geo, &jsb, r).with_context(ctx)?;
            fs.dev.sync().with_context(ctx)?;
            wrote = true;
        }
    }
    let v = match &rec {
        None => json!({
            "image": a.image.display().to_string(),
            "needs_recovery": false,
            "log_start": jsb.start,
            "message": if jsb.start == 0 { "the journal is empty: nothing to replay" }
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
        }),
    };
    if json_out {
        output::print_json(&v)?;
    } else {
        match &rec {
            None => output::emit(&format!("{}: {}", a.image.display(), v["message"].as_str().unwrap_or(""))),
            Some(r) => {
                let mut t = output::table();
                t.set_header(vec!["sequence", "start block", "descriptors", "logged blocks", "revokes", "committed"]);
                for x in &r.transactions {
                    t.add_row(vec![
                        x.sequence.to_string(),
                        x.start.to_string(),
                        x.descriptor_blocks.to_string(),
                        x.logged_blocks.to_string(),
                        x.revoke_records.to_string(),
                        if x.committed { "yes".into() } else { "no (not replayed)".to_string() },
                    ]);
                }
                output::emit(&t.to_string());
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
    Ok(ExitCode::SUCCESS)
}
