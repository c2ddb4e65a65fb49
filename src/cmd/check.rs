//! `lrtrain check`: validate a config (and the headers of its data) and print it resolved.

use anyhow::Result;

use crate::cli::CheckArgs;

pub fn run(args: &CheckArgs) -> Result<()> {
    let loaded = super::load_config(&args.config, &[])?;
    for warning in super::preflight(&loaded, None)?.warnings {
        eprintln!("warning: {warning}");
    }
    print!("{}", loaded.to_toml()?);
    Ok(())
}
