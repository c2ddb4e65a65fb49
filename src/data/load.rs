//! Reading the sources of `[data]` into datasets: the training set, the validation set (test
//! files or a seeded split) and the number of outputs the model needs.

use std::path::Path;

use anyhow::{Result, bail};

use super::{
    DataConfig, DataSource, Dataset, Features, Labels, Splits, idx, split, synthetic, tabular,
};
use crate::model::TaskKind;

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
pub(crate) mod tests {
    use std::path::PathBuf;

    use super::super::idx::tests::{gzip, idx_bytes, write};
    use super::super::idx::{IMAGES_MAGIC, LABELS_MAGIC};
    use super::super::tests::{err, idx_config};
    use super::super::{CsvSource, SyntheticLinearSource};
    use super::*;

    fn shipped(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("data")
            .join(name)
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

    pub(crate) const FASHION: &str = "/usr/share/datasets/fashion-mnist";

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
}
