//! The DAX page-fault write path, step by step (DESIGN §4).
//!
//! [`Dax`] is a mounted file system with a process's mappings: it runs read and write faults,
//! `write(2)`, `msync` and the background persistence of metadata (`commit`, `checkpoint`,
//! `writeback`) as explicit sequences of named [`Step`]s, under one of three [`Policy`]s and any
//! [`Inject`]ed mistakes. Every step leaves a marker in the device's trace (so every step is a
//! crash point), is reported as a [`StepRow`], and can be the last one run (`stop_after`), after
//! which the caller keeps only the durable state ([`crate::pmem::durable`]).

mod engine;
mod locks;
mod policy;
pub mod session;
mod step;
pub mod workload;

pub use engine::{classify, Access, Dax, FaultTarget, Pte, RaceRead, Seen, Stats, StepRow, StopReport};
pub use locks::{Lock, LockChecker, Violation};
pub use policy::{Inject, Policy};
pub use step::Step;

/// How a step sequence ended early: stopped on request, or failed.
#[derive(Debug)]
pub enum Flow {
    /// `stop_after` was reached: the path ends here like a power cut.
    Stopped,
    /// The operation failed (the image is left as the caller decides).
    Failed(crate::Error),
}

impl From<crate::Error> for Flow {
    fn from(e: crate::Error) -> Self {
        Flow::Failed(e)
    }
}

impl From<crate::pmem::Error> for Flow {
    fn from(e: crate::pmem::Error) -> Self {
        Flow::Failed(e.into())
    }
}

/// Result of a step sequence.
pub type FlowResult<T = ()> = std::result::Result<T, Flow>;

#[cfg(test)]
mod tests;
