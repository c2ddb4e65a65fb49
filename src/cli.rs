//! The command line as the user types it (clap derive). No logic: `cmd::*` resolves it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "lrtrain",
    version,
    about = "Train small dense networks from a TOML config and study learning-rate schedules",
    after_help = "Examples:\n  lrtrain train --config configs/mnist.toml\n  lrtrain train --config configs/mnist.toml --set optimizer.lr=0.01 --epochs 5 --out runs/fast\n  lrtrain check --config configs/linear.toml\n  lrtrain schedule --config configs/schedules/cosine.toml\n\nExit codes: 0 done, 1 I/O or internal failure, 2 bad usage/config/data, 3 diverged,\n4 a --require bar was missed, 130 interrupted."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model from a config; write metrics.csv, summary.json and config.toml.
    #[command(
        after_help = "Example:\n  lrtrain train --config configs/mnist.toml --set optimizer.lr=0.01 --epochs 5"
    )]
    Train(TrainArgs),
    /// Validate a config and print it resolved (every default filled in) as TOML.
    #[command(
        after_help = "Example:\n  lrtrain check --config configs/mnist.toml --set train.batch_size=64"
    )]
    Check(CheckArgs),
    /// Print a schedule's learning rate for every optimizer step as CSV (epoch,step,lr).
    #[command(
        after_help = "Examples:\n  lrtrain schedule --config configs/schedules/one_cycle.toml --epochs 10\n  lrtrain schedule --config configs/schedules/cosine.toml --plot cosine.svg --log > cosine.csv"
    )]
    Schedule(ScheduleArgs),
    /// Learning-rate range test: raise the rate step by step, suggest an initial rate.
    #[command(
        after_help = "Example:\n  lrtrain find-lr --config configs/mnist.toml --seeds 3 --write-config mnist-lr.toml"
    )]
    FindLr(crate::cmd::find_lr::FindLrArgs),
}

/// Where a config comes from and how it is overridden on the command line.
#[derive(Debug, Args, Clone)]
pub struct ConfigArgs {
    /// The TOML config file.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,
    /// Override any config key: a dotted path and a TOML value (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Run directory (default: output.dir, else runs/<config file stem>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Override the config's seed.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Override train.epochs.
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Replace the files of an existing run directory.
    #[arg(long)]
    pub force: bool,
    /// Exit 4 unless the final metric meets the bar, e.g. "val_accuracy>=0.95".
    #[arg(long, value_name = "METRIC>=X")]
    pub require: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct ScheduleArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Number of epochs (default: train.epochs).
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Optimizer steps per epoch (default: what the data and batch size give).
    #[arg(long, value_name = "K")]
    pub steps_per_epoch: Option<usize>,
    /// Also draw the rate against the optimizer step, epochs as ticks, as an SVG chart in FILE
    /// (the CSV still goes to stdout). An existing FILE is replaced: it is the output you named.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// With --plot: draw the rate on a log scale.
    #[arg(long, requires = "plot")]
    pub log: bool,
}
