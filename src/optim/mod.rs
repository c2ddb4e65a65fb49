//! Optimizers: each owns its state, never the rate (the schedule hands it the rate every step).
//!
//! INTERFACE SKETCH — the optimizer helper replaces the bodies; the signatures are what the trainer uses.

use anyhow::Result;
use serde::{Deserialize, Serialize};

pub trait Optimizer: Send {
    /// One update of `params` from `grads` at rate `lr`.
    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32);
}

/// `[optimizer]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    pub lr: f64,
    #[serde(default)]
    pub clip_norm: f64,
    #[serde(flatten)]
    pub kind: OptimizerKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptimizerKind {
    Sgd(SgdConfig),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SgdConfig {}

impl OptimizerConfig {
    /// Range checks, naming the key (`optimizer.lr: expected > 0, found -1`).
    pub fn validate(&self) -> Result<()> {
        todo!()
    }
    pub fn build(&self, _num_params: usize) -> Box<dyn Optimizer> {
        todo!()
    }
}

/// Global L2 norm of the gradient (accumulated in f64).
pub fn global_norm(_grads: &[f32]) -> f64 {
    todo!()
}

/// PyTorch's `clip_grad_norm_`: scale by max_norm / (norm + 1e-6) when that is below 1.
pub fn clip_to_norm(_grads: &mut [f32], _norm: f64, _max_norm: f64) {
    todo!()
}

impl Default for OptimizerConfig {
    fn default() -> Self {
        todo!()
    }
}

impl OptimizerConfig {
    pub fn resolve(&mut self) -> Result<()> {
        todo!()
    }
    pub fn lr0(&self) -> f64 {
        todo!()
    }
}
