//! The one time source of the library. Every time e4dax writes (inode times, dtime, journal
//! commit times, mkfs's creation time) comes from a [`Clock`]: an explicit time, so that a
//! workload can be rebuilt bit for bit, or else the system clock.
//!
//! [`Clock::from_env`] reads `E4DAX_TIME` (seconds since the epoch) once per process; the CLI's
//! global `--time EPOCH` overrides it.

use std::sync::OnceLock;

use crate::error::{Error, Result};

/// The environment variable that fixes the time of every writing command.
pub const ENV_VAR: &str = "E4DAX_TIME";

/// Where times come from: a fixed instant, or the system clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    fixed: Option<u64>,
}

impl Clock {
    /// The system clock.
    pub const fn system() -> Self {
        Clock { fixed: None }
    }

    /// Always `epoch` (seconds since 1970-01-01 UTC).
    pub const fn fixed(epoch: u64) -> Self {
        Clock { fixed: Some(epoch) }
    }

    /// `E4DAX_TIME` if set (read once per process), else the system clock. A value that is not
    /// a number of seconds is an [`Error::Invalid`].
    pub fn from_env() -> Result<Self> {
        static ENV: OnceLock<std::result::Result<Option<u64>, String>> = OnceLock::new();
        let v = ENV.get_or_init(|| match std::env::var(ENV_VAR) {
            Ok(s) => parse_epoch(&s).map(Some),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!("{ENV_VAR} is not valid UTF-8")),
        });
        match v {
            Ok(fixed) => Ok(Clock { fixed: *fixed }),
            Err(e) => Err(Error::Invalid(e.clone())),
        }
    }

    /// The fixed time, if this clock has one.
    pub fn fixed_time(&self) -> Option<u64> {
        self.fixed
    }

    /// Seconds since the epoch.
    pub fn now(&self) -> u64 {
        self.fixed.unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
        })
    }
}

fn parse_epoch(s: &str) -> std::result::Result<u64, String> {
    s.trim().parse::<u64>().map_err(|_| format!("{ENV_VAR}='{s}' is not a time in seconds since the epoch"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_is_fixed() {
        let c = Clock::fixed(1_700_000_000);
        assert_eq!(c.now(), 1_700_000_000);
        assert_eq!(c.now(), c.now());
        assert_eq!(c.fixed_time(), Some(1_700_000_000));
    }

    #[test]
    fn system_clock_moves_forward_from_the_epoch() {
        assert!(Clock::system().now() > 1_600_000_000);
        assert_eq!(Clock::system().fixed_time(), None);
    }

    #[test]
    fn epoch_parsing() {
        assert_eq!(parse_epoch("42"), Ok(42));
        assert_eq!(parse_epoch(" 42\n"), Ok(42));
        assert!(parse_epoch("-1").is_err());
        assert!(parse_epoch("yesterday").is_err());
    }
}
