//! `lrtrain train`: load and validate the config, train into the run directory (or go on from
//! its checkpoint with `--resume`), check the `--require` bars.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::TrainArgs;
use crate::config::{LoadedConfig, Override};
use crate::error::RequirementMissed;
use crate::error::interrupt;
use crate::run::progress::Verbosity;
use crate::run::require::Requirement;
use crate::run::{self, RunOptions};

pub fn run(args: &TrainArgs) -> Result<()> {
    let mut extra = Vec::new();
    if let Some(seed) = args.seed {
        extra.push(Override::flag("--seed", "seed", seed));
    }
    if let Some(epochs) = args.epochs {
        extra.push(Override::flag("--epochs", "train.epochs", epochs));
    }
    let loaded = super::load_config(&args.config, &extra, args.quiet)?;
    let out = loaded.run_dir(args.out.as_deref());
    train_into(
        &loaded,
        out,
        args.force,
        args.resume,
        Verbosity::from_flags(args.quiet, args.verbose),
        &args.require,
    )
}

/// Trains `loaded` into `out` (fresh, or resumed from its checkpoint) and checks the bars.
/// Shared with `lrtrain resume`.
pub fn train_into(
    loaded: &LoadedConfig,
    out: PathBuf,
    force: bool,
    resume: bool,
    verbosity: Verbosity,
    require: &[String],
) -> Result<()> {
    let requirements = require
        .iter()
        .map(|r| Requirement::parse(r))
        .collect::<Result<Vec<_>>>()?;
    let opts = RunOptions {
        out,
        force,
        verbosity,
        label: String::new(),
        threads: None,
        stop_after: None,
    };
    interrupt::install();
    let outcome = match resume {
        true => run::resume(loaded, &opts)?,
        false => run::execute(loaded, &opts)?,
    };
    if let Some(err) = outcome.error {
        return Err(err);
    }
    if !verbosity.is_quiet() {
        eprintln!("wrote {}", outcome.dir.path.display());
    }
    let missed: Vec<String> = requirements
        .iter()
        .filter_map(|r| outcome.rows.last().and_then(|m| r.check(m)))
        .collect();
    if !missed.is_empty() {
        let dir = outcome.dir.path.display();
        return Err(RequirementMissed(format!("{dir}: {}", missed.join("; "))).into());
    }
    Ok(())
}
