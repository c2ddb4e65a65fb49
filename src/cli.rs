//! The command line as the user types it (clap derive). No logic: `cmd::*` resolves it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::compare::stats::PairedTest;

#[derive(Debug, Parser)]
#[command(
    name = "lrtrain",
    version,
    about = "Train small dense networks from a TOML config and study learning-rate schedules",
    after_help = "Examples:\n  lrtrain train --config configs/mnist.toml\n  lrtrain train --config configs/mnist.toml --set optimizer.lr=0.01 --epochs 5 --out runs/fast\n  lrtrain check --config configs/linear.toml\n  lrtrain schedule --config configs/schedules/cosine.toml --plot cosine.svg\n  lrtrain compare configs/schedules/step.toml configs/schedules/cosine.toml --out runs/cmp\n  lrtrain find-lr --config configs/mnist.toml --plot lr.svg\n  lrtrain eval --run runs/mnist\n\nExit codes: 0 done, 1 I/O or internal failure, 2 bad usage/config/data, 3 diverged,\n4 a --require bar was missed, 130 interrupted by SIGINT, 143 by SIGTERM."
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
    FindLr(FindLrArgs),
    /// Train several configs side by side (or read finished runs), rank them, plot the curves.
    #[command(
        after_help = "Examples:\n  lrtrain compare configs/schedules/*.toml --out runs/cmp\n  lrtrain compare configs/*.toml --seeds 3 --metric val_loss --target 0.2\n  lrtrain compare --from runs/cmp --format json"
    )]
    Compare(CompareArgs),
    /// Train a sweep file's trials (grid × random samples) × paired seeds and rank them.
    #[command(
        after_help = "Examples:\n  lrtrain sweep configs/sweeps/schedules.toml --list\n  lrtrain sweep configs/sweeps/schedules.toml --jobs 2\n  lrtrain sweep s.toml --out /shared/runs/s1 --slurm s1.sh --shards 16 --submit"
    )]
    Sweep(SweepArgs),
    /// Continue a run from its checkpoint.bin (the same as train --resume with its config.toml).
    #[command(after_help = "Example:\n  lrtrain resume runs/mnist --epochs 30")]
    Resume(ResumeArgs),
    /// Loss and accuracy of a run's final parameters on its validation set or on other data.
    #[command(
        after_help = "Prints one line on stdout: loss=…,accuracy=…,rows=N (no accuracy for regression).\n\nExamples:\n  lrtrain eval --run runs/mnist\n  lrtrain eval --run runs/mnist --images t10k-images-idx3-ubyte.gz --labels t10k-labels-idx1-ubyte.gz\n  lrtrain eval --run runs/linear --csv more.csv --target y"
    )]
    Eval(EvalArgs),
    /// Predictions of a run's final parameters for new rows, as CSV (prediction[,p_{class}…]).
    #[command(
        after_help = "Examples:\n  lrtrain predict --run runs/penguins --csv new.csv --proba > predictions.csv\n  lrtrain predict --run runs/mnist --images t10k-images-idx3-ubyte.gz --out digits.csv"
    )]
    Predict(PredictArgs),
    /// Write a run's parameters for PyTorch (nn.Sequential names), preprocessing in the metadata.
    #[command(
        after_help = "Example:\n  lrtrain export --run runs/penguins --format safetensors --out penguins.safetensors"
    )]
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The run directory (holding config.toml and params.bin or checkpoint.bin).
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// A CSV file with the run's feature columns (the target is not needed).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "images",
        required_unless_present = "images"
    )]
    pub csv: Option<PathBuf>,
    /// IDX images (an IDX run).
    #[arg(long, value_name = "FILE")]
    pub images: Option<PathBuf>,
    /// Write the CSV here instead of stdout.
    #[arg(long, value_name = "FILE.csv")]
    pub out: Option<PathBuf>,
    /// Also one column p_{class} per class: the predicted probabilities.
    #[arg(long)]
    pub proba: bool,
    /// Replace an existing --out file.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Predict with the averaged weights of [train] ema (params_ema.bin) instead of the raw ones.
    #[arg(long)]
    pub ema: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Safetensors,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The run directory (holding config.toml and params.bin or checkpoint.bin).
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// The file format.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// The file to write.
    #[arg(long, value_name = "FILE.safetensors")]
    pub out: PathBuf,
    /// Replace an existing --out file.
    #[arg(long)]
    pub force: bool,
    /// Export the averaged weights of [train] ema (params_ema.bin) instead of the raw ones.
    #[arg(long)]
    pub ema: bool,
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
    /// Run directory (default: output.dir, else runs/{config file stem}).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Override the config's seed (at most 2^63 − 1, the largest a config file holds).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=crate::config::MAX_SEED))]
    pub seed: Option<u64>,
    /// Override train.epochs.
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Without a terminal: one progress line per epoch (instead of at most about one a second).
    #[arg(long, short = 'v', conflicts_with = "quiet")]
    pub verbose: bool,
    /// Replace the files of an existing run directory.
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
    /// Continue the run in the run directory from its checkpoint.bin, appending to metrics.csv.
    #[arg(long)]
    pub resume: bool,
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

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Config files to train and compare (each into {out}/{file stem}).
    #[arg(
        value_name = "FILE",
        required_unless_present = "from",
        conflicts_with = "from"
    )]
    pub configs: Vec<PathBuf>,
    /// Compare finished runs without training: run directories, or a compare --out directory.
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub from: Vec<PathBuf>,
    /// Where runs, compare.csv, compare.json and the plots go (default: runs/compare; with
    /// --from, nothing is written unless --out is given).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Runs trained at once (default: as many as fit the cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), conflicts_with = "from")]
    pub jobs: Option<u64>,
    /// Train every config with the seeds S, S+1, …, S+K−1 (S: the first config's seed), paired
    /// by seed, and report mean, interval and a verdict against the leader.
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..), conflicts_with = "from")]
    pub seeds: u64,
    /// The metric that ranks the runs: val_accuracy, val_loss, accuracy or loss.
    #[arg(long, value_name = "NAME")]
    pub metric: Option<String>,
    /// Report the epochs each run needed to reach this value of the metric.
    #[arg(long, value_name = "X", allow_negative_numbers = true)]
    pub target: Option<f64>,
    /// How the table is printed on stdout.
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
    /// Exit 4 unless the best run's final metric meets the bar, e.g. "val_accuracy>=0.95".
    #[arg(long, value_name = "METRIC>=X")]
    pub require: Vec<String>,
    /// Exit 3 when any run diverged (the others still run, and the table is still printed).
    #[arg(long)]
    pub fail_on_diverge: bool,
    /// Replace the files of existing run directories.
    #[arg(long, conflicts_with = "from")]
    pub force: bool,
    /// Print nothing but the table and errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// One progress line per epoch of every run, prefixed by the run's name and seed.
    #[arg(long, short = 'v', conflicts_with = "quiet")]
    pub verbose: bool,
    /// Override a key of every config: a dotted path and a TOML value (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE", conflicts_with = "from")]
    pub set: Vec<String>,
    /// The paired test behind p_value: t (paired t-test) or wilcoxon (exact signed-rank).
    #[arg(long, value_enum, default_value_t = PairedTest::T)]
    pub test: PairedTest,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The sweep file: base config, seeds, metric, [grid], [random], [prune].
    #[arg(value_name = "SWEEP.toml")]
    pub sweep: PathBuf,
    /// Where the runs, sweep.csv, sweep.json and epochs.csv go (default: runs/{sweep file stem}).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Runs trained at once, each with its config's threads (default: as many as fit the cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub jobs: Option<u64>,
    /// Run only the trials whose index mod N is I (0 ≤ I < N).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Print every trial as CSV (index,name,overrides) and train nothing (so the flags that
    /// shape training or its table are refused beside it).
    #[arg(long, conflicts_with_all = ["shard", "format", "require", "slurm", "jobs", "force", "test"])]
    pub list: bool,
    /// How the table is printed on stdout.
    #[arg(long, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
    /// Exit 4 unless the best trial's final metric meets the bar, e.g. "val_accuracy>=0.95".
    #[arg(long, value_name = "METRIC>=X")]
    pub require: Vec<String>,
    /// Start every run afresh (replacing existing run directories), and replace FILE.sh.
    #[arg(long)]
    pub force: bool,
    /// Print nothing but the table and errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// One progress line per epoch of every run.
    #[arg(long, short = 'v', conflicts_with = "quiet")]
    pub verbose: bool,
    /// The paired test behind p_value: t (paired t-test) or wilcoxon (exact signed-rank).
    #[arg(long, value_enum, default_value_t = PairedTest::T)]
    pub test: PairedTest,
    /// Write a Slurm batch script for a job array running the shards, instead of training (its
    /// tasks choose --shard and --jobs; the merged table is printed by a later plain run, so
    /// --format, --require and --test are refused beside it).
    #[arg(long, value_name = "FILE.sh", conflicts_with_all = ["shard", "format", "require", "jobs", "test"])]
    pub slurm: Option<PathBuf>,
    /// Array tasks of the --slurm script (default: one per trial, at most 64).
    #[arg(long, value_name = "N", requires = "slurm")]
    pub shards: Option<usize>,
    /// An extra #SBATCH ARG line of the --slurm script (repeatable).
    #[arg(
        long = "sbatch-arg",
        value_name = "ARG",
        requires = "slurm",
        allow_hyphen_values = true
    )]
    pub sbatch_arg: Vec<String>,
    /// Submit the --slurm script with sbatch and print the job id.
    #[arg(long, requires = "slurm")]
    pub submit: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    Table,
    Markdown,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The run directory (holding config.toml and checkpoint.bin).
    #[arg(value_name = "RUN_DIR")]
    pub run: PathBuf,
    /// Train to this many epochs in all (extends a finished run).
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Without a terminal: one progress line per epoch (instead of at most about one a second).
    #[arg(long, short = 'v', conflicts_with = "quiet")]
    pub verbose: bool,
    /// Exit 4 unless the final metric meets the bar, e.g. "val_accuracy>=0.95".
    #[arg(long, value_name = "METRIC>=X")]
    pub require: Vec<String>,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The run directory (holding config.toml and params.bin or checkpoint.bin).
    #[arg(long, value_name = "DIR")]
    pub run: PathBuf,
    /// IDX images to evaluate on (with --labels) instead of the run's validation set.
    #[arg(long, value_name = "FILE", requires = "labels", conflicts_with = "csv")]
    pub images: Option<PathBuf>,
    /// IDX labels for --images.
    #[arg(long, value_name = "FILE", requires = "images")]
    pub labels: Option<PathBuf>,
    /// A CSV file to evaluate on instead of the run's validation set.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// The CSV's target column (default: the run's data.target).
    #[arg(long, value_name = "COLUMN", requires = "csv")]
    pub target: Option<String>,
    /// The CSV has no header row (--target is then a 0-based column index).
    #[arg(long, requires = "csv")]
    pub no_header: bool,
    /// Evaluate the averaged weights of [train] ema (params_ema.bin) instead of the raw ones.
    #[arg(long)]
    pub ema: bool,
}

/// `lrtrain find-lr`.
#[derive(Debug, Args)]
pub struct FindLrArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Directory for lrfind.csv and lrfind.json (default: runs/{config file stem}-lrfind).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The first (lowest) rate.
    #[arg(long, value_name = "X", default_value_t = crate::lrfind::DEFAULT_MIN)]
    pub min: f64,
    /// The last (highest) rate.
    #[arg(long, value_name = "Y", default_value_t = crate::lrfind::DEFAULT_MAX)]
    pub max: f64,
    /// Mini-batch steps from --min to --max.
    #[arg(long, value_name = "N", default_value_t = crate::lrfind::DEFAULT_STEPS)]
    pub steps: usize,
    /// How the rate rises: exp (the same factor every step) or linear (Smith's paper).
    #[arg(long, value_enum, default_value_t = crate::lrfind::Mode::Exp)]
    pub mode: crate::lrfind::Mode,
    /// Repeat the test with seeds seed, seed+1, …, seed+K−1 and report the spread.
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub seeds: usize,
    /// Draw the smoothed loss against the rate (log axis), one curve per seed, suggestions marked.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// Write the whole resolved config with optimizer.lr set to the chosen suggestion.
    #[arg(long, value_name = "FILE")]
    pub write_config: Option<PathBuf>,
    /// Replace an existing lrfind.csv / lrfind.json, the --plot file or the --write-config file.
    #[arg(long)]
    pub force: bool,
    /// No progress on stderr (results still go to stdout).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Also one line per step on stderr (step counted from 1, rate, loss, smoothed loss).
    #[arg(long, short = 'v', conflicts_with = "quiet")]
    pub verbose: bool,
}
