//! The outcome classes of a crash state (DESIGN §6), most severe last.

use std::fmt;

/// What a crash state turned out to be after replay, fsck and the data oracle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Replay succeeded, fsck found nothing, the data is right.
    Clean,
    /// fsck found only what preen mode fixes (expected after a crash without a journal).
    Repairable,
    /// fsck found damage beyond preen's reach.
    Corrupt,
    /// An msynced range does not hold its newest value.
    LostDurableData,
    /// A file shows bytes no one stored there (the stale-data pattern, or foreign data).
    StaleData,
    /// Mount's journal replay failed, or did not reach the same image when interrupted and
    /// run again, or a jbd2 ordering invariant is broken.
    ReplayFailure,
}

impl Class {
    pub const ALL: [Class; 6] = [
        Class::Clean,
        Class::Repairable,
        Class::Corrupt,
        Class::LostDurableData,
        Class::StaleData,
        Class::ReplayFailure,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Class::Clean => "clean",
            Class::Repairable => "repairable",
            Class::Corrupt => "corrupt",
            Class::LostDurableData => "lost-durable-data",
            Class::StaleData => "stale-data",
            Class::ReplayFailure => "replay-failure",
        }
    }

    pub fn from_name(s: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.name() == s)
    }

    /// Whether the class is a violation. A journaled policy promises a consistent file system
    /// after replay: anything but clean is one. Without a journal (`ext2`) metadata after a
    /// crash is whatever reached the media, and fsck's repairs (preen's, or beyond them, as for
    /// an unattached inode) are expected; what the policy still promises is about data: never
    /// stale data, never lost msynced data.
    pub fn is_violation(self, journaled: bool) -> bool {
        match self {
            Class::Clean => false,
            Class::Repairable | Class::Corrupt => journaled,
            Class::LostDurableData | Class::StaleData | Class::ReplayFailure => true,
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A class with the first thing that made it so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub class: Class,
    pub detail: String,
    /// What fsck alone said (a stale-data state that fsck calls clean is the telling one).
    pub fsck: Class,
}

impl Verdict {
    pub fn clean() -> Self {
        Verdict::new(Class::Clean, String::new())
    }

    pub fn new(class: Class, detail: String) -> Self {
        Verdict { class, detail, fsck: Class::Clean }
    }

    /// The more severe of two verdicts.
    pub fn worst(self, other: Verdict) -> Verdict {
        if other.class > self.class {
            Verdict { fsck: self.fsck, ..other }
        } else {
            self
        }
    }
}
