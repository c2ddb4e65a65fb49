//! Datasets in memory, how they are loaded from `[data]`, and how batches are drawn from them.
//!
//! INTERFACE SKETCH — the data helper replaces the bodies; the signatures are what the trainer uses.

use std::path::PathBuf;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::model::{Targets, TaskKind};

/// `[data]`: where the examples come from, and how a validation set is made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataConfig {
    /// Used when no test files are given: a seeded split of the training set.
    #[serde(default)]
    pub validation_split: f64,
    #[serde(flatten)]
    pub source: DataSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DataSource {
    Idx(IdxSource),
    Csv(CsvSource),
    SyntheticLinear(SyntheticLinearSource),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdxSource {
    pub train_images: PathBuf,
    pub train_labels: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_images: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_labels: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvSource {
    pub path: PathBuf,
    pub target: String,
    #[serde(default = "default_true")]
    pub header: bool,
}

fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticLinearSource {
    pub samples: usize,
    pub weights: Vec<f64>,
    pub bias: f64,
    pub noise: f64,
    pub x_min: f64,
    pub x_max: f64,
}

/// Path keys of `[data]` that are resolved against the config file's directory.
pub const PATH_KEYS: [&str; 5] = [
    "train_images",
    "train_labels",
    "test_images",
    "test_labels",
    "path",
];

/// Features of every example, row-major `(rows, cols)`.
#[derive(Debug, Clone)]
pub enum Features {
    /// Pixels as they came (u8); scaled to [0, 1] batch by batch.
    Bytes(Vec<u8>),
    Floats(Vec<f32>),
}

#[derive(Debug, Clone)]
pub enum Labels {
    Classes(Vec<u32>),
    Values(Vec<f32>),
}

#[derive(Debug, Clone)]
pub struct Dataset {
    pub features: Features,
    pub labels: Labels,
    pub rows: usize,
    pub cols: usize,
}

/// The training set, the optional validation set, and the number of outputs the model needs.
#[derive(Debug)]
pub struct Splits {
    pub train: Dataset,
    pub validation: Option<Dataset>,
    /// Classification: number of classes (max label + 1 over both sets). Regression: 1.
    pub outputs: usize,
}

/// A reusable batch buffer: filled in place, never reallocated once big enough.
#[derive(Debug, Default)]
pub struct Batch {
    pub x: Vec<f32>,
    pub classes: Vec<u32>,
    pub values: Vec<f32>,
    pub rows: usize,
}

impl Batch {
    pub fn targets(&self) -> Targets<'_> {
        todo!()
    }
}

impl Dataset {
    /// Copies the given rows into `batch` (features scaled to f32), allocating nothing when
    /// `batch` already has the capacity.
    pub fn fill_batch(&self, _rows: &[usize], _batch: &mut Batch) {
        todo!()
    }
}

/// Loads the training and validation sets. Paths are already absolute or relative to the cwd.
pub fn load(_cfg: &DataConfig, _task: TaskKind, _seed: u64) -> Result<Splits> {
    todo!()
}

/// Number of training rows (after any validation split) without reading more than headers where
/// the format allows; for `lrtrain schedule`.
pub fn train_rows(_cfg: &DataConfig, _seed: u64) -> Result<usize> {
    todo!()
}

/// Whether the run will have a validation set (test files, or a split > 0).
pub fn has_validation(cfg: &DataConfig) -> bool {
    match &cfg.source {
        DataSource::Idx(s) if s.test_images.is_some() => true,
        _ => cfg.validation_split > 0.0,
    }
}
