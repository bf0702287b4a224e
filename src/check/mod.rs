//! `fsck`: e2fsck-grade checking and repair.
//!
//! Passes run from a list ([`PASSES`]); pass 1 collects what the later passes use (blocks in
//! use, inodes in use, directories), so nothing is read twice. Every finding is a numbered
//! problem of [`problem`], decided by one entry point ([`Checker::fix`]) from its flags and the
//! mode. Repairs go through the journal's handles like every other change; bitmaps and counts
//! are not patched one by one but recomputed in pass 5 from what passes 1–4 found.

pub mod bits;
mod pass0;
mod pass1;
mod pass2;
mod pass34;
mod pass5;
pub mod problem;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use self::bits::Bits;
use crate::ondisk::superblock;

const STATE_VALID_ERROR: u16 = superblock::STATE_VALID | superblock::STATE_ERROR;
use crate::error::Result;
use crate::fs::Fs;
use crate::pmem::Device;

/// How findings are answered, as e2fsck's `-n`, `-p` and `-y`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Mode {
    /// Change nothing.
    No,
    /// Fix only what is safe without asking.
    Preen,
    /// Fix everything that can be fixed.
    Yes,
}

/// What to check.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub mode: Mode,
    /// Also look for stale data (the poison pattern) inside written extents.
    pub data: bool,
}

/// One finding.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Finding {
    pub code: String,
    pub name: &'static str,
    pub pass: u8,
    pub message: String,
    pub fixed: bool,
    pub inode: Option<u32>,
    pub block: Option<u64>,
    pub logical: Option<u64>,
}

/// Exit status bits, as e2fsck's.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FIXED: i32 = 1;
pub const EXIT_UNCORRECTED: i32 = 4;
pub const EXIT_ERROR: i32 = 8;
pub const EXIT_USAGE: i32 = 16;

/// The outcome of a check.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    pub mode: Mode,
    pub findings: Vec<Finding>,
    pub fixed: bool,
    pub uncorrected: bool,
    pub inodes_used: u64,
    pub blocks_used: u64,
    pub exit_code: i32,
}

/// The state of one check: the file system and what the passes found.
pub struct Checker<'f, D: Device> {
    pub fs: &'f mut Fs<D>,
    pub opts: Options,
    findings: Vec<Finding>,
    fixed: bool,
    uncorrected: bool,
    /// Blocks in use (metadata and files), from pass 0 and 1.
    pub(crate) block_found: Bits,
    /// Inodes in use, from pass 1.
    pub(crate) inode_used: Bits,
    /// Directories in use, from pass 1.
    pub(crate) dirs: Vec<u32>,
    pub(crate) dir_bits: Bits,
    /// References found by pass 2 (directory entries, `.` and `..` included).
    pub(crate) refs: InodeMap<u32>,
    /// For each directory: the directory holding an entry for it (pass 2).
    pub(crate) entry_parent: InodeMap<u32>,
    /// For each directory: what its `..` says (pass 2).
    pub(crate) dotdot: InodeMap<u32>,
}

/// A fast hasher for the checker's maps of inode numbers and names (no untrusted keys can
/// make it slow: an image holds at most as many entries as it has inodes).
#[derive(Default)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517C_C1B7_2722_0A95);
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.0 = (self.0 ^ u64::from(i)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

/// A map keyed by inode numbers.
pub type InodeMap<V> = HashMap<u32, V, BuildHasherDefault<FastHasher>>;

/// One pass of the check.
type Pass<D> = fn(&mut Checker<'_, D>) -> Result<()>;

impl<'f, D: Device> Checker<'f, D> {
    pub fn new(fs: &'f mut Fs<D>, opts: Options) -> Self {
        let blocks = fs.sb.blocks_count();
        let inodes = u64::from(fs.sb.f.s_inodes_count) + 1;
        Checker {
            fs,
            opts,
            findings: Vec::new(),
            fixed: false,
            uncorrected: false,
            block_found: Bits::new(blocks),
            inode_used: Bits::new(inodes),
            dirs: Vec::new(),
            dir_bits: Bits::new(inodes),
            refs: InodeMap::default(),
            entry_parent: InodeMap::default(),
            dotdot: InodeMap::default(),
        }
    }

    /// Report problem `code` and say whether to fix it (the one place that decides).
    pub fn fix(&mut self, code: u32, detail: String, inode: Option<u32>, block: Option<u64>) -> bool {
        let p = problem::get(code);
        let fix = match self.opts.mode {
            Mode::No => false,
            Mode::Preen => p.flags & problem::PREEN_OK != 0,
            Mode::Yes => p.flags & problem::NO_REPAIR == 0,
        };
        self.record(p, detail, fix, inode, block);
        fix
    }

    /// Record a finding decided elsewhere (journal replay before the check).
    pub fn note(&mut self, code: u32, detail: String, fixed: bool) {
        self.record(problem::get(code), detail, fixed, None, None);
    }

    fn record(&mut self, p: &problem::Problem, detail: String, fixed: bool, inode: Option<u32>, block: Option<u64>) {
        if fixed {
            self.fixed = true;
        } else if p.flags & problem::NO_OK == 0 {
            self.uncorrected = true;
        }
        let message = if detail.is_empty() { p.message.to_string() } else { format!("{}: {detail}", p.message) };
        self.findings.push(Finding {
            code: format!("{:#08x}", p.code),
            name: p.name,
            pass: p.pass(),
            message,
            fixed,
            inode,
            block,
            logical: None,
        });
    }

    /// Run every pass, then (when anything may have changed) commit the repairs.
    pub fn run(mut self, progress: &mut dyn FnMut(&'static str)) -> Result<Report> {
        let passes: [(&'static str, Pass<D>); 6] = [
            ("pass 0: superblock and group descriptors", pass0::run),
            ("pass 1: inodes, blocks and sizes", pass1::run),
            ("pass 2: directory structure", pass2::run),
            ("pass 3 and 4: connectivity and reference counts", pass34::run),
            ("pass 5: group summary information", pass5::run),
            ("data: stale data in written extents", pass1::stale_data),
        ];
        for (name, pass) in passes {
            progress(name);
            pass(&mut self)?;
        }
        if self.opts.mode != Mode::No {
            // As e2fsck: a check that leaves no error marks the file system clean.
            let state = self.fs.sb.f.s_state;
            if !self.uncorrected && state & STATE_VALID_ERROR != superblock::STATE_VALID {
                let mut h = self.fs.handle(1)?;
                h.sb_mut().f.s_state = (state | superblock::STATE_VALID) & !superblock::STATE_ERROR;
                self.fixed = true;
            }
            self.fs.unmount()?;
        }
        let exit_code = if self.uncorrected {
            EXIT_UNCORRECTED
        } else if self.fixed {
            EXIT_FIXED
        } else {
            EXIT_OK
        };
        Ok(Report {
            mode: self.opts.mode,
            inodes_used: self.inode_used.count_range(0, self.inode_used.len()),
            blocks_used: self.block_found.count_range(0, self.block_found.len()),
            findings: self.findings,
            fixed: self.fixed,
            uncorrected: self.uncorrected,
            exit_code,
        })
    }

    /// Whether a finding may write: any fix does.
    pub(crate) fn writable(&self) -> bool {
        self.opts.mode != Mode::No
    }

    pub(crate) fn set_logical(&mut self, logical: u64) {
        if let Some(f) = self.findings.last_mut() {
            f.logical = Some(logical);
        }
    }
}

/// Names of the passes, in order (for documentation and progress).
pub const PASSES: &[&str] = &[
    "pass 0: superblock and group descriptors",
    "pass 1: inodes, blocks and sizes",
    "pass 2: directory structure",
    "pass 3 and 4: connectivity and reference counts",
    "pass 5: group summary information",
    "data: stale data in written extents (--data)",
];
