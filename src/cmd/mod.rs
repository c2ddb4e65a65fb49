//! One file per subcommand: each resolves its arguments and does the work.

pub mod check;
pub mod compare;
pub mod eval;
pub mod export;
pub mod find_lr;
pub mod predict;
pub mod resume;
pub mod schedule;
pub mod train;
pub mod trained;

use anyhow::Result;

use crate::cli::ConfigArgs;
use crate::config::{self, LoadedConfig};
use crate::data;
use crate::schedule::{LrSchedule, RunShape};
use crate::train::run_shape;

/// Loads the config with `--set` and any extra overrides the subcommand adds.
pub fn load_config(args: &ConfigArgs, extra: &[String]) -> Result<LoadedConfig> {
    let mut overrides = args.set.clone();
    overrides.extend_from_slice(extra);
    config::load(&args.config, &overrides)
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
    let mut warnings = LrSchedule::lint(&cfg.schedule, lr0, &shape);
    warnings.extend(tabular_warnings);

    Ok(Preflight {
        shape,
        schedule,
        warnings,
    })
}
