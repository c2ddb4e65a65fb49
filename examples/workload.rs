//! The phases of a real run that `metrics.csv` does not time: start-up (config, reading and
//! decoding the gzipped IDX files, building the trainer, the first batch) and evaluation of the
//! validation set. Used by `bench/run.sh`; prints one `PHASES {json}` line on stdout.
//!
//! ```text
//! cargo run --release --example workload -- [CONFIG] [--epochs N] [--set KEY=VALUE]...
//! ```
//!
//! CONFIG defaults to `configs/fashion-mnist.toml`. Every epoch is trained exactly as
//! `lrtrain train` does (the library's `Trainer`), timing the training steps and the evaluation
//! separately; the JSON lists each epoch's figures so the caller takes its own medians, with
//! the CPU time each epoch used (`epoch_cpu_s`, all threads), steadier than wall time under load.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use lrtrain::config;
use lrtrain::data;
use lrtrain::train::Trainer;

fn main() -> Result<()> {
    let started = Instant::now();
    let mut path = PathBuf::from("configs/fashion-mnist.toml");
    let mut overrides = Vec::new();
    let mut epochs = 2usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--set" => overrides.push(args.next().context("--set needs KEY=VALUE")?),
            "--epochs" => epochs = args.next().context("--epochs needs N")?.parse()?,
            s if s.starts_with("--") => bail!("workload: unknown option {s}"),
            s => path = PathBuf::from(s),
        }
    }
    let loaded = config::load(&path, &overrides)?;
    let cfg = &loaded.config;
    let t = Instant::now();
    let splits = data::load(&cfg.data, cfg.model.task(), cfg.seed)?;
    let load_s = t.elapsed().as_secs_f64();
    let threads = config::resolve_threads(cfg.threads);
    let t = Instant::now();
    let mut trainer = Trainer::new(cfg, &splits, threads)?;
    let init_s = t.elapsed().as_secs_f64();

    let mut first_batch_s = None;
    let (mut epoch_s, mut eval_s, mut val_acc) = (Vec::new(), Vec::new(), Vec::new());
    let mut epoch_cpu_s = Vec::new();
    for epoch in 0..epochs {
        trainer.prepare_epoch(epoch);
        let t = Instant::now();
        let cpu = cpu_seconds();
        for i in 0..trainer.steps_per_epoch() {
            trainer.train_batch(i, cfg.optimizer.lr0());
            // Start-up = process start to the end of the first optimizer step.
            first_batch_s.get_or_insert_with(|| started.elapsed().as_secs_f64());
        }
        epoch_s.push(t.elapsed().as_secs_f64());
        epoch_cpu_s.push(cpu_seconds() - cpu);
        if let Some(v) = &splits.validation {
            let t = Instant::now();
            let (_, acc) = trainer.evaluate(v);
            eval_s.push(t.elapsed().as_secs_f64());
            val_acc.push(acc);
        }
    }
    let json = serde_json::json!({
        "threads": threads,
        "train_rows": splits.train.rows,
        "validation_rows": splits.validation.as_ref().map_or(0, |v| v.rows),
        "load_s": load_s,
        "init_s": init_s,
        "first_batch_s": first_batch_s,
        "epoch_s": epoch_s,
        "epoch_cpu_s": epoch_cpu_s,
        "eval_s": eval_s,
        "val_accuracy": val_acc,
    });
    println!("PHASES {json}");
    Ok(())
}

/// CPU time of all the process's threads so far (Linux `/proc/self/task/*/schedstat`, ns), 0
/// elsewhere. On a loaded machine this is steadier than wall time: it leaves out the time other
/// processes held the cores (but includes the workers' spinning while they wait for work).
fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .sum::<f64>()
        / 1e9
}
