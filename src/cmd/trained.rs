//! A finished run opened for use: its config, final parameters and, for CSV data, the fitted
//! preprocessing; shared by `predict` and `export` (and `eval`'s CSV path).

use std::path::Path;

use anyhow::Result;

use crate::bail_usage;
use crate::config::{self, RunConfig};
use crate::data::tabular::{PREPROCESSING_FILE, Preprocessing};
use crate::data::{self, DataSource, idx};
use crate::model::{Network, TaskKind};

/// Rows per forward pass when predicting or evaluating.
pub const CHUNK: usize = 1024;

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
        let loaded = config::load_run(dir, &[])?;
        let params = super::eval::load_params(dir, &loaded)?;
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
            None => (
                cfg.model.task(),
                super::eval::outputs_for(&cfg, inputs, params.len())?,
            ),
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
