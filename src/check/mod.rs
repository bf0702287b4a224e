//! `fsck`: e2fsck-grade checking and repair.
//!
//! Passes run from a list ([`PASSES`]); pass 1 collects what the later passes use (blocks in
//! use, inodes in use, directories), so nothing is read twice. Every finding is a numbered
//! problem of [`problem`], decided by one entry point ([`Checker::fix`]) from its flags and the
//! mode. Repairs go through the journal's handles like every other change; bitmaps and counts
//! are not patched one by one but recomputed in pass 5 from what passes 1–4 found.

pub mod bits;
mod data;
mod dense;
mod dup;
mod fields;
mod inline;
mod names;
mod pass0;
mod pass1;
mod pass2;
mod pass34;
mod pass5;
pub mod problem;
mod prune;
pub mod special;
mod xattr;

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use self::bits::Bits;
use self::dense::InodeArray;
use crate::ondisk::superblock;

const STATE_VALID_ERROR: u16 = superblock::STATE_VALID | superblock::STATE_ERROR;
use crate::error::Result;
use crate::fs::Fs;
use crate::pmem::Device;

/// How findings are answered, as e2fsck's `-n`, `-p` and `-y`, or by asking (e2fsck without
/// any of them, on a terminal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Mode {
    /// Change nothing.
    No,
    /// Fix only what is safe without asking.
    Preen,
    /// Fix everything that can be fixed.
    Yes,
    /// Ask for each problem that can be repaired (the checker's asker answers).
    Ask,
}

/// An answer to a question of [`Mode::Ask`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    /// Yes, and yes to every later question without asking.
    All,
}

/// The question a problem asks in [`Mode::Ask`], as e2fsck words it.
pub fn question(p: &problem::Problem) -> &'static str {
    match p.prompt {
        problem::Prompt::Fix => "Fix",
        problem::Prompt::Clear => "Clear",
        problem::Prompt::Connect => "Connect to /lost+found",
        problem::Prompt::Create => "Create",
        problem::Prompt::Recompute => "Recompute",
        problem::Prompt::Replay => "Replay journal",
        problem::Prompt::Clone => "Clone multiply-claimed blocks",
        problem::Prompt::Delete => "Delete file",
        problem::Prompt::Report => "",
    }
}

/// What e2fsck -v counts, gathered by passes 1 and 2.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Stats {
    /// Files (not directories) whose blocks are not contiguous in logical order.
    pub fragmented_files: u64,
    pub fragmented_dirs: u64,
    /// Block-mapped inodes with an indirect, double or triple indirect block.
    pub ind: u64,
    pub dind: u64,
    pub tind: u64,
    /// Extent-mapped inodes by tree depth.
    pub extent_depths: Vec<u64>,
    /// Regular inodes of 2 GiB or more.
    pub large_files: u64,
    pub regular: u64,
    pub directories: u64,
    pub chardevs: u64,
    pub blockdevs: u64,
    pub fifos: u64,
    pub symlinks: u64,
    pub fast_symlinks: u64,
    pub sockets: u64,
    /// Directory entries naming an inode (`.` and `..` included).
    pub entries: u64,
    /// Entries naming an inode another entry already named.
    pub extra_links: u64,
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
    pub stats: Stats,
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
    /// Inodes whose blocks pass 1 claimed (pass 1B reads them again).
    pub(crate) claimers: Bits,
    /// Blocks pass 1 found claimed when already claimed (resolved by passes 1B–1D).
    pub(crate) dup_blocks: Bits,
    pub(crate) any_dup: bool,
    /// The blocks of `dup_blocks`, in the order noted.
    pub(crate) dup_list: Vec<u64>,
    /// The file system's own metadata blocks (pass 0).
    pub(crate) meta_blocks: Bits,
    /// Directories in use, from pass 1.
    pub(crate) dirs: Vec<u32>,
    pub(crate) dir_bits: Bits,
    /// References found by pass 2 (directory entries, `.` and `..` included).
    pub(crate) refs: InodeArray<u32>,
    /// For each directory: the directory holding an entry for it (pass 2; 0: none).
    pub(crate) entry_parent: InodeArray<u32>,
    /// For each directory: what its `..` says (pass 2; 0: none).
    pub(crate) dotdot: InodeArray<u32>,
    /// Mode and link count of each inode pass 1 found in use, as it found them (valid while
    /// [`Checker::writes`] is 0: nothing was repaired since).
    pub(crate) facts: InodeArray<Facts>,
    /// Findings answered yes so far: while 0, nothing on the image changed.
    pub(crate) writes: u64,
    pub(crate) stats: Stats,
    /// Attribute blocks seen in pass 1, with their reference counts.
    pub(crate) ea_blocks: xattr::EaBlocks,
    /// For each attribute value inode (`ea_inode`): the attributes naming it (pass 1).
    pub(crate) ea_inode_refs: InodeMap<u64>,
    asker: Option<Asker<'f>>,
    /// Threads reading ahead of pass 1 ([`Checker::with_jobs`]; 1: none).
    pub(crate) jobs: usize,
    /// How they read: set by `with_jobs`, which alone knows the device can be shared.
    pub(crate) read_ahead: Option<pass1::ReadAhead<D>>,
    /// How they scan blocks in the data pass (set by `with_jobs` too).
    pub(crate) scan: Option<data::Scan<D>>,
    yes_to_all: bool,
    progress: Option<Progress<'f>>,
}

/// Answers a problem's question: the problem, its message.
pub type Asker<'f> = Box<dyn FnMut(&problem::Problem, &str) -> Answer + 'f>;
/// Hears progress: pass (1 to 5), done, total.
pub type Progress<'f> = Box<dyn FnMut(u8, u64, u64) + 'f>;

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

/// What pass 1 keeps of an inode in use for the later passes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    pub mode: u16,
    pub links: u16,
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
            claimers: Bits::new(inodes),
            dup_blocks: Bits::new(blocks),
            any_dup: false,
            dup_list: Vec::new(),
            meta_blocks: Bits::new(blocks),
            dirs: Vec::new(),
            dir_bits: Bits::new(inodes),
            refs: InodeArray::new(inodes),
            entry_parent: InodeArray::new(inodes),
            dotdot: InodeArray::new(inodes),
            facts: InodeArray::new(inodes),
            writes: 0,
            stats: Stats::default(),
            ea_blocks: xattr::EaBlocks::new(),
            ea_inode_refs: InodeMap::default(),
            asker: None,
            jobs: 1,
            read_ahead: None,
            scan: None,
            yes_to_all: false,
            progress: None,
        }
    }

    /// Who answers in [`Mode::Ask`] (without one, every answer is no).
    pub fn with_asker(mut self, asker: Asker<'f>) -> Self {
        self.asker = Some(asker);
        self
    }

    /// Who hears progress: pass, done and total, as e2fsck's `-C` reports them.
    pub fn with_progress(mut self, progress: Progress<'f>) -> Self {
        self.progress = Some(progress);
        self
    }

    pub(crate) fn tick(&mut self, pass: u8, done: u64, total: u64) {
        if let Some(p) = self.progress.as_mut() {
            p(pass, done, total);
        }
    }

    /// Report problem `code` and say whether to fix it (the one place that decides).
    pub fn fix(&mut self, code: u32, detail: String, inode: Option<u32>, block: Option<u64>) -> bool {
        let p = problem::get(code);
        let fix = match self.opts.mode {
            Mode::No => false,
            Mode::Preen => p.flags & problem::PREEN_OK != 0,
            Mode::Yes => p.flags & problem::NO_REPAIR == 0,
            Mode::Ask if p.flags & problem::NO_REPAIR != 0 => false,
            Mode::Ask if self.yes_to_all => true,
            Mode::Ask => {
                let message =
                    if detail.is_empty() { p.message.to_string() } else { format!("{}: {detail}", p.message) };
                match self.asker.as_mut().map(|a| a(p, &message)) {
                    Some(Answer::Yes) => true,
                    Some(Answer::All) => {
                        self.yes_to_all = true;
                        true
                    }
                    Some(Answer::No) | None => false,
                }
            }
        };
        self.writes += u64::from(fix);
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
            ("data: stale data in written extents", data::run),
        ];
        for (i, (name, pass)) in passes.into_iter().enumerate() {
            progress(name);
            // Progress in e2fsck's pass numbers: pass 1 reports its groups itself (our pass 0
            // is part of its start), passes 3 and 4 run as one, the data pass says nothing.
            let ticks: &[u8] = [&[][..], &[], &[2], &[3, 4], &[5], &[]][i];
            if let Some(&first) = ticks.first() {
                self.tick(first, 0, 1);
            }
            pass(&mut self)?;
            for &t in ticks {
                self.tick(t, 1, 1);
            }
            if i == 2 {
                // References as pass 2 found them (passes 3 and 4 may add some).
                self.stats.entries = self.refs.values().map(u64::from).sum();
                self.stats.extra_links = self.stats.entries - self.refs.values().count() as u64;
            }
        }
        if self.opts.mode != Mode::No {
            self.recreate_journal()?;
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
            stats: self.stats,
            findings: self.findings,
            fixed: self.fixed,
            uncorrected: self.uncorrected,
            exit_code,
        })
    }

    /// As e2fsck at the end of a check: a journal deleted as invalid (at open) is made anew,
    /// of the size e2fsprogs gives a file system of this size.
    fn recreate_journal(&mut self) -> Result<()> {
        let deleted =
            self.findings.iter().any(|f| f.name == problem::get(problem::JOURNAL_INODE_INVALID).name && f.fixed);
        if !deleted || self.fs.sb.has_journal() {
            return Ok(());
        }
        let Some(blocks) = crate::fs::mkjournal::default_journal_blocks(self.fs.sb.blocks_count()) else {
            return Ok(());
        };
        if self.fix(problem::JOURNAL_RECREATE, format!("{blocks} blocks"), None, None) {
            if let Err(e) = self.fs.create_journal(blocks) {
                self.note(problem::JOURNAL_RECREATE, format!("could not make the journal: {e}"), false);
                self.uncorrected = true;
            }
        }
        Ok(())
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

impl<D: Device + Sync> Checker<'_, D> {
    /// Read inodes ahead of pass 1, and scan blocks in the data pass, with `jobs` threads: the findings, the repairs and the
    /// report are the same for any number (what is read ahead is what the check would read at
    /// its turn, and is read again after any repair).
    pub fn with_jobs(mut self, jobs: usize) -> Self {
        self.jobs = jobs.max(1);
        self.read_ahead = Some(pass1::read_ahead_threads::<D>);
        self.scan = Some(data::scan_threads::<D>);
        self
    }
}

/// Why e2fsck would check a file system it was not forced to (`-f`); `None`: it is clean and
/// the check is skipped. `now` is the checker's time (for the check interval). e2fsck's other
/// reason, a primary superblock whose features differ from the backup's, is not looked at.
pub fn forced_check_reason<D: Device>(fs: &Fs<D>, now: u64) -> Option<String> {
    let f = &fs.sb.f;
    let groups_ok = (0..fs.groups().len()).all(|g| fs.group_checksum_ok(g));
    let lastcheck = fs.sb.lastcheck_time();
    if f.s_state & superblock::STATE_ERROR != 0 || !groups_ok || !fs.sb.checksum_ok() {
        Some(" contains a file system with errors".into())
    } else if f.s_state & superblock::STATE_VALID == 0 {
        Some(" was not cleanly unmounted".into())
    } else if (f.s_max_mnt_count as i16) > 0 && f.s_mnt_count >= f.s_max_mnt_count {
        Some(format!(" has been mounted {} times without being checked", f.s_mnt_count))
    } else if f.s_checkinterval != 0 && now < lastcheck {
        Some(" has filesystem last checked time in the future".into())
    } else if f.s_checkinterval != 0 && now - lastcheck >= u64::from(f.s_checkinterval) {
        Some(format!(" has gone {} days without being checked", (now - lastcheck) / 86400))
    } else {
        None
    }
}

/// What e2fsck adds to "clean" when a check comes soon: " (check in N mounts)",
/// " (check after next mount)", or nothing.
pub fn next_check_note<D: Device>(fs: &Fs<D>, now: u64) -> &'static str {
    let f = &fs.sb.f;
    let mut next: i64 = 100_000;
    if (f.s_max_mnt_count as i16) > 0 {
        next = (i64::from(f.s_max_mnt_count as i16) - i64::from(f.s_mnt_count)).max(1);
    }
    if f.s_checkinterval != 0 && now.saturating_sub(fs.sb.lastcheck_time()) >= u64::from(f.s_checkinterval) {
        next = 1;
    }
    match next {
        1 => " (check after next mount)",
        2 => " (check in 2 mounts)",
        3 => " (check in 3 mounts)",
        4 => " (check in 4 mounts)",
        5 => " (check in 5 mounts)",
        _ => "",
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
