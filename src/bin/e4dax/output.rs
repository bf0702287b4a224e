//! Output helpers: tables, JSON, progress bars and one-line errors.

use std::io::IsTerminal;

use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};
use indicatif::{ProgressBar, ProgressStyle};

/// An error and its context on one line: "context: cause: cause".
pub fn one_line(e: &anyhow::Error) -> String {
    let parts: Vec<String> = e.chain().map(|c| c.to_string().replace('\n', " ")).collect();
    let mut out: Vec<String> = Vec::new();
    for p in parts {
        // Skip a cause already contained in the text before it.
        if !out.last().is_some_and(|l| l.ends_with(&p)) {
            out.push(p);
        }
    }
    out.join(": ")
}

/// A new table in the house style.
pub fn table() -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    t
}

/// Print a value as pretty JSON.
pub fn print_json<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
    emit(&serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Print a line of output. A closed pipe (`e4dax ... | head`) ends the program quietly, as
/// SIGPIPE would, instead of failing.
pub fn emit(text: &str) {
    write_or_exit(format_args!("{text}\n"));
}

/// Write to standard output; a closed pipe ends the program quietly.
pub fn write_or_exit(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("e4dax: writing output: {e}");
        std::process::exit(1);
    }
}

/// Write raw bytes to standard output; a closed pipe ends the program quietly.
pub fn emit_bytes(b: &[u8]) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(b).and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("e4dax: writing output: {e}");
        std::process::exit(1);
    }
}

/// A progress bar on a terminal (stderr), nothing on a pipe.
pub fn progress(total: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// A spinner with a message on a terminal (stderr), nothing on a pipe.
pub fn spinner() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    pb
}
