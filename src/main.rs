//! `lrtrain`: parse the command line, run the subcommand, map its error to an exit code once.

use std::process::ExitCode;

use clap::Parser;

use lrtrain::cli::{Cli, Command};
use lrtrain::{cmd, error};

fn main() -> ExitCode {
    let cli = Cli::parse();
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
