//! `lrtrain check`: validate a config (and the headers of its data) and print it resolved.

use anyhow::Result;

use crate::cli::CheckArgs;

pub fn run(args: &CheckArgs) -> Result<()> {
    let loaded = super::load_config(&args.config, &[], false)?;
    let preflight = super::preflight(&loaded, None)?;
    for warning in &preflight.warnings {
        eprintln!("warning: {warning}");
    }
    print!("{}", loaded.to_toml(&preflight.shape)?);
    Ok(())
}
