//! One file per subcommand: each resolves its arguments and does the work.

pub mod check;
pub mod compare;
pub mod eval;
pub mod export;
pub mod find_lr;
pub mod predict;
pub mod resume;
pub mod schedule;
pub mod sweep;
pub mod train;

use anyhow::Result;

use crate::cli::ConfigArgs;
use crate::config::{self, LoadedConfig, Override};
use crate::data;
use crate::schedule::{LrSchedule, RunShape};
use crate::train::{Trainer, run_shape};

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

/// A config checked as far as it can be without training: by [`preflight`] (`check`, `compare`,
/// `find-lr`, and meant for `sweep`), so that a config they pass is one `train` accepts, or by
/// [`preview`] (`schedule`).
pub struct Preflight {
    pub shape: RunShape,
    pub schedule: LrSchedule,
    /// The schedule's lint warnings: legal but most likely a mistake.
    pub warnings: Vec<String>,
}

/// Runs every check `train` runs before its first step: the data is loaded exactly as `train`
/// loads it (files, headers, the target and feature columns, labels, missing cells, image sizes,
/// the split) and the model, optimizer and schedule are built on it (feature count against the
/// model, the task against the loss), then dropped. The data sets shipped here load in well under
/// a second, so checking the real thing is cheaper than keeping a second, partial set of checks
/// in step with `train`'s. Used by `check`, `compare` (for every config before the first run)
/// and `find-lr`; errors are usage errors (exit 2) naming the file.
pub fn preflight(loaded: &LoadedConfig) -> Result<Preflight> {
    let cfg = &loaded.config;
    // Through the cache: the runs that follow a check (compare, sweep) reuse this load.
    let splits =
        data::cache::load(&cfg.data, cfg.model.task(), cfg.seed).map_err(|e| loaded.usage(e))?;
    // One thread: nothing is trained, so a pool for every core would only cost.
    Trainer::new(cfg, &splits, 1).map_err(|e| loaded.usage(e))?;
    let shape = run_shape(cfg, splits.train.rows, splits.validation.is_some());
    with_schedule(loaded, shape)
}

/// What `lrtrain schedule` needs to draw the schedule: the config and the schedule's keys, and
/// the data's headers only (to count the training rows), so a schedule can be previewed before
/// the data is complete. `steps_per_epoch` overrides what the data and batch size give
/// (`--steps-per-epoch`; the data is then not read at all).
pub fn preview(loaded: &LoadedConfig, steps_per_epoch: Option<usize>) -> Result<Preflight> {
    let cfg = &loaded.config;
    let has_validation = data::has_validation(&cfg.data);
    let shape = match steps_per_epoch {
        Some(steps) => {
            // The shape's other fields do not depend on the row count.
            let mut shape = run_shape(cfg, 1, has_validation);
            shape.steps_per_epoch = steps;
            shape
        }
        None => {
            let rows = data::train_rows(&cfg.data, cfg.seed).map_err(|e| loaded.usage(e))?;
            run_shape(cfg, rows, has_validation)
        }
    };
    with_schedule(loaded, shape)
}

/// The schedule built and linted for `shape`.
fn with_schedule(loaded: &LoadedConfig, mut shape: RunShape) -> Result<Preflight> {
    let cfg = &loaded.config;
    let mut tabular_warnings = Vec::new();
    // An MLP on CSV data serves the data's task (a regression target makes it a regressor),
    // and warns when its features' scales differ > 100× without standardize (SPEC).
    if let (data::DataSource::Csv(s), crate::model::ModelConfig::Mlp(_)) =
        (&cfg.data.source, &cfg.model)
        && let Ok(t) = data::tabular::load(s, cfg.model.task(), cfg.data.validation_split, cfg.seed)
    {
        shape.classification = t.preprocessing.task == crate::model::TaskKind::Classification;
        tabular_warnings.extend(
            t.notes
                .into_iter()
                .filter_map(|n| n.strip_prefix("warning: ").map(str::to_owned)),
        );
    }
    let lr0 = cfg.optimizer.lr0();
    let schedule = LrSchedule::new(&cfg.schedule, lr0, &shape).map_err(|e| loaded.usage(e))?;
    if let Some(es) = &cfg.train.early_stopping {
        // The parameter count does not matter to the checks.
        es.build(&shape, 0).map_err(|e| loaded.usage(e))?;
    }
    if let Some(decay) = cfg.train.ema {
        crate::train::ema::Ema::new(decay, 0).map_err(|e| loaded.usage(e))?;
    }
    let mut warnings = LrSchedule::lint(&cfg.schedule, lr0, &shape);
    if let Some(m) = schedule.momentum(0, 0) {
        let mut optimizer = cfg.optimizer.build(&crate::optim::Layout::flat(0));
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
    warnings.extend(tabular_warnings);

    Ok(Preflight {
        shape,
        schedule,
        warnings,
    })
}
