//! `metrics.csv`: one row per epoch, written and flushed as soon as the epoch ends.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::format_number;
use crate::metrics::{COLUMNS, EFFECTIVE_LR, EpochMetrics};

pub struct MetricsWriter {
    out: csv::Writer<File>,
    path: PathBuf,
}

impl MetricsWriter {
    /// Creates (truncates) the file and writes the header: [`COLUMNS`], then `effective_lr` when
    /// `effective_lr` (runs of learning-rate-free optimizers).
    pub fn create(path: &Path, effective_lr: bool) -> Result<MetricsWriter> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut w = MetricsWriter {
            out: csv::Writer::from_writer(file),
            path: path.to_path_buf(),
        };
        w.write_record(header(effective_lr))?;
        Ok(w)
    }

    /// For a resumed run: replaces the file (temporary file and rename) by the header and
    /// `rows`, the checkpoint's, dropping any row written after it; then appends.
    /// Rewrites the file to hold exactly `rows` (a resumed run's checkpointed epochs), then
    /// appends.
    pub fn resume(path: &Path, rows: &[EpochMetrics], effective_lr: bool) -> Result<MetricsWriter> {
        let mut text = csv::Writer::from_writer(Vec::new());
        text.write_record(header(effective_lr))?;
        for m in rows {
            text.write_record(row(m))?;
        }
        let bytes = text.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        super::write_atomic(path, &bytes)?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        Ok(MetricsWriter {
            out: csv::Writer::from_writer(file),
            path: path.to_path_buf(),
        })
    }

    pub fn write(&mut self, m: &EpochMetrics) -> Result<()> {
        self.write_record(row(m))
    }

    fn write_record(&mut self, fields: Vec<String>) -> Result<()> {
        self.out
            .write_record(&fields)
            .map_err(anyhow::Error::from)
            .and_then(|_| Ok(self.out.flush()?))
            .with_context(|| format!("writing {}", self.path.display()))
    }
}

/// Reads a metrics.csv back (numbers are in shortest round-trip form, so every value comes back
/// bit for bit). Errors name the file and the record.
pub fn read_rows(path: &Path) -> Result<Vec<EpochMetrics>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("{}: cannot read", path.display()))?;
    reader
        .deserialize::<EpochMetrics>()
        .enumerate()
        .map(|(i, record)| {
            record.with_context(|| {
                format!(
                    "{}: record {}: expected a metrics.csv row",
                    path.display(),
                    i + 1
                )
            })
        })
        .collect()
}

fn header(effective_lr: bool) -> Vec<String> {
    let mut h: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    if effective_lr {
        h.push(EFFECTIVE_LR.to_string());
    }
    h
}

/// A metrics.csv row: [`fields`], then `effective_lr` where the run has it.
fn row(m: &EpochMetrics) -> Vec<String> {
    let mut r = fields(m);
    if m.effective_lr.is_some() {
        r.push(format_number(m.effective_lr));
    }
    r
}

/// One row's fields in `COLUMNS` order.
pub fn fields(m: &EpochMetrics) -> Vec<String> {
    vec![
        m.epoch.to_string(),
        format_number(Some(m.lr)),
        format_number(Some(m.loss)),
        format_number(m.accuracy),
        format_number(m.val_loss),
        format_number(m.val_accuracy),
        format_number(Some(m.grad_norm)),
        format_number(Some(m.seconds)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regression_row_leaves_the_accuracy_columns_empty() {
        let m = EpochMetrics {
            epoch: 3,
            lr: 0.01,
            loss: 1.5,
            accuracy: None,
            val_loss: Some(2.25),
            val_accuracy: None,
            grad_norm: 0.5,
            seconds: 0.125,
            effective_lr: None,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.csv");
        let mut w = MetricsWriter::create(&path, false).unwrap();
        w.write(&m).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "epoch,lr,loss,accuracy,val_loss,val_accuracy,grad_norm,seconds\n3,0.01,1.5,,2.25,,0.5,0.125\n"
        );
    }
}
