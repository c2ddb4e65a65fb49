//! `metrics.csv`: one row per epoch, written and flushed as soon as the epoch ends.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::metric::columns::COLUMNS;
use crate::output::format_number;
use crate::train::EpochMetrics;

pub struct MetricsWriter {
    out: csv::Writer<File>,
    path: PathBuf,
    /// The columns after `seconds` this run writes (`val_loss_ema`, … ; see `metric/columns.rs`).
    optional: Vec<&'static str>,
}

impl MetricsWriter {
    /// Creates (truncates) the file and writes the header.
    pub fn create(path: &Path, optional: &[&'static str]) -> Result<MetricsWriter> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut w = MetricsWriter {
            out: csv::Writer::from_writer(file),
            path: path.to_path_buf(),
            optional: optional.to_vec(),
        };
        w.write_record(
            COLUMNS
                .iter()
                .chain(optional)
                .map(|c| c.to_string())
                .collect(),
        )?;
        Ok(w)
    }

    /// Rewrites the file to hold exactly `rows` (a resumed run's checkpointed epochs), then
    /// appends.
    pub fn resume(
        path: &Path,
        rows: &[EpochMetrics],
        optional: &[&'static str],
    ) -> Result<MetricsWriter> {
        let mut text = csv::Writer::from_writer(Vec::new());
        text.write_record(COLUMNS.iter().chain(optional))?;
        for m in rows {
            text.write_record(fields_with(m, optional))?;
        }
        let bytes = text.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        crate::output::write_atomic(path, &bytes)?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        Ok(MetricsWriter {
            out: csv::Writer::from_writer(file),
            path: path.to_path_buf(),
            optional: optional.to_vec(),
        })
    }

    pub fn write(&mut self, m: &EpochMetrics) -> Result<()> {
        self.write_record(fields_with(m, &self.optional))
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

/// One row's fields in `COLUMNS` order, then the `optional` columns named.
pub fn fields_with(m: &EpochMetrics, optional: &[&str]) -> Vec<String> {
    let mut out = fields(m);
    out.extend(optional.iter().map(|c| format_number(m.get(c))));
    out
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

    fn row() -> EpochMetrics {
        EpochMetrics {
            epoch: 3,
            lr: 0.01,
            loss: 1.5,
            accuracy: None,
            val_loss: Some(2.25),
            val_accuracy: None,
            grad_norm: 0.5,
            seconds: 0.125,
            effective_lr: None,
            momentum: None,
            val_loss_ema: None,
            val_accuracy_ema: None,
        }
    }

    #[test]
    fn a_regression_row_leaves_the_accuracy_columns_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.csv");
        let mut w = MetricsWriter::create(&path, &[]).unwrap();
        w.write(&row()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "epoch,lr,loss,accuracy,val_loss,val_accuracy,grad_norm,seconds\n3,0.01,1.5,,2.25,,0.5,0.125\n"
        );
    }

    #[test]
    fn the_ema_columns_follow_seconds_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("metrics.csv");
        let mut w = MetricsWriter::create(&path, &["val_loss_ema", "val_accuracy_ema"]).unwrap();
        let m = EpochMetrics {
            val_loss_ema: Some(2.5),
            ..row()
        };
        w.write(&m).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "epoch,lr,loss,accuracy,val_loss,val_accuracy,grad_norm,seconds,val_loss_ema,val_accuracy_ema\n3,0.01,1.5,,2.25,,0.5,0.125,2.5,\n"
        );
        assert_eq!(read_rows(&path).unwrap(), vec![m]);
    }
}
