//! `lrtrain schedule`: the rate of every optimizer step as CSV `epoch,step,lr` on stdout,
//! without training (and without reading the training set beyond counting its rows), and with
//! `--plot` the same curve as an SVG chart.

use std::io::Write;

use anyhow::{Context, Result};

use crate::bail_usage;
use crate::cli::ScheduleArgs;
use crate::config::Override;
use crate::config::paths;
use crate::output;
use crate::report::plot;
use crate::schedule::{self, LrSchedule, RunShape, ScheduleConfig, ScheduleKind, Unit};

pub fn run(args: &ScheduleArgs) -> Result<()> {
    let extra: Vec<Override> = args
        .epochs
        .map(|n| Override::flag("--epochs", "train.epochs", n))
        .into_iter()
        .collect();
    let loaded = super::load_config(&args.config, &extra, false)?;
    let cfg = &loaded.config;
    // Replaced when it exists (it is the output the user named: `schedule` has no --force).
    let plot_path = match &args.plot {
        Some(path) => Some(paths::output_file(path, "--plot", None)?),
        None => None,
    };
    if let Some(k) = args.steps_per_epoch {
        crate::config::range::positive_int("--steps-per-epoch", k)?;
    }
    let super::Preflight {
        shape,
        schedule,
        warnings,
    } = super::preview(&loaded, args.steps_per_epoch)?;
    let lr0 = cfg.optimizer.lr0();
    if schedule.needs_feedback() {
        bail_usage!(
            "{}: this schedule follows the training signal (plateau or grad_norm), so its rates are only known while training; run `lrtrain train` and read the lr column of metrics.csv",
            loaded.path.display()
        );
    }
    for warning in warnings {
        eprintln!("warning: {warning}");
    }
    // The horizons the config leaves to the run, as this preview resolved them (--epochs and
    // --steps-per-epoch included).
    for h in schedule::omitted_horizons(&cfg.schedule, lr0, &shape) {
        eprintln!("note: {}", h.describe());
    }
    // The chart first: a reader closing stdout early (`| head`) must not cost the user the file,
    // and an unwritable path fails before any CSV is printed.
    if let Some(path) = &plot_path {
        let panel = chart(&schedule, &cfg.schedule, lr0, &shape, args.log);
        let svg = plot::render_svg(&[panel], 900, 420).context("drawing the schedule chart")?;
        output::write_atomic(path, svg.as_bytes())
            .with_context(|| format!("--plot {}", path.display()))?;
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

/// The chart of `--plot`: rate against optimizer step, epoch boundaries as x ticks.
fn chart(
    schedule: &LrSchedule,
    cfg: &ScheduleConfig,
    lr0: f64,
    shape: &RunShape,
    log: bool,
) -> plot::Panel {
    let y_label = if log {
        "learning rate (log scale)"
    } else {
        "learning rate"
    };
    let mut panel = plot::Panel::new(title(cfg, lr0), "optimizer step (ticks: epochs)", y_label);
    panel.log_y = log;
    panel.series = vec![plot::Series::new("lr", rates(schedule, shape))];
    panel.x_ticks = Some(epoch_ticks(shape));
    panel
}

/// `cosine schedule (per epoch, warmup 2 epochs), lr0 = 0.1`; a sequential lists its phases.
fn title(cfg: &ScheduleConfig, lr0: f64) -> String {
    let mut name = cfg.kind.name().to_string();
    if let ScheduleKind::Sequential(s) = &cfg.kind {
        let phases: Vec<&str> = s.phases.iter().map(|p| p.kind.name()).collect();
        name = format!("{name} ({})", phases.join(" → "));
    }
    let mut details = Vec::new();
    if cfg.unit == Unit::Epoch {
        details.push("per epoch".to_string());
    }
    if cfg.warmup > 0 {
        details.push(format!("warmup {} {}", cfg.warmup, cfg.unit.plural()));
    }
    let details = if details.is_empty() {
        String::new()
    } else {
        format!(" ({})", details.join(", "))
    };
    format!("{name} schedule{details}, lr0 = {lr0}")
}

/// Runs of steps a long schedule is cut into for the chart (see [`rates`]).
const CHART_RUNS: usize = 10 * plot::MAX_POINTS;

/// The rate at every step, as `(step, lr)`, thinned while it is computed so a run of millions of
/// steps needs no more memory than one of thousands: the first and last step, and the lowest and
/// highest rate of each of at most [`CHART_RUNS`] runs of steps between them (`render_svg` thins
/// the same way, so what it draws is unchanged).
fn rates(schedule: &LrSchedule, shape: &RunShape) -> Vec<(f64, f64)> {
    let spe = shape.steps_per_epoch.max(1);
    let n = shape.epochs.saturating_mul(spe);
    let run = (n / CHART_RUNS).max(1);
    let mut out = Vec::with_capacity(n.min(2 * CHART_RUNS + 2));
    // The lowest and highest (step, lr) of the current run of steps.
    let mut extremes: Option<[(usize, f64); 2]> = None;
    let flush = |out: &mut Vec<(f64, f64)>, extremes: &mut Option<[(usize, f64); 2]>| {
        if let Some(mut pair) = extremes.take() {
            pair.sort_by_key(|p| p.0);
            out.push((pair[0].0 as f64, pair[0].1));
            if pair[0].0 != pair[1].0 {
                out.push((pair[1].0 as f64, pair[1].1));
            }
        }
    };
    for step in 0..n {
        let lr = schedule.rate(step, step / spe);
        if run == 1 || step == 0 || step == n - 1 {
            flush(&mut out, &mut extremes);
            out.push((step as f64, lr));
            continue;
        }
        let [lo, hi] = extremes.get_or_insert([(step, lr); 2]);
        if lr < lo.1 {
            *lo = (step, lr);
        }
        if lr > hi.1 {
            *hi = (step, lr);
        }
        if step % run == 0 {
            flush(&mut out, &mut extremes);
        }
    }
    out
}

/// Epoch boundaries (epoch e starts at step e · steps_per_epoch), up to the end of the last
/// epoch. Past about 50 epochs only round multiples (1, 2, 5 × 10^k) get a tick: `render_svg`
/// thins labels, but every tick left would still draw a grid line.
fn epoch_ticks(shape: &RunShape) -> Vec<(f64, String)> {
    let spe = shape.steps_per_epoch.max(1);
    let every = nice_stride(shape.epochs.div_ceil(50));
    (0..=shape.epochs)
        .step_by(every)
        .map(|e| (e.saturating_mul(spe) as f64, e.to_string()))
        .collect()
}

/// The smallest of 1, 2, 5, 10, 20, 50, … that is ≥ `at_least`.
fn nice_stride(at_least: usize) -> usize {
    let mut base = 1usize;
    loop {
        for m in [1, 2, 5] {
            let s = base.saturating_mul(m);
            if s >= at_least || s == usize::MAX {
                return s;
            }
        }
        base = base.saturating_mul(10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(epochs: usize, steps_per_epoch: usize) -> RunShape {
        RunShape {
            seed: 1,
            epochs,
            steps_per_epoch,
            has_validation: true,
            classification: true,
        }
    }

    fn schedule(src: &str, lr0: f64, shape: &RunShape) -> (ScheduleConfig, LrSchedule) {
        let cfg: ScheduleConfig = toml::from_str(src).unwrap();
        let s = LrSchedule::new(&cfg, lr0, shape).unwrap();
        (cfg, s)
    }

    #[test]
    fn a_short_schedule_is_charted_step_by_step() {
        let sh = shape(3, 4);
        let (_, s) = schedule("kind = \"step\"\nstep_size = 5\ngamma = 0.5", 1.0, &sh);
        let r = rates(&s, &sh);
        assert_eq!(r.len(), 12);
        assert_eq!(r[4], (4.0, 1.0));
        assert_eq!(r[5], (5.0, 0.5));
    }

    #[test]
    fn a_long_schedule_is_thinned_keeping_its_ends_and_extremes() {
        // 2,000,000 steps of a cyclic rate: every cycle's peak (1.0) and trough (0.1) must stay.
        let sh = shape(1000, 2000);
        let (_, s) = schedule(
            "kind = \"cyclic\"\nmax_lr = 1.0\nstep_size_up = 5000",
            0.1,
            &sh,
        );
        let r = rates(&s, &sh);
        assert!(r.len() <= 2 * CHART_RUNS + 2, "{}", r.len());
        assert_eq!(r.first(), Some(&(0.0, 0.1)));
        assert_eq!(r.last().unwrap().0, 1_999_999.0);
        assert!(r.windows(2).all(|w| w[0].0 < w[1].0));
        for cycle in 0..200 {
            let peak = cycle * 10_000 + 5000;
            assert!(
                r.contains(&(peak as f64, s.rate_at(peak))),
                "peak at {peak}"
            );
        }
    }

    #[test]
    fn epoch_ticks_are_every_epoch_until_there_are_too_many() {
        let t = epoch_ticks(&shape(10, 63));
        assert_eq!(t.len(), 11);
        assert_eq!(t[1], (63.0, "1".to_string()));
        assert_eq!(t[10], (630.0, "10".to_string()));
        let t = epoch_ticks(&shape(1000, 3));
        assert_eq!(t.len(), 51);
        assert_eq!(t[1], (60.0, "20".to_string()));
        assert_eq!(nice_stride(0), 1);
        assert_eq!(nice_stride(3), 5);
        assert_eq!(nice_stride(11), 20);
    }

    #[test]
    fn the_title_names_the_kind_unit_warmup_and_lr0() {
        let sh = shape(10, 10);
        let (cfg, _) = schedule(
            "kind = \"cosine\"\ntotal = 8\nunit = \"epoch\"\nwarmup = 2",
            0.1,
            &sh,
        );
        assert_eq!(
            title(&cfg, 0.1),
            "cosine schedule (per epoch, warmup 2 epochs), lr0 = 0.1"
        );
        let (cfg, _) = schedule(
            "kind = \"sequential\"\nphases = [{ kind = \"linear\", length = 10 }, { kind = \"constant\" }]",
            0.5,
            &sh,
        );
        assert_eq!(
            title(&cfg, 0.5),
            "sequential (linear → constant) schedule, lr0 = 0.5"
        );
    }
}
