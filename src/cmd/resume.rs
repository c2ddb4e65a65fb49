//! `lrtrain resume RUN_DIR`: `train --resume` with the run's own config.toml, into that directory.

use anyhow::Result;

use crate::bail_usage;
use crate::cli::ResumeArgs;
use crate::config::{self, Override};

pub fn run(args: &ResumeArgs) -> Result<()> {
    let config_path = args.run.join("config.toml");
    if !config_path.is_file() {
        bail_usage!(
            "{}: not a run directory (no config.toml in it)",
            args.run.display()
        );
    }
    let extra: Vec<Override> = args
        .epochs
        .map(|n| Override::flag("--epochs", "train.epochs", n))
        .into_iter()
        .collect();
    let loaded = config::load_with(&config_path, &extra)?;
    super::train::train_into(
        &loaded,
        args.run.clone(),
        false,
        true,
        args.quiet,
        &args.require,
    )
}
