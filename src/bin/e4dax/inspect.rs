//! `e4dax inspect IMAGE super|groups`: what dumpe2fs shows, as a table or JSON. Read-only.

use std::process::ExitCode;

use anyhow::Context;
use e4dax::fs::Fs;
use e4dax::ondisk::superblock::format_uuid;
use e4dax::pmem::MappedImage;
use serde_json::{json, Value};

use crate::cli::{InspectArgs, InspectWhat};
use crate::output;

pub fn run(a: &InspectArgs, json_out: bool) -> anyhow::Result<ExitCode> {
    let ctx = || format!("inspect {}", a.image.display());
    let dev = MappedImage::open(&a.image, false).with_context(ctx)?;
    let fs = Fs::open(dev).with_context(ctx)?;
    match a.what {
        InspectWhat::Super => {
            let v = super_json(&fs).with_context(ctx)?;
            if json_out {
                output::print_json(&v)?;
            } else {
                print_fields(&v);
            }
        }
        InspectWhat::Groups => {
            let v = groups_json(&fs);
            if json_out {
                output::print_json(&v)?;
            } else {
                print_groups(&v);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn super_json(fs: &Fs<MappedImage>) -> anyhow::Result<Value> {
    let sb = &fs.sb;
    let f = &sb.f;
    let journal = match fs.journal_superblock() {
        Ok(Some(j)) => json!({
            "features": j.feature_names(),
            "blocks": j.maxlen,
            "first": j.first,
            "sequence": j.sequence,
            "start": j.start,
            "uuid": format_uuid(&j.uuid),
            "checksum_type": j.checksum_type,
            "checksum": format!("{:#010x}", j.checksum),
            "errno": j.errno,
        }),
        Ok(None) => Value::Null,
        Err(e) => json!({ "error": e.to_string() }),
    };
    let state = match (f.s_state & 1 != 0, f.s_state & 2 != 0) {
        (true, false) => "clean",
        (true, true) => "clean with errors",
        (false, false) => "not clean",
        (false, true) => "not clean with errors",
    };
    Ok(json!({
        "volume_name": sb.volume_name(),
        "last_mounted": sb.last_mounted(),
        "uuid": format_uuid(&f.s_uuid),
        "magic": format!("{:#06x}", f.s_magic),
        "revision": f.s_rev_level,
        "features": sb.feature_names(),
        "state": state,
        "inodes_count": f.s_inodes_count,
        "blocks_count": sb.blocks_count(),
        "reserved_blocks_count": sb.r_blocks_count(),
        "overhead_clusters": f.s_overhead_clusters,
        "free_blocks": sb.free_blocks_count(),
        "free_inodes": f.s_free_inodes_count,
        "first_data_block": f.s_first_data_block,
        "block_size": sb.block_size(),
        "desc_size": sb.desc_size(),
        "reserved_gdt_blocks": f.s_reserved_gdt_blocks,
        "blocks_per_group": f.s_blocks_per_group,
        "inodes_per_group": f.s_inodes_per_group,
        "inode_table_blocks": sb.inode_table_blocks(),
        "group_count": sb.group_count(),
        "flex_bg_size": 1u64 << f.s_log_groups_per_flex.min(31),
        "created": sb.mkfs_time(),
        "last_mount_time": sb.mount_time(),
        "last_write_time": sb.write_time(),
        "mount_count": f.s_mnt_count,
        "max_mount_count": f.s_max_mnt_count as i16,
        "last_checked": sb.lastcheck_time(),
        "first_inode": f.s_first_ino,
        "inode_size": sb.inode_size(),
        "min_extra_isize": f.s_min_extra_isize,
        "want_extra_isize": f.s_want_extra_isize,
        "journal_inode": if sb.has_journal() { f.s_journal_inum } else { 0 },
        "journal_uuid": format_uuid(&f.s_journal_uuid),
        "default_hash": f.s_def_hash_version,
        "checksum_type": f.s_checksum_type,
        "checksum": format!("{:#010x}", f.s_checksum),
        "checksum_ok": sb.checksum_ok(),
        "journal": journal,
    }))
}

fn groups_json(fs: &Fs<MappedImage>) -> Value {
    let sb = &fs.sb;
    let itb = sb.inode_table_blocks();
    let v: Vec<Value> = fs
        .groups()
        .iter()
        .enumerate()
        .map(|(g, d)| {
            let first = sb.group_first_block(g as u64);
            let count = sb.group_block_count(g as u64);
            json!({
                "group": g,
                "first_block": first,
                "last_block": first + count.saturating_sub(1),
                "flags": d.flag_names(),
                "superblock_backup": sb.group_has_super(g as u64),
                "block_bitmap": d.block_bitmap,
                "inode_bitmap": d.inode_bitmap,
                "inode_table": d.inode_table,
                "inode_table_last": d.inode_table + itb.saturating_sub(1),
                "free_blocks": d.free_blocks,
                "free_inodes": d.free_inodes,
                "used_dirs": d.used_dirs,
                "itable_unused": d.itable_unused,
                "block_bitmap_csum": format!("{:#010x}", d.block_bitmap_csum),
                "inode_bitmap_csum": format!("{:#010x}", d.inode_bitmap_csum),
                "checksum": format!("{:#06x}", d.checksum),
                "checksum_ok": fs.group_checksum_ok(g),
            })
        })
        .collect();
    Value::Array(v)
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(scalar).collect::<Vec<_>>().join(" "),
        Value::Null => "none".into(),
        other => other.to_string(),
    }
}

fn print_fields(v: &Value) {
    let mut t = output::table();
    t.set_header(vec!["field", "value"]);
    if let Value::Object(m) = v {
        for (k, val) in m {
            match val {
                Value::Object(inner) => {
                    for (ik, iv) in inner {
                        t.add_row(vec![format!("{k}.{ik}"), scalar(iv)]);
                    }
                }
                _ => {
                    t.add_row(vec![k.clone(), scalar(val)]);
                }
            }
        }
    }
    println!("{t}");
}

fn print_groups(v: &Value) {
    let mut t = output::table();
    t.set_header(vec![
        "group",
        "blocks",
        "flags",
        "block bitmap",
        "inode bitmap",
        "inode table",
        "free blocks",
        "free inodes",
        "dirs",
        "unused inodes",
        "csum",
    ]);
    for g in v.as_array().into_iter().flatten() {
        t.add_row(vec![
            scalar(&g["group"]),
            format!("{}-{}", g["first_block"], g["last_block"]),
            scalar(&g["flags"]),
            scalar(&g["block_bitmap"]),
            scalar(&g["inode_bitmap"]),
            format!("{}-{}", g["inode_table"], g["inode_table_last"]),
            scalar(&g["free_blocks"]),
            scalar(&g["free_inodes"]),
            scalar(&g["used_dirs"]),
            scalar(&g["itable_unused"]),
            if g["checksum_ok"] == json!(true) {
                "ok".into()
            } else {
                "BAD".into()
            },
        ]);
    }
    println!("{t}");
}
