//! `e4dax fsck`: e2fsck's interface over the library's checker, with its exit codes: -n, -p
//! (-a), -y or questions on a terminal, -f, -v, -b, -C.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use e4dax::check::{self, Answer, Checker, Mode, Options, Report, EXIT_ERROR};
use e4dax::clock::Clock;
use e4dax::fs::open::{self, Opened};
use e4dax::fs::Fs;
use e4dax::pmem::{Device, MappedImage};
use serde_json::json;

use crate::cli::FsckArgs;
use crate::output;

pub fn run(a: &FsckArgs, clock: Clock, json_out: bool) -> ExitCode {
    match check_image(a, clock, json_out) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            let line = format!("fsck {}: {}", a.image.display(), output::one_line(&e));
            if json_out {
                output::json_error(&line, EXIT_ERROR as u8, None);
            } else {
                eprintln!("e4dax: {line}");
            }
            ExitCode::from(EXIT_ERROR as u8)
        }
    }
}

/// Without -n, -p or -y: questions when both ends are a terminal, else -n.
fn mode_of(a: &FsckArgs) -> Mode {
    if a.yes {
        Mode::Yes
    } else if a.preen {
        Mode::Preen
    } else if a.no || !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        Mode::No
    } else {
        Mode::Ask
    }
}

/// e2fsck's question on the terminal: "MESSAGE.  Fix<y>? " and the answer echoed; `y` (or
/// Enter), `n`, `a` (yes to all). End of input answers no.
fn ask(message: &str, question: &str) -> Answer {
    let mut out = std::io::stdout();
    let stdin = std::io::stdin();
    loop {
        let _ = write!(out, "{message}.  {question}<y>? ");
        let _ = out.flush();
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => {
                let _ = writeln!(out, "no");
                return Answer::No;
            }
            Ok(_) => {}
        }
        match line.trim().to_ascii_lowercase().as_str() {
            "" | "y" | "yes" => {
                let _ = writeln!(out, "yes");
                return Answer::Yes;
            }
            "n" | "no" => {
                let _ = writeln!(out, "no");
                return Answer::No;
            }
            "a" | "all" => {
                let _ = writeln!(out, "yes to all");
                return Answer::All;
            }
            _ => {}
        }
    }
}

/// Where -C sends progress.
enum ProgressTo {
    Bar(indicatif::ProgressBar),
    Fd(std::fs::File),
}

fn progress_to(a: &FsckArgs) -> anyhow::Result<Option<ProgressTo>> {
    Ok(match a.progress_fd {
        None => None,
        Some(0) => Some(ProgressTo::Bar(output::progress(100, "fsck"))),
        Some(fd) if fd > 0 => {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(format!("/dev/fd/{fd}"))
                .map_err(|e| anyhow::anyhow!("-C {fd}: file descriptor {fd} is not open for writing ({e})"))?;
            Some(ProgressTo::Fd(f))
        }
        Some(fd) => anyhow::bail!("-C {fd}: not a file descriptor"),
    })
}

/// e2fsck's share of the work done by the end of each pass (its `e2fsck_tbl`).
const PASS_PERCENT: [f64; 6] = [0.0, 70.0, 90.0, 92.0, 95.0, 100.0];

fn check_image(a: &FsckArgs, clock: Clock, json_out: bool) -> anyhow::Result<i32> {
    let mode = mode_of(a);
    let writable = mode != Mode::No;
    let mut dev = MappedImage::open(&a.image, writable)?;
    dev.set_map_budget(Some(crate::open::MAP_BUDGET));
    let Opened { mut fs, notes, .. } = open::open_for_check_with(dev, writable, a.superblock)?;
    fs.clock = clock;
    let name = a.image.display().to_string();
    // As e2fsck: without -f, a clean file system is not checked (nor with -b, which is used
    // because the primary is in doubt, nor with --data, which asks for what e2fsck never does).
    if !a.force && !a.data && a.superblock.is_none() && !fs.sb.needs_recovery() {
        let now = clock.now();
        match check::forced_check_reason(&fs, now) {
            None => return skip_clean(&mut fs, &name, now, json_out, writable),
            Some(reason) if !json_out => output::emit(&format!("{name}{reason}, check forced.")),
            Some(_) => {}
        }
    }
    let progress = progress_to(a)?;
    // No spinner under -C (it has its own) nor between questions.
    let pb = if progress.is_none() && mode != Mode::Ask { output::spinner() } else { indicatif::ProgressBar::hidden() };
    let jobs = a.jobs.max(1);
    let opts = Options { mode, data: a.data };
    let mut progress = progress;
    let mut checker = Checker::new(&mut fs, opts).with_jobs(jobs);
    if mode == Mode::Ask {
        checker = checker.with_asker(Box::new(|p, message| ask(message, check::question(p))));
    }
    if progress.is_some() {
        let device = name.clone();
        checker = checker.with_progress(Box::new(move |pass, done, total| match progress.as_mut() {
            Some(ProgressTo::Fd(f)) => {
                let _ = writeln!(f, "{pass} {done} {total} {device}");
            }
            Some(ProgressTo::Bar(b)) => {
                let p = usize::from(pass.min(5));
                let share = if total == 0 { 1.0 } else { done as f64 / total as f64 };
                let percent = PASS_PERCENT[p - 1] + share * (PASS_PERCENT[p] - PASS_PERCENT[p - 1]);
                b.set_position(percent as u64);
            }
            None => {}
        }));
    }
    for n in notes {
        checker.note(n.code, n.detail, n.fixed);
    }
    let report = checker.run(&mut |pass| pb.set_message(pass))?;
    pb.finish_and_clear();
    if writable {
        fs.dev.sync()?;
    }
    if json_out {
        let mut v = serde_json::to_value(&report)?;
        v["image"] = json!(name);
        v["checked"] = json!(true);
        output::print_json(&v)?;
    } else {
        print_report(&fs, &report, &name, a.verbose);
    }
    Ok(report.exit_code)
}

/// e2fsck's line for a clean file system it does not check; exit 0.
fn skip_clean(fs: &mut Fs<MappedImage>, name: &str, now: u64, json_out: bool, writable: bool) -> anyhow::Result<i32> {
    if writable {
        fs.dev.sync()?;
    }
    let sb = &fs.sb;
    let (files, inodes) = (u64::from(sb.f.s_inodes_count - sb.f.s_free_inodes_count), sb.f.s_inodes_count);
    let (used, blocks) = (sb.blocks_count() - sb.free_blocks_count(), sb.blocks_count());
    if json_out {
        output::print_json(&json!({
            "image": name,
            "checked": false,
            "clean": true,
            "inodes_used": files,
            "inodes_count": inodes,
            "blocks_used": used,
            "blocks_count": blocks,
            "exit_code": 0,
        }))?;
    } else {
        output::emit(&format!(
            "{name}: clean, {files}/{inodes} files, {used}/{blocks} blocks{}",
            check::next_check_note(fs, now)
        ));
    }
    Ok(0)
}

fn print_report(fs: &Fs<MappedImage>, report: &Report, name: &str, verbose: bool) {
    if !report.findings.is_empty() {
        let mut t = output::FitTable::new(&[("code", 2), ("pass", 1), ("problem", 0), ("fixed", 0)]).wrap("problem");
        for f in &report.findings {
            t.row(vec![
                f.code.clone(),
                f.pass.to_string(),
                f.message.clone(),
                if f.fixed { "yes".into() } else { "no".to_string() },
            ]);
        }
        t.print();
    }
    let sb = &fs.sb;
    let inodes = u64::from(sb.f.s_inodes_count);
    let files = inodes - u64::from(sb.f.s_free_inodes_count);
    let blocks = sb.blocks_count();
    let used = blocks - sb.free_blocks_count();
    let s = &report.stats;
    // e2fsck's rounding: tenths of a percent of the inodes in use.
    let tenths = |n: u64| -> u64 { ((10_000 * n).checked_div(files).unwrap_or(0) + 5) / 10 };
    let status = match report.exit_code {
        0 => "",
        1 => " (errors fixed)",
        _ => " (errors left uncorrected)",
    };
    if !verbose {
        let total = tenths(s.fragmented_files + s.fragmented_dirs);
        output::emit(&format!(
            "{name}: {files}/{inodes} files ({}.{}% non-contiguous), {used}/{blocks} blocks{status}",
            total / 10,
            total % 10
        ));
        return;
    }
    let plural = |n: u64, one: &str, many: &str| if n == 1 { one.to_string() } else { many.to_string() };
    let mut out = vec![String::new()];
    out.push(format!(
        "{files:12} {} ({:.2}%, out of {inodes})",
        plural(files, "inode used", "inodes used"),
        100.0 * files as f64 / inodes.max(1) as f64
    ));
    let f = tenths(s.fragmented_files);
    out.push(format!(
        "{:12} {} ({}.{}%)",
        s.fragmented_files,
        plural(s.fragmented_files, "non-contiguous file", "non-contiguous files"),
        f / 10,
        f % 10
    ));
    let d = tenths(s.fragmented_dirs);
    out.push(format!(
        "{:12} {} ({}.{}%)",
        s.fragmented_dirs,
        plural(s.fragmented_dirs, "non-contiguous directory", "non-contiguous directories"),
        d / 10,
        d % 10
    ));
    out.push(format!("             # of inodes with ind/dind/tind blocks: {}/{}/{}", s.ind, s.dind, s.tind));
    let depths: Vec<String> = {
        let last = s.extent_depths.iter().rposition(|&n| n > 0);
        s.extent_depths[..last.map_or(0, |l| l + 1)].iter().map(u64::to_string).collect()
    };
    if !depths.is_empty() {
        out.push(format!("             Extent depth histogram: {}", depths.join("/")));
    }
    out.push(format!(
        "{used:12} {} ({:.2}%, out of {blocks})",
        plural(used, "block used", "blocks used"),
        100.0 * used as f64 / blocks.max(1) as f64
    ));
    out.push(format!("{:12} bad blocks", 0));
    out.push(format!("{:12} {}", s.large_files, plural(s.large_files, "large file", "large files")));
    out.push(String::new());
    out.push(format!("{:12} {}", s.regular, plural(s.regular, "regular file", "regular files")));
    out.push(format!("{:12} {}", s.directories, plural(s.directories, "directory", "directories")));
    out.push(format!("{:12} {}", s.chardevs, plural(s.chardevs, "character device file", "character device files")));
    out.push(format!("{:12} {}", s.blockdevs, plural(s.blockdevs, "block device file", "block device files")));
    out.push(format!("{:12} {}", s.fifos, plural(s.fifos, "fifo", "fifos")));
    let dir_links = (2 * s.directories).saturating_sub(1);
    let links = s.extra_links.saturating_sub(dir_links);
    out.push(format!("{links:12} {}", plural(links, "link", "links")));
    out.push(format!(
        "{:12} {} ({} {})",
        s.symlinks,
        plural(s.symlinks, "symbolic link", "symbolic links"),
        s.fast_symlinks,
        plural(s.fast_symlinks, "fast symbolic link", "fast symbolic links")
    ));
    out.push(format!("{:12} {}", s.sockets, plural(s.sockets, "socket", "sockets")));
    out.push("------------".into());
    let total = s.entries.saturating_sub(dir_links);
    out.push(format!("{total:12} {}", plural(total, "file", "files")));
    if !status.is_empty() {
        out.push(format!("{name}:{status}"));
    }
    output::emit(&out.join("\n"));
}
