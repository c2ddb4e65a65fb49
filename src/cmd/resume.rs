//! `lrtrain resume RUN_DIR`: `train --resume` with the run's own config.toml, into that directory.

use anyhow::Result;

use crate::cli::ResumeArgs;
use crate::config;
use crate::paths;

pub fn run(args: &ResumeArgs) -> Result<()> {
    let extra: Vec<String> = args
        .epochs
        .map(|n| format!("train.epochs={n}"))
        .into_iter()
        .collect();
    let loaded = config::load_run(&args.run, &extra)?;
    super::train::train_into(
        &loaded,
        paths::absolute(&args.run),
        false,
        true,
        crate::progress::Verbosity::from_flags(args.quiet, args.verbose),
        &args.require,
    )
}
