//! File-system level work: the layout and writing of a new file system, and opening an
//! existing one through the device seam.

pub mod alloc;
pub mod blockmap;
pub mod cache;
pub mod desc_check;
pub mod dir;
pub mod file;
pub mod image;
pub mod inline;
pub mod layout;
pub mod lookup;
pub mod map;
pub mod mkfs;
pub mod mkjournal;
pub mod mount;
pub mod open;
pub mod root;
pub mod size;
pub mod stale;

pub use image::{Fs, Handle};
