//! Datasets in memory, how they are loaded from `[data]`, and how batches are drawn from them.
//!
//! One file per source: [`idx`] (MNIST-style, raw or gzipped), [`csv`], [`synthetic`]
//! (`synthetic_linear`); [`split`] makes a validation set from `validation_split`.
//! Pixels stay `u8` in memory and are scaled to [0, 1] batch by batch into a reused [`Batch`].

pub mod cache;
pub mod csv;
pub mod idx;
mod memory;
pub mod split;
pub mod synthetic;
pub mod tabular;

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::model::team::{self, Disjoint};
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

/// A reusable batch buffer: filled in place, never reallocated once big enough.
#[derive(Debug, Default)]
pub struct Batch {
    pub x: Vec<f32>,
    pub classes: Vec<u32>,
    pub values: Vec<f32>,
    pub rows: usize,
}

impl Batch {
    /// The targets of the `rows` examples last filled in.
    pub fn targets(&self) -> Targets<'_> {
        // fill_batch empties the kind it does not fill, so a non-empty `values` means regression.
        if self.values.is_empty() {
            Targets::Classes(self.classes.get(..self.rows).unwrap_or(&self.classes))
        } else {
            Targets::Values(self.values.get(..self.rows).unwrap_or(&self.values))
        }
    }
}

impl Dataset {
    /// Copies the given rows into `batch` (features scaled to f32), allocating nothing when
    /// `batch` already has the capacity. Afterwards `batch.x.len() == rows.len() * self.cols`
    /// and exactly one of `batch.classes` / `batch.values` holds `rows.len()` targets.
    ///
    /// # Panics
    /// If a row index is `>= self.rows` (indices come from the trainer, never from a file).
    pub fn fill_batch(&self, rows: &[usize], batch: &mut Batch) {
        let c = self.cols;
        // `resize` reallocates only when capacity is short; every element is overwritten below.
        batch.x.resize(rows.len() * c, 0.0);
        if c > 0 {
            match &self.features {
                Features::Bytes(v) => scale_rows(v, c, rows, &mut batch.x),
                Features::Floats(v) => {
                    for (dst, &r) in batch.x.chunks_exact_mut(c).zip(rows) {
                        dst.copy_from_slice(&v[r * c..(r + 1) * c]);
                    }
                }
            }
        }
        match &self.labels {
            Labels::Classes(v) => {
                batch.values.clear();
                batch.classes.clear();
                batch.classes.extend(rows.iter().map(|&r| v[r]));
            }
            Labels::Values(v) => {
                batch.classes.clear();
                batch.values.clear();
                batch.values.extend(rows.iter().map(|&r| v[r]));
            }
        }
        batch.rows = rows.len();
    }

    /// Asks the CPU to start fetching the feature bytes of `rows` (the next batch's) into the
    /// caches, so the next [`Dataset::fill_batch`] finds them there instead of waiting on memory
    /// for each randomly chosen row. No effect on results.
    pub fn prefetch_rows(&self, rows: &[usize]) {
        let c = self.cols;
        if let Features::Bytes(v) = &self.features {
            for &r in rows {
                prefetch(&v[r * c..(r + 1) * c]);
            }
        }
    }

    /// The largest class label, if the labels are classes.
    pub fn max_class(&self) -> Option<u32> {
        match &self.labels {
            Labels::Classes(v) => v.iter().copied().max(),
            Labels::Values(_) => None,
        }
    }
}

/// Rows per thread below which a batch is scaled on one thread (a fork costs a few µs; 64 rows
/// ≈ 10 µs).
const SPLIT_MIN_ROWS: usize = 64;

/// Scales the pixel rows `rows` of `pixels` (`c` bytes each) into `dst` (`rows.len() · c`).
/// Inside a team of several threads (the trainer fills batches with the network's team
/// installed) each thread scales a contiguous share of the rows, if there are at least
/// [`SPLIT_MIN_ROWS`] per thread: each element is computed the same way whichever thread does
/// it, so the batch is bit-identical for any thread count.
fn scale_rows(pixels: &[u8], c: usize, rows: &[usize], dst: &mut [f32]) {
    let threads = team::current_threads();
    if threads > 1 && rows.len() >= threads * SPLIT_MIN_ROWS {
        let share = rows.len().div_ceil(threads);
        let dst = Disjoint::new(dst);
        team::split(threads, &|i| {
            let r = &rows[(i * share).min(rows.len())..((i + 1) * share).min(rows.len())];
            // SAFETY: part i alone takes the destination rows of its share.
            let d = unsafe { dst.range(i * share * c..(i * share + r.len()) * c) };
            scale_share(pixels, c, r, d);
        });
        return;
    }
    scale_share(pixels, c, rows, dst);
}

fn scale_share(pixels: &[u8], c: usize, rows: &[usize], dst: &mut [f32]) {
    for (i, (dst, &r)) in dst.chunks_exact_mut(c).zip(rows).enumerate() {
        if let Some(&ahead) = rows.get(i + PREFETCH_ROWS_AHEAD) {
            prefetch(&pixels[ahead * c..(ahead + 1) * c]);
        }
        bytes_to_unit(&pixels[r * c..(r + 1) * c], dst);
    }
}

/// Rows are drawn at random from 47 MB of pixels, more than the caches hold, so each row's
/// bytes come from memory; asking for a row a few rows ahead overlaps those waits with the
/// conversion (the hardware prefetcher follows a row only once it is being read). Measured with
/// `measure_loading_fashion_mnist_and_filling_batches` (release, 1 thread, load ≈ 3.4, 3 runs
/// each): 83–85 µs per 128-row batch without the hint, 23–29 µs with it.
const PREFETCH_ROWS_AHEAD: usize = 4;

/// Hints the CPU to bring `bytes` into the cache; no effect on results.
#[inline(always)]
fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    for line in bytes.chunks(64) {
        // SAFETY: a prefetch never faults and reads nothing the program sees; the pointer is
        // inside `bytes`.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                line.as_ptr().cast(),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}

/// Pixel bytes to [0, 1], exactly `b / 255` as torchvision's `ToTensor` does.
///
/// Computed as `(b as f64 · (1/255)) as f32`, which equals the f32 division for every byte
/// (the double rounding cannot land on an f32 tie: `b/255` is never within 2⁻⁴⁰ of one; the test
/// `byte_scaling_equals_the_f32_division_for_every_byte` checks all 256), and a multiply
/// pipelines where a division does not. With AVX2 the loop runs 8 bytes per iteration.
/// The fill is bound by fetching the randomly chosen rows from memory, not by this arithmetic
/// (see [`PREFETCH_ROWS_AHEAD`]); earlier, a 256-entry lookup table was slower than the division.
#[inline]
fn bytes_to_unit(src: &[u8], dst: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { bytes_to_unit_avx2(src, dst) };
    }
    bytes_to_unit_plain(src, dst)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn bytes_to_unit_avx2(src: &[u8], dst: &mut [f32]) {
    bytes_to_unit_plain(src, dst)
}

#[inline(always)]
fn bytes_to_unit_plain(src: &[u8], dst: &mut [f32]) {
    const INV_255: f64 = 1.0 / 255.0;
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = (f64::from(s) * INV_255) as f32;
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

/// Refuses a model whose task the data cannot serve, before any file is read.
fn check_task(source: &DataSource, task: TaskKind) -> Result<()> {
    match (source, task) {
        (DataSource::SyntheticLinear(_), TaskKind::Classification) => bail!(
            "data.kind: a classification model needs class labels, found \"synthetic_linear\" (real-valued targets); use model.kind = \"linear\""
        ),
        (DataSource::Idx(_), TaskKind::Regression) => bail!(
            "data.kind: a regression model (model.kind = \"linear\") needs real-valued targets, found \"idx\" (class labels); use model.kind = \"mlp\""
        ),
        _ => Ok(()),
    }
}

/// Reads an images file and its labels file into one dataset, checking the counts agree.
fn read_idx_pair(images: &Path, labels: &Path) -> Result<Dataset> {
    let img = idx::read_images(images)?;
    let lab = idx::read_labels(labels)?;
    if img.count != lab.len() {
        bail!(
            "{}: expected as many labels as {} has images ({}), found {}",
            labels.display(),
            images.display(),
            img.count,
            lab.len()
        );
    }
    let cols = img.pixels_per_image();
    Ok(Dataset {
        features: Features::Bytes(img.pixels),
        labels: Labels::Classes(lab.into_iter().map(u32::from).collect()),
        rows: img.count,
        cols,
    })
}

/// Holds out `fraction` of the rows (seeded) as the validation set; 0 = none.
fn split_off(data: Dataset, fraction: f64, seed: u64) -> Result<(Dataset, Option<Dataset>)> {
    let (train, validation) = split::split_rows(data.rows, fraction, seed)?;
    if validation.is_empty() {
        return Ok((data, None));
    }
    Ok((data.select(&train), Some(data.select(&validation))))
}

/// Loads the training and validation sets. Paths are already absolute or relative to the cwd.
/// `task` is the model's ([`crate::model::ModelConfig::task`]): a linear model (regression)
/// makes a CSV target regression; an MLP (classification) follows the CSV's `data.task`.
///
/// Every error is about the config or the data (callers map it to exit code 2) and is one line
/// naming the file or key.
pub fn load(cfg: &DataConfig, task: TaskKind, seed: u64) -> Result<Splits> {
    cfg.validate()?;
    check_task(&cfg.source, task)?;
    if let DataSource::Csv(s) = &cfg.source {
        let t = tabular::load(s, task, cfg.validation_split, seed)?;
        return Ok(Splits {
            outputs: t.preprocessing.outputs(),
            task: t.preprocessing.task,
            train: t.train,
            validation: t.validation,
            preprocessing: Some(t.preprocessing),
            notes: t.notes,
        });
    }
    let (train, validation) = match &cfg.source {
        DataSource::Idx(s) => {
            let train = read_idx_pair(&s.train_images, &s.train_labels)?;
            match (&s.test_images, &s.test_labels) {
                (Some(images), Some(labels)) => {
                    let test = read_idx_pair(images, labels)?;
                    if test.cols != train.cols {
                        bail!(
                            "{}: expected images of {} pixels like {}, found {}",
                            images.display(),
                            train.cols,
                            s.train_images.display(),
                            test.cols
                        );
                    }
                    (train, Some(test))
                }
                _ => split_off(train, cfg.validation_split, seed)?,
            }
        }
        DataSource::Csv(_) => unreachable!("handled above"),
        DataSource::SyntheticLinear(s) => {
            split_off(synthetic::generate(s, seed)?, cfg.validation_split, seed)?
        }
    };
    if let Some(v) = &validation
        && v.cols != train.cols
    {
        bail!(
            "data: expected the validation set to have {} features per row like the training set, found {}",
            train.cols,
            v.cols
        );
    }
    let outputs = match task {
        TaskKind::Regression => 1,
        TaskKind::Classification => {
            let max = train
                .max_class()
                .into_iter()
                .chain(validation.as_ref().and_then(Dataset::max_class))
                .max();
            max.map_or(2, |m| (m as usize + 1).max(2))
        }
    };
    Ok(Splits {
        train,
        validation,
        outputs,
        task,
        preprocessing: None,
        notes: Vec::new(),
    })
}

/// Number of training rows (after any validation split) without reading more than headers where
/// the format allows; for `lrtrain schedule`. IDX reads the two 8-byte headers (decompressed if
/// gzipped), CSV counts records without parsing cells, synthetic data needs no file.
pub fn train_rows(cfg: &DataConfig, _seed: u64) -> Result<usize> {
    cfg.validate()?;
    let n = match &cfg.source {
        DataSource::Idx(s) => {
            let images = idx::count(&s.train_images)?;
            let labels = idx::count(&s.train_labels)?;
            if images != labels {
                bail!(
                    "{}: expected as many labels as {} has images ({images}), found {labels}",
                    s.train_labels.display(),
                    s.train_images.display()
                );
            }
            if images == 0 {
                bail!(
                    "{}: expected at least one image, found 0",
                    s.train_images.display()
                );
            }
            images
        }
        // Rows dropped for missing cells count too, so the whole file is read.
        DataSource::Csv(s) => {
            return Ok(
                tabular::load(s, TaskKind::Classification, cfg.validation_split, 0)?
                    .train
                    .rows,
            );
        }
        DataSource::SyntheticLinear(s) => s.samples,
    };
    if cfg.has_test_files() {
        return Ok(n);
    }
    // The split's size does not depend on the seed, only which rows it takes.
    Ok(n - split::validation_count(n, cfg.validation_split)?)
}

/// Whether the run will have a validation set (test files, or a split > 0).
pub fn has_validation(cfg: &DataConfig) -> bool {
    match &cfg.source {
        DataSource::Idx(s) if s.test_images.is_some() => true,
        _ => cfg.validation_split > 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::idx::tests::{gzip, idx_bytes, write};
    use super::idx::{IMAGES_MAGIC, LABELS_MAGIC};
    use super::*;

    fn shipped(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data")
            .join(name)
    }

    fn idx_config(dir: &str, test: bool) -> DataConfig {
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

    fn err(r: Result<impl std::fmt::Debug>) -> String {
        format!("{:#}", r.unwrap_err())
    }

    fn bytes_dataset() -> Dataset {
        Dataset {
            features: Features::Bytes(vec![0, 255, 51, 102, 1, 2]),
            labels: Labels::Classes(vec![3, 1, 4]),
            rows: 3,
            cols: 2,
        }
    }

    #[test]
    fn fill_batch_scales_bytes_by_one_over_255_and_copies_the_targets() {
        let d = bytes_dataset();
        let mut b = Batch::default();
        d.fill_batch(&[1, 0], &mut b);
        assert_eq!(b.rows, 2);
        assert_eq!(b.x, vec![0.2, 0.4, 0.0, 1.0]);
        assert!(matches!(b.targets(), Targets::Classes(&[1, 3])));
    }

    #[test]
    fn fill_batch_copies_floats_and_values_and_clears_the_other_kind() {
        let d = Dataset {
            features: Features::Floats(vec![1.5, -2.0]),
            labels: Labels::Values(vec![7.0, 8.0]),
            rows: 2,
            cols: 1,
        };
        let mut b = Batch::default();
        bytes_dataset().fill_batch(&[0, 1, 2], &mut b);
        d.fill_batch(&[1], &mut b);
        assert_eq!((b.rows, b.x.as_slice()), (1, &[-2.0][..]));
        assert!(b.classes.is_empty());
        assert!(matches!(b.targets(), Targets::Values(&[8.0])));
    }

    #[test]
    fn a_second_fill_of_no_more_rows_does_not_reallocate() {
        let d = bytes_dataset();
        let mut b = Batch::default();
        d.fill_batch(&[0, 1, 2], &mut b);
        let (px, pc, cap) = (b.x.as_ptr(), b.classes.as_ptr(), b.x.capacity());
        d.fill_batch(&[2, 1, 0], &mut b);
        d.fill_batch(&[2], &mut b); // a short last batch
        assert_eq!(
            (b.x.as_ptr(), b.classes.as_ptr(), b.x.capacity()),
            (px, pc, cap)
        );
        assert_eq!((b.rows, b.x.len()), (1, 2));
        assert!(matches!(b.targets(), Targets::Classes(&[4])));
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

    #[test]
    fn a_model_whose_task_the_data_cannot_serve_is_refused() {
        let syn = DataConfig {
            validation_split: 0.0,
            source: DataSource::SyntheticLinear(SyntheticLinearSource::default()),
        };
        assert!(
            err(load(&syn, TaskKind::Classification, 0))
                .contains("classification model needs class labels")
        );
        assert!(
            err(load(&idx_config("/x", false), TaskKind::Regression, 0))
                .contains("regression model")
        );
    }

    #[test]
    fn image_and_label_counts_must_match() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        write(
            dir.path(),
            "train-images-idx3-ubyte.gz",
            &gzip(&idx_bytes(IMAGES_MAGIC, &[2, 1, 2], &[1, 2, 3, 4])),
        );
        write(
            dir.path(),
            "train-labels-idx1-ubyte.gz",
            &gzip(&idx_bytes(LABELS_MAGIC, &[3], &[0, 1, 2])),
        );
        let e = err(load(&idx_config(d, false), TaskKind::Classification, 0));
        assert!(
            e.contains("train-labels-idx1-ubyte.gz: expected as many labels as")
                && e.contains("(2), found 3"),
            "{e}"
        );
        assert!(err(train_rows(&idx_config(d, false), 0)).contains("(2), found 3"));
    }

    #[test]
    fn test_images_of_another_size_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        write(
            dir.path(),
            "train-images-idx3-ubyte.gz",
            &gzip(&idx_bytes(IMAGES_MAGIC, &[2, 1, 2], &[1, 2, 3, 4])),
        );
        write(
            dir.path(),
            "train-labels-idx1-ubyte.gz",
            &gzip(&idx_bytes(LABELS_MAGIC, &[2], &[0, 1])),
        );
        write(
            dir.path(),
            "t10k-images-idx3-ubyte.gz",
            &gzip(&idx_bytes(IMAGES_MAGIC, &[1, 1, 3], &[1, 2, 3])),
        );
        write(
            dir.path(),
            "t10k-labels-idx1-ubyte.gz",
            &gzip(&idx_bytes(LABELS_MAGIC, &[1], &[5])),
        );
        let e = err(load(&idx_config(d, true), TaskKind::Classification, 0));
        assert!(
            e.contains("t10k-images-idx3-ubyte.gz: expected images of 2 pixels")
                && e.contains("found 3"),
            "{e}"
        );
    }

    #[test]
    fn outputs_count_classes_over_both_sets_and_at_least_two() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        write(
            dir.path(),
            "train-images-idx3-ubyte.gz",
            &idx_bytes(IMAGES_MAGIC, &[2, 1, 1], &[1, 2]),
        );
        write(
            dir.path(),
            "train-labels-idx1-ubyte.gz",
            &idx_bytes(LABELS_MAGIC, &[2], &[0, 0]),
        );
        write(
            dir.path(),
            "t10k-images-idx3-ubyte.gz",
            &idx_bytes(IMAGES_MAGIC, &[1, 1, 1], &[3]),
        );
        write(
            dir.path(),
            "t10k-labels-idx1-ubyte.gz",
            &idx_bytes(LABELS_MAGIC, &[1], &[6]),
        );
        assert_eq!(
            load(&idx_config(d, true), TaskKind::Classification, 0)
                .unwrap()
                .outputs,
            7
        );
        assert_eq!(
            load(&idx_config(d, false), TaskKind::Classification, 0)
                .unwrap()
                .outputs,
            2
        );
    }

    #[test]
    fn a_csv_or_synthetic_source_is_split_by_validation_split() {
        let syn = DataConfig {
            validation_split: 0.2,
            source: DataSource::SyntheticLinear(SyntheticLinearSource::default()),
        };
        let s = load(&syn, TaskKind::Regression, 42).unwrap();
        assert_eq!(
            (
                s.train.rows,
                s.validation.as_ref().map(|v| v.rows),
                s.outputs
            ),
            (80, Some(20), 1)
        );
        assert_eq!(train_rows(&syn, 42).unwrap(), 80);

        let csv = DataConfig {
            validation_split: 0.1,
            source: DataSource::Csv(CsvSource::new(shipped("linear.csv"), "y".into(), true)),
        };
        let s = load(&csv, TaskKind::Regression, 1).unwrap();
        assert_eq!(
            (s.train.rows, s.train.cols, s.validation.map(|v| v.rows)),
            (90, 1, Some(10))
        );
        assert_eq!(train_rows(&csv, 1).unwrap(), 90);
    }

    #[test]
    fn the_shipped_mnist_subset_loads_as_8000_and_2000_digits() {
        let s = load(
            &idx_config(shipped("mnist").to_str().unwrap(), true),
            TaskKind::Classification,
            0,
        )
        .unwrap();
        let v = s.validation.unwrap();
        assert_eq!(
            (s.train.rows, s.train.cols, v.rows, v.cols, s.outputs),
            (8000, 784, 2000, 784, 10)
        );
        assert!(s.train.max_class() < Some(10) && v.max_class() < Some(10));
        assert_eq!(
            train_rows(&idx_config(shipped("mnist").to_str().unwrap(), true), 0).unwrap(),
            8000
        );
        let split = DataConfig {
            validation_split: 0.25,
            ..idx_config(shipped("mnist").to_str().unwrap(), false)
        };
        assert_eq!(train_rows(&split, 0).unwrap(), 6000);
        assert_eq!(
            load(&split, TaskKind::Classification, 0)
                .unwrap()
                .train
                .rows,
            6000
        );
    }

    const FASHION: &str = "/usr/share/datasets/fashion-mnist";

    #[test]
    fn fashion_mnist_loads_when_installed() {
        if !Path::new(FASHION)
            .join("train-images-idx3-ubyte.gz")
            .exists()
        {
            eprintln!(
                "skipped: {FASHION} is absent (apt-get update && apt-get install -y dataset-fashion-mnist)"
            );
            return;
        }
        let cfg = idx_config(FASHION, true);
        assert_eq!(train_rows(&cfg, 0).unwrap(), 60_000);
        let s = load(&cfg, TaskKind::Classification, 0).unwrap();
        let v = s.validation.unwrap();
        assert_eq!(
            (s.train.rows, s.train.cols, v.rows, v.cols, s.outputs),
            (60_000, 784, 10_000, 784, 10)
        );
    }

    #[test]
    fn byte_scaling_equals_the_f32_division_for_every_byte() {
        let src: Vec<u8> = (0..=255).collect();
        let mut dst = vec![0.0f32; 256];
        bytes_to_unit(&src, &mut dst);
        for (&b, &d) in src.iter().zip(&dst) {
            assert_eq!(d, f32::from(b) / 255.0, "byte {b}");
        }
    }

    #[test]
    fn a_batch_filled_inside_a_two_thread_pool_equals_the_one_thread_fill() {
        let (rows, cols) = (300, 5);
        let d = Dataset {
            features: Features::Bytes((0..rows * cols).map(|i| (i * 7 % 256) as u8).collect()),
            labels: Labels::Classes((0..rows as u32).map(|i| i % 10).collect()),
            rows,
            cols,
        };
        let order: Vec<usize> = (0..rows).map(|i| (i * 37) % rows).collect();
        let mut one = Batch::default();
        d.fill_batch(&order[..257], &mut one);
        let team = crate::model::team::Team::new(2).unwrap();
        let mut two = Batch::default();
        team.install(|| d.fill_batch(&order[..257], &mut two));
        assert_eq!(one.x, two.x);
        assert_eq!(one.classes, two.classes);
    }

    /// `cargo test --release --lib data::tests::measure -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, not a check"]
    fn measure_loading_fashion_mnist_and_filling_batches() {
        let t = std::time::Instant::now();
        let img = idx::read_images(&Path::new(FASHION).join("train-images-idx3-ubyte.gz")).unwrap();
        let load = t.elapsed();
        let d = Dataset {
            labels: Labels::Classes(vec![0; img.count]),
            rows: img.count,
            cols: 784,
            features: Features::Bytes(img.pixels),
        };
        let mut b = Batch::default();
        let rows: Vec<usize> = (0..60_000).map(|i| (i * 7919) % 60_000).collect();
        // The best of 5 epochs, to see past other processes on a shared machine.
        let mut fill = std::time::Duration::MAX;
        for _ in 0..5 {
            let t = std::time::Instant::now();
            for chunk in rows.chunks(128) {
                d.fill_batch(chunk, &mut b);
            }
            fill = fill.min(t.elapsed());
        }
        eprintln!(
            "read 60,000 gz images: {load:?}; fill 469 batches of 128: {fill:?} ({:?} per batch)",
            fill / 469
        );
    }
}
