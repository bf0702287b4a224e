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
    let Some((geo, jsb)) = fs.journal_geometry().with_context(ctx)? else {
        anyhow::bail!("{}: the file system has no journal", ctx());
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
