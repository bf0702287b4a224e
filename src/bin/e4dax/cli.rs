//! The command-line definition: the one place that says what e4dax accepts. Help, man pages
//! and shell completions are generated from it (`e4dax generate`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "e4dax",
    version,
    about = "Format, inspect and check ext4 images that stand in for a pmem device",
    long_about = "e4dax formats, inspects, checks and repairs real ext4 images that stand in for a \
persistent-memory (pmem) device, and emulates the DAX page-fault write path step by step. \
Images are real ext4: e2fsprogs (e2fsck, debugfs, dumpe2fs) reads everything e4dax writes."
)]
pub struct Cli {
    /// Print machine-readable JSON instead of tables (errors too: a JSON object on stderr)
    #[arg(long, global = true)]
    pub json: bool,

    /// Accepted before the command for compatibility; the command's own --no-checkpoint
    #[arg(long, hide = true)]
    pub no_checkpoint: bool,

    /// Accepted before the command for compatibility; the command's own --time
    #[arg(long, hide = true, value_name = "EPOCH")]
    pub time: Option<u64>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an ext4 file system image (block size 4096, as DAX needs)
    Mkfs(MkfsArgs),
    /// Create a file or directory
    Create(CreateArgs),
    /// Allocate unwritten extents over a range, as fallocate(2)
    Fallocate(FallocateArgs),
    /// Punch a hole: free the blocks of a range (size unchanged)
    Punch(PunchArgs),
    /// Remove a file or an empty directory
    Rm(PathArgs),
    /// List a directory (names and inode numbers)
    Ls(LsArgs),
    /// Read a file: holes and unwritten extents read as zeros
    Read(ReadArgs),
    /// Replay the journal as mount or e2fsck would, and report what it held
    JournalReplay(JournalReplayArgs),
    /// Check (and repair) a file system, as e2fsck does, with e2fsck's exit codes
    Fsck(FsckArgs),
    /// Show on-disk structures, as dumpe2fs and debugfs do; never writes
    Inspect(InspectArgs),
    /// Run the DAX page fault on a file, step by step (read or write, shared or private)
    Fault(FaultArgs),
    /// Write data into a file through the DAX write(2) path
    Write(WriteArgs),
    /// Set a file's size, as ftruncate(2): growing adds a hole, shrinking frees blocks
    Truncate(TruncateArgs),
    /// Make a file's dirty mapped pages durable and commit, as msync(2)
    Msync(MsyncArgs),
    /// Run a workload file (one operation a line) within one mount
    Run(RunArgs),
    /// Explore every crash state of a workload: replay, fsck and the data oracle on each
    Crash(CrashArgs),
    /// One write fault under each policy and known bug, every crash state explored: a table
    Demo(DemoArgs),
    /// Write man pages or shell completions (for packagers and the repository)
    #[command(hide = true)]
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct MkfsArgs {
    /// Image file to create (a sparse file)
    pub image: PathBuf,
    /// Image size: bytes, or with a K, M, G or T suffix (at least 16M)
    #[arg(long, value_name = "SIZE")]
    pub size: String,
    /// Journal size (default: as mkfs.ext4 picks for the image size)
    #[arg(long, value_name = "SIZE", conflicts_with = "no_journal")]
    pub journal_size: Option<String>,
    /// Number of inodes (default: one per 16 KiB)
    #[arg(long, value_name = "N")]
    pub inodes: Option<u64>,
    /// File system UUID (default: random)
    #[arg(long, value_name = "UUID")]
    pub uuid: Option<String>,
    /// Volume label (at most 16 bytes)
    #[arg(long, value_name = "LABEL", default_value = "")]
    pub label: String,
    /// Fill every free block with the stale-data pattern (see README)
    #[arg(long)]
    pub poison: bool,
    /// Make a file system without a journal (for the ext2 policy)
    #[arg(long)]
    pub no_journal: bool,
    /// Overwrite an existing non-empty file
    #[arg(long)]
    pub force: bool,
    /// Block size; only 4096 is accepted (DAX needs block size = page size)
    #[arg(long, value_name = "BYTES", default_value_t = 4096)]
    pub block_size: u32,
    #[command(flatten)]
    pub time: TimeArg,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Image file
    pub image: PathBuf,
    /// Path inside the file system (`/a/b`; a leading `/` is optional)
    pub path: String,
    /// Create a directory
    #[arg(long)]
    pub dir: bool,
    /// Create missing parent directories too
    #[arg(short = 'p', long)]
    pub parents: bool,
    /// Give the new file this size (a hole; accepts K, M, G, T suffixes)
    #[arg(long, value_name = "SIZE", conflicts_with = "dir")]
    pub size: Option<String>,
    #[command(flatten)]
    pub writing: WriteOpts,
}

/// `--time` of the commands that write timestamps.
#[derive(Debug, Args, Default, Clone, Copy)]
pub struct TimeArg {
    /// Use this time (seconds since the epoch) for every timestamp written (default:
    /// $E4DAX_TIME, else now)
    #[arg(long, value_name = "EPOCH")]
    pub time: Option<u64>,
}

/// `--no-checkpoint` and `--time` of the commands that change a file system through its journal.
#[derive(Debug, Args, Default, Clone, Copy)]
pub struct WriteOpts {
    /// Leave committed transactions in the journal (no checkpoint), for `inspect journal`,
    /// `journal-replay` or e2fsck
    #[arg(long)]
    pub no_checkpoint: bool,
    #[command(flatten)]
    pub time: TimeArg,
}

#[derive(Debug, Args)]
pub struct RangeArgs {
    /// Image file
    pub image: PathBuf,
    /// Path of a regular file inside the file system, or <INO>
    pub path: String,
    /// Byte offset (accepts K, M, G, T suffixes)
    #[arg(long, value_name = "OFF")]
    pub offset: String,
    /// Length in bytes (accepts K, M, G, T suffixes)
    #[arg(long, value_name = "LEN")]
    pub len: String,
    #[command(flatten)]
    pub writing: WriteOpts,
}

#[derive(Debug, Args)]
pub struct FallocateArgs {
    #[command(flatten)]
    pub range: RangeArgs,
    /// Do not change the file size (unwritten extents may lie past it)
    #[arg(long)]
    pub keep_size: bool,
}

#[derive(Debug, Args)]
pub struct PunchArgs {
    #[command(flatten)]
    pub range: RangeArgs,
}

#[derive(Debug, Args)]
pub struct PathArgs {
    /// Image file
    pub image: PathBuf,
    /// Path inside the file system
    pub path: String,
    #[command(flatten)]
    pub writing: WriteOpts,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Image file (opened read-only)
    pub image: PathBuf,
    /// Directory to list (a path or <INO>)
    #[arg(default_value = "/")]
    pub path: String,
    /// Long listing, as debugfs ls -l: inode, mode, uid, gid, size, modification time, name
    #[arg(short = 'l', long = "long")]
    pub long: bool,
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Image file (opened read-only)
    pub image: PathBuf,
    /// Path of a regular file inside the file system, or <INO>
    pub path: String,
    /// Byte offset to start at
    #[arg(long, value_name = "OFF", default_value = "0")]
    pub offset: String,
    /// Bytes to read (default: to the end of the file)
    #[arg(long, value_name = "LEN")]
    pub len: Option<String>,
    /// Write the bytes to FILE instead of standard output (a regular FILE is written sparse:
    /// holes and unwritten extents stay holes)
    #[arg(long, value_name = "FILE", conflicts_with = "hexdump")]
    pub out: Option<PathBuf>,
    /// Print a hex dump instead of raw bytes
    #[arg(long)]
    pub hexdump: bool,
    /// Report every block of a written extent that holds the stale-data pattern (past i_size
    /// too, unless --len limits the range: a truncate up would expose it); exit 1 if any
    #[arg(long)]
    pub check_stale: bool,
}

#[derive(Debug, Args)]
pub struct JournalReplayArgs {
    /// Image file
    pub image: PathBuf,
    /// Report what would be replayed without writing anything
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Exit status (a bitmask, as e2fsck's): 0 clean, 1 errors fixed, 4 errors left \
uncorrected, 8 operational error, 16 usage error. Without -n, -p, -a or -y, on a terminal, each \
repair is asked for (y: yes, n: no, a: yes to all); without a terminal, nothing is changed (-n).")]
pub struct FsckArgs {
    /// Image file
    pub image: PathBuf,
    /// Check only: open read-only and change nothing (the default without a terminal)
    #[arg(short = 'n', conflicts_with_all = ["preen", "yes"], overrides_with = "no")]
    pub no: bool,
    /// Fix only what is safe without asking; exit 4 when anything else is found (-a: the same)
    #[arg(short = 'p', visible_short_alias = 'a', conflicts_with = "yes", overrides_with = "preen")]
    pub preen: bool,
    /// Fix everything that can be fixed
    #[arg(short = 'y', overrides_with = "yes")]
    pub yes: bool,
    /// Check even a file system marked clean (without it a clean one is not checked, as e2fsck);
    /// these flags may be repeated, as e2fsck's
    #[arg(short = 'f', overrides_with = "force")]
    pub force: bool,
    /// Print statistics at the end, as e2fsck -v
    #[arg(short = 'v', overrides_with = "verbose")]
    pub verbose: bool,
    /// Use the superblock at block SUPERBLOCK (a backup: 32768 with 4 KiB blocks, 8193 with
    /// 1 KiB), as e2fsck -b; it replaces the primary when the check writes
    #[arg(short = 'b', value_name = "SUPERBLOCK")]
    pub superblock: Option<u64>,
    /// Progress: 0 draws a bar on the terminal, another FD gets e2fsck's "pass done total
    /// device" lines
    #[arg(short = 'C', value_name = "FD")]
    pub progress_fd: Option<i32>,
    /// Also run the data pass: report every block of a written extent that holds the stale-data
    /// pattern (past i_size too), as read --check-stale does (checks a clean file system too)
    #[arg(long)]
    pub data: bool,
    /// Threads: with more than one, pass 1 reads inodes ahead and the data pass scans blocks
    /// on N threads (default 1: on two cores reading ahead costs pass 1 more than it saves;
    /// --data scans faster); the output is the same for any number
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub jobs: usize,
    #[command(flatten)]
    pub time: TimeArg,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Image file (opened read-only)
    pub image: PathBuf,
    #[command(subcommand)]
    pub what: InspectWhat,
}

#[derive(Debug, Subcommand)]
pub enum InspectWhat {
    /// The superblock and journal superblock, every field dumpe2fs -h prints, in its words
    Super,
    /// Every block group: flags, bitmaps, inode table, free counts, checksums (like dumpe2fs)
    Groups {
        /// Every group as dumpe2fs prints it: superblock and descriptor copies, bitmaps with
        /// their checksums, inode table, free block and inode ranges
        #[arg(long)]
        full: bool,
    },
    /// A file's extent tree level by level (like debugfs ex), with node checksum verdicts
    Extents {
        /// Path inside the file system, or <INO>
        path: String,
    },
    /// The journal's log block by block (like debugfs logdump -a), with checksum verdicts
    Journal,
    /// One inode's fields (like debugfs stat): times with nanoseconds, project id, extended
    /// attributes, extents
    Inode {
        /// Path inside the file system, or <INO>
        path: String,
    },
    /// Which inode owns each block (like debugfs icheck)
    Icheck {
        /// Block numbers
        #[arg(required = true, value_name = "BLOCK")]
        blocks: Vec<u64>,
    },
    /// The path names of inodes (like debugfs ncheck)
    Ncheck {
        /// Inode numbers (N or <N>)
        #[arg(required = true, value_name = "INO")]
        inodes: Vec<String>,
    },
    /// The physical block of a file's logical block (like debugfs bmap); 0 for a hole
    Bmap {
        /// Path inside the file system, or <INO>
        path: String,
        /// Logical block number
        #[arg(value_name = "LBLK")]
        logical: u64,
    },
    /// A file's blocks in block-iterate order, indirect and extent tree blocks included (like
    /// debugfs blocks)
    Blocks {
        /// Path inside the file system, or <INO>
        path: String,
    },
    /// Whether blocks are marked in use in the block bitmap (like debugfs testb)
    Testb {
        /// First block
        block: u64,
        /// Number of blocks
        #[arg(default_value_t = 1)]
        count: u64,
    },
    /// Whether an inode is marked in use in the inode bitmap (like debugfs testi)
    Testi {
        /// Path inside the file system, or <INO>
        path: String,
    },
    /// What holds each block: counts by owner, or a picture with --svg
    Map {
        /// Draw the block groups as rows of blocks coloured by owner, with a legend
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
        /// Outline the blocks of this file (a path or <INO>)
        #[arg(long, value_name = "PATH")]
        file: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[arg(value_enum)]
    pub what: GenerateWhat,
    /// Output directory
    pub dir: PathBuf,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum GenerateWhat {
    /// One man page per command
    Man,
    /// bash, zsh, fish, elvish and powershell completions
    Completions,
}

/// The fault path's step names (the values of --stop-after and --race-read-after).
pub const STEP_NAMES: [&str; 17] = [
    "start-pagefault",
    "update-time",
    "journal-start",
    "lock-entry",
    "get-block",
    "zero-block",
    "insert-mapping",
    "convert-unwritten",
    "file-inode",
    "unlock-entry",
    "journal-stop",
    "end-pagefault",
    "user-store",
    "commit",
    "checkpoint",
    "writeback",
    "msync",
];

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PolicyArg {
    /// No journal: zeroed with non-temporal stores and fenced before the link; writeback later
    Ext2,
    /// The seed's 2015 ext4 design: unwritten extent, cached zeroing, ordered-mode commit
    Unwritten,
    /// The later kernel's design: zeroed (non-temporal + fence) and converted inside get-block
    Zeroed,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum InjectArg {
    /// The block keeps whatever it held (stale data)
    SkipZero,
    /// The fence after non-temporal zeroing is skipped
    NoFence,
    /// Commit does not flush ordered data first
    NoOrdered,
    /// get-block with create runs under the entry lock before a handle exists
    LockInversion,
}

/// How the fault path runs (shared by fault, write, msync and run).
#[derive(Debug, Args)]
pub struct PathOpts {
    /// Fault-path policy
    #[arg(long, value_enum, default_value = "zeroed")]
    pub policy: PolicyArg,
    /// Turn the policy into a known bug (repeatable)
    #[arg(long, value_enum, value_name = "BUG")]
    pub inject: Vec<InjectArg>,
    /// Run up to and including STEP, print the in-flight state, then end like a power cut
    /// (the image keeps only what was durable)
    #[arg(long, value_name = "STEP", value_parser = clap::builder::PossibleValuesParser::new(STEP_NAMES))]
    pub stop_after: Option<String>,
    /// With --stop-after: keep every store issued so far (the optimistic crash state)
    #[arg(long, requires = "stop_after")]
    pub keep_pending: bool,
    /// Print one row per step: context, locks, blocks, extent state, transaction, stores
    #[arg(long)]
    pub trace: bool,
}

/// Data to store: hex bytes, a repeated text, or a file's contents.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Bytes in hex (e.g. 00ff10)
    #[arg(long, value_name = "HEX", conflicts_with_all = ["pattern", "from"])]
    pub data: Option<String>,
    /// A text, repeated over --len when given
    #[arg(long, value_name = "TEXT", conflicts_with = "from")]
    pub pattern: Option<String>,
    /// The contents of FILE
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(after_help = "Steps: start-pagefault update-time journal-start lock-entry get-block zero-block \
insert-mapping convert-unwritten file-inode unlock-entry journal-stop end-pagefault user-store, then the \
end of the command as an unmount: commit and checkpoint (journal) or writeback (ext2), msync with --msync.")]
pub struct FaultArgs {
    /// Image file
    pub image: PathBuf,
    /// Path of a regular file inside the file system, or <INO>
    pub path: String,
    /// Byte offset of the faulting access
    #[arg(long, value_name = "OFF")]
    pub offset: String,
    /// Bytes to fault (page by page; default: the data's length, or one byte)
    #[arg(long, value_name = "LEN")]
    pub len: Option<String>,
    /// A read fault
    #[arg(long, conflicts_with = "write", required_unless_present = "write")]
    pub read: bool,
    /// A write fault (the process stores the data given, if any)
    #[arg(long)]
    pub write: bool,
    /// A private mapping: a write copies the page (nothing allocated, the image unchanged)
    #[arg(long)]
    pub private: bool,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub path_opts: PathOpts,
    /// Let a second reader read the page right after STEP of the writer, and report what it saw
    #[arg(long, value_name = "STEP", value_parser = clap::builder::PossibleValuesParser::new(STEP_NAMES))]
    pub race_read_after: Option<String>,
    /// msync the range after the fault (the process's own fence, then a commit)
    #[arg(long)]
    pub msync: bool,
    #[command(flatten)]
    pub writing: WriteOpts,
}

#[derive(Debug, Args)]
pub struct WriteArgs {
    /// Image file
    pub image: PathBuf,
    /// Path of a regular file inside the file system, or <INO>
    pub path: String,
    /// Byte offset
    #[arg(long, value_name = "OFF")]
    pub offset: String,
    /// Bytes to write (with --pattern: the pattern repeated over LEN)
    #[arg(long, value_name = "LEN")]
    pub len: Option<String>,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub path_opts: PathOpts,
    #[command(flatten)]
    pub writing: WriteOpts,
}

#[derive(Debug, Args)]
pub struct TruncateArgs {
    /// Image file
    pub image: PathBuf,
    /// Path of a regular file inside the file system, or <INO>
    pub path: String,
    /// New size (accepts K, M, G, T suffixes)
    #[arg(long, value_name = "SIZE")]
    pub size: String,
    #[command(flatten)]
    pub writing: WriteOpts,
}

#[derive(Debug, Args)]
pub struct MsyncArgs {
    /// Image file
    pub image: PathBuf,
    /// Path of a regular file inside the file system, or <INO>
    pub path: String,
    /// Start of the range (with --len)
    #[arg(long, value_name = "OFF", requires = "len")]
    pub offset: Option<String>,
    /// Length of the range (with --offset)
    #[arg(long, value_name = "LEN", requires = "offset")]
    pub len: Option<String>,
    #[command(flatten)]
    pub writing: WriteOpts,
}

#[derive(Debug, Args)]
#[command(after_help = "Workload format: one operation a line, # comments, the CLI's own words:
  create PATH [--size SIZE] [--dir] [-p]
  truncate PATH --size SIZE
  write PATH --offset OFF (--data HEX | --pattern TEXT [--len LEN] | --from FILE)
  fallocate PATH --offset OFF --len LEN [--keep-size]
  punch PATH --offset OFF --len LEN
  rm PATH
  fault PATH --offset OFF [--len LEN] (--read | --write) [--private] [--data HEX | --pattern TEXT | --from FILE]
  msync PATH [--offset OFF --len LEN]
  commit          (background persistence of metadata: the jbd2 commit, or the flusher's writeback)
  checkpoint")]
pub struct RunArgs {
    /// Image file
    pub image: PathBuf,
    /// Workload file
    pub workload: PathBuf,
    #[command(flatten)]
    pub path_opts: PathOpts,
    #[command(flatten)]
    pub writing: WriteOpts,
}

/// Persistence granularity of crash states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GranularityArg {
    /// 64-byte cache lines: a line persists with a prefix of its stores
    Line,
    /// 8-byte words: stores wider than 8 bytes may persist in 8-byte pieces
    Word8,
}

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    after_help = "The workload is a `run` workload file (see `e4dax run --help`). Exit status: 0 no violation, \
4 violations found, 1 error, 2 usage error. `crash replay STATE.json OUT.img` rebuilds a saved state's image; \
`crash merge REPORT.json...` merges the JSON reports of --shard runs."
)]
pub struct CrashArgs {
    #[command(subcommand)]
    pub sub: Option<CrashSub>,
    #[command(flatten)]
    pub run: CrashRunArgs,
}

#[derive(Debug, Args)]
pub struct CrashRunArgs {
    /// Base image (never written)
    #[arg(required = true)]
    pub image: Option<PathBuf>,
    /// Workload file
    #[arg(required = true)]
    pub workload: Option<PathBuf>,
    /// Fault-path policy
    #[arg(long, value_enum, default_value = "zeroed")]
    pub policy: PolicyArg,
    /// Turn the policy into a known bug (repeatable)
    #[arg(long, value_enum, value_name = "BUG")]
    pub inject: Vec<InjectArg>,
    /// Only crash points inside STEP (a fault-path step, or commit, checkpoint, writeback, msync)
    #[arg(long, value_name = "STEP", value_parser = clap::builder::PossibleValuesParser::new(STEP_NAMES))]
    pub at_step: Option<String>,
    /// What persists as a whole: cache lines, or 8-byte words (torn stores)
    #[arg(long, value_enum, default_value = "line")]
    pub granularity: GranularityArg,
    /// Per crash point: every state when there are at most N, else a seeded sample of N
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub max_states: u64,
    /// Seed of the samples
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u64,
    /// Check the jbd2 ordering invariants, then explore only the stores they do not protect
    #[arg(long)]
    pub reduce: bool,
    /// Write one reproducer per distinct violation (class and step): crash image and state.json
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,
    /// Shrink each saved reproducer's persisted lines to a minimal set that still fails
    #[arg(long, requires = "save")]
    pub minimize: bool,
    /// Explore the K-th of N disjoint parts of the crash points (K from 1)
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Worker threads (default: every core)
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Draw the trace as a timeline (one band per context, points coloured by outcome)
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    #[command(flatten)]
    pub time: TimeArg,
}

#[derive(Debug, Subcommand)]
pub enum CrashSub {
    /// Rebuild a saved crash state's image bit for bit from its state.json
    Replay(CrashReplayArgs),
    /// Merge the JSON reports of --shard runs into the unsharded totals
    Merge(CrashMergeArgs),
}

#[derive(Debug, Args)]
pub struct CrashReplayArgs {
    /// A state.json written by `crash --save`
    pub state: PathBuf,
    /// The image to write
    pub out: PathBuf,
    /// The base image (default: the path recorded in state.json)
    #[arg(long, value_name = "IMAGE")]
    pub base: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CrashMergeArgs {
    /// JSON reports of `crash --shard K/N --json`
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Draw the merged timeline
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the image, reproducers and pictures here (default: a new temporary directory)
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Per crash point: every state when there are at most N, else a seeded sample of N
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_states: u64,
    #[command(flatten)]
    pub time: TimeArg,
}

impl Command {
    /// The command's `--time` (`None` when it writes no timestamps).
    pub fn time(&self) -> Option<Option<u64>> {
        Some(match self {
            Command::Mkfs(a) => a.time.time,
            Command::Fsck(a) => a.time.time,
            Command::Crash(a) => a.run.time.time,
            Command::Demo(a) => a.time.time,
            other => return other.write_opts().map(|w| w.time.time),
        })
    }

    /// The command's `--no-checkpoint` and `--time` (`None` when it writes nothing through the
    /// journal).
    pub fn write_opts(&self) -> Option<WriteOpts> {
        Some(match self {
            Command::Create(a) => a.writing,
            Command::Fallocate(a) => a.range.writing,
            Command::Punch(a) => a.range.writing,
            Command::Rm(a) => a.writing,
            Command::Truncate(a) => a.writing,
            Command::Fault(a) => a.writing,
            Command::Write(a) => a.writing,
            Command::Msync(a) => a.writing,
            Command::Run(a) => a.writing,
            _ => return None,
        })
    }
}
