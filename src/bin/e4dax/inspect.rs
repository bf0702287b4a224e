//! `e4dax inspect IMAGE ...`: what dumpe2fs and debugfs show, in their words (JSON keeps the
//! raw values). Read-only.

use std::process::ExitCode;

use anyhow::Context;
use e4dax::fs::blockmap;
use e4dax::fs::lookup::RunKind;
use e4dax::fs::map::{map_kind, MapKind};
use e4dax::fs::Fs;
use e4dax::ondisk::superblock::{self as sbm, format_uuid};
use e4dax::pmem::MappedImage;
use e4dax::units::ctime;
use serde_json::{json, Value};

use crate::cli::{InspectArgs, InspectWhat};
use crate::output;

pub fn run(a: &InspectArgs, json_out: bool) -> anyhow::Result<ExitCode> {
    let ctx = || format!("inspect {}", a.image.display());
    let mut dev = MappedImage::open(&a.image, false).with_context(ctx)?;
    dev.set_map_budget(Some(crate::open::MAP_BUDGET));
    let fs = Fs::open(dev).with_context(ctx)?;
    let print = |v: &Value, human: &dyn Fn(&Value)| -> anyhow::Result<()> {
        if json_out {
            output::print_json(v)
        } else {
            human(v);
            Ok(())
        }
    };
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
            let ino = fs.resolve(path).with_context(ctx)?;
            print(&inode_json(&fs, ino).with_context(ctx)?, &print_inode)?;
        }
        InspectWhat::Extents { path } => {
            let ino = fs.resolve(path).with_context(ctx)?;
            print(&extents_json(&fs, ino).with_context(ctx)?, &print_extents)?;
        }
        InspectWhat::Super => {
            let v = super_json(&fs).with_context(ctx)?;
            if json_out {
                output::print_json(&v)?;
            } else {
                let lines = super_lines(&fs);
                output::emit(&lines.iter().map(|(k, v)| label(k, v)).collect::<Vec<_>>().join("\n"));
            }
        }
        InspectWhat::Groups { full } => {
            let v = groups_json(&fs).with_context(ctx)?;
            if json_out {
                output::print_json(&v)?;
            } else if *full {
                print_groups_full(&fs, &v);
            } else {
                print_groups(&v);
            }
        }
        InspectWhat::Icheck { blocks } => {
            let owners = fs.block_owners(blocks).with_context(ctx)?;
            if json_out {
                let v: Vec<Value> =
                    blocks.iter().zip(&owners).map(|(b, o)| json!({ "block": b, "inode": o })).collect();
                output::print_json(&v)?;
            } else {
                let mut text = String::from("Block\tInode number");
                for (b, o) in blocks.iter().zip(&owners) {
                    match o {
                        Some(i) => text.push_str(&format!("\n{b}\t{i}")),
                        None => text.push_str(&format!("\n{b}\t<block not found>")),
                    }
                }
                output::emit(&text);
            }
        }
        InspectWhat::Ncheck { inodes } => {
            let mut numbers = Vec::new();
            for s in inodes {
                let n = s.strip_prefix('<').and_then(|x| x.strip_suffix('>')).unwrap_or(s);
                numbers.push(n.parse::<u32>().with_context(|| format!("{}: '{s}' is not an inode number", ctx()))?);
            }
            let found = fs.inode_paths(&numbers).with_context(ctx)?;
            if json_out {
                let v: Vec<Value> = found.iter().map(|(i, p)| json!({ "inode": i, "path": p })).collect();
                output::print_json(&v)?;
            } else {
                let mut text = String::from("Inode\tPathname");
                for (i, p) in &found {
                    text.push_str(&format!("\n{i}\t{p}"));
                }
                output::emit(&text);
            }
        }
        InspectWhat::Bmap { path, logical } => {
            let ino = fs.resolve(path).with_context(ctx)?;
            let r = fs.bmap(ino, *logical).with_context(ctx)?;
            if json_out {
                output::print_json(&json!({
                    "inode": ino,
                    "logical": logical,
                    "physical": r.map_or(0, |x| x.0),
                    "mapped": r.is_some(),
                    "unwritten": r.is_some_and(|x| x.1),
                }))?;
            } else {
                output::emit(&match r {
                    Some((p, true)) => format!("{p} (uninit)"),
                    Some((p, false)) => p.to_string(),
                    None => "0".into(),
                });
            }
        }
        InspectWhat::Blocks { path } => {
            let ino = fs.resolve(path).with_context(ctx)?;
            let node = fs.inode(ino).with_context(ctx)?;
            let runs = fs.inode_runs(ino, &node).with_context(ctx)?;
            let blocks: Vec<u64> =
                runs.iter().filter(|r| r.kind != RunKind::Xattr).flat_map(|r| r.start..r.start + r.len).collect();
            if json_out {
                output::print_json(&json!({ "inode": ino, "blocks": blocks }))?;
            } else {
                // As debugfs: one line, each block followed by a space.
                output::emit(&blocks.iter().map(|b| format!("{b} ")).collect::<String>());
            }
        }
        InspectWhat::Testb { block, count } => {
            let mut rows = Vec::new();
            for b in *block..block.saturating_add(*count) {
                rows.push((b, fs.block_in_use(b).with_context(ctx)?));
            }
            if json_out {
                let v: Vec<Value> = rows.iter().map(|(b, u)| json!({ "block": b, "in_use": u })).collect();
                output::print_json(&v)?;
            } else {
                let lines: Vec<String> = rows
                    .iter()
                    .map(|(b, u)| if *u { format!("Block {b} marked in use") } else { format!("Block {b} not in use") })
                    .collect();
                output::emit(&lines.join("\n"));
            }
        }
        InspectWhat::Testi { path } => {
            let ino = fs.resolve(path).with_context(ctx)?;
            let used = fs.inode_in_use(ino).with_context(ctx)?;
            if json_out {
                output::print_json(&json!({ "inode": ino, "in_use": used }))?;
            } else if used {
                output::emit(&format!("Inode {ino} is marked in use"));
            } else {
                output::emit(&format!("Inode {ino} is not in use"));
            }
        }
        InspectWhat::Map { svg, file } => {
            let map = fs.block_map().with_context(ctx)?;
            let mut highlight = Vec::new();
            if let Some(p) = file {
                let ino = fs.resolve(p).with_context(ctx)?;
                let node = fs.inode(ino).with_context(ctx)?;
                for r in fs.inode_runs(ino, &node).with_context(ctx)? {
                    if matches!(r.kind, RunKind::Data { .. }) {
                        highlight.push((r.start, r.len));
                    }
                }
            }
            if let Some(out) = svg {
                let title = format!("{} — block map", a.image.display());
                std::fs::write(out, blockmap::svg(&map, &title, &highlight))
                    .with_context(|| format!("{}: writing {}", ctx(), out.display()))?;
            }
            let counts = map.counts();
            if json_out {
                let mut v = json!({
                    "blocks": map.owners.len(),
                    "owners": counts.iter().map(|(o, c)| json!({ "owner": o.name(), "blocks": c })).collect::<Vec<_>>(),
                });
                if file.is_some() {
                    v["file_blocks"] =
                        json!(highlight.iter().map(|r| json!({ "start": r.0, "count": r.1 })).collect::<Vec<_>>());
                }
                if let Some(out) = svg {
                    v["svg"] = json!(out.display().to_string());
                }
                output::print_json(&v)?;
            } else {
                let mut t = output::FitTable::new(&[("owner", 0), ("blocks", 0), ("what", 1)]).wrap("what");
                for (o, c) in &counts {
                    t.row(vec![o.name().into(), c.to_string(), o.description().into()]);
                }
                t.print();
                if let Some(out) = svg {
                    output::emit(&format!("wrote {}", out.display()));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A dumpe2fs line: the label padded to 26 columns (dumpe2fs's "Inode size:" keeps its tab).
fn label(k: &str, v: &str) -> String {
    if k == "Inode size" {
        return format!("Inode size:\t          {v}");
    }
    format!("{:<26}{v}", format!("{k}:"))
}

/// Seconds and nanoseconds of an inode time with its `_extra` word.
fn inode_time(secs: u32, extra: u32) -> (i64, u32) {
    (i64::from(secs as i32) + (i64::from(extra & 3) << 32), extra >> 2)
}

fn inode_json(fs: &Fs<MappedImage>, ino: u32) -> anyhow::Result<Value> {
    use e4dax::ondisk::inode as i;
    let n = fs.inode(ino)?;
    let f = &n.f;
    let kind = match n.file_type() {
        i::S_IFREG => "regular",
        i::S_IFDIR => "directory",
        i::S_IFLNK => "symlink",
        i::S_IFCHR => "character special",
        i::S_IFBLK => "block special",
        i::S_IFIFO => "FIFO",
        i::S_IFSOCK => "socket",
        _ => "bad type",
    };
    let huge = fs.sb.has_ro_compat(e4dax::ondisk::features::ro_compat::HUGE_FILE);
    let extra = f.i_extra_isize;
    // Fields past i_extra_isize are not stored.
    let has = |end: u16| extra >= end;
    let time = |name: &str, secs: u32, x: Option<u32>| -> Value {
        let (s, ns) = inode_time(secs, x.unwrap_or(0));
        json!({ "name": name, "seconds": s, "nanoseconds": ns, "raw": secs, "extra": x })
    };
    let mut times = vec![
        time("ctime", f.i_ctime, has(8).then_some(f.i_ctime_extra)),
        time("atime", f.i_atime, has(16).then_some(f.i_atime_extra)),
        time("mtime", f.i_mtime, has(12).then_some(f.i_mtime_extra)),
    ];
    if has(24) {
        times.push(time("crtime", f.i_crtime, Some(f.i_crtime_extra)));
    }
    // A damaged attribute area or extent tree is said in its field; the rest is still shown.
    let xattrs: Vec<Value> = fs
        .xattrs(ino, &n)
        .unwrap_or_default()
        .iter()
        .map(|x| {
            json!({
                "name": x.name,
                "size": x.value.len(),
                "value_hex": x.value.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                "value_inode": x.value_inode,
                "place": x.place,
            })
        })
        .collect();
    // debugfs stat's "Size of inline data": i_block's 60 bytes and the system.data value.
    let inline_size = if n.has_flag(i::FL_INLINE_DATA) {
        fs.inline_data(ino, &n).ok().filter(|d| d.attr.is_some()).map(|d| d.capacity())
    } else {
        None
    };
    let extents = if n.has_flag(i::FL_EXTENTS) {
        match fs.extent_nodes(ino, &n) {
            Ok(nodes) => Value::String(extents_summary(&nodes)),
            Err(e) => json!({ "error": e.to_string() }),
        }
    } else {
        Value::Null
    };
    // A block-mapped inode's blocks, as debugfs stat's BLOCKS and TOTAL lines: every inode
    // without extents or inline data but fast symlinks and devices (an empty list for a
    // file with no blocks, a FIFO or a socket).
    let t = n.file_type();
    let fast_symlink = t == i::S_IFLNK && map_kind(&n, fs.block_size()) == MapKind::Unmapped;
    let blocks = if n.has_flag(i::FL_EXTENTS)
        || n.has_flag(i::FL_INLINE_DATA)
        || fast_symlink
        || t == i::S_IFBLK
        || t == i::S_IFCHR
    {
        Value::Null
    } else {
        match fs.inode_runs(ino, &n) {
            Ok(runs) => {
                let runs: Vec<_> = runs.into_iter().filter(|r| r.kind != RunKind::Xattr).collect();
                json!({ "summary": blocks_summary(&runs), "total": runs.iter().map(|r| r.len).sum::<u64>() })
            }
            Err(e) => json!({ "error": e.to_string() }),
        }
    };
    Ok(json!({
        "inode": ino,
        "type": kind,
        "mode": format!("{:04o}", f.i_mode & 0o7777),
        "i_mode": f.i_mode,
        "flags": format!("{:#x}", f.i_flags),
        "extents_flag": n.has_flag(i::FL_EXTENTS),
        "generation": f.i_generation,
        "version": format!("{:#010x}:{:08x}", if has(28) { f.i_version_hi } else { 0 }, f.i_version),
        "uid": n.uid(),
        "gid": n.gid(),
        "project": if has(32) { Some(f.i_projid) } else { None },
        "size": n.size(),
        "file_acl": n.file_acl(),
        "links": f.i_links_count,
        "blockcount": n.blocks_512(huge, fs.block_size()),
        "times": times,
        "dtime": f.i_dtime,
        "extra_isize": extra,
        "xattrs": xattrs,
        "checksum": format!("{:#010x}", u32::from(f.i_checksum_lo) | (u32::from(f.i_checksum_hi) << 16)),
        "checksum_ok": fs.inode_checksum_ok(ino)?,
        "inline_data_size": inline_size,
        "extents": extents,
        "blocks": blocks,
    }))
}

/// debugfs stat's BLOCKS line: `(0-11):4899-4910, (IND):4911, (12-68):4912-4968`.
fn blocks_summary(runs: &[e4dax::fs::lookup::Run]) -> String {
    runs.iter()
        .map(|r| match (r.kind, r.logical) {
            (RunKind::Indirect { level }, _) => {
                format!("({}):{}", ["IND", "DIND", "TIND"][usize::from(level.clamp(1, 3)) - 1], r.start)
            }
            (_, Some(l)) if r.len > 1 => format!("({l}-{}):{}-{}", l + r.len - 1, r.start, r.start + r.len - 1),
            (_, Some(l)) => format!("({l}):{}", r.start),
            (_, None) => format!("{}", r.start),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// debugfs stat's EXTENTS line: `(ETB0):1234, (0-9):2000-2009, (10[u]):3000`.
fn extents_summary(nodes: &[e4dax::fs::file::NodeView]) -> String {
    fn walk(nodes: &[e4dax::fs::file::NodeView], at: usize, parts: &mut Vec<String>) -> usize {
        let Some(n) = nodes.get(at) else { return at };
        let mut next = at + 1;
        for e in &n.entries {
            if e.index {
                parts.push(format!("(ETB{}):{}", n.level, e.physical_start));
                next = walk(nodes, next, parts);
            } else {
                let u = if e.unwritten { "[u]" } else { "" };
                if e.length == 1 {
                    parts.push(format!("({}{u}):{}", e.logical_start, e.physical_start));
                } else if e.length > 1 {
                    parts.push(format!(
                        "({}-{}{u}):{}-{}",
                        e.logical_start, e.logical_end, e.physical_start, e.physical_end
                    ));
                }
            }
        }
        next
    }
    let mut parts = Vec::new();
    walk(nodes, 0, &mut parts);
    parts.join(", ")
}

/// `inspect inode` as debugfs stat prints it.
fn print_inode(v: &Value) {
    let mut out = Vec::new();
    let s = |k: &str| output_scalar(&v[k]);
    out.push(format!("Inode: {}   Type: {}    Mode:  {}   Flags: {}", s("inode"), s("type"), s("mode"), s("flags")));
    out.push(format!("Generation: {}    Version: {}", s("generation"), s("version")));
    let project = if v["project"].is_null() { String::new() } else { format!("   Project: {:>5}", s("project")) };
    out.push(format!("User: {:>5}   Group: {:>5}{project}   Size: {}", s("uid"), s("gid"), s("size")));
    out.push(format!("File ACL: {}", s("file_acl")));
    out.push(format!("Links: {}   Blockcount: {}", s("links"), s("blockcount")));
    for t in v["times"].as_array().into_iter().flatten() {
        let name = t["name"].as_str().unwrap_or("");
        let secs = t["seconds"].as_i64().unwrap_or(0);
        let raw = t["raw"].as_u64().unwrap_or(0);
        let line = match t["extra"].as_u64() {
            Some(x) => format!("{name:>6}: {raw:#010x}:{x:08x} -- {}", ctime(secs)),
            None => format!("{name:>6}: {raw:#010x} -- {}", ctime(secs)),
        };
        out.push(line);
    }
    if v["dtime"].as_u64().unwrap_or(0) != 0 {
        out.push(format!(
            " dtime: {:#010x} -- {}",
            v["dtime"].as_u64().unwrap_or(0),
            ctime(v["dtime"].as_i64().unwrap_or(0))
        ));
    }
    out.push(format!("Size of extra inode fields: {}", s("extra_isize")));
    let xattrs = v["xattrs"].as_array().cloned().unwrap_or_default();
    if !xattrs.is_empty() {
        out.push("Extended attributes:".into());
        for x in &xattrs {
            let hex = x["value_hex"].as_str().unwrap_or("");
            let bytes: Vec<u8> =
                (0..hex.len() / 2).filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()).collect();
            out.push(format!("  {} ({}) = {}", output_scalar(&x["name"]), bytes.len(), xattr_value(&bytes)));
        }
    }
    out.push(format!(
        "Inode checksum: {} ({})",
        s("checksum"),
        if v["checksum_ok"] == json!(true) { "ok" } else { "BAD" }
    ));
    // (debugfs prints a symlink's target instead.)
    if let (Some(n), false) = (v["inline_data_size"].as_u64(), v["type"] == json!("symlink")) {
        out.push(format!("Size of inline data: {n}"));
    }
    if let Some(e) = v["extents"].as_str() {
        out.push("EXTENTS:".into());
        out.push(e.to_string());
    } else if let Some(e) = v["extents"]["error"].as_str() {
        out.push(format!("EXTENTS: cannot be read: {e}"));
    }
    if let Some(b) = v["blocks"]["summary"].as_str() {
        out.push("BLOCKS:".into());
        if !b.is_empty() {
            out.push(b.to_string());
            out.push(format!("TOTAL: {}", v["blocks"]["total"]));
        }
    } else if let Some(e) = v["blocks"]["error"].as_str() {
        out.push(format!("BLOCKS: cannot be read: {e}"));
    }
    output::emit(&out.join("\n"));
}

/// A value as debugfs prints it: a quoted string when every byte is printable (a trailing
/// NUL dropped), else hex bytes.
fn xattr_value(b: &[u8]) -> String {
    let text = b.strip_suffix(&[0]).unwrap_or(b);
    if !text.is_empty() && text.iter().all(|&c| (0x20..0x7f).contains(&c)) {
        format!("\"{}\"", String::from_utf8_lossy(text))
    } else {
        b.iter().map(|c| format!("{c:02x}")).collect::<Vec<_>>().join(" ")
    }
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
    if d.blocks.is_empty() && d.start == 0 {
        return;
    }
    let mut t = output::FitTable::new(&[("log block", 0), ("type", 0), ("sequence", 0), ("csum", 1), ("contents", 0)])
        .wrap("contents");
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
            "commit" => format!("committed {}", b.commit_time.map_or("-".into(), |t| ctime(t as i64))),
            _ => String::new(),
        };
        t.row(vec![
            b.log_block.to_string(),
            b.kind.to_string(),
            b.sequence.to_string(),
            verdict(b.checksum_ok).to_string(),
            contents,
        ]);
    }
    t.print();
    output::emit(&d.end);
}

/// `inspect extents` as `debugfs ex`: Level is level/depth, Entries is the entry's index in
/// its node and the node's entry count.
fn print_extents(v: &Value) {
    let mut t = output::FitTable::new(&[
        ("level", 0),
        ("entries", 0),
        ("logical", 0),
        ("physical", 0),
        ("length", 0),
        ("flags", 0),
        ("node block", 2),
        ("max", 3),
        ("csum", 1),
    ]);
    let tree_depth = v["nodes"][0]["depth"].as_u64().unwrap_or(0);
    for n in v["nodes"].as_array().into_iter().flatten() {
        let items = n["items"].as_array().cloned().unwrap_or_default();
        let block = if n["block"].is_null() { "inode".to_string() } else { n["block"].to_string() };
        let csum = match &n["checksum_ok"] {
            Value::Bool(true) => "ok",
            Value::Bool(false) => "BAD",
            _ => "-",
        };
        for (k, it) in items.iter().enumerate() {
            let index = it["index"] == json!(true);
            t.row(vec![
                format!("{}/{}", n["level"], tree_depth),
                format!("{}/{}", k + 1, items.len()),
                format!("{} - {}", it["logical_start"], it["logical_end"]),
                if index {
                    format!("{}", it["physical_start"])
                } else {
                    format!("{} - {}", it["physical_start"], it["physical_end"])
                },
                it["length"].to_string(),
                if it["unwritten"] == json!(true) { "Uninit".into() } else { String::new() },
                block.clone(),
                n["max"].to_string(),
                csum.to_string(),
            ]);
        }
    }
    t.print();
}

fn super_json(fs: &Fs<MappedImage>) -> anyhow::Result<Value> {
    let sb = &fs.sb;
    let f = &sb.f;
    let journal = match fs.journal_superblock() {
        Ok(Some(j)) => json!({
            "features": j.feature_names(),
            "blocks": j.maxlen,
            "block_size": j.block_size,
            "first": j.first,
            "sequence": j.sequence,
            "start": j.start,
            "uuid": format_uuid(&j.uuid),
            "nr_users": j.nr_users,
            "max_transaction": j.max_transaction,
            "num_fc_blocks": j.num_fc_blocks,
            "checksum_type": j.checksum_type,
            "checksum": format!("{:#010x}", j.checksum),
            "errno": j.errno,
        }),
        Ok(None) => Value::Null,
        Err(e) => json!({ "error": e.to_string() }),
    };
    Ok(json!({
        "volume_name": sb.volume_name(),
        "last_mounted": sb.last_mounted(),
        "uuid": format_uuid(&f.s_uuid),
        "magic": format!("{:#06x}", f.s_magic),
        "revision": f.s_rev_level,
        "features": sb.feature_names(),
        "flags": f.s_flags,
        "flag_names": sbm::flag_names(f.s_flags).unwrap_or_default(),
        "default_mount_opts": f.s_default_mount_opts,
        "default_mount_opt_names": sbm::mount_option_names(f.s_default_mount_opts),
        "mount_opts": sb.mount_opts(),
        "state": f.s_state,
        "state_name": sbm::state_name(f.s_state),
        "errors": f.s_errors,
        "errors_name": sbm::errors_name(f.s_errors),
        "creator_os": f.s_creator_os,
        "creator_os_name": sbm::os_name(f.s_creator_os),
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
        "raid_stride": f.s_raid_stride,
        "raid_stripe_width": f.s_raid_stripe_width,
        "first_meta_bg": f.s_first_meta_bg,
        "flex_bg_size": 1u64 << f.s_log_groups_per_flex.min(31),
        "created": sb.mkfs_time(),
        "last_mount_time": sb.mount_time(),
        "last_write_time": sb.write_time(),
        "mount_count": f.s_mnt_count,
        "max_mount_count": f.s_max_mnt_count as i16,
        "last_checked": sb.lastcheck_time(),
        "check_interval": f.s_checkinterval,
        "kbytes_written": f.s_kbytes_written,
        "reserved_uid": f.s_def_resuid,
        "reserved_gid": f.s_def_resgid,
        "first_inode": f.s_first_ino,
        "inode_size": sb.inode_size(),
        "min_extra_isize": f.s_min_extra_isize,
        "want_extra_isize": f.s_want_extra_isize,
        "journal_inode": if sb.has_journal() { f.s_journal_inum } else { 0 },
        "journal_uuid": format_uuid(&f.s_journal_uuid),
        "journal_dev": f.s_journal_dev,
        "last_orphan": f.s_last_orphan,
        "default_hash": f.s_def_hash_version,
        "default_hash_name": sbm::hash_name(f.s_def_hash_version),
        "hash_seed": format_uuid(&sb.hash_seed_bytes()),
        "journal_backup_type": f.s_jnl_backup_type,
        "error_count": f.s_error_count,
        "checksum_type": f.s_checksum_type,
        "checksum_type_name": sbm::checksum_type_name(f.s_checksum_type),
        "checksum": format!("{:#010x}", f.s_checksum),
        "checksum_ok": sb.checksum_ok(),
        "checksum_seed": f.s_checksum_seed,
        "journal": journal,
    }))
}

/// A user or group name from /etc/passwd or /etc/group (as getpwuid/getgrgid would find it
/// in the files).
fn id_name(file: &str, id: u16) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        let mut w = l.split(':');
        let name = w.next()?;
        w.next()?;
        (w.next()?.parse::<u16>().ok()? == id).then(|| name.to_string())
    })
}

/// `inspect super` in dumpe2fs -h's words, line for line (labels and conditions as
/// lib/e2p/ls.c and e2p_list_journal_super), then e4dax's checksum verdict.
fn super_lines(fs: &Fs<MappedImage>) -> Vec<(String, String)> {
    use e4dax::ondisk::features::{compat, incompat, ro_compat};
    let sb = &fs.sb;
    let f = &sb.f;
    let mut l: Vec<(String, String)> = Vec::new();
    let mut add = |k: &str, v: String| l.push((k.to_string(), v));
    let or = |s: String, none: &str| if s.is_empty() { none.to_string() } else { s };
    add("Filesystem volume name", or(sb.volume_name(), "<none>"));
    add("Last mounted on", or(sb.last_mounted(), "<not available>"));
    add("Filesystem UUID", format_uuid(&f.s_uuid));
    add("Filesystem magic number", format!("0x{:04X}", f.s_magic));
    let rev = match f.s_rev_level {
        0 => "(original)",
        1 => "(dynamic)",
        _ => "(unknown)",
    };
    add("Filesystem revision #", format!("{} {rev}", f.s_rev_level));
    add("Filesystem features", or(sb.feature_names().join(" "), "(none)"));
    if let Some(names) = sbm::flag_names(f.s_flags) {
        add("Filesystem flags", if names.is_empty() { "(none)".into() } else { format!("{} ", names.join(" ")) });
    }
    add("Default mount options", or(sbm::mount_option_names(f.s_default_mount_opts).join(" "), "(none)"));
    if !sb.mount_opts().is_empty() {
        add("Mount options", sb.mount_opts());
    }
    add("Filesystem state", sbm::state_name(f.s_state));
    add("Errors behavior", sbm::errors_name(f.s_errors).into());
    add("Filesystem OS type", sbm::os_name(f.s_creator_os).into());
    add("Inode count", f.s_inodes_count.to_string());
    add("Block count", sb.blocks_count().to_string());
    add("Reserved block count", sb.r_blocks_count().to_string());
    if f.s_overhead_clusters != 0 {
        add("Overhead clusters", f.s_overhead_clusters.to_string());
    }
    add("Free blocks", sb.free_blocks_count().to_string());
    add("Free inodes", f.s_free_inodes_count.to_string());
    add("First block", f.s_first_data_block.to_string());
    add("Block size", sb.block_size().to_string());
    add("Fragment size", (1024u64 << f.s_log_cluster_size.min(16)).to_string());
    if sb.has_incompat(incompat::BIT64) {
        add("Group descriptor size", sb.desc_size().to_string());
    }
    if f.s_reserved_gdt_blocks != 0 {
        add("Reserved GDT blocks", f.s_reserved_gdt_blocks.to_string());
    }
    add("Blocks per group", f.s_blocks_per_group.to_string());
    add("Fragments per group", f.s_clusters_per_group.to_string());
    add("Inodes per group", f.s_inodes_per_group.to_string());
    add("Inode blocks per group", sb.inode_table_blocks().to_string());
    if f.s_raid_stride != 0 {
        add("RAID stride", f.s_raid_stride.to_string());
    }
    if f.s_raid_stripe_width != 0 {
        add("RAID stripe width", f.s_raid_stripe_width.to_string());
    }
    if f.s_first_meta_bg != 0 {
        add("First meta block group", f.s_first_meta_bg.to_string());
    }
    if f.s_log_groups_per_flex != 0 {
        add("Flex block group size", (1u64 << f.s_log_groups_per_flex.min(31)).to_string());
    }
    if sb.mkfs_time() != 0 {
        add("Filesystem created", ctime(sb.mkfs_time() as i64));
    }
    add("Last mount time", if sb.mount_time() == 0 { "n/a".into() } else { ctime(sb.mount_time() as i64) });
    add("Last write time", ctime(sb.write_time() as i64));
    add("Mount count", f.s_mnt_count.to_string());
    add("Maximum mount count", (f.s_max_mnt_count as i16).to_string());
    add("Last checked", ctime(sb.lastcheck_time() as i64));
    add("Check interval", format!("{} ({})", f.s_checkinterval, sbm::interval_string(f.s_checkinterval)));
    if f.s_checkinterval != 0 {
        add("Next check after", ctime(sb.lastcheck_time() as i64 + i64::from(f.s_checkinterval)));
    }
    if f.s_kbytes_written != 0 {
        add("Lifetime writes", sbm::lifetime_writes(f.s_kbytes_written));
    }
    let user = id_name("/etc/passwd", f.s_def_resuid).map_or("(user unknown)".into(), |n| format!("(user {n})"));
    add("Reserved blocks uid", format!("{} {user}", f.s_def_resuid));
    let group = id_name("/etc/group", f.s_def_resgid).map_or("(group unknown)".into(), |n| format!("(group {n})"));
    add("Reserved blocks gid", format!("{} {group}", f.s_def_resgid));
    if f.s_rev_level >= 1 {
        add("First inode", f.s_first_ino.to_string());
        add("Inode size", f.s_inode_size.to_string());
        if f.s_min_extra_isize != 0 {
            add("Required extra isize", f.s_min_extra_isize.to_string());
        }
        if f.s_want_extra_isize != 0 {
            add("Desired extra isize", f.s_want_extra_isize.to_string());
        }
    }
    if f.s_journal_uuid != [0u8; 16] {
        add("Journal UUID", format_uuid(&f.s_journal_uuid));
    }
    if f.s_journal_inum != 0 {
        add("Journal inode", f.s_journal_inum.to_string());
    }
    if f.s_journal_dev != 0 {
        add("Journal device", format!("0x{:04x}", f.s_journal_dev));
    }
    if f.s_last_orphan != 0 {
        add("First orphan inode", f.s_last_orphan.to_string());
    }
    if sb.has_compat(compat::DIR_INDEX) || f.s_def_hash_version != 0 {
        add("Default directory hash", sbm::hash_name(f.s_def_hash_version));
    }
    if sb.hash_seed_bytes() != [0u8; 16] {
        add("Directory Hash Seed", format_uuid(&sb.hash_seed_bytes()));
    }
    match f.s_jnl_backup_type {
        0 => {}
        1 => add("Journal backup", "inode blocks".into()),
        t => add("Journal backup", format!("type {t}")),
    }
    if f.s_error_count != 0 {
        add("FS Error count", f.s_error_count.to_string());
    }
    if f.s_usr_quota_inum != 0 {
        add("User quota inode", f.s_usr_quota_inum.to_string());
    }
    if f.s_grp_quota_inum != 0 {
        add("Group quota inode", f.s_grp_quota_inum.to_string());
    }
    if sb.has_ro_compat(ro_compat::PROJECT) && f.s_prj_quota_inum != 0 {
        add("Project quota inode", f.s_prj_quota_inum.to_string());
    }
    if sb.has_metadata_csum() {
        add("Checksum type", sbm::checksum_type_name(f.s_checksum_type).into());
        add("Checksum", format!("{:#010x}", f.s_checksum));
        add("Checksum verified", if sb.checksum_ok() { "ok".into() } else { "BAD (stored checksum differs)".into() });
    }
    if sb.has_incompat(incompat::CSUM_SEED) {
        add("Checksum seed", format!("{:#010x}", f.s_checksum_seed));
    }
    if f.s_orphan_file_inum != 0 {
        add("Orphan file inode", f.s_orphan_file_inum.to_string());
    }
    if let Ok(Some(j)) = fs.journal_superblock() {
        journal_lines(&j, &mut l);
    }
    l
}

/// The journal superblock as e2p_list_journal_super prints it.
fn journal_lines(j: &e4dax::ondisk::jbd2::superblock::JournalSuperblock, l: &mut Vec<(String, String)>) {
    let mut add = |k: &str, v: String| l.push((k.to_string(), v));
    add("Journal features", if j.feature_names().is_empty() { "(none)".into() } else { j.feature_names().join(" ") });
    let size = u64::from(j.maxlen) * u64::from(j.block_size);
    add("Total journal size", if size < 8192 * 1024 { format!("{}k", size >> 10) } else { format!("{}M", size >> 20) });
    add("Total journal blocks", j.maxlen.to_string());
    add("Max transaction length", j.maxlen.saturating_sub(j.num_fc_blocks).to_string());
    add("Fast commit length", j.num_fc_blocks.to_string());
    if j.first != 1 {
        add("Journal first block", j.first.to_string());
    }
    add("Journal sequence", format!("{:#010x}", j.sequence));
    add("Journal start", j.start.to_string());
    if j.nr_users != 1 {
        add("Journal number of users", j.nr_users.to_string());
    }
    if j.has_csum() {
        add(
            "Journal checksum type",
            if j.checksum_type == 4 { "crc32c".into() } else { format!("{}", j.checksum_type) },
        );
        add("Journal checksum", format!("{:#010x}", j.checksum));
    }
    if j.nr_users > 1 || j.first_user() != [0u8; 16] {
        add("Journal users", format_uuid(&j.first_user()));
    }
    if j.errno != 0 {
        add("Journal errno", j.errno.to_string());
    }
}

fn groups_json(fs: &Fs<MappedImage>) -> anyhow::Result<Value> {
    let sb = &fs.sb;
    let itb = sb.inode_table_blocks();
    let ipg = u64::from(sb.f.s_inodes_per_group);
    let mut v = Vec::new();
    for (g, d) in fs.groups().iter().enumerate() {
        let first = sb.group_first_block(g as u64);
        let count = sb.group_block_count(g as u64);
        let has_super = sb.group_has_super(g as u64);
        // A bitmap that cannot be read (a damaged descriptor) is said in its field; the
        // group is still shown.
        let free_blocks = match fs.block_bitmap(g) {
            Ok(bitmap) => json!(free_ranges(&bitmap, count, first)),
            Err(e) => json!({ "error": e.to_string() }),
        };
        let free_inodes = match fs.inode_bitmap(g) {
            Ok(bitmap) => json!(free_ranges(&bitmap, ipg, g as u64 * ipg + 1)),
            Err(e) => json!({ "error": e.to_string() }),
        };
        let reserved = u64::from(sb.f.s_reserved_gdt_blocks);
        // Descriptor blocks after the superblock copy (with meta_bg only the first
        // s_first_meta_bg), or the one block of a meta group's copy.
        let [(_, classic), (meta, m)] = sb.group_sb_gdt_runs(g as u64);
        let old = classic
            .saturating_sub(1 + if sb.has_incompat(e4dax::ondisk::features::incompat::META_BG) { 0 } else { reserved });
        let descriptors = if old > 0 {
            Some([first + 1, first + old])
        } else if m > 0 {
            Some([meta, meta])
        } else {
            None
        };
        let reserved = if sb.has_incompat(e4dax::ondisk::features::incompat::META_BG) { 0 } else { reserved };
        v.push(json!({
            "group": g,
            "first_block": first,
            "last_block": first + count.saturating_sub(1),
            "flags": d.flag_names(),
            "superblock_backup": has_super,
            "superblock": if has_super { Some(first) } else { None },
            "descriptors": descriptors,
            "reserved_gdt": if has_super && reserved > 0 { Some([first + 1 + old, first + old + reserved]) } else { None },
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
            "free_block_ranges": free_blocks,
            "free_inode_ranges": free_inodes,
        }));
    }
    Ok(Value::Array(v))
}

/// The clear bits of a bitmap of `n` bits as inclusive ranges numbered from `base`.
fn free_ranges(bitmap: &[u8], n: u64, base: u64) -> Vec<[u64; 2]> {
    let used = |i: u64| bitmap.get((i / 8) as usize).is_some_and(|b| b & (1 << (i % 8)) != 0);
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        if used(i) {
            i += 1;
            continue;
        }
        let start = i;
        while i < n && !used(i) {
            i += 1;
        }
        out.push([base + start, base + i - 1]);
    }
    out
}

fn output_scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().map(output_scalar).collect::<Vec<_>>().join(" "),
        Value::Null => "none".into(),
        other => other.to_string(),
    }
}

fn ranges_text(v: &Value) -> String {
    if let Some(e) = v["error"].as_str() {
        return format!("(cannot read the bitmap: {e})");
    }
    v.as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let (a, b) = (r[0].as_u64().unwrap_or(0), r[1].as_u64().unwrap_or(0));
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `inspect groups --full`: every group as dumpe2fs prints it.
fn print_groups_full(fs: &Fs<MappedImage>, v: &Value) {
    let sb = &fs.sb;
    let csum = sb.has_metadata_csum() || sb.has_ro_compat(e4dax::ondisk::features::ro_compat::GDT_CSUM);
    let meta_csum = sb.has_metadata_csum();
    let bpg = u64::from(sb.f.s_blocks_per_group);
    let first_data = u64::from(sb.f.s_first_data_block);
    let mut out = Vec::new();
    for g in v.as_array().into_iter().flatten() {
        let n = g["group"].as_u64().unwrap_or(0);
        let first = g["first_block"].as_u64().unwrap_or(0);
        let mut head = format!("Group {n}: (Blocks {first}-{})", g["last_block"]);
        if csum {
            head.push_str(&format!(" csum {}", output_scalar(&g["checksum"])));
            if g["checksum_ok"] != json!(true) {
                head.push_str(" (EXPECTED differs)");
            }
        }
        let flags = output_scalar(&g["flags"]);
        if !flags.is_empty() {
            head.push_str(&format!(" [{}]", flags.replace(' ', ", ")));
        }
        out.push(head);
        if let Some(s) = g["superblock"].as_u64() {
            let kind = if n == 0 { "Primary" } else { "Backup" };
            let d = &g["descriptors"];
            out.push(format!("  {kind} superblock at {s}, Group descriptors at {}-{}", d[0], d[1]));
            if let Some(r) = g["reserved_gdt"].as_array() {
                out.push(format!("  Reserved GDT blocks at {}-{}", r[0], r[1]));
            }
        }
        let rel = |b: u64| -> String {
            if b >= first && b < first + bpg {
                format!("(+{})", b - first)
            } else {
                let bg = b.saturating_sub(first_data) / bpg.max(1);
                format!("(bg #{bg} + {})", b - (first_data + bg * bpg))
            }
        };
        let bb = g["block_bitmap"].as_u64().unwrap_or(0);
        let ib = g["inode_bitmap"].as_u64().unwrap_or(0);
        let it = g["inode_table"].as_u64().unwrap_or(0);
        let csum_of = |k: &str| if meta_csum { format!(", csum {}", output_scalar(&g[k])) } else { String::new() };
        out.push(format!("  Block bitmap at {bb} {}{}", rel(bb), csum_of("block_bitmap_csum")));
        out.push(format!("  Inode bitmap at {ib} {}{}", rel(ib), csum_of("inode_bitmap_csum")));
        out.push(format!("  Inode table at {it}-{} {}", g["inode_table_last"], rel(it)));
        let mut counts = format!(
            "  {} free {}, {} free inodes, {} directories",
            g["free_blocks"],
            if g["free_blocks"] == json!(1) { "block" } else { "blocks" },
            g["free_inodes"],
            g["used_dirs"]
        );
        if csum {
            counts.push_str(&format!(", {} unused inodes", g["itable_unused"]));
        }
        out.push(counts);
        out.push(format!("  Free blocks: {}", ranges_text(&g["free_block_ranges"])));
        out.push(format!("  Free inodes: {}", ranges_text(&g["free_inode_ranges"])));
    }
    output::emit(&out.join("\n"));
}

fn print_groups(v: &Value) {
    let mut t = output::FitTable::new(&[
        ("group", 0),
        ("blocks", 0),
        ("flags", 6),
        ("sb+gdt", 5),
        ("block bitmap", 4),
        ("inode bitmap", 4),
        ("inode table", 3),
        ("free blocks", 0),
        ("free inodes", 0),
        ("dirs", 2),
        ("unused inodes", 2),
        ("csum", 1),
    ]);
    for g in v.as_array().into_iter().flatten() {
        let sb = match (g["superblock"].as_u64(), g["descriptors"].as_array()) {
            (Some(s), Some(d)) => format!("{s}, {}-{}", d[0], d[1]),
            _ => "-".into(),
        };
        t.row(vec![
            output_scalar(&g["group"]),
            format!("{}-{}", g["first_block"], g["last_block"]),
            output_scalar(&g["flags"])
                .replace("INODE_UNINIT", "IU")
                .replace("BLOCK_UNINIT", "BU")
                .replace("ITABLE_ZEROED", "IZ"),
            sb,
            output_scalar(&g["block_bitmap"]),
            output_scalar(&g["inode_bitmap"]),
            format!("{}-{}", g["inode_table"], g["inode_table_last"]),
            output_scalar(&g["free_blocks"]),
            output_scalar(&g["free_inodes"]),
            output_scalar(&g["used_dirs"]),
            output_scalar(&g["itable_unused"]),
            if g["checksum_ok"] == json!(true) { "ok".into() } else { "BAD".into() },
        ]);
    }
    t.print();
}
