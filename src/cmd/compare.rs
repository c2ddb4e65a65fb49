//! `lrtrain compare`: train several configs (× seeds) side by side, or read finished runs with
//! `--from`; print the ranked table, write `compare.csv` (the table), `epochs.csv` (every run's
//! metrics.csv rows), `compare.json` and the charts.
//!
//! Every config is loaded and checked, and every run directory is checked free, before the
//! first run trains. Runs are handed to `--jobs` worker threads from one queue; each run uses
//! the config's `threads`, or one thread when the config says 0 (all cores), so a run's
//! numbers never depend on `--jobs` (the product's rounding depends on the thread count).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, anyhow};

use crate::bail_usage;
use crate::cli::{CompareArgs, CompareFormat};
use crate::compare::{self, Group, Table, export, load, plan};
use crate::config::paths;
use crate::config::{self, LoadedConfig};
use crate::error::interrupt;
use crate::error::{Diverged, Interrupted, RequirementMissed};
use crate::metric::Metric;
use crate::output;
use crate::run::progress::Verbosity;
use crate::run::require::Requirement;
use crate::run::summary;
use crate::run::{self, RunOptions};
use crate::schedule::RunShape;
use crate::sweep::manifest::{self, RunStatus};
use crate::sweep::run as sweep_run;

/// `--out` when not given.
pub const DEFAULT_OUT: &str = "runs/compare";

pub fn run(args: &CompareArgs) -> Result<()> {
    let requirements = args
        .require
        .iter()
        .map(|r| Requirement::parse(r))
        .collect::<Result<Vec<_>>>()?;
    if let Some(metric) = &args.metric {
        compare::check_metric(metric)?;
    }
    if let Some(target) = args.target.filter(|t| !t.is_finite()) {
        bail_usage!("--target {target}: expected a finite number");
    }
    // Counted before anything is loaded or planned run by run.
    if args.from.is_empty() {
        config::range::int_in("--seeds", args.seeds, 1, plan::MAX_SEEDS)?;
        plan::check_runs(args.configs.len() as u128 * u128::from(args.seeds), || {
            format!("{} configs × --seeds {}", args.configs.len(), args.seeds)
        })?;
    }

    // Checked (and its parent made) before anything trains; absolute, so every run directory
    // and file written under it is too.
    let out = match (&args.out, args.from.is_empty()) {
        (Some(out), _) => Some(paths::output_dir(out, "--out")?),
        (None, true) => Some(paths::output_dir(Path::new(DEFAULT_OUT), "--out")?),
        (None, false) => None,
    };
    let (groups, failures) = match &out {
        Some(out) if args.from.is_empty() => {
            interrupt::install();
            train_all(args, out)?
        }
        _ => (
            as_sweep_shows(&args.from, load::groups(&args.from)?),
            Vec::new(),
        ),
    };

    // Finished runs read with --from obey the same rule as configs about to train.
    let stored = stored_configs(&groups);
    let pairs: Vec<(PathBuf, &crate::config::RunConfig)> =
        stored.iter().map(|(d, c)| (d.clone(), c)).collect();
    compare::comparable::check(&pairs)?;
    let (mut table, groups) = compare::rank(groups, args.metric.as_deref(), args.target);
    compare::add_stats(&mut table, &groups, args.test);
    if pairs.len() > 1 {
        table.differ_in =
            compare::comparable::differ_in(&pairs.iter().map(|p| p.1).collect::<Vec<_>>());
    }
    if let Some(out) = &out {
        write_files(out, &table, &groups, args.quiet)?;
    }
    print_table(&table, args.format)?;

    // Exit codes, most serious first: a run that failed (1, 2), a divergence the user asked
    // to fail on (3), a missed bar (4).
    if let Some(first) = failures.into_iter().next() {
        return Err(first);
    }
    if args.fail_on_diverge {
        fail_on_diverge(&groups)?;
    }
    check_requirements(&requirements, &table, &groups)
}

/// The runs of `--from` as `sweep` shows them, so `compare --from OUT` prints a sweep's own
/// table: a run another live process holds is `running`; under a sweep's OUT (its
/// `sweep.json`), a pruned run is `pruned`, and a seed with no run yet is listed as `pending`
/// (or `running` when held), so a trial missing a seed is never `completed`.
fn as_sweep_shows(from: &[PathBuf], mut groups: Vec<Group>) -> Vec<Group> {
    let held = |dir: &Path| sweep_run::RunLock::held_elsewhere(dir);
    for r in groups.iter_mut().flat_map(|g| &mut g.runs) {
        if held(&r.dir) {
            r.status = "running".into();
        }
    }
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    for out in from {
        let Some(m) = manifest::read(out) else {
            continue;
        };
        for trial in &m.trials {
            let Some(trial_dir) = canonical(&out.join(&trial.name)) else {
                continue;
            };
            let in_trial = |g: &Group| {
                g.runs
                    .iter()
                    .any(|r| r.dir.parent().and_then(canonical).as_ref() == Some(&trial_dir))
            };
            let at = match groups.iter().position(in_trial) {
                Some(at) => at,
                None if trial.runs.iter().any(|e| held(&e.dir)) => {
                    groups.push(Group {
                        name: trial.name.clone(),
                        runs: Vec::new(),
                    });
                    groups.len() - 1
                }
                None => continue,
            };
            let g = &mut groups[at];
            let mut found = std::mem::take(&mut g.runs);
            for entry in &trial.runs {
                let run = match found.iter().position(|r| r.seed == entry.seed) {
                    Some(i) => {
                        let mut r = found.remove(i);
                        if entry.status == RunStatus::Pruned && r.status != "running" {
                            r.status = "pruned".into();
                        }
                        r
                    }
                    None => {
                        let dir = manifest::run_dir(out, &trial.name, entry.seed);
                        let status = if held(&dir) { "running" } else { "pending" };
                        compare::RunRecord::not_run(dir, entry.seed, status)
                    }
                };
                g.runs.push(run);
            }
            // Runs the manifest does not list (another plan's seeds) stay, after its own.
            g.runs.extend(found);
        }
    }
    groups
}

/// Prints `table` on stdout in `format` (a closed stdout is not an error). `sweep` prints its
/// table through here too.
pub fn print_table(table: &Table, format: CompareFormat) -> Result<()> {
    let printed = match format {
        CompareFormat::Table => {
            export::text::render(table, export::text::terminal_width()).into_bytes()
        }
        CompareFormat::Markdown => export::markdown::render(table).into_bytes(),
        CompareFormat::Csv => export::csv::render(table)?,
        CompareFormat::Json => export::json::render(table)?,
    };
    let mut stdout = std::io::stdout().lock();
    output::stdout_closed_is_ok(
        stdout
            .write_all(&printed)
            .and_then(|()| stdout.flush())
            .map_err(Into::into),
    )
}

/// Each group's first run's config (its summary.json `config`) with the run directory.
fn stored_configs(groups: &[Group]) -> Vec<(PathBuf, crate::config::RunConfig)> {
    groups
        .iter()
        // The first run that has written its summary (a seed not run yet has none).
        .filter_map(|g| g.runs.iter().find(|r| r.dir.join("summary.json").is_file()))
        .filter_map(|r| {
            let text = std::fs::read(r.dir.join("summary.json")).ok()?;
            let json: serde_json::Value = serde_json::from_slice(&text).ok()?;
            Some((
                r.dir.clone(),
                serde_json::from_value(json.get("config")?.clone()).ok()?,
            ))
        })
        .collect()
}

/// One run to train.
struct Job {
    /// Index of its config (its group).
    group: usize,
    name: String,
    seed: u64,
    loaded: LoadedConfig,
    dir: PathBuf,
    threads: usize,
}

/// Plans, checks, trains every run, and reads them all back. The errors returned beside the
/// groups are runs that failed for another reason than diverging (reported at the end).
fn train_all(args: &CompareArgs, out: &Path) -> Result<(Vec<Group>, Vec<anyhow::Error>)> {
    let (names, jobs) = plan_jobs(args, out)?;
    // Running the same compare again reuses what it can; a run trained from another config
    // is not silently mixed in.
    if !args.force {
        let changed: Vec<String> = jobs
            .iter()
            .filter(|j| sweep_run::config_changed(&j.dir, &j.loaded))
            .map(|j| j.dir.display().to_string())
            .collect();
        if !changed.is_empty() {
            bail_usage!(
                "{}: the run's config changed since it was trained; pass --force to replace it, or --out DIR to write elsewhere (nothing was trained)",
                changed.join(", ")
            );
        }
    }

    let widest = jobs.iter().map(|j| j.threads).max().unwrap_or(1);
    let cores = config::resolve_threads(0);
    let workers = args
        .jobs
        .map_or((cores / widest).max(1), |j| j as usize)
        .clamp(1, jobs.len().max(1));
    if !args.quiet {
        let threads = if jobs.iter().all(|j| j.threads == widest) {
            format!("{widest} thread{} each", if widest == 1 { "" } else { "s" })
        } else {
            format!("up to {widest} threads each")
        };
        eprintln!(
            "compare: {} run{} into {}, {workers} at a time, {threads}",
            jobs.len(),
            if jobs.len() == 1 { "" } else { "s" },
            out.display()
        );
    }

    let verbosity = Verbosity::from_flags(args.quiet, args.verbose);
    let results = execute_all(&jobs, workers, args.force, verbosity);
    let mut groups: Vec<Group> = names
        .into_iter()
        .map(|name| Group {
            name,
            runs: Vec::new(),
        })
        .collect();
    let mut failures = Vec::new();
    for (job, result) in jobs.iter().zip(results) {
        match result {
            Ok(err) => {
                if let Some(e) = err {
                    failures.push(e.context(format!("{} (seed {})", job.name, job.seed)));
                }
                groups[job.group].runs.push(load::run(&job.dir)?);
            }
            Err(e) => failures.push(e.context(format!("{} (seed {})", job.name, job.seed))),
        }
    }
    groups.retain(|g| !g.runs.is_empty());
    Ok((groups, failures))
}

/// Loads and checks every config (and seed) into a job; the first bad config is an error
/// (exit 2) before anything trains.
fn plan_jobs(args: &CompareArgs, out: &Path) -> Result<(Vec<String>, Vec<Job>)> {
    let stems: Vec<String> = args.configs.iter().map(|p| plan::stem(p)).collect();
    let names = plan::unique_names(&stems);
    let seeded = args.seeds > 1;
    let mut jobs = Vec::new();
    let mut loaded_all = Vec::new();
    for path in &args.configs {
        // `--set` applies to every config: an error it causes in one names which.
        let loaded = config::load(path, &args.set).map_err(|e| {
            let shown = path.display().to_string();
            if args.set.is_empty() || format!("{e:#}").starts_with(&shown) {
                e
            } else {
                e.context(shown)
            }
        })?;
        loaded_all.push(loaded);
    }
    // Paired seeds: every config runs the first config's seeds.
    let first_seed = loaded_all.first().map_or(0, |l| l.config.seed);
    for (group, ((path, name), loaded)) in
        args.configs.iter().zip(&names).zip(loaded_all).enumerate()
    {
        if !args.quiet {
            for note in &loaded.notes {
                eprintln!("note: {}: {note}", path.display());
            }
        }
        check(&loaded, args.metric.as_deref(), args.quiet)?;
        for text in &args.require {
            let r = Requirement::parse(text)?;
            if let Some(why) = super::train::unmeasurable(&loaded, &r)? {
                bail_usage!("{}: --require {r}: {why}", path.display());
            }
        }
        let threads = match loaded.config.threads {
            0 => 1,
            t => t,
        };
        let base = if seeded {
            first_seed
        } else {
            loaded.config.seed
        };
        for k in 0..args.seeds {
            // Each run's config.toml records its seed, so it must fit in a config file.
            let Some(seed) = base.checked_add(k).filter(|&s| s <= config::MAX_SEED) else {
                bail_usage!(
                    "{}: seed {base} + {k} (--seeds {}) is above {}, the largest seed a config file holds",
                    path.display(),
                    args.seeds,
                    config::MAX_SEED
                );
            };
            let mut loaded = loaded.clone();
            loaded.config.seed = seed;
            jobs.push(Job {
                group,
                name: name.clone(),
                seed,
                dir: plan::run_dir(out, name, seed, seeded),
                loaded,
                threads,
            });
        }
    }
    // After each config's own checks, so a broken config is named for what is wrong with it.
    let firsts: Vec<(PathBuf, &crate::config::RunConfig)> = jobs
        .iter()
        .filter(|j| j.seed == first_seed || !seeded)
        .map(|j| (j.loaded.path.clone(), &j.loaded.config))
        .collect();
    compare::comparable::check(&firsts)?;
    Ok((names, jobs))
}

/// What `lrtrain check` checks (everything `train` checks before its first step, the data
/// loaded), and that the run will
/// have the `--metric` asked for. Prints the schedule's lint warnings. Returns the run's shape
/// (its task and whether it has a validation set: what its natural metric depends on).
pub fn check(loaded: &LoadedConfig, metric: Option<&str>, quiet: bool) -> Result<RunShape> {
    let preflight = super::preflight(loaded)?;
    if !quiet {
        for warning in preflight.warnings {
            eprintln!("warning: {}: {warning}", loaded.path.display());
        }
    }
    if let Some(metric) = metric
        && let Some(missing) = lacks(metric, &preflight.shape)?
    {
        bail_usage!(
            "{}: --metric {metric}: this config's runs will have no {metric}: it has no {missing}",
            loaded.path.display()
        );
    }
    Ok(preflight.shape)
}

/// What a run of `shape` lacks to have `metric` (`a validation set`, `an accuracy
/// (regression)`), if anything.
pub fn lacks(metric: &str, shape: &RunShape) -> Result<Option<&'static str>> {
    // The data's task: an MLP on a regression CSV has no accuracy.
    Ok(match Metric::parse(metric)? {
        m if m.is_validation() && !shape.has_validation => Some("a validation set"),
        m if m.is_accuracy() && !shape.classification => Some("an accuracy (regression)"),
        _ => None,
    })
}

/// The result of one run: `Err` when it never started (bad data, no directory), else the
/// error it stopped with, if any (diverged, interrupted, I/O).
type JobResult = Result<Option<anyhow::Error>>;

/// Trains `jobs` on `workers` threads taking from one queue; one line on stderr as each run
/// finishes. Results come back in job order whatever order the runs finish in.
/// With `--verbose`, each run's epochs too, every line prefixed by the run's name and seed.
fn execute_all(jobs: &[Job], workers: usize, force: bool, verbosity: Verbosity) -> Vec<JobResult> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<JobResult>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    // After SIGINT/SIGTERM no further run starts; the running ones stop after
                    // their current batch.
                    if interrupt::requested() {
                        if let Ok(mut slot) = slots[i].lock() {
                            *slot = Some(Err(Interrupted.into()));
                        }
                        continue;
                    }
                    let opts = RunOptions {
                        out: job.dir.clone(),
                        force,
                        verbosity: match verbosity {
                            Verbosity::Verbose => Verbosity::Verbose,
                            _ => Verbosity::Quiet,
                        },
                        label: format!("{} seed {}: ", job.name, job.seed),
                        threads: Some(job.threads),
                        stop_after: None,
                    };
                    // Completed and diverged runs are reused, interrupted ones resumed.
                    let before = match force {
                        true => RunStatus::Pending,
                        false => manifest::run_status(&job.dir),
                    };
                    let result = match before {
                        RunStatus::Completed | RunStatus::Diverged => {
                            if let Ok(mut slot) = slots[i].lock() {
                                *slot = Some(Ok(None));
                            }
                            continue;
                        }
                        RunStatus::Interrupted => run::resume(&job.loaded, &opts),
                        // Nothing finished there: what a killed run left is replaced.
                        _ => run::execute(
                            &job.loaded,
                            &RunOptions {
                                force: true,
                                ..opts
                            },
                        ),
                    };
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if !verbosity.is_quiet() {
                        eprintln!("[{n}/{}] {}", jobs.len(), describe(job, &result));
                    }
                    if let Ok(mut slot) = slots[i].lock() {
                        // A diverged run is a result to compare, not a failure of the command.
                        *slot = Some(result.map(|o| match o.status {
                            summary::Status::Diverged => None,
                            _ => o.error,
                        }));
                    }
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err(anyhow!("the run did not report back")))
        })
        .collect()
}

/// `cosine seed 42: completed in 1.23 s, best val_accuracy 0.9585 (epoch 18)`, the epoch
/// counted from 1 as everywhere a person reads one.
fn describe(job: &Job, result: &Result<run::RunOutcome>) -> String {
    let head = format!("{} seed {}", job.name, job.seed);
    match result {
        Err(e) => format!("{head}: failed: {e:#}"),
        Ok(o) => {
            let how = match &o.error {
                None => "completed".to_string(),
                Some(e) => format!("{e:#}"),
            };
            let best = summary::best_metric(&o.rows)
                .map(|b| {
                    format!(
                        ", best {} {} (epoch {})",
                        b.metric,
                        export::sig(b.value).0,
                        b.epoch + 1
                    )
                })
                .unwrap_or_default();
            format!("{head}: {how} in {:.2} s{best}", o.seconds)
        }
    }
}

/// `compare.csv` (the per-config table, as `--format csv`), `epochs.csv` (every epoch of every
/// run), `compare.json` and the charts into `out`.
fn write_files(out: &Path, table: &Table, groups: &[Group], quiet: bool) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    output::write_atomic(&out.join("compare.csv"), &export::csv::render(table)?)?;
    output::write_atomic(
        &out.join("epochs.csv"),
        &export::epochs_csv::render(groups)?,
    )?;
    output::write_atomic(&out.join("compare.json"), &export::json::render(table)?)?;
    let mut written = vec!["compare.csv", "epochs.csv", "compare.json"];
    match export::plots::render(&export::legend_names(table, groups)) {
        Ok(charts) => {
            for (name, svg) in charts {
                output::write_atomic(&out.join(name), svg.as_bytes())?;
                written.push(name);
            }
        }
        // A chart is a convenience: the table and the data are written regardless.
        Err(e) => eprintln!("warning: the compare charts: {e:#}"),
    }
    if !quiet {
        eprintln!("wrote {} into {}", written.join(", "), out.display());
    }
    Ok(())
}

/// `--fail-on-diverge`: exit 3 naming the runs that diverged.
fn fail_on_diverge(groups: &[Group]) -> Result<()> {
    let diverged: Vec<_> = groups
        .iter()
        .flat_map(|g| g.runs.iter().map(move |r| (g, r)))
        .filter(|(_, r)| r.status == "diverged")
        .collect();
    let Some((_, first)) = diverged.first() else {
        return Ok(());
    };
    let total: usize = groups.iter().map(|g| g.runs.len()).sum();
    let names: Vec<String> = diverged
        .iter()
        .map(|(g, r)| {
            if g.runs.len() > 1 {
                format!("{} seed {}", g.name, r.seed)
            } else {
                g.name.clone()
            }
        })
        .collect();
    Err(Diverged {
        epoch: first.rows.last().map_or(0, |m| m.epoch),
        message: format!(
            "{} of {total} runs diverged ({}); --fail-on-diverge",
            diverged.len(),
            names.join(", ")
        ),
    }
    .into())
}

/// `--require`: the best run (rank 1, when it can lead: every seed completed) must meet every
/// bar with its final value of the metric, the mean over its seeds (as `train --require`
/// checks the final epoch). When no row can lead, every bar is missed.
pub fn check_requirements(
    requirements: &[Requirement],
    table: &Table,
    groups: &[Group],
) -> Result<()> {
    if requirements.is_empty() {
        return Ok(());
    }
    let (Some(row), Some(group)) = (table.rows.first(), groups.first()) else {
        return Err(RequirementMissed("--require: there is no run to check".into()).into());
    };
    if !row.contends() {
        return Err(RequirementMissed(format!(
            "--require: no run to check: no config completed every seed (best ranked: {}, {})",
            row.run,
            row.standing.label()
        ))
        .into());
    }
    let seeds = if group.runs.len() > 1 {
        format!(" (mean of {} seeds)", group.runs.len())
    } else {
        String::new()
    };
    let missed: Vec<String> = requirements
        .iter()
        .filter_map(|r| match compare::final_mean(group, &r.metric) {
            Some(v) if r.met(v) => None,
            Some(v) => Some(format!("{r} missed: final {} = {v}{seeds}", r.metric)),
            None => Some(format!("{r} missed: the run has no {}", r.metric)),
        })
        .collect();
    if missed.is_empty() {
        return Ok(());
    }
    Err(RequirementMissed(format!("best run {}: {}", row.run, missed.join("; "))).into())
}
