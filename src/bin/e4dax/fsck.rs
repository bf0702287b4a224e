//! `e4dax fsck`: e2fsck's interface over the library's checker, with its exit codes.

use std::process::ExitCode;

use e4dax::check::{Checker, Mode, Options, EXIT_ERROR};
use e4dax::clock::Clock;
use e4dax::fs::open::{self, Opened};
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

fn check_image(a: &FsckArgs, clock: Clock, json_out: bool) -> anyhow::Result<i32> {
    let mode = if a.yes {
        Mode::Yes
    } else if a.preen {
        Mode::Preen
    } else {
        Mode::No
    };
    let writable = mode != Mode::No;
    let dev = MappedImage::open(&a.image, writable)?;
    let Opened { mut fs, notes, .. } = open::open_for_check(dev, writable)?;
    fs.clock = clock;
    let pb = output::spinner();
    let opts = Options { mode, data: a.data };
    let mut checker = Checker::new(&mut fs, opts);
    for n in notes {
        checker.note(n.code, n.detail, n.fixed);
    }
    let report = checker.run(&mut |name| pb.set_message(name))?;
    pb.finish_and_clear();
    if writable {
        fs.dev.sync()?;
    }
    let files = u64::from(fs.sb.f.s_inodes_count) - u64::from(fs.sb.f.s_free_inodes_count);
    let blocks = fs.sb.blocks_count() - fs.sb.free_blocks_count();
    if json_out {
        let mut v = serde_json::to_value(&report)?;
        v["image"] = json!(a.image.display().to_string());
        output::print_json(&v)?;
    } else {
        if !report.findings.is_empty() {
            let mut t =
                output::FitTable::new(&[("code", 2), ("pass", 1), ("problem", 0), ("fixed", 0)]).wrap("problem");
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
        output::emit(&format!(
            "{}: {}/{} files, {}/{} blocks{}",
            a.image.display(),
            files,
            fs.sb.f.s_inodes_count,
            blocks,
            fs.sb.blocks_count(),
            match report.exit_code {
                0 => "",
                1 => " (errors fixed)",
                _ => " (errors left uncorrected)",
            }
        ));
    }
    Ok(report.exit_code)
}
