//! The `e4dax` binary: a thin layer over the library. `main` returns an exit code and prints
//! errors as one line with their context.

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

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // fsck keeps e2fsck's exit status for usage errors.
            let fsck = std::env::args().nth(1).is_some_and(|a| a == "fsck");
            let code = match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ if fsck => 16,
                _ => 2,
            };
            return ExitCode::from(code);
        }
    };
    let json = cli.json;
    // The one clock of every writing command: --time, else $E4DAX_TIME, else the system clock.
    let clock = match cli.time {
        Some(t) => e4dax::clock::Clock::fixed(t),
        None => match e4dax::clock::Clock::from_env() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("e4dax: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let result = match cli.command {
        cli::Command::Mkfs(a) => mkfs::run(&a, clock, json),
        cli::Command::Create(a) => files::create(&a, clock, json, cli.no_checkpoint),
        cli::Command::Fallocate(a) => files::range(&a, false, clock, json, cli.no_checkpoint),
        cli::Command::Punch(a) => files::range(&a, true, clock, json, cli.no_checkpoint),
        cli::Command::Rm(a) => files::rm(&a, clock, json, cli.no_checkpoint),
        cli::Command::JournalReplay(a) => journal::replay(&a, json),
        cli::Command::Fsck(a) => return fsck::run(&a, clock, json),
        cli::Command::Ls(a) => files::ls(&a, json),
        cli::Command::Read(a) => files::read(&a, json),
        cli::Command::Inspect(a) => inspect::run(&a, json),
        cli::Command::Generate(a) => generate::run(&a),
        cli::Command::Fault(a) => dax::fault(&a, clock, json, cli.no_checkpoint),
        cli::Command::Write(a) => dax::write(&a, clock, json, cli.no_checkpoint),
        cli::Command::Msync(a) => dax::msync(&a, clock, json, cli.no_checkpoint),
        cli::Command::Run(a) => dax::run(&a, clock, json, cli.no_checkpoint),
        cli::Command::Crash(a) => crash::run(&a, clock, json),
        cli::Command::Demo(a) => demo::run(&a, clock, json),
        cli::Command::Truncate(a) => files::truncate(&a, clock, json, cli.no_checkpoint),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("e4dax: {}", output::one_line(&e));
            ExitCode::from(EXIT_ERROR)
        }
    }
}
