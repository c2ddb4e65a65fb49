//! `lrtrain check`: validate a config (and the headers of its data) and print it resolved.

use anyhow::Result;

use crate::cli::CheckArgs;
use crate::data;
use crate::schedule::LrSchedule;
use crate::train;

pub fn run(args: &CheckArgs) -> Result<()> {
    let loaded = super::load_config(&args.config, &[])?;
    let cfg = &loaded.config;
    let rows = data::train_rows(&cfg.data, cfg.seed).map_err(|e| loaded.usage(e))?;
    let has_validation = data::has_validation(&cfg.data);
    let shape = train::run_shape(cfg, rows, has_validation);
    LrSchedule::new(&cfg.schedule, cfg.optimizer.lr0(), &shape).map_err(|e| loaded.usage(e))?;
    for warning in LrSchedule::lint(&cfg.schedule, cfg.optimizer.lr0(), &shape) {
        eprintln!("warning: {warning}");
    }
    print!("{}", loaded.to_toml()?);
    Ok(())
}
