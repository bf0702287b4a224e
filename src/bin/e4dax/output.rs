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

/// Print human text: at a known width, lines too long are wrapped at spaces (words, and so
/// numbers, are never cut; table lines already fit).
pub fn emit_text(text: &str) {
    match width() {
        Some(w) => {
            let lines: Vec<String> =
                text.lines().map(|l| if l.chars().count() > w { wrap_words(l, w) } else { l.to_string() }).collect();
            emit(&lines.join("\n"));
        }
        None => emit(text),
    }
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

/// An error as one JSON object on stderr (with `--json`): `{"error": ..., "exit_code": ...}`,
/// and the usage text for a usage error.
pub fn json_error(message: &str, exit_code: u8, usage: Option<&str>) {
    let mut v = serde_json::json!({ "error": message, "exit_code": exit_code });
    if let Some(u) = usage {
        v["usage"] = serde_json::json!(u.trim_end());
    }
    eprintln!("{v}");
}

/// The first line of a clap error, without its `error: ` prefix.
pub fn usage_message(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let first = text.lines().next().unwrap_or("usage error");
    first.strip_prefix("error: ").unwrap_or(first).to_string()
}

/// The width output must fit: `$COLUMNS` when set, else the terminal's on a terminal, else
/// none (a pipe gets everything).
pub fn width() -> Option<usize> {
    if let Some(c) = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok()) {
        if c > 0 {
            return Some(c);
        }
    }
    if std::io::stdout().is_terminal() {
        return terminal_size::terminal_size().map(|(w, _)| usize::from(w.0));
    }
    None
}

/// A table of columns that fits the width: columns are hidden in the order of their `hide`
/// rank (0: never hidden) until it fits; then the text of wrappable columns is wrapped at
/// spaces; when even that does not fit, each row is printed as `key: value` lines. Words are
/// never cut, so no number is ever broken.
pub struct FitTable {
    cols: Vec<(String, u8)>,
    wrap: Vec<bool>,
    rows: Vec<Vec<String>>,
}

/// The narrowest a wrapped column is made.
const WRAP_MIN: usize = 16;
/// The narrowest a wrapped column is made to show a hidden column again.
const WRAP_BACK: usize = 30;

/// `text` wrapped at spaces into lines of at most `w` characters (a longer word stays whole).
fn wrap_words(text: &str, w: usize) -> String {
    let mut out: Vec<String> = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > w {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(line);
    }
    out.join("\n")
}

impl FitTable {
    /// Columns as (header, hide rank): higher ranks are hidden first.
    pub fn new(cols: &[(&str, u8)]) -> Self {
        FitTable {
            cols: cols.iter().map(|(h, r)| (h.to_string(), *r)).collect(),
            wrap: vec![false; cols.len()],
            rows: Vec::new(),
        }
    }

    /// Let the text of column `name` wrap at spaces.
    pub fn wrap(mut self, name: &str) -> Self {
        if let Some(i) = self.cols.iter().position(|c| c.0 == name) {
            self.wrap[i] = true;
        }
        self
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn render_cols(&self, keep: &[usize], wrap_at: Option<usize>) -> String {
        let mut t = Table::new();
        t.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Disabled);
        t.set_header(keep.iter().map(|&i| self.cols[i].0.clone()).collect::<Vec<_>>());
        for r in &self.rows {
            t.add_row(
                keep.iter()
                    .map(|&i| {
                        let cell = r.get(i).cloned().unwrap_or_default();
                        match wrap_at {
                            Some(w) if self.wrap[i] => wrap_words(&cell, w),
                            _ => cell,
                        }
                    })
                    .collect::<Vec<_>>(),
            );
        }
        t.to_string()
    }

    fn text_width(s: &str) -> usize {
        s.lines().map(|l| l.chars().count()).max().unwrap_or(0)
    }

    /// The table as text for `width` columns (None: no limit).
    pub fn render(&self, width: Option<usize>) -> String {
        let mut keep: Vec<usize> = (0..self.cols.len()).collect();
        let mut text = self.render_cols(&keep, None);
        let Some(w) = width else { return text };
        let mut hidden: Vec<usize> = Vec::new();
        let mut wrap_at = None;
        while Self::text_width(&text) > w {
            if let Some(&drop) = keep.iter().filter(|&&i| self.cols[i].1 > 0).max_by_key(|&&i| (self.cols[i].1, i)) {
                keep.retain(|&i| i != drop);
                hidden.push(drop);
                text = self.render_cols(&keep, None);
                continue;
            }
            // Only essential columns left: wrap the wrappable ones, narrower and narrower.
            let widest = keep
                .iter()
                .filter(|&&i| self.wrap[i])
                .flat_map(|&i| self.rows.iter().filter_map(move |r| r.get(i)))
                .map(|c| c.chars().count())
                .max();
            let fitted = widest.and_then(|m| {
                (WRAP_MIN..m).rev().find_map(|at| {
                    let t = self.render_cols(&keep, Some(at));
                    (Self::text_width(&t) <= w).then_some((at, t))
                })
            });
            match fitted {
                Some((at, t)) => {
                    wrap_at = Some(at);
                    text = t;
                }
                None => return self.render_vertical(w),
            }
        }
        // Put back, cheapest first, the hidden columns that still fit (wrapped text may get
        // narrower for them, down to WRAP_BACK).
        for &i in hidden.clone().iter().rev() {
            let mut with: Vec<usize> = keep.iter().copied().chain([i]).collect();
            with.sort_unstable();
            let tries: Vec<Option<usize>> = match wrap_at {
                None => vec![None],
                Some(at) => (WRAP_BACK.min(at)..=at).rev().map(Some).collect(),
            };
            if let Some((at, t)) = tries.into_iter().find_map(|at| {
                let t = self.render_cols(&with, at);
                (Self::text_width(&t) <= w).then_some((at, t))
            }) {
                keep = with;
                hidden.retain(|&h| h != i);
                text = t;
                wrap_at = at;
            }
        }
        if !hidden.is_empty() {
            hidden.sort_unstable();
            let names: Vec<&str> = hidden.iter().map(|&i| self.cols[i].0.as_str()).collect();
            let note = format!("(not shown, to fit {w} columns: {}; --json has every field)", names.join(", "));
            text.push('\n');
            text.push_str(&wrap_words(&note, w));
        }
        text
    }

    /// Every row as `key: value` lines, rows separated by a blank line (a two-column table
    /// of keys and values, whose second header is empty, as one `key: value` line a row);
    /// values wrap at spaces to fit `w` columns.
    pub fn render_vertical(&self, w: usize) -> String {
        if self.cols.len() == 2 && self.cols[1].0.is_empty() {
            let mut out = vec![format!("{}:", self.cols[0].0)];
            for r in &self.rows {
                let (k, v) = (r.first().map_or("", String::as_str), r.get(1).map_or("", String::as_str));
                let value = wrap_words(v, w.saturating_sub(4).max(WRAP_MIN));
                let mut lines = value.lines();
                out.push(format!("  {k}: {}", lines.next().unwrap_or("")));
                out.extend(lines.map(|l| format!("    {l}")));
            }
            return out.join("\n");
        }
        let key_w = self.cols.iter().map(|c| c.0.chars().count()).max().unwrap_or(0);
        let mut out = Vec::new();
        for r in &self.rows {
            let mut block = Vec::new();
            for (i, (name, _)) in self.cols.iter().enumerate() {
                let cell = r.get(i).map(String::as_str).unwrap_or("");
                let value = wrap_words(cell, w.saturating_sub(key_w + 2).max(WRAP_MIN));
                let mut lines = value.lines();
                let key = format!("{name}:");
                block.push(format!("{key:<w$} {}", lines.next().unwrap_or(""), w = key_w + 1).trim_end().to_string());
                for l in lines {
                    block.push(format!("{:w$} {l}", "", w = key_w + 1));
                }
            }
            out.push(block.join("\n"));
        }
        out.join("\n\n")
    }

    /// Print for the current width.
    pub fn print(&self) {
        emit(&self.render(width()));
    }
}
