//! The library's typed errors. Display texts are one short line; the binary adds context.

use std::path::PathBuf;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything the library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The storage seam failed (I/O, locking, bounds).
    #[error(transparent)]
    Device(#[from] crate::pmem::Error),

    /// The file does not hold an ext4 file system at all.
    #[error("not an ext4 file system: {0}")]
    NotExt4(String),

    /// The image is shorter than its own metadata says.
    #[error("image is truncated: {what} needs {need} bytes, the image has {have}")]
    Truncated { what: &'static str, need: u64, have: u64 },

    /// A structure failed validation ("expected X, got Y").
    #[error("corrupt {what}: {detail}")]
    Corrupt { what: &'static str, detail: String },

    /// A stored checksum does not match the contents.
    #[error("bad checksum on {what}: stored {stored:#010x}, computed {computed:#010x}")]
    Checksum { what: String, stored: u32, computed: u32 },

    /// The image uses a feature e4dax cannot handle (named).
    #[error("unsupported feature: {0}")]
    Unsupported(String),

    /// An argument is out of the accepted range.
    #[error("{0}")]
    Invalid(String),

    /// Writing the output of a read failed.
    #[error("writing output: {0}")]
    Output(#[source] std::io::Error),

    /// A path names nothing.
    #[error("{0}: no such file or directory")]
    NotFound(String),

    /// No free block or inode is left.
    #[error("no space left on the file system")]
    NoSpace,

    /// Refused to overwrite a file.
    #[error("{path} exists and is not empty (use --force to overwrite)", path = .0.display())]
    Exists(PathBuf),
}

impl Error {
    pub(crate) fn corrupt(what: &'static str, detail: impl Into<String>) -> Self {
        Error::Corrupt { what, detail: detail.into() }
    }
}
