//! The pmem device seam (placeholder; being written).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("placeholder")]
    Placeholder,
}
