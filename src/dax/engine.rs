//! The fault engine: a mounted file system with one process's mappings, running faults,
//! `write(2)`, `msync` and background persistence as sequences of named steps.

use std::collections::BTreeSet;

use super::{Flow, FlowResult, Inject, Lock, LockChecker, Policy, Step};
use crate::error::Error;
use crate::extent;
use crate::extent::InLeaf;
use crate::fs::cache::BlockMap;
use crate::fs::file::EDIT_CREDITS;
use crate::fs::Fs;
use crate::journal::Journal;
use crate::ondisk::extent::Extent;
use crate::ondisk::inode::{Inode, FL_EXTENTS};
use crate::ondisk::poison;
use crate::pmem::{Context, Device};

/// A page-table entry of the simulated process.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Pte {
    /// The shared zero page (a read fault on a hole or an unwritten extent).
    ZeroPage,
    /// A block of the file, mapped read-only or writable.
    Block { phys: u64, writable: bool },
    /// An anonymous copy-on-write page (a write fault on a private mapping).
    Anon,
}

/// Read or write fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Access {
    Read,
    Write,
}

/// What the faulting block was when `get-block` looked it up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum FaultTarget {
    Hole,
    Unwritten,
    Written,
}

/// What a reader saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Seen {
    /// Only zeros.
    Zeros,
    /// Data that is not the stale-data pattern.
    Data,
    /// The stale-data pattern: a previous owner's deleted data.
    Poison,
    /// The reader would wait for a lock the writer holds.
    Blocked,
}

/// A second reader's read of the faulting page right after a step of the writer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RaceRead {
    pub after: &'static str,
    pub page: u64,
    pub seen: Seen,
    /// The lock it waits for, when blocked.
    pub blocked_on: Option<&'static str>,
    /// How it read: through the extent map (a direct read).
    pub via: &'static str,
    /// The first bytes it read, in hex.
    pub first_bytes: String,
}

/// One row of `--trace`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StepRow {
    pub step: &'static str,
    pub context: &'static str,
    /// Page (of the file) the step worked on, when it is part of a fault or write.
    pub page: Option<u64>,
    pub locks: Vec<&'static str>,
    pub allocated: u64,
    pub zeroed: u64,
    pub converted: u64,
    /// The faulting block's extent after the step, as the running transaction sees it.
    pub extent: String,
    /// The running transaction's id (none without a journal).
    pub transaction: Option<u32>,
    pub stores: u64,
    pub flushes: u64,
    pub fences: u64,
    pub note: String,
}

/// Fault counters.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Stats {
    pub major_faults: u64,
    pub minor_faults: u64,
    pub get_block_calls: u64,
    pub blocks_allocated: u64,
    pub blocks_zeroed: u64,
    pub blocks_converted: u64,
    pub enospc_retries: u64,
    pub forced_commits: u64,
}

/// The in-flight state where `stop_after` ended the path.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StopReport {
    pub step: &'static str,
    pub inode: Option<u32>,
    /// The file's extents as the running transaction sees them.
    pub extents: Vec<Extent>,
    pub locks: Vec<&'static str>,
    pub transaction: Option<u32>,
    /// Blocks the running transaction holds (lost at the power cut).
    pub running_blocks: usize,
    pub credits: u32,
}

/// The fault in progress.
#[derive(Debug, Clone, Default)]
struct Cur {
    ino: u32,
    lblk: u32,
    phys: Option<u64>,
    target: Option<FaultTarget>,
    /// zero-block still has to zero the block (policy `ext2` / `unwritten`).
    needs_zero: bool,
    /// `ext2`: the block still has to be linked into the inode (after its zeroing).
    needs_link: bool,
    /// `unwritten`: convert-unwritten still has to convert the block.
    needs_convert: bool,
    major: bool,
    allocated: u64,
    zeroed: u64,
    converted: u64,
    note: String,
}

/// A mounted file system and a process's mappings, driven step by step.
pub struct Dax<D: Device> {
    pub fs: Fs<D>,
    pub policy: Policy,
    pub inject: Inject,
    /// End the path after this step (the first time it completes).
    pub stop_after: Option<Step>,
    /// Let a second reader read the faulting page right after this step.
    pub race_after: Option<Step>,
    /// Keep a row per step (`--trace`).
    pub record_rows: bool,
    pub rows: Vec<StepRow>,
    pub races: Vec<RaceRead>,
    pub locks: LockChecker,
    pub stats: Stats,
    maps: BlockMap<(u32, u64), Pte>,
    anon: BlockMap<(u32, u64), Box<[u8]>>,
    /// Pages stored to through a shared mapping and not yet msynced: (inode, page) -> block.
    dirty: BlockMap<(u32, u64), u64>,
    cur: Cur,
    stopped: Option<Step>,
    last_counts: [u64; 5],
    credits: u32,
    /// The `ext2` policy bypasses a journal the image has (kept aside, never used).
    _journal_aside: Option<Journal>,
}

const PAGE: u64 = 4096;

/// `self.note(format!(..))`, formatted only when rows are recorded (the fault loop's hot path
/// builds no strings otherwise).
macro_rules! note {
    ($s:ident, $($arg:tt)*) => {
        if $s.record_rows {
            let text = format!($($arg)*);
            $s.note(text);
        }
    };
}

/// Largest extent of written blocks (the kernel's EXT_INIT_MAX_LEN).
const INIT_MAX_LEN: u32 = 1 << 15;
/// `extent_max_zeroout_kb` (32) in 4 KiB blocks.
const MAX_ZEROOUT: u32 = 8;

impl<D: Device> Dax<D> {
    /// Drive `fs` (mounted writable) with `policy` and `inject`. The `ext2` policy takes the
    /// journal out of use (as ext4's no-journal mode) and leaves the superblock's summary counts
    /// alone; `no-ordered` turns off the commit's ordered-data flush.
    pub fn new(mut fs: Fs<D>, policy: Policy, inject: Inject) -> Self {
        if fs.block_size() as u64 != PAGE {
            // Callers check first (`check_block_size`); keep going: every step bounds-checks.
        }
        let mut aside = None;
        if policy == Policy::Ext2 {
            aside = fs.journal.take();
            fs.lazy_sb_counts = true;
        }
        if let Some(j) = fs.journal.as_mut() {
            j.flush_ordered = !inject.no_ordered;
        }
        let last_counts = fs.dev.op_counts();
        Dax {
            fs,
            policy,
            inject,
            stop_after: None,
            race_after: None,
            record_rows: false,
            rows: Vec::new(),
            races: Vec::new(),
            locks: LockChecker::default(),
            stats: Stats::default(),
            maps: BlockMap::default(),
            anon: BlockMap::default(),
            dirty: BlockMap::default(),
            cur: Cur::default(),
            stopped: None,
            last_counts,
            credits: 0,
            _journal_aside: aside,
        }
    }

    /// DAX needs block size = page size.
    pub fn check_block_size(fs: &Fs<D>) -> crate::Result<()> {
        if u64::from(fs.block_size()) != PAGE {
            return Err(Error::Unsupported(format!(
                "DAX faults need a block size of {PAGE} (the page size); this file system has {}",
                fs.block_size()
            )));
        }
        Ok(())
    }

    /// The block of the last fault or write (its physical number), if it had one.
    pub fn current_block(&self) -> Option<u64> {
        self.cur.phys
    }

    /// The inode and logical block of the last fault or write (inode None before any).
    pub fn current_page(&self) -> (Option<u32>, u32) {
        ((self.cur.ino != 0).then_some(self.cur.ino), self.cur.lblk)
    }

    /// The step where the path was stopped, if it was.
    pub fn stopped(&self) -> Option<Step> {
        self.stopped
    }

    /// The page-table entry of `page` of inode `ino`.
    pub fn pte(&self, ino: u32, page: u64) -> Option<&Pte> {
        self.maps.get(&(ino, page))
    }

    /// The contents of a private (anonymous) page.
    pub fn anon_page(&self, ino: u32, page: u64) -> Option<&[u8]> {
        self.anon.get(&(ino, page)).map(|b| &b[..])
    }

    fn tid(&self) -> Option<u32> {
        self.fs.journal.as_ref().map(|j| j.next_sequence)
    }

    /// The extent holding logical block `lblk` of `ino`, as the running transaction sees it.
    pub fn extent_at(&self, ino: u32, lblk: u32) -> crate::Result<Option<Extent>> {
        let node = self.fs.inode(ino)?;
        let v = self.fs.extents_in_range(ino, &node, lblk, u64::from(lblk) + 1)?;
        Ok(v.into_iter().find(|e| e.logical <= lblk && e.logical_end() > u64::from(lblk)))
    }

    fn describe_extent(&self, ino: u32, lblk: u32) -> String {
        match self.extent_at(ino, lblk) {
            Ok(Some(e)) => format!(
                "{} {}-{} @{}",
                if e.unwritten { "unwritten" } else { "written" },
                e.logical,
                e.logical_end() - 1,
                e.physical
            ),
            Ok(None) => "hole".into(),
            Err(e) => format!("unreadable: {e}"),
        }
    }

    fn begin(&mut self, step: Step) {
        self.fs.dev.set_tag(step.name());
    }

    /// Close `step`: a marker in the trace (unless the step marked itself), a row, the race
    /// reader, and the stop.
    fn done(&mut self, step: Step, ctx: Context, mark: bool, page: Option<u64>) -> FlowResult {
        if mark {
            let prev = self.fs.dev.set_context(ctx);
            self.fs.dev.mark(step.name());
            self.fs.dev.set_context(prev);
        }
        if self.record_rows {
            let counts = self.fs.dev.op_counts();
            let d = |i: usize| counts[i].saturating_sub(self.last_counts[i]);
            let extent = if page.is_some() { self.describe_extent(self.cur.ino, self.cur.lblk) } else { String::new() };
            self.rows.push(StepRow {
                step: step.name(),
                context: ctx.name(),
                page,
                locks: self.locks.held().iter().map(|l| l.short()).collect(),
                allocated: std::mem::take(&mut self.cur.allocated),
                zeroed: std::mem::take(&mut self.cur.zeroed),
                converted: std::mem::take(&mut self.cur.converted),
                extent,
                transaction: self.tid(),
                stores: d(0) + d(1),
                flushes: d(2),
                fences: d(3),
                note: std::mem::take(&mut self.cur.note),
            });
            // The device's counts are read only for rows (the loop without --trace skips them).
            self.last_counts = counts;
        } else {
            self.cur.allocated = 0;
            self.cur.zeroed = 0;
            self.cur.converted = 0;
            self.cur.note.clear();
        }
        if self.race_after == Some(step) && self.races.is_empty() && page.is_some() {
            let r = self.race_read(step);
            self.races.push(r);
        }
        if self.stop_after == Some(step) && self.stopped.is_none() {
            self.stopped = Some(step);
            return Err(Flow::Stopped);
        }
        Ok(())
    }

    /// Add to the current step's note (kept only when rows are recorded).
    fn note(&mut self, text: impl AsRef<str>) {
        if !self.record_rows {
            return;
        }
        if !self.cur.note.is_empty() {
            self.cur.note.push_str("; ");
        }
        self.cur.note.push_str(text.as_ref());
    }

    /// The in-flight state (for `--stop-after`).
    pub fn stop_report(&self) -> StopReport {
        let ino = (self.cur.ino != 0).then_some(self.cur.ino);
        let extents =
            ino.and_then(|i| self.fs.inode(i).ok().and_then(|n| self.fs.file_extents(i, &n).ok())).unwrap_or_default();
        StopReport {
            step: self.stopped.map_or("", |s| s.name()),
            inode: ino,
            extents,
            locks: self.locks.held().iter().map(|l| l.name()).collect(),
            transaction: self.tid(),
            running_blocks: self.fs.running_blocks(),
            credits: self.credits,
        }
    }

    fn race_read(&self, after: Step) -> RaceRead {
        let page = u64::from(self.cur.lblk);
        if self.locks.holds(Lock::ExtentTree) {
            return RaceRead {
                after: after.name(),
                page,
                seen: Seen::Blocked,
                blocked_on: Some(Lock::ExtentTree.name()),
                via: "extent map",
                first_bytes: String::new(),
            };
        }
        let buf = match self.extent_at(self.cur.ino, self.cur.lblk) {
            Ok(Some(e)) if !e.unwritten => {
                let phys = e.physical + u64::from(self.cur.lblk - e.logical);
                self.fs.block(phys).map(|b| b.into_owned()).unwrap_or_default()
            }
            _ => vec![0; PAGE as usize],
        };
        RaceRead {
            after: after.name(),
            page,
            seen: classify(&buf),
            blocked_on: None,
            via: "extent map",
            first_bytes: buf.iter().take(16).map(|b| format!("{b:02x}")).collect(),
        }
    }

    fn file(&self, ino: u32) -> crate::Result<crate::ondisk::inode::Inode> {
        let node = self.fs.inode(ino)?;
        if !node.is_reg() {
            return Err(Error::Invalid(format!("inode {ino} is not a regular file")));
        }
        if !node.has_flag(FL_EXTENTS) {
            return Err(Error::Unsupported("block-mapped (non-extent) file".into()));
        }
        Ok(node)
    }

    // ---- faults ---------------------------------------------------------------------------

    /// Fault `[off, off + len)` of inode `ino` page by page. For a write, `data` (which may be
    /// empty) is the process's store at `off` (it must fit in the range).
    pub fn fault(&mut self, ino: u32, off: u64, len: u64, access: Access, private: bool, data: &[u8]) -> FlowResult {
        Self::check_block_size(&self.fs)?;
        let node = self.file(ino)?;
        let len = len.max(1).max(data.len() as u64);
        let end = off.checked_add(len).ok_or_else(|| Error::Invalid("offset + length overflows".into()))?;
        let limit = node.size().div_ceil(PAGE) * PAGE;
        if end > limit {
            return Err(Error::Invalid(format!(
                "bytes {off}..{end} reach past the end of the file (i_size {}, mapped up to {limit}): the \
                 process would get SIGBUS",
                node.size()
            ))
            .into());
        }
        for page in off / PAGE..end.div_ceil(PAGE) {
            let ps = page * PAGE;
            let s = off.max(ps);
            let e = (off + data.len() as u64).min(ps + PAGE);
            let piece: &[u8] = if s < e { &data[(s - off) as usize..(e - off) as usize] } else { &[] };
            let at = (s - ps) as usize;
            match (access, private) {
                (Access::Read, _) => self.read_fault(ino, page)?,
                (Access::Write, true) => self.private_write_fault(ino, page, at, piece)?,
                (Access::Write, false) => self.write_fault(ino, page, at, piece)?,
            }
        }
        Ok(())
    }

    fn start(&mut self, ino: u32, page: u64) -> crate::Result<()> {
        let lblk = u32::try_from(page).map_err(|_| Error::Invalid(format!("page {page} is past 2^32 blocks")))?;
        self.cur = Cur { ino, lblk, ..Cur::default() };
        Ok(())
    }

    fn read_fault(&mut self, ino: u32, page: u64) -> FlowResult {
        if self.maps.contains_key(&(ino, page)) {
            return Ok(());
        }
        self.start(ino, page)?;
        self.lock_entry(page)?;
        self.get_block(page, false)?;
        self.begin(Step::InsertMapping);
        let pte = match (self.cur.target, self.cur.phys) {
            (Some(FaultTarget::Written), Some(phys)) => {
                self.note("block mapped read-only");
                Pte::Block { phys, writable: false }
            }
            _ => {
                self.note("the shared zero page mapped (nothing allocated)");
                Pte::ZeroPage
            }
        };
        self.maps.insert((ino, page), pte);
        self.done(Step::InsertMapping, Context::Fault, true, Some(page))?;
        self.unlock_entry(page)?;
        self.stats.minor_faults += 1;
        Ok(())
    }

    fn private_write_fault(&mut self, ino: u32, page: u64, at: usize, bytes: &[u8]) -> FlowResult {
        if self.maps.get(&(ino, page)) != Some(&Pte::Anon) {
            self.start(ino, page)?;
            self.lock_entry(page)?;
            self.get_block(page, false)?;
            self.begin(Step::InsertMapping);
            let mut copy = vec![0u8; PAGE as usize].into_boxed_slice();
            if let (Some(FaultTarget::Written), Some(phys)) = (self.cur.target, self.cur.phys) {
                copy.copy_from_slice(&self.fs.block(phys)?);
            }
            self.anon.insert((ino, page), copy);
            self.maps.insert((ino, page), Pte::Anon);
            self.note("copy-on-write into an anonymous page: nothing allocated, the file unchanged");
            self.done(Step::InsertMapping, Context::Fault, true, Some(page))?;
            self.unlock_entry(page)?;
            self.stats.minor_faults += 1;
        }
        self.begin(Step::UserStore);
        if let Some(p) = self.anon.get_mut(&(ino, page)) {
            p[at..at + bytes.len()].copy_from_slice(bytes);
        }
        note!(self, "{} bytes stored in the anonymous page", bytes.len());
        self.done(Step::UserStore, Context::Fault, true, Some(page))
    }

    fn write_fault(&mut self, ino: u32, page: u64, at: usize, bytes: &[u8]) -> FlowResult {
        match self.maps.get(&(ino, page)).cloned() {
            Some(Pte::Block { phys, writable: true }) => {
                // Already mapped writable: the store needs no fault.
                self.start(ino, page)?;
                self.cur.phys = Some(phys);
                return self.user_store(page, at, bytes);
            }
            Some(Pte::Block { phys, writable: false }) => return self.mkwrite(ino, page, phys, at, bytes),
            Some(Pte::Anon) => return Err(Error::Invalid("page is mapped privately".into()).into()),
            Some(Pte::ZeroPage) | None => {}
        }
        self.start(ino, page)?;
        self.begin(Step::StartPagefault);
        self.locks.take(Lock::Freeze, Step::StartPagefault.name());
        self.done(Step::StartPagefault, Context::Fault, true, Some(page))?;
        self.update_time(page)?;
        if self.inject.lock_inversion {
            self.lock_entry(page)?;
            self.journal_start(page)?;
        } else {
            self.journal_start(page)?;
            self.lock_entry(page)?;
        }
        self.get_block(page, true)?;
        self.zero_block(page)?;
        self.begin(Step::InsertMapping);
        if let Some(phys) = self.cur.phys {
            let replaced = self.maps.insert((ino, page), Pte::Block { phys, writable: true });
            if replaced == Some(Pte::ZeroPage) {
                self.note("the zero page replaced by the allocated block (mkwrite)");
            }
            note!(self, "block {phys} mapped writable");
        }
        self.done(Step::InsertMapping, Context::Fault, true, Some(page))?;
        self.convert_unwritten(page)?;
        self.file_inode(page)?;
        self.unlock_entry(page)?;
        self.journal_stop(page)?;
        self.begin(Step::EndPagefault);
        self.locks.release(Lock::Freeze);
        if self.cur.major {
            self.stats.major_faults += 1;
        } else {
            self.stats.minor_faults += 1;
        }
        self.done(Step::EndPagefault, Context::Fault, true, Some(page))?;
        self.user_store(page, at, bytes)
    }

    /// `ext4_dax_mkwrite` on a written block an earlier read fault mapped read-only.
    fn mkwrite(&mut self, ino: u32, page: u64, phys: u64, at: usize, bytes: &[u8]) -> FlowResult {
        self.start(ino, page)?;
        self.cur.phys = Some(phys);
        self.begin(Step::StartPagefault);
        self.locks.take(Lock::Freeze, Step::StartPagefault.name());
        self.note("mkwrite: the read-only mapping of a written block");
        self.done(Step::StartPagefault, Context::Fault, true, Some(page))?;
        self.update_time(page)?;
        self.lock_entry(page)?;
        self.begin(Step::InsertMapping);
        self.maps.insert((ino, page), Pte::Block { phys, writable: true });
        self.note("made writable");
        self.done(Step::InsertMapping, Context::Fault, true, Some(page))?;
        self.unlock_entry(page)?;
        self.begin(Step::EndPagefault);
        self.locks.release(Lock::Freeze);
        self.stats.minor_faults += 1;
        self.done(Step::EndPagefault, Context::Fault, true, Some(page))?;
        self.user_store(page, at, bytes)
    }

    fn update_time(&mut self, page: u64) -> FlowResult {
        self.begin(Step::UpdateTime);
        let t = self.fs.clock.now() as u32;
        let ino = self.cur.ino;
        let mut node = self.fs.inode(ino)?;
        if node.f.i_mtime != t || node.f.i_ctime != t {
            node.f.i_mtime = t;
            node.f.i_ctime = t;
            self.reserve(Step::UpdateTime)?;
            self.fs.join(EDIT_CREDITS).write_inode(ino, &node)?;
            note!(self, "mtime = ctime = {t}");
        }
        self.done(Step::UpdateTime, Context::Fault, true, Some(page))
    }

    fn journal_start(&mut self, page: u64) -> FlowResult {
        self.begin(Step::JournalStart);
        if self.fs.journal.is_some() {
            if self.reserve(Step::JournalStart)? {
                self.note("the running transaction was full: the handle waited for the forced commit");
            }
            self.locks.take(Lock::Handle, Step::JournalStart.name());
            self.credits = EDIT_CREDITS;
            note!(self, "handle with {EDIT_CREDITS} credits");
        } else {
            self.note("no journal: no handle");
        }
        self.done(Step::JournalStart, Context::Fault, true, Some(page))
    }

    /// Make room in the running transaction for a handle of [`EDIT_CREDITS`] during `step`
    /// (jbd2's `start_this_handle`). When the transaction is full a commit is forced: it runs
    /// in the jbd2 context (its marker is in the trace) and gets its own `commit` row, before
    /// the row of the step that waited for it; `stop_after commit` can stop there.
    fn reserve(&mut self, step: Step) -> FlowResult<bool> {
        let (tid, blocks) = (self.tid(), self.fs.running_blocks());
        if !self.fs.reserve(EDIT_CREDITS)? {
            return Ok(false);
        }
        self.forced_commit(format!(
            "forced by {step}: transaction {} ({blocks} blocks) had no room for a handle of {EDIT_CREDITS} credits",
            tid.unwrap_or(0)
        ))?;
        Ok(true)
    }

    /// Report a commit that was forced in the middle of a step (the transaction was full, or
    /// ENOSPC) as a `commit` step of its own in the jbd2 context, keeping what the interrupted
    /// step has gathered so far for that step's own row.
    fn forced_commit(&mut self, note: String) -> FlowResult {
        self.stats.forced_commits += 1;
        let saved = (
            std::mem::take(&mut self.cur.allocated),
            std::mem::take(&mut self.cur.zeroed),
            std::mem::take(&mut self.cur.converted),
            std::mem::replace(&mut self.cur.note, note),
        );
        let r = self.done(Step::Commit, Context::Jbd2, false, None);
        (self.cur.allocated, self.cur.zeroed, self.cur.converted, self.cur.note) = saved;
        r
    }

    fn journal_stop(&mut self, page: u64) -> FlowResult {
        self.begin(Step::JournalStop);
        if self.locks.holds(Lock::Handle) {
            self.locks.release(Lock::Handle);
            self.credits = 0;
        }
        self.done(Step::JournalStop, Context::Fault, true, Some(page))
    }

    fn lock_entry(&mut self, page: u64) -> FlowResult {
        self.begin(Step::LockEntry);
        self.locks.take(Lock::Entry, Step::LockEntry.name());
        self.done(Step::LockEntry, Context::Fault, true, Some(page))
    }

    fn unlock_entry(&mut self, page: u64) -> FlowResult {
        self.begin(Step::UnlockEntry);
        self.locks.release(Lock::Entry);
        self.done(Step::UnlockEntry, Context::Fault, true, Some(page))
    }

    /// `get-block`: look the block up under the extent tree lock; with `create`, allocate a hole
    /// and (policy `zeroed`) zero and convert, all under the one handle.
    fn get_block(&mut self, page: u64, create: bool) -> FlowResult {
        self.begin(Step::GetBlock);
        self.stats.get_block_calls += 1;
        if create && self.inject.lock_inversion && !self.locks.holds(Lock::Handle) && self.fs.journal.is_some() {
            self.locks.take(Lock::Handle, Step::GetBlock.name());
        }
        self.locks.take(Lock::ExtentTree, Step::GetBlock.name());
        let r = self.get_block_locked(create);
        self.locks.release(Lock::ExtentTree);
        r?;
        self.done(Step::GetBlock, Context::Fault, true, Some(page))
    }

    fn get_block_locked(&mut self, create: bool) -> FlowResult {
        let (ino, lblk) = (self.cur.ino, self.cur.lblk);
        // One walk gives the block's extent, its neighbours in the leaf and the goal.
        let node = self.fs.inode(ino)?;
        let leaf = self.fs.extent_in_leaf(ino, &node, lblk)?;
        match leaf.ext {
            Some(e) if !e.unwritten => {
                self.cur.target = Some(FaultTarget::Written);
                self.cur.phys = Some(e.physical + u64::from(lblk - e.logical));
                self.note("written block: nothing to allocate");
            }
            Some(e) => {
                let phys = e.physical + u64::from(lblk - e.logical);
                self.cur.target = Some(FaultTarget::Unwritten);
                self.cur.phys = Some(phys);
                if !create {
                    self.note("unwritten extent: reads as zeros");
                    return Ok(());
                }
                self.cur.major = true;
                match self.policy {
                    Policy::Zeroed => self.zeroed_convert(e, &node, &leaf)?,
                    Policy::Ext2 => {
                        self.cur.needs_zero = true;
                        self.cur.needs_link = true;
                        self.note("unwritten extent: zeroed and converted at zero-block");
                    }
                    Policy::Unwritten => {
                        self.cur.needs_zero = true;
                        self.cur.needs_convert = true;
                        self.note("unwritten extent: zeroed at zero-block, converted at convert-unwritten");
                    }
                }
            }
            None => {
                self.cur.target = Some(FaultTarget::Hole);
                if !create {
                    self.note("hole");
                    return Ok(());
                }
                self.cur.major = true;
                // `unwritten` links an unwritten extent at once; `zeroed` zeroes the block
                // first and then links it written, all under the one handle (as Linux's
                // EXT4_GET_BLOCKS_CREATE_ZERO: no state between is ever visible outside the
                // running transaction, and one tree edit instead of insert + convert);
                // `ext2` links after its fenced zeroing, at zero-block.
                let goal = goal(&leaf, lblk).unwrap_or_else(|| self.fs.inode_goal(ino));
                let phys = self.allocate(goal, (self.policy == Policy::Unwritten).then_some(&node))?;
                self.cur.phys = Some(phys);
                match self.policy {
                    Policy::Zeroed => {
                        self.zero_nt(phys, 1)?;
                        self.link(phys, false, node)?;
                        self.cur.converted += 1;
                        self.stats.blocks_converted += 1;
                        self.note("allocated, zeroed (non-temporal + fence) and linked written in get-block");
                    }
                    Policy::Unwritten => {
                        self.cur.needs_zero = true;
                        self.cur.needs_convert = true;
                        self.note("allocated as an unwritten extent");
                    }
                    Policy::Ext2 => {
                        self.cur.needs_zero = true;
                        self.cur.needs_link = true;
                        self.note("allocated; linked into the inode after its zeroing");
                    }
                }
            }
        }
        Ok(())
    }

    /// Policy `zeroed` on an unwritten extent `e`: what Linux 6.1's
    /// `ext4_ext_convert_to_initialized` does for a one-block write with the default
    /// `extent_max_zeroout_kb` (32 KiB = 8 blocks): hand the block to an abutting written
    /// neighbour; else zero out the tail (when at most 8 blocks from the fault to the extent's
    /// end) and then the head (when head + converted part is under 8), else split.
    fn zeroed_convert(&mut self, e: Extent, node: &Inode, leaf: &InLeaf) -> FlowResult {
        let lblk = self.cur.lblk;
        let end = e.logical_end();
        // Only neighbours in the same leaf count (the kernel's limitation L2).
        let (prev, next) = (leaf.prev.as_ref(), leaf.next.as_ref());
        let abuts = |x: &Extent, to: u64| {
            !x.unwritten && x.logical_end() == u64::from(e.logical) && x.physical + u64::from(x.len) == to
        };
        let (zs, zlen, how) =
            if lblk == e.logical && e.len > 1 && prev.is_some_and(|p| abuts(p, e.physical) && p.len < INIT_MAX_LEN - 1)
            {
                (lblk, 1, "block handed to the written extent on its left".to_string())
            } else if u64::from(lblk) + 1 == end
                && e.len > 1
                && next.is_some_and(|n| {
                    !n.unwritten
                        && u64::from(n.logical) == end
                        && e.physical + u64::from(e.len) == n.physical
                        && n.len < INIT_MAX_LEN - 1
                })
            {
                (lblk, 1, "block handed to the written extent on its right".to_string())
            } else {
                let eof = node.size().div_ceil(PAGE).max(u64::from(lblk) + 1);
                let may_zeroout = end <= eof;
                let allocated = (end - u64::from(lblk)) as u32;
                let (mut zs, mut zlen) = (lblk, 1u32);
                let mut parts = Vec::new();
                if may_zeroout && allocated > zlen {
                    if allocated <= MAX_ZEROOUT {
                        parts.push(format!("tail of {} zeroed out", allocated - 1));
                        zlen = allocated;
                    }
                    if (zs - e.logical) + zlen < MAX_ZEROOUT {
                        if zs != e.logical {
                            parts.push(format!("head of {} zeroed out", zs - e.logical));
                        }
                        zlen += zs - e.logical;
                        zs = e.logical;
                    }
                }
                let pieces = u32::from(zs > e.logical) + 1 + u32::from(u64::from(zs + zlen) < end);
                let how = match (parts.is_empty(), pieces) {
                    (_, 1) if zlen == e.len => {
                        if parts.is_empty() {
                            "the whole extent converted".to_string()
                        } else {
                            format!("{}: the whole extent converted", parts.join(", "))
                        }
                    }
                    (true, n) => format!("split 1->{n}"),
                    (false, n) => format!("{}; split 1->{n}", parts.join(", ")),
                };
                (zs, zlen, how)
            };
        let phys = e.physical + u64::from(zs - e.logical);
        self.zero_nt(phys, u64::from(zlen))?;
        self.convert(zs, zlen)?;
        note!(self, "zeroed (non-temporal + fence) and converted {zs}-{}: {how}", zs + zlen - 1);
        Ok(())
    }

    /// Allocate a block for the faulting hole; with `link`, insert it as an unwritten extent.
    /// On ENOSPC with blocks pending free in the running transaction: stop the handle, force a
    /// commit, retry (at most 3 times).
    fn allocate(&mut self, goal: u64, link: Option<&Inode>) -> FlowResult<u64> {
        let lblk = self.cur.lblk;
        for attempt in 0..=3u32 {
            let mut h = self.fs.join(EDIT_CREDITS);
            match h.alloc_block(goal) {
                Ok(b) => {
                    self.cur.allocated += 1;
                    self.stats.blocks_allocated += 1;
                    if let Some(node) = link {
                        self.link(b, true, node.clone())?;
                    }
                    if attempt > 0 {
                        note!(self, "retry {attempt} succeeded");
                    }
                    return Ok(b);
                }
                Err(Error::NoSpace) if attempt < 3 && self.fs.has_pending_free() && self.fs.journal.is_some() => {
                    self.stats.enospc_retries += 1;
                    self.note("ENOSPC with blocks pending free in the running transaction");
                    // Stop the handle (and drop the locks the retry takes again), force a commit.
                    let held: Vec<Lock> = self.locks.held().to_vec();
                    for l in [Lock::ExtentTree, Lock::Entry, Lock::Handle] {
                        self.locks.release(l);
                    }
                    if self.record_rows {
                        self.rows.push(StepRow {
                            step: Step::GetBlock.name(),
                            context: Context::Fault.name(),
                            page: Some(u64::from(lblk)),
                            locks: self.locks.held().iter().map(|l| l.short()).collect(),
                            allocated: 0,
                            zeroed: 0,
                            converted: 0,
                            extent: "hole".into(),
                            transaction: self.tid(),
                            stores: 0,
                            flushes: 0,
                            fences: 0,
                            note: format!("ENOSPC: handle stopped, forcing a commit (retry {})", attempt + 1),
                        });
                    }
                    self.fs.forced_commits += 1;
                    self.fs.commit()?;
                    self.forced_commit("forced by ENOSPC: the blocks it freed are reusable now".into())?;
                    for l in held {
                        self.locks.take(l, Step::GetBlock.name());
                    }
                    self.reserve(Step::GetBlock)?;
                }
                Err(Error::NoSpace) => {
                    return Err(Error::Invalid(
                        "no space left on the file system, and nothing pending free: the process would get SIGBUS"
                            .into(),
                    )
                    .into())
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::NoSpace.into())
    }

    /// Insert the faulting block `phys` into the inode (unwritten or written) and count it in
    /// `i_blocks`.
    fn link(&mut self, phys: u64, unwritten: bool, mut node: Inode) -> crate::Result<()> {
        let (ino, lblk) = (self.cur.ino, self.cur.lblk);
        let mut h = self.fs.join(EDIT_CREDITS);
        let e = Extent { logical: lblk, len: 1, physical: phys, unwritten };
        // The data block counts in i_blocks; with_tree adds its own nodes and writes the inode
        // once (on an error the copy is dropped).
        let bs = h.fs.block_size();
        node.set_blocks_512(node.blocks_512(false, bs) + u64::from(bs / 512));
        h.with_tree(ino, &mut node, |io, root| extent::insert(io, root, e))
    }

    fn convert(&mut self, lblk: u32, len: u32) -> crate::Result<()> {
        let ino = self.cur.ino;
        let mut node = self.fs.inode(ino)?;
        let mut h = self.fs.join(EDIT_CREDITS);
        h.with_tree(ino, &mut node, |io, root| extent::convert_to_written_in_leaf(io, root, lblk, len))?;
        self.cur.converted += u64::from(len);
        self.stats.blocks_converted += u64::from(len);
        Ok(())
    }

    /// Zero `n` blocks from `phys` with non-temporal stores and (unless `no-fence`) a fence.
    fn zero_nt(&mut self, phys: u64, n: u64) -> crate::Result<()> {
        if self.inject.skip_zero {
            self.note("zeroing skipped (skip-zero)");
            return Ok(());
        }
        static ZEROS: [u8; PAGE as usize] = [0; PAGE as usize];
        for b in phys..phys + n {
            self.fs.check_block(b)?;
            self.fs.dev.store_nt(b * PAGE, &ZEROS)?;
        }
        if self.inject.no_fence {
            self.note("zeroing fence skipped (no-fence)");
        } else {
            self.fs.dev.fence()?;
        }
        self.cur.zeroed += n;
        self.stats.blocks_zeroed += n;
        Ok(())
    }

    /// Zero a block with ordinary (cached) stores: durable only when a flush and a fence follow
    /// (the seed's design relies on the commit's ordered-data flush).
    fn zero_cached(&mut self, phys: u64) -> crate::Result<()> {
        if self.inject.skip_zero {
            self.note("zeroing skipped (skip-zero)");
            return Ok(());
        }
        static ZEROS: [u8; PAGE as usize] = [0; PAGE as usize];
        self.fs.check_block(phys)?;
        self.fs.dev.store(phys * PAGE, &ZEROS)?;
        self.cur.zeroed += 1;
        self.stats.blocks_zeroed += 1;
        Ok(())
    }

    fn zero_block(&mut self, page: u64) -> FlowResult {
        self.begin(Step::ZeroBlock);
        if let (true, Some(phys)) = (std::mem::take(&mut self.cur.needs_zero), self.cur.phys) {
            match self.policy {
                Policy::Unwritten => {
                    self.zero_cached(phys)?;
                    self.note("zeroed with cached stores, no fence of its own");
                }
                Policy::Ext2 | Policy::Zeroed => {
                    self.zero_nt(phys, 1)?;
                    self.note("zeroed with non-temporal stores");
                }
            }
            if std::mem::take(&mut self.cur.needs_link) {
                match self.cur.target {
                    Some(FaultTarget::Hole) => {
                        let node = self.fs.inode(self.cur.ino)?;
                        self.link(phys, false, node)?
                    }
                    _ => self.convert(self.cur.lblk, 1)?,
                }
                self.note("then linked into the inode (reaches the image at writeback)");
            }
        } else if self.cur.major {
            self.note("done in get-block");
        }
        self.done(Step::ZeroBlock, Context::Fault, true, Some(page))
    }

    fn convert_unwritten(&mut self, page: u64) -> FlowResult {
        self.begin(Step::ConvertUnwritten);
        if std::mem::take(&mut self.cur.needs_convert) {
            self.convert(self.cur.lblk, 1)?;
            self.note("end-of-mapping conversion: exactly the faulting block");
        } else if self.cur.major && self.policy == Policy::Zeroed {
            self.note("done in get-block");
        }
        self.done(Step::ConvertUnwritten, Context::Fault, true, Some(page))
    }

    fn file_inode(&mut self, page: u64) -> FlowResult {
        self.begin(Step::FileInode);
        if self.policy == Policy::Unwritten && self.cur.major {
            if let (Some(j), Some(phys)) = (self.fs.journal.as_mut(), self.cur.phys) {
                j.file_inode(self.cur.ino, phys, 1);
                self.note("inode on the ordered-data list");
            }
        }
        self.done(Step::FileInode, Context::Fault, true, Some(page))
    }

    fn user_store(&mut self, page: u64, at: usize, bytes: &[u8]) -> FlowResult {
        self.begin(Step::UserStore);
        if let (false, Some(phys)) = (bytes.is_empty(), self.cur.phys) {
            self.fs.dev.store(phys * PAGE + at as u64, bytes)?;
            self.dirty.insert((self.cur.ino, page), phys);
            note!(self, "{} bytes stored through the mapping (cached)", bytes.len());
        }
        self.done(Step::UserStore, Context::Fault, true, Some(page))
    }

    // ---- write(2) -------------------------------------------------------------------------

    /// The DAX `write(2)` path: each block got as the policy's `get-block` gets it, the data
    /// copied with non-temporal stores and fenced, no mapping inserted; i_size grows.
    pub fn write(&mut self, ino: u32, off: u64, data: &[u8]) -> FlowResult {
        Self::check_block_size(&self.fs)?;
        self.file(ino)?;
        if data.is_empty() {
            return Ok(());
        }
        let end = off
            .checked_add(data.len() as u64)
            .filter(|&e| e <= crate::fs::file::max_file_bytes(self.fs.block_size()))
            .ok_or_else(|| Error::Invalid(format!("write at {off} is past the maximum file size")))?;
        for page in off / PAGE..end.div_ceil(PAGE) {
            let ps = page * PAGE;
            let s = off.max(ps);
            let e = end.min(ps + PAGE);
            self.start(ino, page)?;
            self.journal_start(page)?;
            self.get_block(page, true)?;
            self.zero_block(page)?;
            self.begin(Step::UserStore);
            if let Some(phys) = self.cur.phys {
                self.fs.dev.store_nt(phys * PAGE + (s - ps), &data[(s - off) as usize..(e - off) as usize])?;
                self.fs.dev.fence()?;
                note!(self, "{} bytes copied (non-temporal + fence)", e - s);
            }
            self.done(Step::UserStore, Context::Fault, true, Some(page))?;
            self.convert_unwritten(page)?;
            // The `unwritten` policy zeroed the rest of the block with cached stores: ordered
            // mode must flush them before the conversion commits, as for a fault (found by the
            // crash explorer: without it, a crash after the commit shows stale data).
            self.file_inode(page)?;
            if self.cur.major {
                self.stats.major_faults += 0;
            }
            if end > self.fs.inode(ino)?.size() || page + 1 == end.div_ceil(PAGE) {
                let mut node = self.fs.inode(ino)?;
                if end > node.size() {
                    node.set_size(end);
                }
                let t = self.fs.clock.now() as u32;
                node.f.i_mtime = t;
                node.f.i_ctime = t;
                self.fs.join(EDIT_CREDITS).write_inode(ino, &node)?;
            }
            self.journal_stop(page)?;
        }
        Ok(())
    }

    // ---- persistence ----------------------------------------------------------------------

    /// `msync` of `[off, off + len)` of `ino` (all of it when `range` is None): the dirty pages
    /// flushed whole and fenced in the fault context, then the transaction committed.
    pub fn msync(&mut self, ino: u32, range: Option<(u64, u64)>) -> FlowResult {
        self.begin(Step::Msync);
        let (first, end) = match range {
            Some((off, len)) => (off / PAGE, off.saturating_add(len).div_ceil(PAGE)),
            None => (0, u64::MAX),
        };
        // In page order (the trace is the same on every run).
        let mut pages: Vec<((u32, u64), u64)> = self
            .dirty
            .iter()
            .filter(|(k, _)| k.0 == ino && (first..end).contains(&k.1))
            .map(|(&k, &v)| (k, v))
            .collect();
        pages.sort_unstable();
        for (key, phys) in &pages {
            self.fs.dev.flush(phys * PAGE, PAGE)?;
            self.dirty.remove(key);
        }
        self.fs.dev.fence()?;
        self.cur.ino = ino;
        note!(self, "{} dirty page(s) flushed and fenced", pages.len());
        self.done(Step::Msync, Context::Fault, true, None)?;
        self.commit()
    }

    /// The background persistence of metadata: the jbd2 commit, or (`ext2`) the flusher's
    /// writeback.
    pub fn commit(&mut self) -> FlowResult {
        let journaled = self.fs.journal.is_some();
        let step = if journaled { Step::Commit } else { Step::Writeback };
        self.begin(step);
        let blocks = self.fs.running_blocks();
        let ordered = self.fs.journal.as_ref().map_or(0, |j| j.ordered.values().map(Vec::len).sum::<usize>());
        let tid = self.tid();
        self.fs.commit()?;
        if journaled {
            note!(
                self,
                "transaction {} committed: {blocks} block(s) logged, {ordered} ordered range(s) {}",
                tid.unwrap_or(0),
                if self.inject.no_ordered { "NOT flushed (no-ordered)" } else { "flushed first" }
            );
        } else {
            note!(self, "{blocks} dirty block(s) written home");
        }
        let ctx = if journaled { Context::Jbd2 } else { Context::Flusher };
        self.done(step, ctx, false, None)
    }

    /// jbd2's checkpoint: committed metadata written home, the tail advanced.
    pub fn checkpoint(&mut self) -> FlowResult {
        if self.fs.journal.is_none() {
            return self.commit();
        }
        self.commit()?;
        self.begin(Step::Checkpoint);
        let n = self.fs.journal.as_ref().map_or(0, |j| j.checkpoint.len());
        self.fs.checkpoint()?;
        note!(self, "{n} block(s) written home");
        self.done(Step::Checkpoint, Context::Jbd2, false, None)
    }

    /// End as an unmount does: commit and checkpoint (jbd2), or writeback (flusher); no fence
    /// of the fault context.
    pub fn unmount(&mut self, no_checkpoint: bool) -> FlowResult {
        self.commit()?;
        if self.fs.journal.is_some() && !no_checkpoint {
            self.begin(Step::Checkpoint);
            let n = self.fs.journal.as_ref().map_or(0, |j| j.checkpoint.len());
            self.fs.no_checkpoint = false;
            self.fs.unmount()?;
            note!(self, "unmount: {n} block(s) written home, the log emptied");
            self.done(Step::Checkpoint, Context::Jbd2, false, None)?;
        } else if no_checkpoint {
            self.fs.no_checkpoint = true;
            self.fs.unmount()?;
        }
        Ok(())
    }

    /// Pages stored to through a shared mapping and not yet msynced: ((inode, page), block), in
    /// order.
    pub fn dirty_pages(&self) -> Vec<((u32, u64), u64)> {
        let mut v: Vec<_> = self.dirty.iter().map(|(&k, &v)| (k, v)).collect();
        v.sort_unstable();
        v
    }

    /// Inodes with mappings.
    pub fn mapped_inodes(&self) -> BTreeSet<u32> {
        self.maps.keys().map(|k| k.0).collect()
    }
}

/// Allocation goal for a hole at `lblk`, as ext4's `ext4_ext_find_goal`: continue the nearest
/// extent of the leaf (the one before the hole, else the one after it) physically.
fn goal(leaf: &InLeaf, lblk: u32) -> Option<u64> {
    match (leaf.prev, leaf.next) {
        (Some(p), _) => Some(p.physical + u64::from(lblk - p.logical)),
        (None, Some(n)) => Some(n.physical.saturating_sub(u64::from(n.logical - lblk))),
        (None, None) => None,
    }
}

/// What a block's bytes look like to a reader.
pub fn classify(buf: &[u8]) -> Seen {
    if poison::find(buf).is_some() {
        Seen::Poison
    } else if buf.iter().all(|&b| b == 0) {
        Seen::Zeros
    } else {
        Seen::Data
    }
}
