//! `lrtrain train`: load and validate the config, train into the run directory, check the
//! `--require` bars.

use anyhow::Result;

use crate::cli::TrainArgs;
use crate::error::RequirementMissed;
use crate::require::Requirement;
use crate::run::{self, RunOptions};

pub fn run(args: &TrainArgs) -> Result<()> {
    let mut extra = Vec::new();
    if let Some(seed) = args.seed {
        extra.push(format!("seed={seed}"));
    }
    if let Some(epochs) = args.epochs {
        extra.push(format!("train.epochs={epochs}"));
    }
    let requirements = args
        .require
        .iter()
        .map(|r| Requirement::parse(r))
        .collect::<Result<Vec<_>>>()?;
    let loaded = super::load_config(&args.config, &extra)?;
    let opts = RunOptions {
        out: loaded.run_dir(args.out.as_deref()),
        force: args.force,
        quiet: args.quiet,
        threads: None,
    };
    let outcome = run::execute(&loaded, &opts)?;
    if let Some(err) = outcome.error {
        return Err(err);
    }
    if !args.quiet {
        eprintln!("wrote {}", outcome.dir.path.display());
    }
    let missed: Vec<String> = requirements
        .iter()
        .filter_map(|r| outcome.rows.last().and_then(|m| r.check(m)))
        .collect();
    if !missed.is_empty() {
        let dir = outcome.dir.path.display();
        return Err(RequirementMissed(format!("{dir}: {}", missed.join("; "))).into());
    }
    Ok(())
}
