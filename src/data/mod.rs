//! Datasets in memory and the `[data]` config types: what a source is, what a loaded dataset
//! holds. Reading sources into a [`Dataset`] is in [`load`](fn@load) (`load.rs`); drawing
//! batches from one in `batch.rs` ([`Batch`], [`Dataset::fill_batch`]).
//!
//! One file per source: [`idx`] (MNIST-style, raw or gzipped), [`csv`], [`synthetic`]
//! (`synthetic_linear`); [`split`] makes a validation set from `validation_split`.
//! Pixels stay `u8` in memory and are scaled to [0, 1] batch by batch into a reused [`Batch`].

mod batch;
pub mod cache;
pub mod csv;
mod huge_pages;
pub mod idx;
mod load;
mod memory;
pub mod number;
pub mod split;
pub mod synthetic;
pub mod tabular;

use std::path::PathBuf;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::model::TaskKind;

pub use batch::Batch;
pub use load::{has_validation, load, train_rows};

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

/// `kind = "idx"`: images and labels in IDX files, raw or gzipped. The test files, both or
/// neither, give the validation set.
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

/// `kind = "csv"`: one example per record, a target column and feature columns, numeric or
/// categorical; see [`tabular`] for how they become the model's inputs.
///
/// Keys added in version 2 are left out of the serialized config while they hold their default,
/// so a 0.1 run directory's config hash (and so its params.bin) still matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvSource {
    /// `.csv`, or gzipped `.csv.gz`.
    pub path: PathBuf,
    /// The target column: its name when `header = true`; its 0-based index written as a
    /// string (`"3"`) when `header = false`.
    pub target: String,
    /// Whether the first record names the columns.
    #[serde(default = "default_true")]
    pub header: bool,
    #[serde(default, skip_serializing_if = "tabular::is_default")]
    pub task: tabular::TaskChoice,
    /// The feature columns; empty = every column but the target and `ignore`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignore: Vec<String>,
    /// Feature columns to one-hot encode (besides those whose cells are all non-numeric).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categorical: Vec<String>,
    #[serde(default, skip_serializing_if = "tabular::is_default")]
    pub missing: tabular::MissingPolicy,
    /// Features as (x − mean) / std, mean and std of the training rows.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub standardize: bool,
    /// One ASCII character.
    #[serde(
        default = "tabular::default_delimiter",
        skip_serializing_if = "tabular::is_default_delimiter"
    )]
    pub delimiter: String,
    /// The decimal mark of the file's numbers: `"."` or `","` (added in 0.3).
    #[serde(default, skip_serializing_if = "tabular::is_default")]
    pub decimal: number::Decimal,
    /// Most levels a categorical column may have (each level is one input column).
    #[serde(
        default = "tabular::default_max_levels",
        skip_serializing_if = "tabular::is_default_max_levels"
    )]
    pub max_levels: usize,
}

impl CsvSource {
    /// A source with every version-2 key at its default.
    pub fn new(path: PathBuf, target: String, header: bool) -> CsvSource {
        CsvSource {
            path,
            target,
            header,
            task: Default::default(),
            features: Vec::new(),
            ignore: Vec::new(),
            categorical: Vec::new(),
            missing: Default::default(),
            standardize: false,
            delimiter: tabular::default_delimiter(),
            decimal: number::Decimal::Point,
            max_levels: tabular::default_max_levels(),
        }
    }
}

fn default_true() -> bool {
    true
}

/// `kind = "synthetic_linear"`: y = w·x + b + N(0, noise²), x uniform in [x_min, x_max) per
/// feature. Every key has a default (the SPEC's example); see [`synthetic`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticLinearSource {
    #[serde(default = "synthetic::default_samples")]
    pub samples: usize,
    /// One weight per feature.
    #[serde(default = "synthetic::default_weights")]
    pub weights: Vec<f64>,
    #[serde(default = "synthetic::default_bias")]
    pub bias: f64,
    /// Standard deviation of the Gaussian noise added to y.
    #[serde(default = "synthetic::default_noise")]
    pub noise: f64,
    #[serde(default = "synthetic::default_x_min")]
    pub x_min: f64,
    #[serde(default = "synthetic::default_x_max")]
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
    /// Classification: number of classes (CSV: the distinct labels; IDX: max label + 1 over both
    /// sets). Regression: 1.
    pub outputs: usize,
    /// The data's task: the model's, except that an MLP on a CSV follows `data.task`.
    pub task: TaskKind,
    /// CSV: what was fitted on the training rows, to apply again at eval/predict/export.
    pub preprocessing: Option<tabular::Preprocessing>,
    /// Things the user should hear about (rows dropped for missing cells).
    pub notes: Vec<String>,
}

impl Dataset {
    /// The largest class label, if the labels are classes.
    pub fn max_class(&self) -> Option<u32> {
        match &self.labels {
            Labels::Classes(v) => v.iter().copied().max(),
            Labels::Values(_) => None,
        }
    }
}

impl DataConfig {
    /// Checks the keys without reading any file: ranges, and which keys go together.
    pub fn validate(&self) -> Result<()> {
        split::check_fraction(self.validation_split)?;
        match &self.source {
            DataSource::Idx(s) => match (&s.test_images, &s.test_labels) {
                (Some(_), None) => bail!(
                    "data.test_labels: expected together with data.test_images, found only test_images"
                ),
                (None, Some(_)) => bail!(
                    "data.test_images: expected together with data.test_labels, found only test_labels"
                ),
                (Some(_), Some(_)) if self.validation_split != 0.0 => bail!(
                    "data.validation_split: expected 0 when test_images and test_labels give the validation set, found {}",
                    self.validation_split
                ),
                _ => {}
            },
            DataSource::Csv(s) => {
                if s.target.trim().is_empty() {
                    bail!(
                        "data.target: expected a column name (or a 0-based index when header = false), found \"\""
                    );
                }
                tabular::validate(s)?;
            }
            DataSource::SyntheticLinear(s) => s.validate()?,
        }
        Ok(())
    }

    /// Whether the validation set comes from separate test files rather than a split.
    fn has_test_files(&self) -> bool {
        matches!(
            &self.source,
            DataSource::Idx(IdxSource {
                test_images: Some(_),
                test_labels: Some(_),
                ..
            })
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An IDX config reading `DIR/{train,t10k}-…-ubyte.gz` (the test pair only if `test`).
    pub(super) fn idx_config(dir: &str, test: bool) -> DataConfig {
        let p = |f: &str| PathBuf::from(format!("{dir}/{f}-ubyte.gz"));
        DataConfig {
            validation_split: 0.0,
            source: DataSource::Idx(IdxSource {
                train_images: p("train-images-idx3"),
                train_labels: p("train-labels-idx1"),
                test_images: test.then(|| p("t10k-images-idx3")),
                test_labels: test.then(|| p("t10k-labels-idx1")),
            }),
        }
    }

    /// The whole error chain of a result that must be an error.
    pub(super) fn err(r: Result<impl std::fmt::Debug>) -> String {
        format!("{:#}", r.unwrap_err())
    }

    #[test]
    fn the_config_parses_from_toml_with_synthetic_defaults_and_round_trips() {
        let cfg: DataConfig =
            toml::from_str("kind = \"synthetic_linear\"\nsamples = 10\nbias = 1").unwrap();
        assert_eq!(cfg.validation_split, 0.0);
        assert_eq!(
            cfg.source,
            DataSource::SyntheticLinear(SyntheticLinearSource {
                samples: 10,
                bias: 1.0,
                ..Default::default()
            })
        );
        let back: DataConfig = toml::from_str(&toml::to_string(&cfg).unwrap()).unwrap();
        assert_eq!(back, cfg);
        let cfg: DataConfig = toml::from_str(
            "kind = \"csv\"\npath = \"a.csv\"\ntarget = \"y\"\nvalidation_split = 0.25",
        )
        .unwrap();
        assert_eq!(cfg.validation_split, 0.25);
        assert!(matches!(
            cfg.source,
            DataSource::Csv(CsvSource { header: true, .. })
        ));
        let text = "kind = \"synthetic_linear\"\nvalidation_split = 0\nweights = [1, 2]";
        let cfg: DataConfig = toml::from_str(text).unwrap();
        assert_eq!(cfg.validation_split, 0.0);
    }

    #[test]
    fn an_unknown_data_key_is_rejected_naming_it() {
        let e = toml::from_str::<DataConfig>(
            "kind = \"idx\"\ntrain_images = \"a\"\ntrain_labels = \"b\"\ntest_image = \"c\"",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("test_image"), "{e}");
    }

    #[test]
    fn test_files_come_both_or_neither_and_exclude_a_split() {
        let mut cfg = idx_config("/x", true);
        if let DataSource::Idx(s) = &mut cfg.source {
            s.test_labels = None;
        }
        assert!(
            err(load(&cfg, TaskKind::Classification, 0))
                .contains("data.test_labels: expected together with data.test_images")
        );
        let cfg = DataConfig {
            validation_split: 0.1,
            ..idx_config("/x", true)
        };
        assert!(err(cfg.validate()).contains("data.validation_split: expected 0 when test_images"));
        let cfg = DataConfig {
            validation_split: 1.5,
            ..idx_config("/x", false)
        };
        assert_eq!(
            err(load(&cfg, TaskKind::Classification, 0)),
            "data.validation_split: expected a number in [0, 1), found 1.5"
        );
    }
}
