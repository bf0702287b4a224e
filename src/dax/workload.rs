//! Workload files: one operation a line, in the CLI's own words, `#` comments, run within one
//! mount so that operations share running transactions (DESIGN §4, "Scripted reproduction").
//!
//! ```text
//! create /f --size 4K            # also: --dir, -p
//! truncate /f --size 8K
//! write /f --offset 0 --pattern DATA [--len 4K]     # or --data HEX, --from FILE
//! fallocate /f --offset 0 --len 1M [--keep-size]
//! punch /f --offset 0 --len 64K
//! rm /f
//! fault /f --offset 0 [--len 4K] (--read | --write) [--private] [--pattern DATA]
//! msync /f [--offset 0 --len 4K]
//! commit
//! checkpoint
//! ```

use super::{Access, Dax, FlowResult};
use crate::error::{Error, Result};
use crate::pmem::Device;
use crate::units::parse_size;

/// One operation of a workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Create { path: String, size: Option<u64>, dir: bool, parents: bool },
    Truncate { path: String, size: u64 },
    Write { path: String, offset: u64, data: Vec<u8> },
    Fallocate { path: String, offset: u64, len: u64, keep_size: bool },
    Punch { path: String, offset: u64, len: u64 },
    Rm { path: String },
    Fault { path: String, offset: u64, len: Option<u64>, access: Access, private: bool, data: Vec<u8> },
    Msync { path: String, range: Option<(u64, u64)> },
    Commit,
    Checkpoint,
}

/// A parsed workload: operations with their line numbers.
#[derive(Debug, Clone, Default)]
pub struct Workload {
    pub ops: Vec<(usize, Op)>,
}

/// The bytes a `--data HEX`, `--pattern TEXT` (repeated over `len` when given) or `--from FILE`
/// option names.
pub fn data_from(
    hex: Option<&str>,
    pattern: Option<&str>,
    from: Option<&std::path::Path>,
    len: Option<u64>,
) -> Result<Vec<u8>> {
    let given = [hex.is_some(), pattern.is_some(), from.is_some()].iter().filter(|&&b| b).count();
    if given > 1 {
        return Err(Error::Invalid("give at most one of --data, --pattern, --from".into()));
    }
    let mut out = if let Some(h) = hex {
        parse_hex(h)?
    } else if let Some(p) = pattern {
        if p.is_empty() {
            return Err(Error::Invalid("--pattern needs at least one byte".into()));
        }
        let n = len.unwrap_or(p.len() as u64);
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n <= 1 << 30)
            .ok_or_else(|| Error::Invalid("pattern length too large".into()))?;
        p.as_bytes().iter().copied().cycle().take(n).collect()
    } else if let Some(f) = from {
        std::fs::read(f).map_err(|e| Error::Invalid(format!("{}: {e}", f.display())))?
    } else {
        Vec::new()
    };
    if let (Some(n), false) = (len, pattern.is_some()) {
        if !out.is_empty() && (out.len() as u64) > n {
            out.truncate(n as usize);
        }
    }
    Ok(out)
}

/// Bytes from hex digits (`00ff10`, optionally `0x`-prefixed, spaces and `_` ignored).
pub fn parse_hex(s: &str) -> Result<Vec<u8>> {
    let digits: Vec<u8> = s.trim_start_matches("0x").bytes().filter(|b| !b" _".contains(b)).collect();
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        return Err(Error::Invalid(format!("--data {s:?}: an even number of hex digits is needed")));
    }
    let nib = |c: u8| -> Result<u8> {
        (c as char).to_digit(16).map(|d| d as u8).ok_or_else(|| Error::Invalid(format!("--data {s:?}: not hex")))
    };
    digits.chunks(2).map(|p| Ok(nib(p[0])? << 4 | nib(p[1])?)).collect()
}

fn split_words(line: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, '#') if cur.is_empty() && !any => break,
            (None, c) => cur.push(c),
        }
    }
    if quote.is_some() {
        return Err(Error::Invalid("unterminated quote".into()));
    }
    if any || !cur.is_empty() {
        words.push(cur);
    }
    Ok(words)
}

struct Args {
    positional: Vec<String>,
    opts: Vec<(String, Option<String>)>,
}

const FLAGS: [&str; 7] = ["--dir", "-p", "--parents", "--keep-size", "--read", "--write", "--private"];

impl Args {
    fn parse(words: &[String]) -> Result<Args> {
        let mut positional = Vec::new();
        let mut opts = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let w = &words[i];
            if FLAGS.contains(&w.as_str()) {
                opts.push((w.clone(), None));
            } else if let Some((k, v)) = w.split_once('=').filter(|_| w.starts_with("--")) {
                opts.push((k.to_string(), Some(v.to_string())));
            } else if w.starts_with("--") {
                let v = words.get(i + 1).ok_or_else(|| Error::Invalid(format!("{w} needs a value")))?;
                opts.push((w.clone(), Some(v.clone())));
                i += 1;
            } else {
                positional.push(w.clone());
            }
            i += 1;
        }
        Ok(Args { positional, opts })
    }
    fn flag(&self, names: &[&str]) -> bool {
        self.opts.iter().any(|(k, _)| names.contains(&k.as_str()))
    }
    fn value(&self, name: &str) -> Option<&str> {
        self.opts.iter().find(|(k, _)| k == name).and_then(|(_, v)| v.as_deref())
    }
    fn size(&self, name: &str) -> Result<Option<u64>> {
        self.value(name).map(|v| parse_size(v).map_err(|e| Error::Invalid(format!("{name}: {e}")))).transpose()
    }
    fn need_size(&self, name: &str) -> Result<u64> {
        self.size(name)?.ok_or_else(|| Error::Invalid(format!("{name} is required")))
    }
    fn path(&self) -> Result<String> {
        match self.positional.as_slice() {
            [p] => Ok(p.clone()),
            [] => Err(Error::Invalid("a path is required".into())),
            _ => Err(Error::Invalid(format!("one path expected, got {}", self.positional.len()))),
        }
    }
    fn check_known(&self, known: &[&str]) -> Result<()> {
        for (k, _) in &self.opts {
            if !known.contains(&k.as_str()) {
                return Err(Error::Invalid(format!("unknown option {k}")));
            }
        }
        Ok(())
    }
    fn data(&self, len: Option<u64>) -> Result<Vec<u8>> {
        data_from(self.value("--data"), self.value("--pattern"), self.value("--from").map(std::path::Path::new), len)
    }
}

/// Parse one operation from its words.
pub fn parse_op(words: &[String]) -> Result<Op> {
    let Some((verb, rest)) = words.split_first() else { return Err(Error::Invalid("empty operation".into())) };
    let a = Args::parse(rest)?;
    const DATA: [&str; 3] = ["--data", "--pattern", "--from"];
    let op = match verb.as_str() {
        "create" => {
            a.check_known(&["--size", "--dir", "-p", "--parents"])?;
            Op::Create {
                path: a.path()?,
                size: a.size("--size")?,
                dir: a.flag(&["--dir"]),
                parents: a.flag(&["-p", "--parents"]),
            }
        }
        "truncate" => {
            a.check_known(&["--size"])?;
            Op::Truncate { path: a.path()?, size: a.need_size("--size")? }
        }
        "write" => {
            a.check_known(&["--offset", "--len", "--data", "--pattern", "--from"])?;
            let data = a.data(a.size("--len")?)?;
            if data.is_empty() {
                return Err(Error::Invalid("write needs --data, --pattern or --from".into()));
            }
            Op::Write { path: a.path()?, offset: a.need_size("--offset")?, data }
        }
        "fallocate" | "punch" => {
            a.check_known(&["--offset", "--len", "--keep-size"])?;
            let (path, offset, len) = (a.path()?, a.need_size("--offset")?, a.need_size("--len")?);
            if verb == "punch" {
                Op::Punch { path, offset, len }
            } else {
                Op::Fallocate { path, offset, len, keep_size: a.flag(&["--keep-size"]) }
            }
        }
        "rm" => {
            a.check_known(&[])?;
            Op::Rm { path: a.path()? }
        }
        "fault" => {
            let mut known = vec!["--offset", "--len", "--read", "--write", "--private"];
            known.extend(DATA);
            a.check_known(&known)?;
            let access = match (a.flag(&["--read"]), a.flag(&["--write"])) {
                (true, false) => Access::Read,
                (false, true) => Access::Write,
                _ => return Err(Error::Invalid("fault needs exactly one of --read, --write".into())),
            };
            let len = a.size("--len")?;
            let data = a.data(len)?;
            if access == Access::Read && !data.is_empty() {
                return Err(Error::Invalid("a read fault stores nothing: --data/--pattern/--from need --write".into()));
            }
            Op::Fault {
                path: a.path()?,
                offset: a.need_size("--offset")?,
                len,
                access,
                private: a.flag(&["--private"]),
                data,
            }
        }
        "msync" => {
            a.check_known(&["--offset", "--len"])?;
            let range = match (a.size("--offset")?, a.size("--len")?) {
                (Some(o), Some(l)) => Some((o, l)),
                (None, None) => None,
                _ => return Err(Error::Invalid("msync takes both --offset and --len, or neither".into())),
            };
            Op::Msync { path: a.path()?, range }
        }
        "commit" | "checkpoint" => {
            if !rest.is_empty() {
                return Err(Error::Invalid(format!("{verb} takes no arguments")));
            }
            if verb == "commit" {
                Op::Commit
            } else {
                Op::Checkpoint
            }
        }
        other => return Err(Error::Invalid(format!("unknown operation {other:?}"))),
    };
    Ok(op)
}

/// Parse a workload file's text.
pub fn parse(text: &str) -> Result<Workload> {
    let mut ops = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let words = split_words(line).map_err(|e| Error::Invalid(format!("line {}: {e}", i + 1)))?;
        if words.is_empty() {
            continue;
        }
        let op = parse_op(&words).map_err(|e| Error::Invalid(format!("line {}: {e}", i + 1)))?;
        ops.push((i + 1, op));
    }
    Ok(Workload { ops })
}

/// Run one operation.
pub fn run_op<D: Device>(dax: &mut Dax<D>, op: &Op) -> FlowResult {
    match op {
        Op::Create { path, size, dir, parents } => {
            let ino = dax.fs.create(path, *dir, *parents)?;
            if let Some(s) = size {
                dax.fs.truncate(ino, *s)?;
            }
        }
        Op::Truncate { path, size } => {
            let (ino, _) = dax.fs.regular_file(path)?;
            dax.fs.truncate(ino, *size)?;
        }
        Op::Write { path, offset, data } => {
            let (ino, _) = dax.fs.regular_file(path)?;
            dax.write(ino, *offset, data)?;
        }
        Op::Fallocate { path, offset, len, keep_size } => {
            let (ino, _) = dax.fs.regular_file(path)?;
            dax.fs.fallocate(ino, *offset, *len, *keep_size)?;
        }
        Op::Punch { path, offset, len } => {
            let (ino, _) = dax.fs.regular_file(path)?;
            dax.fs.punch(ino, *offset, *len)?;
        }
        Op::Rm { path } => dax.fs.remove(path)?,
        Op::Fault { path, offset, len, access, private, data } => {
            let (ino, _) = dax.fs.regular_file(path)?;
            let len = len.unwrap_or(data.len().max(1) as u64);
            dax.fault(ino, *offset, len, *access, *private, data)?;
        }
        Op::Msync { path, range } => {
            let (ino, _) = dax.fs.regular_file(path)?;
            dax.msync(ino, *range)?;
        }
        Op::Commit => dax.commit()?,
        Op::Checkpoint => dax.checkpoint()?,
    }
    Ok(())
}

/// Run every operation in order; an error names its line.
pub fn run<D: Device>(dax: &mut Dax<D>, wl: &Workload) -> FlowResult {
    for (line, op) in &wl.ops {
        match run_op(dax, op) {
            Ok(()) => {}
            Err(super::Flow::Failed(e)) => {
                return Err(super::Flow::Failed(Error::Invalid(format!("workload line {line}: {e}"))))
            }
            Err(stop) => return Err(stop),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_word() {
        let wl = parse(
            "# the canonical one-fault workload\n\
             create /f --size 4K\n\
             fault /f --offset 0 --write --pattern DATA   # the store\n\
             commit\n\
             msync /f\n\
             write /f --offset 1 --data 00ff\n\
             truncate /f --size 8K\n\
             fallocate /f --offset 0 --len 1M --keep-size\n\
             punch /f --offset 4K --len 4K\n\
             fault \"/f\" --offset 4096 --read\n\
             checkpoint\n\
             rm /f\n",
        )
        .unwrap();
        assert_eq!(wl.ops.len(), 11);
        assert_eq!(wl.ops[0], (2, Op::Create { path: "/f".into(), size: Some(4096), dir: false, parents: false }));
        assert_eq!(
            wl.ops[1].1,
            Op::Fault {
                path: "/f".into(),
                offset: 0,
                len: None,
                access: Access::Write,
                private: false,
                data: b"DATA".to_vec()
            }
        );
        assert_eq!(wl.ops[4].1, Op::Write { path: "/f".into(), offset: 1, data: vec![0, 0xff] });
    }

    #[test]
    fn bad_lines_name_their_number() {
        for (text, want) in [
            ("commit\nbogus /f\n", "line 2: unknown operation"),
            ("fault /f --offset 0\n", "line 1: fault needs exactly one of"),
            ("fault /f --offset 0 --read --pattern x\n", "line 1: a read fault stores nothing"),
            ("write /f --offset 0 --data 0g\n", "not hex"),
            ("create /f --color red\n", "unknown option --color"),
            ("punch /f --offset 0\n", "--len is required"),
            ("create \"/f\n", "unterminated quote"),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn pattern_repeats_over_len() {
        assert_eq!(data_from(None, Some("ab"), None, Some(5)).unwrap(), b"ababa");
        assert_eq!(data_from(Some("0x0102"), None, None, None).unwrap(), vec![1, 2]);
        assert!(data_from(Some("01"), Some("x"), None, None).is_err());
    }
}
