//! `e4dax generate man|completions DIR`: the man pages and completions committed under `man/`
//! and `completions/`, generated from the clap definition (a test checks they are current).

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

fn man(dir: &Path) -> anyhow::Result<()> {
    let cmd = Cli::command();
    clap_mangen::generate_to(cmd, dir).with_context(|| format!("writing man pages to {}", dir.display()))?;
    Ok(())
}

fn completions(dir: &Path) -> anyhow::Result<()> {
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::Elvish, Shell::PowerShell] {
        let mut cmd = Cli::command();
        clap_complete::generate_to(shell, &mut cmd, "e4dax", dir)
            .with_context(|| format!("writing {shell} completions to {}", dir.display()))?;
    }
    Ok(())
}
