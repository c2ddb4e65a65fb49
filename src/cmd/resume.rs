//! `lrtrain resume RUN_DIR`: `train --resume` with the run's own config.toml, into that directory.

use anyhow::Result;

use crate::cli::ResumeArgs;
use crate::config::paths;
use crate::config::{self, Override};

pub fn run(args: &ResumeArgs) -> Result<()> {
    let extra: Vec<Override> = args
        .epochs
        .map(|n| Override::flag("--epochs", "train.epochs", n))
        .into_iter()
        .collect();
    let loaded = config::load_run(&args.run, &extra)?;
    super::train::train_into(
        &loaded,
        paths::absolute(&args.run),
        false,
        true,
        crate::run::progress::Verbosity::from_flags(args.quiet, args.verbose),
        &args.require,
    )
}
