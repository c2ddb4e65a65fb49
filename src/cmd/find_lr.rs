//! `lrtrain find-lr`: the learning-rate range test with the real `Trainer`, once per seed;
//! the suggestions with their spread over seeds on stdout, a snippet to paste, and
//! `lrfind.csv` / `lrfind.json` in the run directory (default `runs/<config stem>-lrfind`).
//!
//! Seed k of `--seeds K` (k = 0..K) runs the config with `seed + k` for everything (data split,
//! initialisation, shuffling). The model is never saved and the config file never modified.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::bail_usage;
use crate::cli::FindLrArgs;
use crate::config::paths;
use crate::config::{self, LoadedConfig, RunConfig};
use crate::data;
use crate::error::interrupt;
use crate::error::{Interrupted, UsageError};
use crate::lrfind::{self, Curve, Mode, Range, Spread, Stop};
use crate::output::{self, format_number};
use crate::report::plot::{self, Marker, Panel, Series};
use crate::run::{self, dir::DirKind};
use crate::train::{self, Trainer};

/// Files `find-lr` writes; an existing one is never replaced without `--force`.
pub const FILES: [&str; 2] = ["lrfind.csv", "lrfind.json"];
/// Most repeats `--seeds` accepts.
const MAX_SEEDS: usize = 1000;
/// Most steps of all seeds together (each one a row of lrfind.csv, kept in memory).
const MAX_POINTS: usize = 1_000_000;

/// The suggestion the snippet and `--write-config` use. fastai's `lr_find` has defaulted to
/// valley since 2.5: it sits in the middle of the productive fall, away from the flat start and
/// from the cliff; steepest hangs on one noisy pair of points, and minimum/10 on where the
/// (lagging) smoothed minimum lands.
pub const CHOSEN: &str = "valley";

pub fn run(args: &FindLrArgs) -> Result<()> {
    let range = Range {
        min: args.min,
        max: args.max,
        steps: args.steps,
        mode: args.mode,
    };
    range.check()?;
    config::range::int_in("--seeds", args.seeds, 1, MAX_SEEDS)?;
    // Every step of every seed is kept (lrfind.csv, the plot, the spread): bounded in all.
    if args.steps.saturating_mul(args.seeds) > MAX_POINTS {
        bail_usage!(
            "--steps {} × --seeds {} = {} steps; expected at most {MAX_POINTS} in all",
            args.steps,
            args.seeds,
            args.steps as u128 * args.seeds as u128
        );
    }
    let loaded = super::load_config(&args.config, &[], args.quiet)?;
    // Everything train would refuse is refused before the output directory is made.
    super::preflight(&loaded)?;
    // Every output is checked (and its parent made) before the test runs, so a bad path costs
    // nothing.
    let write_config = match &args.write_config {
        Some(path) => Some(check_write_config(path, &loaded.path, args.force)?),
        None => None,
    };
    let plot_path = match &args.plot {
        Some(path) => Some(paths::output_file(path, "--plot", Some(args.force))?),
        None => None,
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_dir(&loaded.path));
    let dir = run::dir::create(&paths::output_dir(&out, "--out")?, args.force, &LRFIND_DIR)?;
    interrupt::install();
    let mut csv_text = String::from("seed,step,lr,loss,smoothed_loss\n");
    output::write_atomic(&dir.file(FILES[0]), csv_text.as_bytes())?;

    let base_seed = loaded.config.seed;
    let mut runs = Vec::new();
    for k in 0..args.seeds {
        let seed = base_seed.wrapping_add(k as u64);
        let mut cfg = loaded.config.clone();
        cfg.seed = seed;
        if !args.quiet {
            eprintln!(
                "seed {seed}: range test over {} steps, lr {} to {} (--mode {})",
                range.steps,
                range.min,
                range.max,
                range.mode.name()
            );
        }
        let (curve, shape) = range_test(&loaded, &cfg, range)?;
        if interrupt::requested() {
            // The cut-short curve is not written: lrfind.csv keeps the seeds that finished.
            return Err(Interrupted.into());
        }
        if args.verbose {
            for p in &curve.points {
                eprintln!(
                    "seed {seed}: step {}/{}  lr {:.4e}  loss {:.4}  smoothed {:.4}",
                    p.step + 1,
                    range.steps,
                    p.lr,
                    p.loss,
                    p.smoothed
                );
            }
        }
        for p in &curve.points {
            csv_text += &format!(
                "{seed},{},{},{},{}\n",
                p.step,
                format_number(Some(p.lr)),
                format_number(Some(p.loss)),
                format_number(Some(p.smoothed)),
            );
        }
        output::write_atomic(&dir.file(FILES[0]), csv_text.as_bytes())?;
        runs.push(SeedRun {
            seed,
            suggestions: lrfind::suggest(&curve),
            curve,
            total_steps: shape.0 * shape.1,
            shape,
        });
    }

    let report = Report::new(&loaded, range, &runs);
    let json = serde_json::to_string_pretty(&report)?;
    dir.write_atomic(FILES[1], json.as_bytes())?;

    // Every file before stdout: a reader that closes stdout early (`| head`) must not cost the
    // user a file, and a broken pipe is only success once they are all written.
    if let Some(path) = &plot_path {
        let svg =
            plot(&report, &runs).with_context(|| format!("drawing --plot {}", path.display()))?;
        output::write_atomic(path, svg.as_bytes())?;
        if !args.quiet {
            eprintln!("wrote {}", path.display());
        }
    }

    if let (Some(path), Some(chosen)) = (&write_config, report.chosen_lr) {
        let mut applied = loaded.clone();
        applied.config.optimizer.lr = Some(chosen);
        let shape = super::preview(&applied, None)?.shape;
        let toml = format!(
            "# {} with optimizer.lr = {chosen} ({CHOSEN} suggestion of lrtrain find-lr)\n{}",
            loaded.absolute_path().display(),
            applied.to_toml(&shape)?
        );
        output::write_atomic(path, toml.as_bytes())?;
        if !args.quiet {
            eprintln!("wrote {}", path.display());
        }
    }
    if !args.quiet {
        eprintln!("wrote {}", dir.path.display());
    }

    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    output::stdout_closed_is_ok(
        write_results(&mut w, &report, &runs, &loaded).and_then(|()| Ok(w.flush()?)),
    )?;
    drop(w);

    if report.chosen_lr.is_none() {
        let why = runs
            .iter()
            .find_map(|r| lrfind::readable(&r.curve).err())
            .unwrap_or_else(|| "no method found a falling stretch".into());
        return Err(UsageError(format!(
            "{}: no trustworthy suggestion: {why} (see {})",
            loaded.path.display(),
            dir.file(FILES[0]).display()
        ))
        .into());
    }
    Ok(())
}

/// `runs/<config file stem>-lrfind`.
fn default_dir(config: &Path) -> PathBuf {
    let stem = config
        .file_stem()
        .map_or_else(|| "run".into(), |s| s.to_string_lossy().into_owned());
    Path::new("runs").join(format!("{stem}-lrfind"))
}

/// A range test's directory: refused when it already holds one, unless `--force`.
const LRFIND_DIR: DirKind = DirKind {
    noun: "output directory",
    holds: "a range test",
    files: &FILES,
};

/// `--write-config` never touches the original config, nor an existing file without `--force`.
/// Returns the absolute path, its parent created.
fn check_write_config(path: &Path, config: &Path, force: bool) -> Result<PathBuf> {
    let same = match (path.canonicalize(), config.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        bail_usage!(
            "--write-config {}: that is the config being tested, which find-lr never modifies; name another file",
            path.display()
        );
    }
    paths::output_file(path, "--write-config", Some(force))
}

/// One range test with the real Trainer: `steps` mini-batches, moving on to the next epoch's
/// shuffled order when an epoch runs out. Returns the curve and (epochs, steps per epoch).
fn range_test(
    loaded: &LoadedConfig,
    cfg: &RunConfig,
    range: Range,
) -> Result<(Curve, (usize, usize))> {
    let splits = data::load(&cfg.data, cfg.model.task(), cfg.seed).map_err(|e| loaded.usage(e))?;
    let threads = config::resolve_threads(cfg.threads);
    let mut trainer = Trainer::new(cfg, &splits, threads).map_err(|e| loaded.usage(e))?;
    let shape = train::run_shape(cfg, splits.train.rows, splits.validation.is_some());
    let per_epoch = trainer.steps_per_epoch().max(1);
    let curve = lrfind::run(range, lrfind::BETA, |i, lr| {
        let (epoch, index) = (i / per_epoch, i % per_epoch);
        if index == 0 {
            trainer.prepare_epoch(epoch);
        }
        if interrupt::requested() {
            // Ends the test at once (a non-finite loss stops it); the caller reports why.
            return f64::NAN;
        }
        trainer.train_batch(index, lr).loss
    });
    Ok((curve, (shape.epochs, shape.steps_per_epoch)))
}

struct SeedRun {
    seed: u64,
    curve: Curve,
    suggestions: lrfind::Suggestions,
    /// (epochs, steps per epoch) of the config's training run.
    shape: (usize, usize),
    total_steps: usize,
}

fn describe_stop(c: &Curve) -> String {
    let last = c.points.last().map_or(0.0, |p| p.lr);
    let steps = c.points.len();
    let stop = match c.stop {
        Stop::ReachedMax => format!("{steps} steps, reached --max {last} without blowing up"),
        stop => format!(
            "stopped after {steps} of {} steps at lr {}: {}",
            c.range.steps,
            sci(last),
            stop.describe()
        ),
    };
    // Said whenever it happened, since it bounds what every suggestion may read.
    match lrfind::first_rise(c) {
        Some(p) => format!(
            "{stop}; the smoothed loss rose above {}× its minimum at lr {} (step {}): suggestions come from before it",
            lrfind::RISE_FACTOR,
            sci(p.lr),
            p.step
        ),
        None => stop,
    }
}

/// `lrfind.json`.
#[derive(Debug, Serialize)]
struct Report {
    lrtrain_version: &'static str,
    config: String,
    mode: Mode,
    min_lr: f64,
    max_lr: f64,
    steps: usize,
    beta: f64,
    stop_factor: f64,
    seeds: Vec<u64>,
    /// Which suggestion the snippet and --write-config use.
    chosen: &'static str,
    /// Its median over seeds, rounded to three significant digits.
    chosen_lr: Option<f64>,
    suggestions: Vec<SuggestionReport>,
    /// The stop reason of every seed's run when they agree, else "mixed".
    stop_reason: String,
    runs: Vec<RunReport>,
}

#[derive(Debug, Serialize)]
struct SuggestionReport {
    name: &'static str,
    method: &'static str,
    /// Median over seeds; null when no seed's curve could be read.
    lr: Option<f64>,
    spread: Option<Spread>,
    per_seed: Vec<Option<f64>>,
}

#[derive(Debug, Serialize)]
struct RunReport {
    seed: u64,
    steps_run: usize,
    stop_reason: Stop,
    stop_lr: f64,
    min_smoothed_loss: Option<f64>,
    min_smoothed_loss_lr: Option<f64>,
}

const METHODS: [(&str, &str); 3] = [
    (
        "valley",
        "middle (log axis) of the longest stretch of falling smoothed loss",
    ),
    (
        "steepest",
        "most negative slope of smoothed loss against log rate",
    ),
    (
        "minimum/10",
        "rate at the lowest smoothed loss, divided by 10",
    ),
];

impl Report {
    fn new(loaded: &LoadedConfig, range: Range, runs: &[SeedRun]) -> Report {
        let suggestions: Vec<SuggestionReport> = METHODS
            .iter()
            .map(|&(name, method)| {
                let per_seed: Vec<Option<f64>> = runs
                    .iter()
                    .map(|r| match name {
                        "valley" => r.suggestions.valley,
                        "steepest" => r.suggestions.steepest,
                        _ => r.suggestions.minimum_over_10,
                    })
                    .collect();
                let values: Vec<f64> = per_seed.iter().flatten().copied().collect();
                let spread = lrfind::spread(&values);
                SuggestionReport {
                    name,
                    method,
                    lr: spread.map(|s| s.median),
                    spread,
                    per_seed,
                }
            })
            .collect();
        let chosen_lr = suggestions
            .iter()
            .find(|s| s.name == CHOSEN)
            .and_then(|s| s.lr)
            .map(lrfind::round3);
        let reasons: Vec<Stop> = runs.iter().map(|r| r.curve.stop).collect();
        let stop_reason = if reasons.windows(2).all(|w| w[0] == w[1]) {
            reasons.first().map_or("none".into(), |s| {
                serde_json::to_value(s)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            })
        } else {
            "mixed".into()
        };
        Report {
            lrtrain_version: env!("CARGO_PKG_VERSION"),
            config: loaded.absolute_path().display().to_string(),
            mode: range.mode,
            min_lr: range.min,
            max_lr: range.max,
            steps: range.steps,
            beta: lrfind::BETA,
            stop_factor: lrfind::STOP_FACTOR,
            seeds: runs.iter().map(|r| r.seed).collect(),
            chosen: CHOSEN,
            chosen_lr,
            suggestions,
            stop_reason,
            runs: runs
                .iter()
                .map(|r| {
                    let min = r.curve.minimum();
                    RunReport {
                        seed: r.seed,
                        steps_run: r.curve.points.len(),
                        stop_reason: r.curve.stop,
                        stop_lr: r.curve.points.last().map_or(0.0, |p| p.lr),
                        min_smoothed_loss: min.map(|p| p.smoothed),
                        min_smoothed_loss_lr: min.map(|p| p.lr),
                    }
                })
                .collect(),
        }
    }
}

/// The y range worth reading: from the lowest smoothed loss to the highest one before it (the
/// start and its plateau). The blow-up after the minimum, which can reach 1e10 in one step
/// before the loss turns NaN, would otherwise squash the fall into a flat line; it is drawn on
/// the range's edge instead. `None` when no seed has a finite, positive minimum below its start.
fn informative_range(runs: &[SeedRun]) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for r in runs {
        let pts = &r.curve.points;
        let ok = |v: f64| v.is_finite() && v > 0.0;
        let Some(min_at) = (0..pts.len())
            .filter(|&i| ok(pts[i].smoothed))
            .min_by(|&a, &b| pts[a].smoothed.total_cmp(&pts[b].smoothed))
        else {
            continue;
        };
        lo = lo.min(pts[min_at].smoothed);
        for p in &pts[..=min_at] {
            if ok(p.smoothed) {
                hi = hi.max(p.smoothed);
            }
        }
    }
    (lo.is_finite() && hi.is_finite() && lo < hi).then_some((lo, hi))
}

/// Smoothed loss against rate on a log axis, one curve per seed, a marker per suggestion.
fn plot(report: &Report, runs: &[SeedRun]) -> Result<String> {
    let mut panel = Panel::new(
        format!(
            "Learning-rate range test: {} ({} mode, {} steps)",
            Path::new(&report.config).file_name().map_or_else(
                || report.config.clone(),
                |n| n.to_string_lossy().into_owned()
            ),
            serde_json::to_value(report.mode)?.as_str().unwrap_or(""),
            report.steps
        ),
        "learning rate",
        format!("training loss (smoothed, β = {})", report.beta),
    );
    panel.log_x = true;
    // The explosion reaches 4× the minimum; on a log axis the fall before it stays readable.
    panel.log_y = true;
    panel.series = runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let points = r.curve.points.iter().map(|p| (p.lr, p.smoothed)).collect();
            Series::new(format!("seed {}", r.seed), points).styled(i)
        })
        .collect();
    panel.y_range = informative_range(runs);
    panel.markers = report
        .suggestions
        .iter()
        .filter_map(|s| {
            let mark = if s.name == CHOSEN { " (chosen)" } else { "" };
            s.lr.map(|lr| Marker {
                x: lr,
                label: format!("{} {}{mark}", s.name, sci(lr)),
            })
        })
        .collect();
    plot::render_svg(&[panel], 900, 500)
}

fn sci(x: f64) -> String {
    format!("{x:.2e}")
}

/// The suggestions table, the disagreement warnings and the snippet to paste (stdout).
fn write_results(
    w: &mut impl Write,
    report: &Report,
    runs: &[SeedRun],
    loaded: &LoadedConfig,
) -> Result<()> {
    for r in runs {
        writeln!(w, "seed {}: {}", r.seed, describe_stop(&r.curve))?;
    }
    let k = runs.len();
    writeln!(w)?;
    let spread_head = if k > 1 {
        format!("spread ({k} seeds)")
    } else {
        String::new()
    };
    writeln!(
        w,
        "{:<12} {:>9}  {:<20} how it was found",
        "suggestion", "lr", spread_head
    )?;
    for s in &report.suggestions {
        let mark = if s.name == CHOSEN { " *" } else { "" };
        let lr = s.lr.map_or("-".into(), sci);
        let spread = match (k > 1, s.spread) {
            (true, Some(sp)) => format!("{} – {}", sci(sp.min), sci(sp.max)),
            _ => String::new(),
        };
        writeln!(
            w,
            "{:<12} {lr:>9}  {spread:<20} {}",
            format!("{}{mark}", s.name),
            s.method
        )?;
    }
    if k > 1 {
        for r in runs {
            if let Err(why) = lrfind::readable(&r.curve) {
                writeln!(
                    w,
                    "warning: seed {}: no trustworthy suggestion: {why}",
                    r.seed
                )?;
            }
        }
    }
    for s in &report.suggestions {
        if let Some(sp) = s.spread.filter(|sp| sp.disagree) {
            writeln!(
                w,
                "warning: the seeds disagree on {} by a factor of {:.1} (more than {}): not a rate to stand behind; raise --steps or --seeds, or look at lrfind.csv",
                s.name,
                sp.max / sp.min,
                lrfind::DISAGREE_FACTOR
            )?;
        }
    }
    let Some(lr) = report.chosen_lr else {
        return Ok(());
    };
    let (epochs, per_epoch) = runs[0].shape;
    let total = runs[0].total_steps;
    writeln!(w)?;
    writeln!(
        w,
        "# * chosen ({CHOSEN}); paste into {} (or run with --write-config FILE):",
        loaded.path.display()
    )?;
    writeln!(w, "[optimizer]\nlr = {lr}")?;
    writeln!(w)?;
    writeln!(
        w,
        "# or train one cycle peaking at it (replaces [schedule]; PyTorch OneCycleLR, max_lr = lr):"
    )?;
    writeln!(
        w,
        "[schedule]\nkind = \"one_cycle\"\nunit = \"step\"\n# total = {total} (the run's length: {epochs} epochs × {per_epoch} steps; omitted, it follows train.epochs)"
    )?;
    Ok(())
}
