//! The named steps of the fault path (the CLI's `--stop-after` / `--at-step` values).

use std::fmt;

/// One step of DESIGN §4's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Step {
    StartPagefault,
    UpdateTime,
    JournalStart,
    LockEntry,
    GetBlock,
    ZeroBlock,
    InsertMapping,
    ConvertUnwritten,
    FileInode,
    UnlockEntry,
    JournalStop,
    EndPagefault,
    UserStore,
    Commit,
    Checkpoint,
    Writeback,
    Msync,
}

impl Step {
    /// Every step, in the order of the table.
    pub const ALL: [Step; 17] = [
        Step::StartPagefault,
        Step::UpdateTime,
        Step::JournalStart,
        Step::LockEntry,
        Step::GetBlock,
        Step::ZeroBlock,
        Step::InsertMapping,
        Step::ConvertUnwritten,
        Step::FileInode,
        Step::UnlockEntry,
        Step::JournalStop,
        Step::EndPagefault,
        Step::UserStore,
        Step::Commit,
        Step::Checkpoint,
        Step::Writeback,
        Step::Msync,
    ];

    /// The step's name, as the CLI and the trace spell it.
    pub fn name(self) -> &'static str {
        match self {
            Step::StartPagefault => "start-pagefault",
            Step::UpdateTime => "update-time",
            Step::JournalStart => "journal-start",
            Step::LockEntry => "lock-entry",
            Step::GetBlock => "get-block",
            Step::ZeroBlock => "zero-block",
            Step::InsertMapping => "insert-mapping",
            Step::ConvertUnwritten => "convert-unwritten",
            Step::FileInode => "file-inode",
            Step::UnlockEntry => "unlock-entry",
            Step::JournalStop => "journal-stop",
            Step::EndPagefault => "end-pagefault",
            Step::UserStore => "user-store",
            Step::Commit => "commit",
            Step::Checkpoint => "checkpoint",
            Step::Writeback => "writeback",
            Step::Msync => "msync",
        }
    }

    /// The step named `name`.
    pub fn from_name(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Step::ALL {
            assert_eq!(Step::from_name(s.name()), Some(s));
        }
        assert_eq!(Step::from_name("nope"), None);
    }
}
