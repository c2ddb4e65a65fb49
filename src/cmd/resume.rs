//! `lrtrain resume RUN_DIR`: `train --resume` with the run's own config.toml, into that directory.

use anyhow::Result;

use crate::bail_usage;
use crate::cli::ResumeArgs;
use crate::config;

pub fn run(args: &ResumeArgs) -> Result<()> {
    let config_path = args.run.join("config.toml");
    if !config_path.is_file() {
        bail_usage!(
            "{}: not a run directory (no config.toml in it)",
            args.run.display()
        );
    }
    let extra: Vec<String> = args
        .epochs
        .map(|n| format!("train.epochs={n}"))
        .into_iter()
        .collect();
    let loaded = config::load(&config_path, &extra)?;
    super::train::train_into(
        &loaded,
        args.run.clone(),
        false,
        true,
        crate::progress::Verbosity::from_flags(args.quiet, args.verbose),
        &args.require,
    )
}
