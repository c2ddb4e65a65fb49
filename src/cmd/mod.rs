//! One file per subcommand: each resolves its arguments and does the work.

pub mod check;
pub mod compare;
pub mod eval;
pub mod find_lr;
pub mod resume;
pub mod schedule;
pub mod train;

use anyhow::Result;

use crate::cli::ConfigArgs;
use crate::config::{self, LoadedConfig};

/// Loads the config with `--set` and any extra overrides the subcommand adds.
pub fn load_config(args: &ConfigArgs, extra: &[String]) -> Result<LoadedConfig> {
    let mut overrides = args.set.clone();
    overrides.extend_from_slice(extra);
    config::load(&args.config, &overrides)
}
