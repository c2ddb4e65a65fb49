//! A finished run opened for use: its config, final parameters (the raw ones, or with `--ema` the
//! average of `[train] ema`) and, for CSV data, the fitted preprocessing; shared by `predict`,
//! `export` and `eval`. Also the final parameters read back and checked against the run's config.

use std::path::Path;

use anyhow::Result;

use super::checkpoint::{self, CHECKPOINT_FILE, Checkpoint, PARAMS_EMA_FILE, PARAMS_FILE};
use crate::bail_usage;
use crate::config::{self, LoadedConfig, RunConfig};
use crate::data::tabular::{PREPROCESSING_FILE, Preprocessing};
use crate::data::{self, DataSource, idx};
use crate::model::{Network, TaskKind};
use crate::optim::Layout;
use crate::train::TrainState;

/// Rows per forward pass when predicting or evaluating.
pub const CHUNK: usize = 1024;

/// Which of a run's parameters to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Weights {
    /// `params.bin` (else the checkpoint's evaluation point).
    #[default]
    Raw,
    /// `--ema`: `params_ema.bin` (else the checkpoint's average); a run without `[train] ema`
    /// is refused.
    Ema,
}

impl Weights {
    pub fn from_flag(ema: bool) -> Weights {
        if ema { Weights::Ema } else { Weights::Raw }
    }
}

pub struct Trained {
    pub config: RunConfig,
    pub params: Vec<f32>,
    /// CSV runs: what training fitted; `None` for IDX and synthetic data.
    pub preprocessing: Option<Preprocessing>,
    pub task: TaskKind,
    pub inputs: usize,
    pub outputs: usize,
}

impl Trained {
    /// Opens `dir`: a usage error (exit 2) when it is no run directory, has no parameters yet,
    /// or its files disagree. A CSV run written before `preprocessing.json` existed (0.1) is
    /// fitted again from its training file, which gives what that version applied.
    pub fn open(dir: &Path) -> Result<Trained> {
        Trained::open_weights(dir, Weights::Raw)
    }

    /// [`Trained::open`] with the given parameters (`--ema`).
    pub fn open_weights(dir: &Path, weights: Weights) -> Result<Trained> {
        let loaded = config::load_run(dir, &[])?;
        let params = load_weights(dir, &loaded, weights)?;
        let cfg = loaded.config;
        let (preprocessing, inputs) = match &cfg.data.source {
            DataSource::Csv(_) => {
                let file = dir.join(PREPROCESSING_FILE);
                let p = if file.exists() {
                    Preprocessing::read(&file)?
                } else {
                    data::load(&cfg.data, cfg.model.task(), cfg.seed)
                        .map_err(|e| {
                            crate::error::UsageError(format!(
                                "{}: no {PREPROCESSING_FILE}, and refitting it from the training data failed: {e:#}",
                                dir.display()
                            ))
                        })?
                        .preprocessing
                        .expect("CSV data is preprocessed")
                };
                let width = p.width();
                (Some(p), width)
            }
            DataSource::Idx(s) => (None, idx::read_images(&s.train_images)?.pixels_per_image()),
            DataSource::SyntheticLinear(s) => (None, s.weights.len()),
        };
        let (task, outputs) = match &preprocessing {
            Some(p) => (p.task, p.outputs()),
            None => (cfg.model.task(), outputs_for(&cfg, inputs, params.len())?),
        };
        let expected: usize = {
            let mut fan_in = inputs;
            cfg.model
                .widths(outputs)
                .iter()
                .map(|&w| {
                    let n = fan_in * w + w;
                    fan_in = w;
                    n
                })
                .sum()
        };
        if expected != params.len() {
            bail_usage!(
                "{}: holds {} parameters; the run's model with {inputs} inputs and {outputs} outputs has {expected} (was {PREPROCESSING_FILE} or the data replaced?)",
                dir.display(),
                params.len()
            );
        }
        Ok(Trained {
            config: cfg,
            params,
            preprocessing,
            task,
            inputs,
            outputs,
        })
    }

    /// The network with the run's parameters, for batches of up to `rows` rows.
    pub fn network(&self, rows: usize) -> Result<Network> {
        let mut net = Network::for_task(
            &self.config.model,
            self.task,
            self.inputs,
            self.outputs,
            rows.clamp(1, CHUNK),
            config::resolve_threads(self.config.threads),
            0,
        )?;
        net.params_mut().copy_from_slice(&self.params);
        Ok(net)
    }
}

/// The final raw or averaged parameters, checked against the run's config.
pub fn load_weights(dir: &Path, loaded: &LoadedConfig, weights: Weights) -> Result<Vec<f32>> {
    match weights {
        Weights::Raw => load_params(dir, loaded),
        Weights::Ema => load_ema_params(dir, loaded),
    }
}

/// The averaged parameters of `[train] ema` (`--ema`): params_ema.bin, else the checkpoint's
/// average; a run without `[train] ema` is refused with a line saying so.
fn load_ema_params(dir: &Path, loaded: &LoadedConfig) -> Result<Vec<f32>> {
    if loaded.config.train.ema.is_none() {
        bail_usage!(
            "{}: --ema: the run has no averaged weights (its config has no train.ema)",
            dir.display()
        );
    }
    let params = read_checked(
        dir,
        loaded,
        PARAMS_EMA_FILE,
        |c| c.state.ema,
        || {
            format!(
                "{}: --ema: no {PARAMS_EMA_FILE} or {CHECKPOINT_FILE} (the run has not finished an epoch)",
                dir.display()
            )
        },
    )?;
    if params.is_empty() {
        bail_usage!(
            "{}: --ema: the run holds no averaged weights yet (it has not taken a step)",
            dir.display()
        );
    }
    Ok(params)
}

/// The final parameters, checked against the run's config.
pub fn load_params(dir: &Path, loaded: &LoadedConfig) -> Result<Vec<f32>> {
    read_checked(
        dir,
        loaded,
        PARAMS_FILE,
        |c| eval_point(&loaded.config, &c.state),
        || {
            format!(
                "{}: no {PARAMS_FILE} or {CHECKPOINT_FILE} (the run has not written a checkpoint yet, or was written by an older lrtrain)",
                dir.display()
            )
        },
    )
}

/// A weights file of the run (`name`: params.bin or params_ema.bin), else what `from_checkpoint`
/// takes from checkpoint.bin; refused (exit 2) when neither exists (`missing` says why) or when
/// the file's config hash is not the run's config.
fn read_checked(
    dir: &Path,
    loaded: &LoadedConfig,
    name: &str,
    from_checkpoint: impl FnOnce(Checkpoint) -> Vec<f32>,
    missing: impl FnOnce() -> String,
) -> Result<Vec<f32>> {
    let (hash, params, file) = if dir.join(name).exists() {
        let file = dir.join(name);
        let (hash, params) = checkpoint::read_params(&file)?;
        (hash, params, file)
    } else if dir.join(CHECKPOINT_FILE).exists() {
        let file = dir.join(CHECKPOINT_FILE);
        let c = Checkpoint::read(&file)?;
        (c.config_hash, from_checkpoint(c), file)
    } else {
        bail_usage!("{}", missing());
    };
    if !config::hash::belongs_to(hash, loaded) {
        bail_usage!(
            "{}: belongs to another config than {} (was config.toml edited?)",
            file.display(),
            dir.join("config.toml").display()
        );
    }
    Ok(params)
}

/// What params.bin holds for a checkpoint's state: the optimizer's evaluation point
/// (schedule-free: the average x, from y and z) where it has one, else the parameters.
fn eval_point(cfg: &RunConfig, s: &TrainState) -> Vec<f32> {
    // Only element-wise optimizers have an evaluation point, so a flat layout suffices; state
    // that does not fit it (Adafactor's per-row buffers) belongs to one that has none.
    let mut opt = cfg.optimizer.build(&Layout::flat(s.params.len()));
    let mut buffers = opt.state_buffers_mut();
    let fits = buffers.len() == s.optimizer_buffers.len()
        && buffers
            .iter()
            .zip(&s.optimizer_buffers)
            .all(|(b, saved)| b.len() == saved.len());
    if !fits {
        return s.params.clone();
    }
    for (b, saved) in buffers.iter_mut().zip(&s.optimizer_buffers) {
        b.copy_from_slice(saved);
    }
    drop(buffers);
    if opt.scalar_state().len() != s.optimizer_scalars.len() {
        return s.params.clone();
    }
    opt.set_scalar_state(&s.optimizer_scalars);
    opt.set_step_count(s.optimizer_steps);
    let mut out = s.params.clone();
    opt.eval_params(&s.params, &mut out);
    out
}

/// The model's output width: the one for which the layers hold `num_params` parameters with
/// `inputs` features (classification learns it from the training labels).
pub fn outputs_for(cfg: &RunConfig, inputs: usize, num_params: usize) -> Result<usize> {
    let count = |outputs: usize| {
        let mut fan_in = inputs as u128;
        let mut n = 0u128;
        for w in cfg.model.widths(outputs) {
            n += fan_in * w as u128 + w as u128;
            fan_in = w as u128;
        }
        n
    };
    if cfg.model.task() == TaskKind::Regression {
        if count(1) == num_params as u128 {
            return Ok(1);
        }
    } else {
        // count(o) grows by (last hidden width + 1) per output.
        let (c2, c3) = (count(2), count(3));
        let per = c3 - c2;
        let n = num_params as u128;
        if n >= c2 && (n - c2).is_multiple_of(per) {
            return Ok(2 + ((n - c2) / per) as usize);
        }
    }
    bail_usage!(
        "the data has {inputs} features per row; the run's model was trained on a different number"
    )
}
