//! Policies (real designs from the seed thread and the kernel) and injected mistakes.

use std::fmt;

/// How a write fault gets, zeroes and publishes a block (DESIGN §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub enum Policy {
    /// No journal: the block is zeroed with non-temporal stores and fenced before it is linked;
    /// the link reaches the image at `writeback` (flusher context).
    Ext2,
    /// The seed's 2015 ext4 design: unwritten extent, zeroed with cached stores and no fence of
    /// its own, mapping inserted, converted at end of mapping, inode filed for ordered mode.
    Unwritten,
    /// The later kernel's (and XFS's) design: allocate unwritten, zero with non-temporal stores
    /// and a fence, convert, all inside `get-block`, before the mapping is inserted.
    #[default]
    Zeroed,
}

impl Policy {
    /// Every policy.
    pub const ALL: [Policy; 3] = [Policy::Ext2, Policy::Unwritten, Policy::Zeroed];

    pub fn name(self) -> &'static str {
        match self {
            Policy::Ext2 => "ext2",
            Policy::Unwritten => "unwritten",
            Policy::Zeroed => "zeroed",
        }
    }

    pub fn from_name(s: &str) -> Option<Policy> {
        Policy::ALL.into_iter().find(|p| p.name() == s)
    }

    /// Whether metadata goes through the journal.
    pub fn journaled(self) -> bool {
        self != Policy::Ext2
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Known bugs that can be injected into a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Inject {
    /// The block keeps whatever it held (stale data).
    pub skip_zero: bool,
    /// The fence after non-temporal zeroing is skipped.
    pub no_fence: bool,
    /// Commit does not flush ordered data first.
    pub no_ordered: bool,
    /// `get-block` with create runs under the entry lock before a handle exists.
    pub lock_inversion: bool,
}

impl Inject {
    /// The injection names.
    pub const NAMES: [&'static str; 4] = ["skip-zero", "no-fence", "no-ordered", "lock-inversion"];

    /// Turn on the injection named `name`; false when there is none of that name.
    pub fn set(&mut self, name: &str) -> bool {
        match name {
            "skip-zero" => self.skip_zero = true,
            "no-fence" => self.no_fence = true,
            "no-ordered" => self.no_ordered = true,
            "lock-inversion" => self.lock_inversion = true,
            _ => return false,
        }
        true
    }

    /// The names turned on.
    pub fn names(&self) -> Vec<&'static str> {
        let on = [self.skip_zero, self.no_fence, self.no_ordered, self.lock_inversion];
        Self::NAMES.iter().zip(on).filter(|(_, on)| *on).map(|(n, _)| *n).collect()
    }
}
