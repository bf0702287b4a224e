//! The `e4dax` binary: a thin layer over the library. `main` returns an exit code and prints
//! errors as one line with their context.
#![recursion_limit = "256"]

mod cli;
mod crash;
mod dax;
mod demo;
mod files;
mod fsck;
mod generate;
mod inspect;
mod journal;
mod mkfs;
mod open;
mod output;

use std::process::ExitCode;

use clap::Parser;

/// Exit status for a command that failed at run time.
const EXIT_ERROR: u8 = 1;
/// Exit status for a usage error.
const EXIT_USAGE: u8 = 2;
/// fsck's exit status for a usage error (e2fsck's).
const EXIT_FSCK_USAGE: u8 = 16;

fn main() -> ExitCode {
    // Known before parsing, so that usage errors come out as JSON too.
    let json_requested = std::env::args_os().skip(1).any(|a| a == "--json");
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // fsck keeps e2fsck's exit status for usage errors.
            let fsck = std::env::args().nth(1).is_some_and(|a| a == "fsck");
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ if fsck => EXIT_FSCK_USAGE,
                _ => EXIT_USAGE,
            };
            if code != 0 && json_requested {
                output::json_error(&output::usage_message(&e), code, Some(&e.to_string()));
            } else {
                let _ = e.print();
            }
            return ExitCode::from(code);
        }
    };
    let json = cli.json;
    let fail = |line: String, code: u8| {
        if json {
            output::json_error(&line, code, None);
        } else {
            eprintln!("e4dax: {line}");
        }
        ExitCode::from(code)
    };
    // fsck keeps e2fsck's exit status for usage errors.
    let usage = if matches!(cli.command, cli::Command::Fsck(_)) { EXIT_FSCK_USAGE } else { EXIT_USAGE };
    // Usage errors: flags before a command that does not take them, a bad $E4DAX_TIME.
    let (time, no_checkpoint) = match merge_leading_flags(&cli) {
        Ok(v) => v,
        Err(e) => return fail(output::one_line(&e), usage),
    };
    // The one clock of every writing command: --time, else $E4DAX_TIME, else the system clock.
    let clock = match time {
        Some(t) => e4dax::clock::Clock::fixed(t),
        None => match e4dax::clock::Clock::from_env() {
            Ok(c) => c,
            Err(e) => return fail(e.to_string(), usage),
        },
    };
    match run(cli, clock, no_checkpoint) {
        Ok(code) => code,
        Err(e) => fail(output::one_line(&e), EXIT_ERROR),
    }
}

/// Flags given before the command apply to it only where it takes them.
fn merge_leading_flags(cli: &cli::Cli) -> anyhow::Result<(Option<u64>, bool)> {
    let time = match (cli.command.time(), cli.time) {
        (Some(own), lead) => own.or(lead),
        (None, Some(_)) => anyhow::bail!("--time: this command writes no timestamps"),
        (None, None) => None,
    };
    let no_checkpoint = match (cli.command.write_opts(), cli.no_checkpoint) {
        (Some(w), lead) => w.no_checkpoint || lead,
        (None, true) => anyhow::bail!("--no-checkpoint: this command writes nothing through the journal"),
        (None, false) => false,
    };
    Ok((time, no_checkpoint))
}

fn run(cli: cli::Cli, clock: e4dax::clock::Clock, no_checkpoint: bool) -> anyhow::Result<ExitCode> {
    let json = cli.json;
    match cli.command {
        cli::Command::Mkfs(a) => mkfs::run(&a, clock, json),
        cli::Command::Create(a) => files::create(&a, clock, json, no_checkpoint),
        cli::Command::Fallocate(a) => files::range(&a.range, Some(a.keep_size), clock, json, no_checkpoint),
        cli::Command::Punch(a) => files::range(&a.range, None, clock, json, no_checkpoint),
        cli::Command::Rm(a) => files::rm(&a, clock, json, no_checkpoint),
        cli::Command::JournalReplay(a) => journal::replay(&a, json),
        cli::Command::Fsck(a) => Ok(fsck::run(&a, clock, json)),
        cli::Command::Ls(a) => files::ls(&a, json),
        cli::Command::Read(a) => files::read(&a, json),
        cli::Command::Inspect(a) => inspect::run(&a, json),
        cli::Command::Generate(a) => generate::run(&a),
        cli::Command::Fault(a) => dax::fault(&a, clock, json, no_checkpoint),
        cli::Command::Write(a) => dax::write(&a, clock, json, no_checkpoint),
        cli::Command::Msync(a) => dax::msync(&a, clock, json, no_checkpoint),
        cli::Command::Run(a) => dax::run(&a, clock, json, no_checkpoint),
        cli::Command::Crash(a) => crash::run(&a, clock, json),
        cli::Command::Demo(a) => demo::run(&a, clock, json),
        cli::Command::Truncate(a) => files::truncate(&a, clock, json, no_checkpoint),
    }
}
