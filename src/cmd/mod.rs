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
use crate::config::{self, LoadedConfig, Override};
use crate::data;
use crate::schedule::{LrSchedule, RunShape};
use crate::train::run_shape;

/// Loads the config with `--set` and any extra overrides the subcommand's flags add (`--epochs`),
/// and prints the notes of kind switches on stderr unless `quiet`.
pub fn load_config(args: &ConfigArgs, extra: &[Override], quiet: bool) -> Result<LoadedConfig> {
    let mut overrides: Vec<Override> = args.set.iter().map(|s| Override::set(s)).collect();
    overrides.extend_from_slice(extra);
    let loaded = config::load_with(&args.config, &overrides)?;
    if !quiet {
        for note in &loaded.notes {
            eprintln!("note: {note}");
        }
    }
    Ok(loaded)
}

/// A config checked as far as it can be without training: the data files' headers (to count
/// the training rows) and the schedule's keys against the run's shape. `steps_per_epoch`
/// overrides what the data and batch size give (`schedule --steps-per-epoch`).
pub struct Preflight {
    pub shape: RunShape,
    pub schedule: LrSchedule,
    /// The schedule's lint warnings: legal but most likely a mistake.
    pub warnings: Vec<String>,
}

pub fn preflight(loaded: &LoadedConfig, steps_per_epoch: Option<usize>) -> Result<Preflight> {
    let cfg = &loaded.config;
    let has_validation = data::has_validation(&cfg.data);
    let mut shape = match steps_per_epoch {
        // The shape's other fields do not depend on the row count.
        Some(_) => run_shape(cfg, 1, has_validation),
        None => {
            let rows = data::train_rows(&cfg.data, cfg.seed).map_err(|e| loaded.usage(e))?;
            run_shape(cfg, rows, has_validation)
        }
    };
    if let Some(steps) = steps_per_epoch {
        shape.steps_per_epoch = steps;
    }
    let lr0 = cfg.optimizer.lr0();
    let schedule = LrSchedule::new(&cfg.schedule, lr0, &shape).map_err(|e| loaded.usage(e))?;
    if let Some(es) = &cfg.train.early_stopping {
        // The parameter count does not matter to the checks.
        es.build(&shape, 0).map_err(|e| loaded.usage(e))?;
    }
    if let Some(decay) = cfg.train.ema {
        crate::ema::Ema::new(decay, 0).map_err(|e| loaded.usage(e))?;
    }
    let mut warnings = LrSchedule::lint(&cfg.schedule, lr0, &shape);
    if let Some(m) = schedule.momentum(0, 0) {
        let mut optimizer = cfg.optimizer.build(0);
        let before = optimizer.momentum();
        if !optimizer.set_momentum(m) {
            return Err(loaded.usage(crate::train::cycle_refused(cfg)));
        }
        if before == Some(0.0) {
            warnings.push(
                "schedule.cycle_momentum = true (the default) cycles optimizer.momentum, which is 0: the optimizer becomes a momentum method, as in PyTorch; set schedule.cycle_momentum = false to keep it without".to_string(),
            );
        }
    }
    Ok(Preflight {
        shape,
        schedule,
        warnings,
    })
}
