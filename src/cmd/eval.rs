//! `lrtrain eval --run DIR`: the loss and accuracy of a run's final parameters (`params.bin`,
//! else the last `checkpoint.bin`'s, taken at the optimizer's evaluation point as params.bin
//! would be) on its validation set, or on IDX (`--images/--labels`) or CSV
//! (`--csv [--target] [--no-header]`) data. Prints one line on stdout:
//! `loss=0.1234,accuracy=0.9565,rows=2000` (no accuracy for regression). CSV runs apply the
//! preprocessing fitted in training (class names, levels, standardisation).

use std::path::Path;

use anyhow::Result;

use crate::bail_usage;
use crate::cli::EvalArgs;
use crate::config::{self, LoadedConfig, RunConfig};
use crate::data::tabular::MissingPolicy;
use crate::data::{self, Batch, CsvSource, DataConfig, DataSource, Dataset, IdxSource};
use crate::error::UsageError;
use crate::model::{Network, TaskKind};
use crate::run::checkpoint::{self, CHECKPOINT_FILE, Checkpoint, PARAMS_EMA_FILE};
use crate::run::trained::{CHUNK, Trained, load_params, outputs_for};

pub fn run(args: &EvalArgs) -> Result<()> {
    let loaded = config::load_run(&args.run, &[])?;
    let cfg = &loaded.config;
    if matches!(cfg.data.source, DataSource::Csv(_)) {
        return run_tabular(args);
    }
    let params = if args.ema {
        load_ema_params(&args.run, &loaded)?
    } else {
        load_params(&args.run, &loaded)?
    };
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
fn run_tabular(args: &EvalArgs) -> Result<()> {
    if args.images.is_some() {
        bail_usage!("--images: the run was trained on CSV data; expected --csv");
    }
    let t = Trained::open(&args.run)?;
    let p = t
        .preprocessing
        .as_ref()
        .expect("a CSV run has its preprocessing");
    let data = match &args.csv {
        Some(path) => {
            let target = args.target.as_deref().unwrap_or(&p.target);
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

/// The averaged parameters of `[train] ema` (`--ema`): params_ema.bin, else the checkpoint's
/// average; a run without `[train] ema` is refused with a line saying so.
fn load_ema_params(dir: &Path, loaded: &LoadedConfig) -> Result<Vec<f32>> {
    let cfg = &loaded.config;
    if cfg.train.ema.is_none() {
        bail_usage!(
            "{}: --ema: the run has no averaged weights (its config has no train.ema)",
            dir.display()
        );
    }
    let (hash, params, file) = if dir.join(PARAMS_EMA_FILE).exists() {
        let file = dir.join(PARAMS_EMA_FILE);
        let (hash, params) = checkpoint::read_params(&file)?;
        (hash, params, file)
    } else if dir.join(CHECKPOINT_FILE).exists() {
        let file = dir.join(CHECKPOINT_FILE);
        let c = Checkpoint::read(&file)?;
        (c.config_hash, c.state.ema, file)
    } else {
        bail_usage!(
            "{}: no {PARAMS_EMA_FILE} or {CHECKPOINT_FILE} (the run has not finished an epoch)",
            dir.display()
        );
    };
    if !config::hash::belongs_to(hash, loaded) {
        bail_usage!(
            "{}: belongs to another config than {} (was config.toml edited?)",
            file.display(),
            dir.join("config.toml").display()
        );
    }
    Ok(params)
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
        return splits.validation.ok_or_else(|| {
            UsageError("the run has no validation set; pass --images and --labels, or --csv".into())
                .into()
        });
    };
    let given = DataConfig {
        validation_split: 0.0,
        source,
    };
    Ok(data::load(&given, task, cfg.seed)?.train)
}
