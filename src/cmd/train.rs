//! `lrtrain train`: load and validate the config, train into the run directory (or go on from
//! its checkpoint with `--resume`), check the `--require` bars.

use std::path::PathBuf;

use anyhow::Result;

use crate::bail_usage;
use crate::cli::TrainArgs;
use crate::config::{LoadedConfig, Override};
use crate::data;
use crate::error::RequirementMissed;
use crate::error::interrupt;
use crate::model::TaskKind;
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
    refuse_unmeasurable(loaded, &requirements)?;
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

/// Refuses, before training (exit 2), a `--require` bar on a column this run never fills.
fn refuse_unmeasurable(loaded: &LoadedConfig, requirements: &[Requirement]) -> Result<()> {
    for r in requirements {
        if let Some(why) = unmeasurable(loaded, r)? {
            bail_usage!("--require {r}: {why}; expected a metric the run measures");
        }
    }
    Ok(())
}

/// Why the runs of `loaded` never fill the column of `r`, if they do not: the accuracy of a
/// regression, `val_*` without a validation set, `*_ema` without `[train] ema`, `effective_lr`
/// of an optimizer with a rate of its own. Shared with `compare` and `sweep`. (The data is read
/// through the process's cache, so the run itself does not read it again.)
pub(super) fn unmeasurable(loaded: &LoadedConfig, r: &Requirement) -> Result<Option<&'static str>> {
    let cfg = &loaded.config;
    let splits =
        data::cache::load(&cfg.data, cfg.model.task(), cfg.seed).map_err(|e| loaded.usage(e))?;
    let m = r.metric.as_str();
    Ok(
        if m.contains("accuracy") && splits.task == TaskKind::Regression {
            Some("the run is a regression, which has no accuracy")
        } else if m.starts_with("val_") && splits.validation.is_none() {
            Some("the run has no validation set (no test files, data.validation_split = 0)")
        } else if m.ends_with("_ema") && cfg.train.ema.is_none() {
            Some("the run has no averaged weights (no train.ema)")
        } else if m == "effective_lr" && !cfg.optimizer.learning_rate_free() {
            Some("the optimizer is not learning-rate-free, so it has no effective_lr")
        } else {
            None
        },
    )
}
