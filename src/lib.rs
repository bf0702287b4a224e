//! e4dax: a toolkit for people who build file systems for persistent memory.
//!
//! The crate reads and writes real ext4 images (e2fsprogs is the oracle) through one device
//! seam ([`pmem::Device`]) and is layered as DESIGN.md §2 describes: [`ondisk`] parses and
//! encodes structures without I/O, [`fs`] opens, formats and describes file systems.

pub mod check;
pub mod clock;
pub mod crash;
pub mod dax;
pub mod error;
pub mod extent;
pub mod fs;
pub mod journal;
pub mod ondisk;
pub mod pmem;
pub mod units;

pub use error::{Error, Result};
