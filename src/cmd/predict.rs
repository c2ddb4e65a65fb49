//! `lrtrain predict --run DIR (--csv F | --images F) [--out FILE.csv] [--proba] [--ema]`: a
//! finished run's predictions as CSV, one row per input row in order (`--ema`: with the averaged
//! weights of `[train] ema`).
//!
//! Columns: `prediction` (the class name, or the regression value), then with `--proba`
//! `p_<class>` per class (softmax of the logits, in the order of `summary.json`'s `classes`).
//! CSV input is encoded with the preprocessing fitted in training; it needs the feature columns,
//! not the target; other columns are ignored (said once on stderr). A row with a missing cell
//! gets an empty prediction (one note on stderr for all of them). IDX images are scaled by 1/255
//! as in training; their classes are the label numbers.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};

use crate::bail_usage;
use crate::cli::PredictArgs;
use crate::data::{DataSource, Dataset, Features, Labels, csv, idx};
use crate::error::UsageError;
use crate::model::TaskKind;
use crate::run::trained::{CHUNK, Trained, Weights};

/// What to predict on: the encoded inputs and which rows have no prediction.
struct Inputs {
    data: Dataset,
    missing: Vec<bool>,
}

pub fn run(args: &PredictArgs) -> Result<()> {
    let t = Trained::open_weights(&args.run, Weights::from_flag(args.ema))?;
    if let Some(out) = &args.out
        && out.exists()
        && !args.force
    {
        bail_usage!(
            "{}: exists; expected a new file (or --force to replace it)",
            out.display()
        );
    }
    let inputs = inputs(args, &t)?;
    let classes: Option<Vec<String>> = match t.task {
        TaskKind::Regression => None,
        TaskKind::Classification => Some(match &t.preprocessing {
            Some(p) => p.classes.clone().unwrap_or_default(),
            None => (0..t.outputs).map(|c| c.to_string()).collect(),
        }),
    };
    if args.proba && classes.is_none() {
        bail_usage!("--proba: the run is a regression; there are no class probabilities");
    }
    let text = predict(&t, &inputs, classes.as_deref(), args.proba)?;
    match &args.out {
        None => std::io::stdout().lock().write_all(&text)?,
        Some(out) => write_new(out, &text)?,
    }
    Ok(())
}

/// Writes through a temporary file renamed into place, so a failure leaves no half file.
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let tmp = path.with_extension("csv.tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

fn inputs(args: &PredictArgs, t: &Trained) -> Result<Inputs> {
    match (&args.csv, &args.images, &t.preprocessing) {
        (Some(path), None, Some(p)) => {
            let usage = |e: anyhow::Error| {
                anyhow::Error::new(UsageError(format!("{}: {e:#}", path.display())))
            };
            let table = csv::read_table(path, p.header, p.delimiter.as_bytes()[0])
                .map_err(|e| UsageError(format!("{e:#}")))?;
            let enc = p.encode(&table, None).map_err(usage)?;
            if !enc.extra.is_empty() {
                eprintln!(
                    "note: {}: ignoring columns the model does not use: {}",
                    path.display(),
                    enc.extra
                        .iter()
                        .map(|c| format!("{c:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let gaps = enc.missing.iter().filter(|&&m| m).count();
            if let Some((line, col)) = &enc.first_missing {
                eprintln!(
                    "note: {}: {gaps} row(s) with a missing cell get an empty prediction (the first: line {line}, column {col:?})",
                    path.display()
                );
            }
            Ok(Inputs {
                data: Dataset {
                    features: Features::Floats(enc.x),
                    labels: Labels::Values(vec![0.0; enc.rows]),
                    rows: enc.rows,
                    cols: p.width(),
                },
                missing: enc.missing,
            })
        }
        (None, Some(path), None) if matches!(t.config.data.source, DataSource::Idx(_)) => {
            let img = idx::read_images(path).map_err(|e| UsageError(format!("{e:#}")))?;
            if img.pixels_per_image() != t.inputs {
                bail_usage!(
                    "{}: expected images of {} pixels as in training, found {}",
                    path.display(),
                    t.inputs,
                    img.pixels_per_image()
                );
            }
            Ok(Inputs {
                missing: vec![false; img.count],
                data: Dataset {
                    labels: Labels::Classes(vec![0; img.count]),
                    rows: img.count,
                    cols: t.inputs,
                    features: Features::Bytes(img.pixels),
                },
            })
        }
        (_, _, None) if matches!(t.config.data.source, DataSource::SyntheticLinear(_)) => {
            bail_usage!(
                "{}: the run was trained on synthetic_linear data, whose inputs have no column names; predict reads CSV runs (--csv) and IDX runs (--images); `lrtrain eval --run DIR --csv F --target COLUMN` scores such a run on a CSV",
                if args.csv.is_some() {
                    "--csv"
                } else {
                    "--images"
                }
            )
        }
        (Some(_), _, None) => bail_usage!(
            "--csv: the run was not trained on CSV data; expected --images for an IDX run"
        ),
        (_, Some(_), _) => {
            bail_usage!("--images: the run was not trained on IDX images; expected --csv")
        }
        (None, None, _) => bail_usage!("expected --csv FILE or --images FILE"),
    }
}

/// The CSV text: header, then one row per input row.
fn predict(
    t: &Trained,
    inputs: &Inputs,
    classes: Option<&[String]>,
    proba: bool,
) -> Result<Vec<u8>> {
    let data = &inputs.data;
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let mut header = vec!["prediction".to_string()];
    if proba {
        header.extend(classes.unwrap_or_default().iter().map(|c| format!("p_{c}")));
    }
    w.write_record(&header)?;
    let mut net = t.network(data.rows)?;
    let mut batch = crate::data::Batch::default();
    let order: Vec<usize> = (0..data.rows).collect();
    let mut record: Vec<String> = Vec::with_capacity(header.len());
    let mut p = vec![0.0f64; t.outputs];
    for rows in order.chunks(CHUNK) {
        data.fill_batch(rows, &mut batch);
        let out = net.outputs(&batch.x);
        for (z, &r) in out.chunks_exact(t.outputs).zip(rows) {
            record.clear();
            if inputs.missing[r] {
                record.resize(header.len(), String::new());
            } else if let Some(names) = classes {
                softmax(z, &mut p);
                // torch.argmax: the first largest.
                let best = (0..z.len()).fold(0, |b, j| if z[j] > z[b] { j } else { b });
                record.push(names[best].clone());
                if proba {
                    record.extend(p.iter().map(|&v| (v as f32).to_string()));
                }
            } else {
                record.push(z[0].to_string());
            }
            w.write_record(&record)?;
        }
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

/// `p ← softmax(z)` in f64, shifted by the largest logit so no exponent overflows.
fn softmax(z: &[f32], p: &mut [f64]) {
    let max = z.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) as f64;
    let mut sum = 0.0;
    for (pi, &zi) in p.iter_mut().zip(z) {
        *pi = (zi as f64 - max).exp();
        sum += *pi;
    }
    for pi in p.iter_mut() {
        *pi /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::softmax;

    #[test]
    fn softmax_sums_to_one_and_survives_huge_logits() {
        let mut p = [0.0; 3];
        softmax(&[1000.0, 1000.0, 0.0], &mut p);
        assert!((p[0] - 0.5).abs() < 1e-12 && p[2] < 1e-300);
        softmax(&[0.0, (2.0f32).ln(), 0.0], &mut p);
        assert!((p[1] - 0.5).abs() < 1e-7, "{p:?}");
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
