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
    let mut dev = MappedImage::open(&a.image, false).with_context(ctx)?;
    dev.set_map_budget(Some(crate::open::MAP_BUDGET));
    let fs = Fs::open(dev).with_context(ctx)?;
    match &a.what {
        InspectWhat::Journal => {
            let Some((geo, jsb)) = fs.journal_geometry().with_context(ctx)? else {
                anyhow::bail!("{}: the file system has no journal", ctx());
            };
            let d = e4dax::journal::logdump::dump(&fs.dev, &geo, &jsb).with_context(ctx)?;
            if json_out {
                output::print_json(&d)?;
            } else {
                print_journal(&d);
            }
        }
        InspectWhat::Inode { path } => {
            let ino = resolve(&fs, path).with_context(ctx)?;
            let v = inode_json(&fs, ino).with_context(ctx)?;
            if json_out {
                output::print_json(&v)?;
            } else {
                print_fields(&v);
            }
        }
        InspectWhat::Extents { path } => {
            let ino = resolve(&fs, path).with_context(ctx)?;
            let v = extents_json(&fs, ino).with_context(ctx)?;
            if json_out {
                output::print_json(&v)?;
            } else {
                print_extents(&v);
            }
        }
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

/// `#N` names inode N; anything else is a path.
fn resolve(fs: &Fs<MappedImage>, what: &str) -> anyhow::Result<u32> {
    if let Some(n) = what.strip_prefix('#') {
        let ino: u32 = n.parse().with_context(|| format!("'{what}' is not an inode number"))?;
        fs.inode_offset(ino)?;
        return Ok(ino);
    }
    Ok(fs.resolve(what)?)
}

fn inode_json(fs: &Fs<MappedImage>, ino: u32) -> anyhow::Result<Value> {
    use e4dax::ondisk::inode as i;
    let n = fs.inode(ino)?;
    let f = &n.f;
    let kind = match n.file_type() {
        i::S_IFREG => "regular",
        i::S_IFDIR => "directory",
        i::S_IFLNK => "symlink",
        i::S_IFCHR => "character device",
        i::S_IFBLK => "block device",
        i::S_IFIFO => "fifo",
        i::S_IFSOCK => "socket",
        _ => "bad type",
    };
    let huge = fs.sb.has_ro_compat(e4dax::ondisk::features::ro_compat::HUGE_FILE);
    Ok(json!({
        "inode": ino,
        "type": kind,
        "mode": format!("{:04o}", f.i_mode & 0o7777),
        "flags": format!("{:#x}", f.i_flags),
        "extents": n.has_flag(i::FL_EXTENTS),
        "generation": f.i_generation,
        "uid": n.uid(),
        "gid": n.gid(),
        "size": n.size(),
        "links": f.i_links_count,
        "blockcount": n.blocks_512(huge, fs.block_size()),
        "file_acl": n.file_acl(),
        "ctime": f.i_ctime,
        "atime": f.i_atime,
        "mtime": f.i_mtime,
        "crtime": f.i_crtime,
        "dtime": f.i_dtime,
        "extra_isize": f.i_extra_isize,
        "checksum": format!("{:#010x}", u32::from(f.i_checksum_lo) | (u32::from(f.i_checksum_hi) << 16)),
        "checksum_ok": fs.inode_checksum_ok(ino)?,
    }))
}

fn extents_json(fs: &Fs<MappedImage>, ino: u32) -> anyhow::Result<Value> {
    let node = fs.inode(ino)?;
    let nodes = fs.extent_nodes(ino, &node)?;
    let levels: Vec<Value> = nodes
        .iter()
        .map(|n| {
            json!({
                "level": n.level,
                "depth": n.depth,
                "block": n.block,
                "entries": n.entries.len(),
                "max": n.max,
                "checksum_ok": n.checksum_ok,
                "items": n.entries.iter().map(|e| json!({
                    "logical_start": e.logical_start,
                    "logical_end": e.logical_end,
                    "physical_start": e.physical_start,
                    "physical_end": e.physical_end,
                    "length": e.length,
                    "unwritten": e.unwritten,
                    "index": e.index,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(json!({ "inode": ino, "nodes": levels }))
}

fn verdict(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "ok",
        Some(false) => "BAD",
        None => "-",
    }
}

fn print_journal(d: &e4dax::journal::logdump::LogDump) {
    output::emit(&format!("Journal starts at block {}, transaction {}", d.start, d.sequence));
    let mut t = output::table();
    t.set_header(vec!["log block", "type", "sequence", "csum", "contents"]);
    for b in &d.blocks {
        let contents = match b.kind {
            "descriptor" => b
                .tags
                .iter()
                .map(|x| {
                    format!(
                        "FS block {} at log {} (flags {:#x}, csum {})",
                        x.fs_block,
                        x.log_block,
                        x.flags,
                        verdict(x.checksum_ok)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            "revoke" => format!("revoked: {:?}", b.revoked),
            "commit" => format!("commit time {}", b.commit_time.unwrap_or(0)),
            _ => String::new(),
        };
        t.add_row(vec![
            b.log_block.to_string(),
            b.kind.to_string(),
            b.sequence.to_string(),
            verdict(b.checksum_ok).to_string(),
            contents,
        ]);
    }
    output::emit(&t.to_string());
    output::emit(&d.end);
}

fn print_extents(v: &Value) {
    let mut t = output::table();
    t.set_header(vec!["level", "entries", "node block", "logical", "physical", "length", "flags", "csum"]);
    let tree_depth = v["nodes"][0]["depth"].as_u64().unwrap_or(0);
    for n in v["nodes"].as_array().into_iter().flatten() {
        let entries = format!("{}/{}", n["entries"], n["max"]);
        let block = if n["block"].is_null() { "inode".to_string() } else { n["block"].to_string() };
        let csum = match &n["checksum_ok"] {
            Value::Bool(true) => "ok",
            Value::Bool(false) => "BAD",
            _ => "-",
        };
        for it in n["items"].as_array().into_iter().flatten() {
            let index = it["index"] == json!(true);
            t.add_row(vec![
                format!("{}/{}", n["level"], tree_depth),
                entries.clone(),
                block.clone(),
                format!("{} - {}", it["logical_start"], it["logical_end"]),
                if index {
                    format!("{}", it["physical_start"])
                } else {
                    format!("{} - {}", it["physical_start"], it["physical_end"])
                },
                it["length"].to_string(),
                if it["unwritten"] == json!(true) { "Uninit".into() } else { String::new() },
                csum.to_string(),
            ]);
        }
    }
    output::emit(&t.to_string());
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
    output::emit(&t.to_string());
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
            if g["checksum_ok"] == json!(true) { "ok".into() } else { "BAD".into() },
        ]);
    }
    output::emit(&t.to_string());
}
