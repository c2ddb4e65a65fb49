//! The network: layers over one flat parameter buffer, a loss head, preallocated workspace.
//!
//! INTERFACE SKETCH — the model helper replaces the bodies; the signatures are what the trainer uses.

use anyhow::Result;
use serde::{Deserialize, Serialize};

/// `[model]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelConfig {
    Mlp(MlpConfig),
    Linear(LinearConfig),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpConfig {
    pub hidden: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearConfig {}

/// What the model predicts, which decides how data labels are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Classification,
    Regression,
}

/// One batch's targets.
#[derive(Debug, Clone, Copy)]
pub enum Targets<'a> {
    /// Class index per row.
    Classes(&'a [u32]),
    /// One value per row (regression).
    Values(&'a [f32]),
}

/// Loss (mean over the batch) and number of correct predictions (classification only).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BatchResult {
    pub loss: f64,
    pub correct: usize,
}

impl ModelConfig {
    pub fn task(&self) -> TaskKind {
        todo!()
    }
    pub fn validate(&self) -> Result<()> {
        todo!()
    }
}

pub struct Network {}

impl Network {
    /// `max_batch`: the largest batch `loss_and_grad` will see; `threads` ≥ 1.
    pub fn new(
        _cfg: &ModelConfig,
        _inputs: usize,
        _outputs: usize,
        _max_batch: usize,
        _threads: usize,
        _seed: u64,
    ) -> Result<Network> {
        todo!()
    }
    pub fn max_batch(&self) -> usize {
        todo!()
    }
    pub fn num_params(&self) -> usize {
        todo!()
    }
    pub fn params(&self) -> &[f32] {
        todo!()
    }
    pub fn params_mut(&mut self) -> &mut [f32] {
        todo!()
    }
    /// x: (n, inputs) row-major. Overwrites `grads` with d(mean loss)/d(params).
    pub fn loss_and_grad(
        &mut self,
        _x: &[f32],
        _t: Targets<'_>,
        _grads: &mut [f32],
    ) -> BatchResult {
        todo!()
    }
    /// Loss (mean) and correct count of a forward pass only; n ≤ `max_batch`.
    pub fn evaluate(&mut self, _x: &[f32], _t: Targets<'_>) -> BatchResult {
        todo!()
    }
    /// A linear model's learned (weights, bias); `None` for an MLP.
    pub fn linear_coefficients(&self) -> Option<(Vec<f32>, f32)> {
        todo!()
    }
}

impl Default for ModelConfig {
    fn default() -> Self {
        todo!()
    }
}
