//! `lrtrain schedule`: the rate of every optimizer step as CSV `epoch,step,lr` on stdout,
//! without training (and without reading the training set beyond counting its rows).

use std::io::Write;

use anyhow::Result;

use crate::bail_usage;
use crate::cli::ScheduleArgs;
use crate::data;
use crate::schedule::LrSchedule;
use crate::train;

pub fn run(args: &ScheduleArgs) -> Result<()> {
    let mut extra = Vec::new();
    if let Some(epochs) = args.epochs {
        extra.push(format!("train.epochs={epochs}"));
    }
    let loaded = super::load_config(&args.config, &extra)?;
    let cfg = &loaded.config;
    let has_validation = data::has_validation(&cfg.data);
    let mut shape = match args.steps_per_epoch {
        Some(0) => bail_usage!("--steps-per-epoch: expected an integer ≥ 1, found 0"),
        Some(k) => train::run_shape(cfg, k, has_validation),
        None => {
            let rows = data::train_rows(&cfg.data, cfg.seed).map_err(|e| loaded.usage(e))?;
            train::run_shape(cfg, rows, has_validation)
        }
    };
    if let Some(k) = args.steps_per_epoch {
        shape.steps_per_epoch = k;
    }
    let schedule =
        LrSchedule::new(&cfg.schedule, cfg.optimizer.lr0(), &shape).map_err(|e| loaded.usage(e))?;
    if schedule.needs_feedback() {
        bail_usage!(
            "{}: this schedule follows the training signal (plateau or grad_norm), so its rates are only known while training; run `lrtrain train` and read the lr column of metrics.csv",
            loaded.path.display()
        );
    }
    for warning in LrSchedule::lint(&cfg.schedule, cfg.optimizer.lr0(), &shape) {
        eprintln!("warning: {warning}");
    }
    let stdout = std::io::stdout();
    let mut out = csv::Writer::from_writer(stdout.lock());
    out.write_record(["epoch", "step", "lr"])?;
    let mut step = 0;
    for epoch in 0..shape.epochs {
        for _ in 0..shape.steps_per_epoch {
            let lr = schedule.rate(step, epoch);
            out.write_record([epoch.to_string(), step.to_string(), lr.to_string()])?;
            step += 1;
        }
    }
    out.flush()?;
    std::io::stdout().flush()?;
    Ok(())
}
