//! Crash exploration (DESIGN §6): a workload recorded once on the recording device; at every
//! crash point, the crash states of the persistence model (DESIGN §3, per context), each
//! replayed as mount would, checked by fsck without repair and by the data oracle (DESIGN §5),
//! and classified.
//!
//! States are never images: a state is the base image with a set of changed units laid over
//! it ([`overlay::Overlay`]); the space of a crash point is moved forward event by event
//! ([`sweep::Sweep`]); checks are memoised by the blocks they read ([`memo`]).

pub mod check;
pub mod class;
pub mod demo;
pub mod explore;
pub mod hash;
pub mod memo;
pub mod oracle;
pub mod overlay;
pub mod record;
pub mod reduce;
pub mod report;
pub mod sha256;
pub mod state;
pub mod svg;
pub mod sweep;

pub use class::{Class, Verdict};
pub use explore::{explore, explore_observed, Exploration, Granularity, Observer, Options};
pub use report::{merge, Count, Found, Report};

#[cfg(test)]
mod tests;
