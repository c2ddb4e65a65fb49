//! `lrtrain eval --run DIR`: the loss and accuracy of a run's final parameters (`params.bin`,
//! else the last `checkpoint.bin`'s, taken at the optimizer's evaluation point as params.bin
//! would be) on its validation set, or on IDX (`--images/--labels`) or CSV
//! (`--csv [--target] [--no-header]`) data. Prints one line on stdout:
//! `loss=0.1234,accuracy=0.9565,rows=2000` (no accuracy for regression). CSV runs apply the
//! preprocessing fitted in training (class names, levels, standardisation). `--ema` evaluates the
//! averaged weights of `[train] ema` instead, on every kind of run.
//!
//! Every flag applies to every kind of run or is refused naming it: `--images/--labels` need an
//! IDX run; `--csv` a CSV run or a synthetic one (whose inputs are then the file's columns but
//! `--target`); `--no-header` a run trained without a header (columns are matched by name).

use anyhow::Result;

use crate::bail_usage;
use crate::cli::EvalArgs;
use crate::config::{self, RunConfig};
use crate::data::tabular::MissingPolicy;
use crate::data::{self, Batch, CsvSource, DataConfig, DataSource, Dataset, IdxSource};
use crate::error::UsageError;
use crate::model::{Network, TaskKind};
use crate::run::trained::{CHUNK, Trained, Weights, load_weights, outputs_for};

pub fn run(args: &EvalArgs) -> Result<()> {
    let loaded = config::load_run(&args.run, &[])?;
    let cfg = &loaded.config;
    let weights = Weights::from_flag(args.ema);
    match &cfg.data.source {
        DataSource::Csv(_) => return run_tabular(args, weights),
        DataSource::Idx(_) if args.csv.is_some() => bail_usage!(
            "--csv: the run was trained on IDX images (scaled by 1/255); expected --images and --labels"
        ),
        DataSource::SyntheticLinear(_) if args.images.is_some() => bail_usage!(
            "--images: the run was trained on synthetic_linear data (real-valued targets); expected --csv FILE --target COLUMN"
        ),
        _ => {}
    }
    let params = load_weights(&args.run, &loaded, weights)?;
    let data = eval_data(args, cfg).map_err(|e| loaded.usage(e))?;
    let task = cfg.model.task();
    let outputs = outputs_for(cfg, data.cols, params.len())?;
    if let Some(max) = data.max_class()
        && max as usize >= outputs
    {
        bail_usage!(
            "the data has label {max}; the run's model knows classes 0 to {}",
            outputs - 1
        );
    }
    let threads = config::resolve_threads(cfg.threads);
    let mut net = Network::new(
        &cfg.model,
        data.cols,
        outputs,
        data.rows.clamp(1, CHUNK),
        threads,
        0,
    )?;
    net.params_mut().copy_from_slice(&params);
    println!("{}", score(&mut net, &data, task));
    Ok(())
}

/// `loss=…[,accuracy=…],rows=N` of the network on every row of `data`.
fn score(net: &mut Network, data: &Dataset, task: TaskKind) -> String {
    let mut batch = Batch::default();
    let order: Vec<usize> = (0..data.rows).collect();
    let (mut loss_sum, mut correct) = (0.0, 0usize);
    for rows in order.chunks(CHUNK) {
        data.fill_batch(rows, &mut batch);
        let r = net.evaluate(&batch.x, batch.targets());
        loss_sum += r.loss * rows.len() as f64;
        correct += r.correct;
    }
    let n = data.rows.max(1) as f64;
    let mut line = format!("loss={}", loss_sum / n);
    if task == TaskKind::Classification {
        line.push_str(&format!(",accuracy={}", correct as f64 / n));
    }
    line.push_str(&format!(",rows={}", data.rows));
    line
}

/// A CSV run: its validation set, or `--csv` encoded with the preprocessing fitted in training.
fn run_tabular(args: &EvalArgs, weights: Weights) -> Result<()> {
    if args.images.is_some() {
        bail_usage!("--images: the run was trained on CSV data; expected --csv");
    }
    let t = Trained::open_weights(&args.run, weights)?;
    let p = t
        .preprocessing
        .as_ref()
        .expect("a CSV run has its preprocessing");
    if args.no_header && p.header {
        bail_usage!(
            "--no-header: the run was trained on a file with a header, and its columns are found by name; expected a file with the same header"
        );
    }
    let data = match &args.csv {
        Some(path) => {
            let target = args.target.as_deref().unwrap_or(&p.target);
            if target != p.target && p.columns.iter().any(|c| c.name == target) {
                bail_usage!(
                    "--target {target}: is one of the run's feature columns; expected the column to score against (the run's target is {:?})",
                    p.target
                );
            }
            let usage = |e: anyhow::Error| {
                anyhow::Error::new(UsageError(format!("{}: {e:#}", path.display())))
            };
            let header = p.header && !args.no_header;
            let table = crate::data::csv::read_table(path, header, p.delimiter.as_bytes()[0])
                .map_err(|e| UsageError(format!("{e:#}")))?;
            let enc = p.encode(&table, Some(target)).map_err(usage)?;
            let dropped = enc.missing.iter().filter(|&&m| m).count();
            if let Some((line, col)) = &enc.first_missing {
                match p.missing {
                    MissingPolicy::Error => bail_usage!(
                        "{}: line {line}, column {col:?}: missing cell; expected a value (the run has data.missing = \"error\")",
                        path.display()
                    ),
                    MissingPolicy::Drop => eprintln!(
                        "{}: dropped {dropped} of {} rows with a missing cell (data.missing = \"drop\")",
                        path.display(),
                        enc.rows
                    ),
                }
            }
            if enc.rows == dropped {
                bail_usage!(
                    "{}: no row without a missing cell to evaluate on",
                    path.display()
                );
            }
            enc.complete_rows()
        }
        None => {
            let cfg = &t.config;
            data::load(&cfg.data, cfg.model.task(), cfg.seed)?
                .validation
                .ok_or_else(|| UsageError("the run has no validation set; pass --csv".into()))?
        }
    };
    let mut net = t.network(data.rows)?;
    println!("{}", score(&mut net, &data, t.task));
    Ok(())
}

/// The set to evaluate on: the command line's files, else the run's validation set.
fn eval_data(args: &EvalArgs, cfg: &RunConfig) -> Result<Dataset> {
    let task = cfg.model.task();
    let source = if let (Some(images), Some(labels)) = (&args.images, &args.labels) {
        DataSource::Idx(IdxSource {
            train_images: images.clone(),
            train_labels: labels.clone(),
            test_images: None,
            test_labels: None,
        })
    } else if let Some(path) = &args.csv {
        let target = match (&args.target, &cfg.data.source) {
            (Some(t), _) => t.clone(),
            (None, DataSource::Csv(s)) => s.target.clone(),
            (None, _) => bail_usage!("--target: expected the CSV's target column"),
        };
        DataSource::Csv(CsvSource::new(path.clone(), target, !args.no_header))
    } else {
        let splits = data::load(&cfg.data, task, cfg.seed)?;
        let pass = match cfg.data.source {
            DataSource::Idx(_) => "--images and --labels",
            _ => "--csv FILE --target COLUMN",
        };
        return splits.validation.ok_or_else(|| {
            UsageError(format!("the run has no validation set; pass {pass}")).into()
        });
    };
    let given = DataConfig {
        validation_split: 0.0,
        source,
    };
    Ok(data::load(&given, task, cfg.seed)?.train)
}
