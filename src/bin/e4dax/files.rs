//! File commands: `create`, `fallocate`, `punch`, `rm`, `ls`, `read`.

use std::process::ExitCode;

use anyhow::Context;
use e4dax::clock::Clock;
use e4dax::units::parse_size;
use serde_json::json;

use crate::cli::{CreateArgs, LsArgs, PathArgs, RangeArgs, ReadArgs, TruncateArgs};
use crate::{open, output};

pub fn create(a: &CreateArgs, clock: Clock, json_out: bool, no_checkpoint: bool) -> anyhow::Result<ExitCode> {
    let ctx = || format!("create {} {}", a.image.display(), a.path);
    let mut fs = open::writable(&a.image, no_checkpoint, clock).with_context(ctx)?;
    let size = a.size.as_deref().map(parse_size).transpose().with_context(ctx)?;
    let ino = fs.create(&a.path, a.dir, a.parents).with_context(ctx)?;
    if let Some(s) = size {
        fs.truncate(ino, s).with_context(ctx)?;
    }
    open::finish(&mut fs).with_context(ctx)?;
    if json_out {
        output::print_json(&json!({ "path": a.path, "inode": ino, "dir": a.dir }))?;
    } else {
        output::emit(&format!("created {} (inode {ino})", a.path));
    }
    Ok(ExitCode::SUCCESS)
}

/// `fallocate` (`keep_size` given) or `punch` (`None`).
pub fn range(
    a: &RangeArgs,
    keep_size: Option<bool>,
    clock: Clock,
    json_out: bool,
    no_checkpoint: bool,
) -> anyhow::Result<ExitCode> {
    let verb = if keep_size.is_none() { "punch" } else { "fallocate" };
    let ctx = || format!("{verb} {} {}", a.image.display(), a.path);
    let off = parse_size(&a.offset).with_context(ctx)?;
    let len = parse_size(&a.len).with_context(ctx)?;
    let mut fs = open::writable(&a.image, no_checkpoint, clock).with_context(ctx)?;
    let (ino, _) = fs.extent_file(&a.path).with_context(ctx)?;
    let r = match keep_size {
        None => fs.punch(ino, off, len),
        Some(k) => fs.fallocate(ino, off, len, k),
    }
    .with_context(ctx)?;
    open::finish(&mut fs).with_context(ctx)?;
    if json_out {
        output::print_json(&r)?;
    } else {
        output::emit(&format!(
            "{verb} {}: {} blocks allocated, {} freed, size {}",
            a.path, r.blocks_allocated, r.blocks_freed, r.size
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn rm(a: &PathArgs, clock: Clock, json_out: bool, no_checkpoint: bool) -> anyhow::Result<ExitCode> {
    let ctx = || format!("rm {} {}", a.image.display(), a.path);
    let mut fs = open::writable(&a.image, no_checkpoint, clock).with_context(ctx)?;
    fs.remove(&a.path).with_context(ctx)?;
    open::finish(&mut fs).with_context(ctx)?;
    if json_out {
        output::print_json(&json!({ "removed": a.path }))?;
    } else {
        output::emit(&format!("removed {}", a.path));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn ls(a: &LsArgs, json_out: bool) -> anyhow::Result<ExitCode> {
    let ctx = || format!("ls {} {}", a.image.display(), a.path);
    let fs = open::read_only(&a.image).with_context(ctx)?;
    let ino = fs.resolve(&a.path).with_context(ctx)?;
    let entries = fs.dir_entries(ino).with_context(ctx)?;
    if a.long {
        let mut rows = Vec::new();
        for e in &entries {
            let n = fs.inode(e.inode).with_context(ctx)?;
            rows.push((e, n));
        }
        if json_out {
            let v: Vec<serde_json::Value> = rows
                .iter()
                .map(|(e, n)| {
                    json!({
                        "inode": e.inode,
                        "name": e.name,
                        "file_type": e.file_type,
                        "mode": n.f.i_mode,
                        "uid": n.uid(),
                        "gid": n.gid(),
                        "size": n.size(),
                        "mtime": mtime(n),
                    })
                })
                .collect();
            output::print_json(&v)?;
        } else {
            // debugfs ls -l, column for column.
            let lines: Vec<String> = rows
                .iter()
                .map(|(e, n)| {
                    let size = if n.is_dir() { u64::from(n.f.i_size_lo) } else { n.size() };
                    format!(
                        " {:6}  {:6o} ({})  {:5}  {:5}   {size:5} {} {}",
                        e.inode,
                        n.f.i_mode,
                        e.file_type,
                        n.uid(),
                        n.gid(),
                        e4dax::units::ls_time(mtime(n)),
                        e.name
                    )
                })
                .collect();
            output::emit(&lines.join("\n"));
        }
    } else if json_out {
        output::print_json(&entries)?;
    } else {
        let mut t = output::FitTable::new(&[("inode", 0), ("type", 0), ("name", 0)]);
        for e in &entries {
            t.row(vec![e.inode.to_string(), type_name(e.file_type).to_string(), e.name.clone()]);
        }
        t.print();
    }
    Ok(ExitCode::SUCCESS)
}

/// An inode's modification time in seconds (with the epoch bits of `i_mtime_extra`).
fn mtime(n: &e4dax::ondisk::inode::Inode) -> i64 {
    let extra = if n.f.i_extra_isize >= 12 { n.f.i_mtime_extra & 3 } else { 0 };
    i64::from(n.f.i_mtime as i32) + (i64::from(extra) << 32)
}

fn type_name(ft: u8) -> &'static str {
    match ft {
        1 => "file",
        2 => "dir",
        3 => "chr",
        4 => "blk",
        5 => "fifo",
        6 => "sock",
        7 => "symlink",
        _ => "?",
    }
}

pub fn read(a: &ReadArgs, json_out: bool) -> anyhow::Result<ExitCode> {
    let ctx = || format!("read {} {}", a.image.display(), a.path);
    let fs = open::read_only(&a.image).with_context(ctx)?;
    let (ino, node) = fs.regular_file(&a.path).with_context(ctx)?;
    let off = parse_size(&a.offset).with_context(ctx)?;
    let len = match &a.len {
        Some(l) => parse_size(l).with_context(ctx)?,
        None => node.size().saturating_sub(off),
    };
    if a.check_stale {
        // One definition of stale data (DESIGN §5, as fsck --data): any block of a written
        // extent holding the pattern, past i_size too unless a length was given.
        let len = if a.len.is_some() { len } else { u64::MAX - off };
        let found = fs.find_stale(ino, off, len).with_context(ctx)?;
        if json_out {
            output::print_json(&json!({ "path": a.path, "inode": ino, "stale": found }))?;
        } else if found.is_empty() {
            output::emit(&format!("{}: no stale data in written extents", a.path));
        } else {
            let mut t = output::FitTable::new(&[
                ("logical block", 0),
                ("physical block", 0),
                ("offset in block", 1),
                ("pattern of block", 2),
            ]);
            for s in &found {
                t.row(vec![
                    s.logical.to_string(),
                    s.physical.to_string(),
                    s.offset.to_string(),
                    s.pattern_block.map_or("?".into(), |b| b.to_string()),
                ]);
            }
            t.print();
            eprintln!("e4dax: read {}: stale data in {} block(s)", a.path, found.len());
        }
        return Ok(if found.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) });
    }
    if let Some(out) = &a.out {
        let f = std::fs::File::create(out).with_context(|| format!("{}: creating {}", ctx(), out.display()))?;
        let regular = f.metadata().is_ok_and(|m| m.file_type().is_file());
        let n = if regular {
            // Holes (and unwritten extents) stay holes of the output.
            fs.read_file_sparse(ino, off, len, &f).with_context(ctx)?
        } else {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            let n = fs.read_file_to(ino, off, len, &mut w).with_context(ctx)?;
            std::io::Write::flush(&mut w).with_context(|| format!("{}: writing {}", ctx(), out.display()))?;
            n
        };
        if json_out {
            output::print_json(&json!({
                "path": a.path, "inode": ino, "offset": off, "length": n, "out": out.display().to_string(),
            }))?;
        }
    } else if json_out {
        if len > READ_JSON_MAX {
            anyhow::bail!(
                "{}: {len} bytes are too many for --json (at most {READ_JSON_MAX}); use --out FILE --json",
                ctx()
            );
        }
        let mut buf = Vec::new();
        fs.read_file(ino, off, len, &mut buf).with_context(ctx)?;
        let hex: String = buf.iter().map(|b| format!("{b:02x}")).collect();
        output::print_json(&json!({
            "path": a.path, "inode": ino, "offset": off, "length": buf.len(), "size": node.size(), "data_hex": hex,
        }))?;
    } else if a.hexdump {
        let mut buf = Vec::new();
        fs.read_file(ino, off, len, &mut buf).with_context(ctx)?;
        hexdump(&buf, off)?;
    } else {
        let stdout = std::io::stdout();
        let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
        let r = fs
            .read_file_to(ino, off, len, &mut w)
            .and_then(|_| std::io::Write::flush(&mut w).map_err(e4dax::Error::Output));
        match r {
            Err(e4dax::Error::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => {
                other.with_context(ctx)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The most bytes `read --json` puts into its JSON (as hex); larger reads go to `--out`.
const READ_JSON_MAX: u64 = 16 << 20;

/// `hexdump -C`-style dump; runs of identical lines are folded into `*`.
fn hexdump(buf: &[u8], base: u64) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    let mut out = String::new();
    let mut prev: Option<&[u8]> = None;
    let mut folded = false;
    for (i, line) in buf.chunks(16).enumerate() {
        if prev == Some(line) && line.len() == 16 {
            if !folded {
                out.push_str("*\n");
                folded = true;
            }
            continue;
        }
        folded = false;
        prev = Some(line);
        let hex: Vec<String> = line.iter().map(|b| format!("{b:02x}")).collect();
        let text: String = line.iter().map(|&b| if (0x20..0x7f).contains(&b) { b as char } else { '.' }).collect();
        writeln!(out, "{:08x}  {:<47}  |{}|", base + 16 * i as u64, hex.join(" "), text)?;
        if out.len() > 1 << 16 {
            output::emit_bytes(out.as_bytes());
            out.clear();
        }
    }
    writeln!(out, "{:08x}", base + buf.len() as u64)?;
    output::emit_bytes(out.as_bytes());
    Ok(())
}

pub fn truncate(a: &TruncateArgs, clock: Clock, json_out: bool, no_checkpoint: bool) -> anyhow::Result<ExitCode> {
    let ctx = || format!("truncate {} {}", a.image.display(), a.path);
    let size = parse_size(&a.size).with_context(ctx)?;
    let mut fs = open::writable(&a.image, no_checkpoint, clock).with_context(ctx)?;
    let (ino, _) = fs.extent_file(&a.path).with_context(ctx)?;
    let r = fs.truncate(ino, size).with_context(ctx)?;
    open::finish(&mut fs).with_context(ctx)?;
    if json_out {
        output::print_json(&r)?;
    } else {
        output::emit(&format!(
            "truncate {}: size {} -> {}, {} blocks freed",
            a.path, r.old_size, r.size, r.blocks_freed
        ));
    }
    Ok(ExitCode::SUCCESS)
}
