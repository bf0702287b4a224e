//! The lock-rank checker: freeze protection (1), then the journal handle (2), the mapping entry
//! lock (3) and the extent tree lock (4). Taking a lock while holding one of a higher rank number (a lock that
//! must be taken after it) is a violation, reported naming both — the inversion Jan Kara points
//! out in the seed thread, which only shows as a deadlock under load.

use std::fmt;

/// The locks of the fault path, by rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Lock {
    Freeze,
    Handle,
    Entry,
    ExtentTree,
}

impl Lock {
    pub fn rank(self) -> u8 {
        match self {
            Lock::Freeze => 1,
            Lock::Handle => 2,
            Lock::Entry => 3,
            Lock::ExtentTree => 4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Lock::Freeze => "freeze protection",
            Lock::Handle => "journal handle",
            Lock::Entry => "mapping entry lock",
            Lock::ExtentTree => "extent tree lock",
        }
    }

    /// Short name for tables.
    pub fn short(self) -> &'static str {
        match self {
            Lock::Freeze => "freeze",
            Lock::Handle => "handle",
            Lock::Entry => "entry",
            Lock::ExtentTree => "extent-tree",
        }
    }
}

impl fmt::Display for Lock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (rank {})", self.name(), self.rank())
    }
}

/// A lock taken while a lock that ranks under it was held.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    pub taken: Lock,
    pub held: Lock,
    /// The step that took it.
    pub step: &'static str,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lock-rank violation in {}: took the {} while holding the {}", self.step, self.taken, self.held)
    }
}

/// Locks held, in the order taken, and the violations seen.
#[derive(Debug, Clone, Default)]
pub struct LockChecker {
    held: Vec<Lock>,
    pub violations: Vec<Violation>,
}

impl LockChecker {
    /// Take `lock` in `step`; records a violation for each held lock of a higher rank number.
    pub fn take(&mut self, lock: Lock, step: &'static str) {
        for &h in &self.held {
            if h.rank() > lock.rank() {
                self.violations.push(Violation { taken: lock, held: h, step });
            }
        }
        self.held.push(lock);
    }

    /// Release `lock` (the most recent hold of it).
    pub fn release(&mut self, lock: Lock) {
        if let Some(i) = self.held.iter().rposition(|&h| h == lock) {
            self.held.remove(i);
        }
    }

    pub fn holds(&self, lock: Lock) -> bool {
        self.held.contains(&lock)
    }

    pub fn held(&self) -> &[Lock] {
        &self.held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranked_order_is_clean_and_inversion_names_both() {
        let mut c = LockChecker::default();
        for l in [Lock::Freeze, Lock::Handle, Lock::Entry, Lock::ExtentTree] {
            c.take(l, "s");
        }
        assert!(c.violations.is_empty());
        let mut c = LockChecker::default();
        c.take(Lock::Freeze, "start-pagefault");
        c.take(Lock::Entry, "lock-entry");
        c.take(Lock::Handle, "get-block");
        assert_eq!(c.violations.len(), 1);
        let text = c.violations[0].to_string();
        assert!(text.contains("journal handle") && text.contains("mapping entry lock"), "{text}");
        c.release(Lock::Handle);
        assert!(!c.holds(Lock::Handle) && c.holds(Lock::Entry));
    }
}
