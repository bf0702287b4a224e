//! `e4dax generate man|completions DIR`: the man pages and completions committed under `man/`
//! and `completions/`, generated from the clap definition (a test checks they are current).
//! Every page gets EXIT STATUS, EXAMPLES and SEE ALSO sections and the version in its footer.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, GenerateArgs, GenerateWhat};

pub fn run(a: &GenerateArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&a.dir).with_context(|| format!("creating {}", a.dir.display()))?;
    match a.what {
        GenerateWhat::Man => man(&a.dir)?,
        GenerateWhat::Completions => completions(&a.dir)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Exit status of most commands.
const EXIT_COMMON: &[(&str, &str)] =
    &[("0", "Success."), ("1", "An error: the image was refused or the operation failed (one line on standard error; with --json, a JSON object)."), ("2", "A usage error: a bad option or argument.")];

/// The EXIT STATUS entries of a page (by the page's name, `e4dax-fsck`).
fn exit_status(page: &str) -> Vec<(&'static str, &'static str)> {
    match page {
        "e4dax-fsck" => vec![
            ("0", "No errors."),
            ("1", "File system errors corrected."),
            ("4", "File system errors left uncorrected."),
            ("8", "Operational error (the image cannot be opened or read)."),
            ("16", "Usage or syntax error."),
        ],
        "e4dax-crash" | "e4dax-crash-merge" => vec![
            ("0", "No crash state violates the checks."),
            ("4", "Violations found (the report says which, by class and step)."),
            ("1", "An error: the image, workload or a report was refused."),
            ("2", "A usage error."),
        ],
        "e4dax-fault" | "e4dax-write" | "e4dax-msync" | "e4dax-run" => vec![
            ("0", "Success."),
            ("3", "The fault path broke a lock-rank rule (--inject lock-inversion)."),
            ("1", "An error: the image was refused or the operation failed."),
            ("2", "A usage error."),
        ],
        "e4dax-read" => vec![
            ("0", "Success; with --check-stale, no stale data in written extents."),
            ("1", "With --check-stale: stale data found. Otherwise an error."),
            ("2", "A usage error."),
        ],
        _ => EXIT_COMMON.to_vec(),
    }
}

/// The EXAMPLES of a page: (what, command).
fn examples(page: &str) -> Vec<(&'static str, &'static str)> {
    match page {
        "e4dax" => vec![
            ("Run every policy and known bug through the crash explorer in a temporary directory:", "e4dax demo"),
            ("Make a poisoned image and look at it as dumpe2fs would:", "e4dax mkfs pm.img --size 64M --poison && e4dax inspect pm.img super"),
        ],
        "e4dax-mkfs" => vec![
            ("A reproducible 64 MiB image whose free blocks hold the stale-data pattern:", "e4dax mkfs pm.img --size 64M --poison --uuid 5c0ffee0-1234-4abc-8def-0123456789ab --time 1700000000"),
            ("An image without a journal, for the ext2 policy:", "e4dax mkfs pm.img --size 64M --no-journal"),
        ],
        "e4dax-create" => vec![("A 1 MiB hole in a new directory:", "e4dax create pm.img /dir/data -p --size 1M")],
        "e4dax-fallocate" => vec![("Unwritten extents over the first MiB:", "e4dax fallocate pm.img /data --offset 0 --len 1M")],
        "e4dax-punch" => vec![("Free 64 KiB in the middle of a file:", "e4dax punch pm.img /data --offset 64K --len 64K")],
        "e4dax-rm" => vec![("Remove a file:", "e4dax rm pm.img /data")],
        "e4dax-ls" => vec![
            ("List the root directory as debugfs ls -l does:", "e4dax ls pm.img / -l"),
            ("List a directory by inode number:", "e4dax ls pm.img '<2>'"),
        ],
        "e4dax-read" => vec![
            ("The first 64 bytes of a file as a hex dump:", "e4dax read pm.img /data --len 64 --hexdump"),
            ("The inode e2fsck named, as JSON:", "e4dax read pm.img '<12>' --len 16 --json"),
            ("Look for the stale-data pattern in written extents:", "e4dax read pm.img /data --check-stale"),
        ],
        "e4dax-journal-replay" => vec![("What a mount would replay, without writing:", "e4dax journal-replay pm.img --dry-run")],
        "e4dax-fsck" => vec![
            ("Check only, even a clean file system, as e2fsck -fn:", "e4dax fsck pm.img -fn"),
            ("Repair everything, and look for stale data too:", "e4dax fsck pm.img -fy --data"),
            ("Answer each question (on a terminal), then print e2fsck -v's statistics:", "e4dax fsck pm.img -fv"),
            ("Check with the backup superblock of group 1 (4 KiB blocks):", "e4dax fsck pm.img -f -b 32768 -y"),
        ],
        "e4dax-inspect" | "e4dax-inspect-super" => vec![
            ("The superblock in dumpe2fs -h's words:", "e4dax inspect pm.img super"),
            ("Every group as dumpe2fs prints it:", "e4dax inspect pm.img groups --full"),
        ],
        "e4dax-inspect-groups" => vec![("Every group as dumpe2fs prints it:", "e4dax inspect pm.img groups --full")],
        "e4dax-inspect-extents" => vec![("A file's extent tree as debugfs ex shows it:", "e4dax inspect pm.img extents /data")],
        "e4dax-inspect-journal" => vec![("The log as debugfs logdump -a shows it:", "e4dax inspect pm.img journal")],
        "e4dax-inspect-inode" => vec![("The inode e2fsck named, as debugfs stat:", "e4dax inspect pm.img inode '<12>'")],
        "e4dax-inspect-icheck" => vec![("Which inodes own blocks 2065 and 2066:", "e4dax inspect pm.img icheck 2065 2066")],
        "e4dax-inspect-ncheck" => vec![("The names of inode 12:", "e4dax inspect pm.img ncheck 12")],
        "e4dax-inspect-bmap" => vec![("The physical block of logical block 3 of a file:", "e4dax inspect pm.img bmap /data 3")],
        "e4dax-inspect-blocks" => vec![("Every block of a file, indirect blocks included:", "e4dax inspect old.img blocks /big")],
        "e4dax-inspect-testb" => vec![("Whether blocks 100 to 109 are in use:", "e4dax inspect pm.img testb 100 10")],
        "e4dax-inspect-testi" => vec![("Whether inode 12 is in use:", "e4dax inspect pm.img testi '<12>'")],
        "e4dax-inspect-map" => vec![("A picture of who holds every block, a file outlined:", "e4dax inspect pm.img map --svg map.svg --file /data")],
        "e4dax-fault" => vec![(
            "A write fault into an unwritten extent stopped after insert-mapping, step by step:",
            "e4dax fault pm.img /data --offset 0 --write --policy unwritten --pattern DATA --stop-after insert-mapping --trace",
        )],
        "e4dax-write" => vec![("Write a repeated text through the DAX write(2) path:", "e4dax write pm.img /data --offset 0 --pattern DATA --len 8K")],
        "e4dax-truncate" => vec![("Shrink a file to 4 KiB:", "e4dax truncate pm.img /data --size 4K")],
        "e4dax-msync" => vec![("Make a range durable:", "e4dax msync pm.img /data --offset 0 --len 4K")],
        "e4dax-run" => vec![("Run a workload file under the unwritten policy:", "e4dax run pm.img tests/data/fault-into-hole.wl --policy unwritten --trace")],
        "e4dax-crash" => vec![
            (
                "Every crash state of a fault with a missing fence, reproducers saved:",
                "e4dax crash pm.img tests/data/fault-into-hole.wl --policy zeroed --inject no-fence --save repro --svg run.svg",
            ),
            ("One of 16 shards, as JSON:", "e4dax crash pm.img fault.wl --shard 3/16 --json > shard-3.json"),
        ],
        "e4dax-crash-replay" => vec![("Rebuild a saved reproducer:", "e4dax crash replay repro/01-stale-data-commit/state.json again.img")],
        "e4dax-crash-merge" => vec![("Add up the shards:", "e4dax crash merge shard-*.json")],
        "e4dax-demo" => vec![("Keep the reproducers in a directory of your own:", "e4dax demo --dir demo-out")],
        _ => Vec::new(),
    }
}

/// The SEE ALSO references of a page: the e2fsprogs pages it stands beside, then e4dax's.
fn see_also(page: &str) -> Vec<&'static str> {
    let e2fs: &[&str] = match page {
        "e4dax-mkfs" => &["mkfs.ext4(8)", "mke2fs(8)", "dumpe2fs(8)"],
        "e4dax-fsck" => &["e2fsck(8)", "debugfs(8)"],
        "e4dax-journal-replay" => &["e2fsck(8)", "debugfs(8)"],
        p if p.starts_with("e4dax-inspect") => &["dumpe2fs(8)", "debugfs(8)"],
        "e4dax-ls" | "e4dax-read" | "e4dax-create" | "e4dax-rm" => &["debugfs(8)"],
        "e4dax-fallocate" | "e4dax-punch" => &["fallocate(1)", "fallocate(2)", "debugfs(8)"],
        "e4dax-truncate" => &["truncate(1)", "ftruncate(2)", "debugfs(8)"],
        "e4dax-msync" => &["msync(2)", "debugfs(8)"],
        "e4dax-fault" | "e4dax-write" | "e4dax-run" => &["mmap(2)", "debugfs(8)"],
        _ => &["mkfs.ext4(8)", "dumpe2fs(8)", "debugfs(8)", "e2fsck(8)"],
    };
    let ours: &[&str] = if page == "e4dax" {
        &["e4dax-mkfs(1)", "e4dax-inspect(1)", "e4dax-fsck(1)", "e4dax-fault(1)", "e4dax-crash(1)"]
    } else {
        &["e4dax(1)"]
    };
    e2fs.iter().chain(ours).copied().collect()
}

/// Text for roff: backslashes doubled, hyphens as minus signs, a leading dot or quote
/// protected.
fn roff_text(s: &str) -> String {
    let t = s.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}

fn page(cmd: clap::Command, dir: &Path) -> anyhow::Result<()> {
    let name = cmd.get_display_name().unwrap_or_else(|| cmd.get_name()).to_string();
    let man = clap_mangen::Man::new(cmd.clone())
        .source(format!("e4dax {}", env!("CARGO_PKG_VERSION")))
        .manual("e4dax manual");
    let path = dir.join(man.get_filename());
    let mut out: Vec<u8> = Vec::new();
    // The title by hand: clap_mangen leaves an empty date unquoted, which shifts the version
    // out of the footer.
    writeln!(
        out,
        ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n.TH {name} 1 \"\" \"e4dax {}\" \"e4dax manual\"",
        env!("CARGO_PKG_VERSION")
    )?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut out)?;
    }
    // After-help texts become NOTES (fsck's only repeats its exit status, given below).
    if (cmd.get_after_help().is_some() || cmd.get_after_long_help().is_some()) && name != "e4dax-fsck" {
        let mut extra = Vec::new();
        man.render_extra_section(&mut extra)?;
        out.extend(String::from_utf8_lossy(&extra).replacen(".SH EXTRA", ".SH NOTES", 1).as_bytes());
    }
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    for (code, what) in exit_status(&name) {
        writeln!(out, ".TP\n\\fB{code}\\fR\n{}", roff_text(what))?;
    }
    let ex = examples(&name);
    if !ex.is_empty() {
        writeln!(out, ".SH EXAMPLES")?;
        for (what, command) in ex {
            writeln!(out, ".PP\n{}\n.PP\n.RS 4\n.nf\n{}\n.fi\n.RE", roff_text(what), roff_text(command))?;
        }
    }
    writeln!(out, ".SH \"SEE ALSO\"")?;
    let refs: Vec<String> = see_also(&name)
        .iter()
        .map(|r| {
            let (n, sec) = r.split_once('(').unwrap_or((r, ")"));
            format!("\\fB{}\\fR({}", roff_text(n), sec)
        })
        .collect();
    writeln!(out, "{}", refs.join(", "))?;
    if cmd.get_version().is_some() {
        man.render_version_section(&mut out)?;
    }
    std::fs::write(&path, out).with_context(|| format!("writing {}", path.display()))?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        page(sub.clone(), dir)?;
    }
    Ok(())
}

fn man(dir: &Path) -> anyhow::Result<()> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    page(cmd, dir).with_context(|| format!("writing man pages to {}", dir.display()))
}

fn completions(dir: &Path) -> anyhow::Result<()> {
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::Elvish, Shell::PowerShell] {
        let mut cmd = Cli::command();
        clap_complete::generate_to(shell, &mut cmd, "e4dax", dir)
            .with_context(|| format!("writing {shell} completions to {}", dir.display()))?;
    }
    Ok(())
}
