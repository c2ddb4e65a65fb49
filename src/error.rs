//! Error kinds that decide the exit code; everything else is an I/O or internal failure (1). The
//! signals that stop a command, and the exit code they give, are in `error/interrupt.rs`.

pub mod interrupt;

use std::fmt;

/// Bad usage, config or data: nothing was trained. Exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for UsageError {}

/// The loss became NaN or infinite. Exit code 3.
#[derive(Debug)]
pub struct Diverged {
    /// 0-based, as in metrics.csv; shown counted from 1.
    pub epoch: usize,
    pub message: String,
}

impl fmt::Display for Diverged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "training diverged in epoch {}: {}",
            self.epoch + 1,
            self.message
        )
    }
}
impl std::error::Error for Diverged {}

/// A `--require` bar was missed. Exit code 4.
#[derive(Debug)]
pub struct RequirementMissed(pub String);

impl fmt::Display for RequirementMissed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for RequirementMissed {}

/// Training was interrupted by SIGINT or SIGTERM. Exit code 130 or 143 (128 + the signal's
/// number, see [`crate::error::interrupt::exit_code`]).
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted")
    }
}
impl std::error::Error for Interrupted {}

/// True when the run stopped because SIGINT or SIGTERM asked it to.
pub fn is_interrupted(err: &anyhow::Error) -> bool {
    err.chain().any(|c| c.is::<Interrupted>())
}

/// The one place where an error becomes an exit code.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    for cause in err.chain() {
        if cause.is::<UsageError>() {
            return 2;
        }
        if cause.is::<Diverged>() {
            return 3;
        }
        if cause.is::<RequirementMissed>() {
            return 4;
        }
        if cause.is::<Interrupted>() {
            return interrupt::exit_code();
        }
    }
    1
}

/// `bail_usage!("schedule.decay_steps: expected > 0, found {x}")` returns a usage error (exit 2).
#[macro_export]
macro_rules! bail_usage {
    ($($arg:tt)*) => {
        return Err(anyhow::Error::new($crate::error::UsageError(format!($($arg)*))))
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn usage_errors_map_to_exit_2_even_under_context() {
        let e = anyhow::Error::new(UsageError("bad".into())).context("reading x.toml");
        assert_eq!(exit_code(&e), 2);
    }

    #[test]
    fn plain_errors_map_to_exit_1() {
        let e: anyhow::Error = Err::<(), _>(std::io::Error::other("disk"))
            .context("writing")
            .unwrap_err();
        assert_eq!(exit_code(&e), 1);
    }

    #[test]
    fn diverged_maps_to_3_and_requirement_to_4() {
        let d = anyhow::Error::new(Diverged {
            epoch: 1,
            message: "nan".into(),
        });
        assert_eq!(exit_code(&d), 3);
        assert_eq!(
            exit_code(&anyhow::Error::new(RequirementMissed("x".into()))),
            4
        );
        // No signal arrived in this process: SIGINT's code.
        assert_eq!(exit_code(&anyhow::Error::new(Interrupted)), 130);
    }
}
