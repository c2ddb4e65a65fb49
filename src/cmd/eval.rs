//! `lrtrain eval --run DIR`: the loss and accuracy of a run's final parameters (`params.bin`,
//! else the last `checkpoint.bin`) on its validation set, or on IDX (`--images/--labels`) or CSV
//! (`--csv [--target] [--no-header]`) data. Prints one line on stdout:
//! `loss=0.1234,accuracy=0.9565,rows=2000` (no accuracy for regression).

use std::path::Path;

use anyhow::Result;

use crate::bail_usage;
use crate::checkpoint::{self, CHECKPOINT_FILE, Checkpoint, PARAMS_EMA_FILE, PARAMS_FILE};
use crate::cli::EvalArgs;
use crate::config::{self, RunConfig};
use crate::data::{self, Batch, CsvSource, DataConfig, DataSource, Dataset, IdxSource};
use crate::error::UsageError;
use crate::model::{Network, TaskKind};

/// Rows per forward pass.
const CHUNK: usize = 1024;

pub fn run(args: &EvalArgs) -> Result<()> {
    let config_path = args.run.join("config.toml");
    if !config_path.is_file() {
        bail_usage!(
            "{}: not a run directory (no config.toml in it)",
            args.run.display()
        );
    }
    let loaded = config::load(&config_path, &[])?;
    let cfg = &loaded.config;
    let params = if args.ema {
        load_ema_params(&args.run, cfg)?
    } else {
        load_params(&args.run, cfg)?
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
    println!("{line}");
    Ok(())
}

/// The averaged parameters of `[train] ema` (`--ema`): params_ema.bin, else the checkpoint's
/// average; a run without `[train] ema` is refused with a line saying so.
fn load_ema_params(dir: &Path, cfg: &RunConfig) -> Result<Vec<f32>> {
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
    if hash != checkpoint::config_hash(cfg) {
        bail_usage!(
            "{}: belongs to another config than {} (was config.toml edited?)",
            file.display(),
            dir.join("config.toml").display()
        );
    }
    Ok(params)
}

/// The final parameters, checked against the run's config.
fn load_params(dir: &Path, cfg: &RunConfig) -> Result<Vec<f32>> {
    let (hash, params, file) = if dir.join(PARAMS_FILE).exists() {
        let file = dir.join(PARAMS_FILE);
        let (hash, params) = checkpoint::read_params(&file)?;
        (hash, params, file)
    } else if dir.join(CHECKPOINT_FILE).exists() {
        let file = dir.join(CHECKPOINT_FILE);
        let c = Checkpoint::read(&file)?;
        (c.config_hash, c.state.params, file)
    } else {
        bail_usage!(
            "{}: no {PARAMS_FILE} or {CHECKPOINT_FILE} (the run has not finished an epoch, or was written by an older lrtrain)",
            dir.display()
        );
    };
    if hash != checkpoint::config_hash(cfg) {
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
        DataSource::Csv(CsvSource {
            path: path.clone(),
            target,
            header: !args.no_header,
        })
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

/// The model's output width: the one for which the layers hold `num_params` parameters with
/// `inputs` features (classification learns it from the training labels).
fn outputs_for(cfg: &RunConfig, inputs: usize, num_params: usize) -> Result<usize> {
    let count = |outputs: usize| {
        let mut fan_in = inputs as u128;
        let mut n = 0u128;
        for w in cfg.model.widths(outputs) {
            n += fan_in * w as u128 + w as u128;
            fan_in = w as u128;
        }
        n
    };
    if cfg.model.task() == TaskKind::Regression {
        if count(1) == num_params as u128 {
            return Ok(1);
        }
    } else {
        // count(o) grows by (last hidden width + 1) per output.
        let (c2, c3) = (count(2), count(3));
        let per = c3 - c2;
        let n = num_params as u128;
        if n >= c2 && (n - c2).is_multiple_of(per) {
            return Ok(2 + ((n - c2) / per) as usize);
        }
    }
    bail_usage!(
        "the data has {inputs} features per row; the run's model was trained on a different number"
    )
}
