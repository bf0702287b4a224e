//! File-system level operations.
