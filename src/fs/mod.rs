//! File-system level work: the layout and writing of a new file system, and opening an
//! existing one through the device seam.

pub mod alloc;
pub mod cache;
pub mod image;
pub mod layout;
pub mod mkfs;

pub use image::{Fs, Handle};
