//! `lrtrain`: parse the command line, run the subcommand, map its error to an exit code once.

use std::process::ExitCode;

use clap::Parser;

use lrtrain::cli::{Cli, Command};
use lrtrain::{cmd, error};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let result = match &cli.command {
        Command::Train(args) => cmd::train::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Schedule(args) => cmd::schedule::run(args),
        Command::FindLr(args) => cmd::find_lr::run(args),
        Command::Compare(args) => cmd::compare::run(args),
        Command::Sweep(args) => cmd::sweep::run(args),
        Command::Resume(args) => cmd::resume::run(args),
        Command::Eval(args) => cmd::eval::run(args),
        Command::Predict(args) => cmd::predict::run(args),
        Command::Export(args) => cmd::export::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", one_line(&err));
            ExitCode::from(error::exit_code(&err) as u8)
        }
    }
}

/// A command line clap refuses: help and version print as clap does; every other error is one
/// line `error: …` (a flag that needs another, two that conflict, a bad value), with clap's usage
/// line appended because it names the flag that asked for the missing one, exit 2.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    eprintln!("error: {}", clap_one_line(&e.render().to_string()));
    ExitCode::from(2)
}

/// clap's rendered error (`error: WHAT\n  detail\n\nUsage: …\n\nFor more information, …`) as
/// `WHAT detail (usage: …)`.
fn clap_one_line(rendered: &str) -> String {
    let mut what = Vec::new();
    let mut usage = None;
    for line in rendered.lines().map(str::trim) {
        if let Some(u) = line.strip_prefix("Usage: ") {
            usage = Some(u);
        } else if line.is_empty() || line.starts_with("For more information") {
            continue;
        } else if usage.is_none() {
            what.push(line.strip_prefix("error: ").unwrap_or(line));
        }
    }
    let mut text = what.join(" ");
    if let Some(u) = usage {
        text.push_str(&format!(" (usage: {u})"));
    }
    text
}

/// The whole context chain on one line: `reading x.toml: line 3: …`.
fn one_line(err: &anyhow::Error) -> String {
    format!("{err:#}").replace('\n', " ")
}

/// `lrtrain schedule … | head` closes stdout early: that is success, not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(|e| {
                matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_required_flag_becomes_one_line_with_the_usage_naming_the_asking_flag() {
        let rendered = "error: the following required arguments were not provided:\n  --slurm <FILE.sh>\n\nUsage: lrtrain sweep --slurm <FILE.sh> --submit <SWEEP.toml>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            clap_one_line(rendered),
            "the following required arguments were not provided: --slurm <FILE.sh> (usage: lrtrain sweep --slurm <FILE.sh> --submit <SWEEP.toml>)"
        );
    }

    #[test]
    fn every_refused_command_line_is_one_line() {
        for args in [
            &["lrtrain", "sweep", "s.toml", "--submit"][..],
            &["lrtrain", "schedule", "--config", "c.toml", "--log"][..],
            &[
                "lrtrain", "eval", "--run", "r", "--images", "i", "--csv", "c",
            ][..],
            &["lrtrain", "sweep", "s.toml", "--jobs", "x"][..],
            &["lrtrain", "no-such-command"][..],
        ] {
            let e = Cli::try_parse_from(args).unwrap_err();
            let line = clap_one_line(&e.render().to_string());
            assert!(!line.contains('\n') && !line.is_empty(), "{args:?}: {line}");
            assert!(!line.starts_with("error:"), "{args:?}: {line}");
        }
    }
}
