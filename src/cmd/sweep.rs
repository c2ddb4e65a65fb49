//! `lrtrain sweep SWEEP.toml`: expand the sweep file into trials, check every trial's config and
//! data and the output paths, then train every (trial, seed) run as `train` would into
//! `OUT/<trial>/seed-<s>/` (with successive halving under `[prune]`), and print the ranked table
//! of `compare`; `OUT/sweep.csv`, `OUT/epochs.csv` and `OUT/sweep.json` hold it too.
//!
//! `--list` prints the trials; `--slurm FILE.sh` writes (and with `--submit` submits) a job
//! array whose tasks run `--shard I/N` of the same sweep into the same OUT.

use std::path::Path;

use anyhow::{Context, Result};

use crate::bail_usage;
use crate::cli::SweepArgs;
use crate::compare::{self, Group, export, load};
use crate::config::paths;
use crate::config::{self, LoadedConfig};
use crate::error::Interrupted;
use crate::error::interrupt;
use crate::output;
use crate::run::progress::Verbosity;
use crate::run::require::Requirement;
use crate::sweep::manifest::{self, RunStatus};
use crate::sweep::plan::Plan;
use crate::sweep::prune::{self, Score};
use crate::sweep::run::{self as sweep_run, Ended, Job, RunLock};
use crate::sweep::shard::Shard;
use crate::sweep::slurm::{self, SlurmJob};

use super::compare::{check, check_requirements, lacks, print_table};

/// `--out` when not given: `runs/<sweep file stem>`.
pub const DEFAULT_OUT_PARENT: &str = "runs";

pub fn run(args: &SweepArgs) -> Result<()> {
    let requirements = args
        .require
        .iter()
        .map(|r| Requirement::parse(r))
        .collect::<Result<Vec<_>>>()?;
    let shard = match &args.shard {
        Some(s) => s.parse::<Shard>()?,
        None => Shard::ALL,
    };
    let mut plan = Plan::load(&paths::absolute(&args.sweep))?;
    if args.list {
        print!("{}", plan.list_csv());
        return Ok(());
    }
    if plan.prune.is_some() && (args.shard.is_some() || args.slurm.is_some()) {
        bail_usage!(
            "{}: [prune] cannot be used with {}: a rung needs every trial's result",
            plan.path.display(),
            if args.shard.is_some() {
                "--shard"
            } else {
                "--slurm"
            }
        );
    }
    let out = match &args.out {
        Some(out) => paths::output_dir(out, "--out")?,
        None => paths::output_dir(
            &Path::new(DEFAULT_OUT_PARENT).join(compare::plan::stem(&plan.path)),
            "--out",
        )?,
    };
    let script = match &args.slurm {
        Some(file) => Some(paths::output_file(file, "--slurm", Some(args.force))?),
        None => None,
    };
    same_sweep(&plan, &out)?;

    // Every trial's config and data, before anything trains or is written; the metric the
    // file names must be one every run will have, and without one, compare's rule picks it.
    let configs = plan.validate()?;
    let mut natural = Vec::with_capacity(configs.len());
    for (trial, loaded) in plan.trials.iter().zip(&configs) {
        let shape = check(loaded, None, args.quiet)?;
        if plan.metric_given
            && let Some(missing) = lacks(&plan.metric, &shape)?
        {
            bail_usage!(
                "{}: metric = \"{}\": the runs of trial {} will have no {}: it has no {missing}",
                plan.path.display(),
                plan.metric,
                trial.name,
                plan.metric
            );
        }
        natural.push(compare::natural_metric(
            shape.classification,
            shape.has_validation,
        ));
        for r in &requirements {
            if let Some(why) = super::train::unmeasurable(loaded, r)? {
                bail_usage!("{}: --require {r}: {why}", loaded.path.display());
            }
        }
    }
    plan.settle_metric(&natural);
    // An axis over the data or the model's task would rank runs that are not comparable.
    compare::comparable::check(
        &plan
            .trials
            .iter()
            .zip(&configs)
            .map(|(t, l)| {
                let name = format!("{} (trial {})", plan.path.display(), t.name);
                (std::path::PathBuf::from(name), &l.config)
            })
            .collect::<Vec<_>>(),
    )?;

    if let Some(script) = script {
        return write_slurm(args, &plan, &configs, &out, &script);
    }
    interrupt::install();
    let trials: Vec<usize> = shard.trials(plan.trials.len()).collect();
    let jobs = sweep_run::jobs(&plan, &configs, &trials, &out);
    if !args.force {
        let changed: Vec<String> = jobs.iter().filter_map(sweep_run::changed).collect();
        if let Some(first) = changed.first() {
            bail_usage!(
                "{}: {first}{}: the run's config changed since it was trained (the sweep file or {} was edited); pass --force to train afresh, or --out DIR",
                plan.path.display(),
                match changed.len() {
                    1 => String::new(),
                    n => format!(" and {} more", n - 1),
                },
                plan.base.display()
            );
        }
    }
    let widest = jobs.iter().map(|j| j.threads).max().unwrap_or(1);
    let workers = args
        .jobs
        .map_or((config::resolve_threads(0) / widest).max(1), |j| j as usize);
    let verbosity = Verbosity::from_flags(args.quiet, args.verbose);
    if !args.quiet {
        eprintln!(
            "sweep: {} trial{} × {} seed{} into {}{}, {workers} at a time",
            trials.len(),
            if trials.len() == 1 { "" } else { "s" },
            plan.seeds.len(),
            if plan.seeds.len() == 1 { "" } else { "s" },
            out.display(),
            if shard == Shard::ALL {
                String::new()
            } else {
                format!(" (shard {shard})")
            }
        );
    }
    manifest::update(&plan, &out, |m| {
        for job in &jobs {
            let name = &plan.trials[job.trial].name;
            let status = match RunLock::held_elsewhere(&job.dir) {
                true => RunStatus::Running,
                false if args.force => RunStatus::Pending,
                false => manifest::run_status(&job.dir),
            };
            m.set_status(name, job.seed, status);
        }
    })?;

    let (failures, pruned) = match plan.prune {
        None => (
            failures(sweep_run::train_all(
                &plan, &out, &jobs, workers, None, args.force, verbosity,
            )),
            Vec::new(),
        ),
        Some(_) => halving(&plan, &out, &jobs, workers, args.force, verbosity)?,
    };

    let (mut table, groups) = table(&plan, &out, &pruned)?;
    compare::add_stats(&mut table, &groups, args.test);
    table.differ_in = differ_in(&plan);
    write_files(&plan, &out, &table, &groups, &pruned, args.quiet)?;
    print_table(&table, args.format)?;
    if interrupt::requested() {
        return Err(Interrupted.into());
    }
    if let Some(first) = failures.into_iter().next() {
        return Err(first);
    }
    check_requirements(&requirements, &table, &groups)
}

/// An OUT that already holds another sweep file's runs is refused (exit 2) naming both files.
fn same_sweep(plan: &Plan, out: &Path) -> Result<()> {
    if let Some(m) = manifest::read(out)
        && m.sweep != plan.path
    {
        bail_usage!(
            "--out {}: holds the runs of the sweep {}, not of {}; choose another --out",
            out.display(),
            m.sweep.display(),
            plan.path.display()
        );
    }
    Ok(())
}

/// The axes whose values differ between trials: what the trials differ in (the header line).
fn differ_in(plan: &Plan) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for trial in &plan.trials {
        for o in &trial.overrides {
            if keys.contains(&o.path) {
                continue;
            }
            let distinct = plan.trials.iter().any(|t| {
                t.overrides
                    .iter()
                    .find(|p| p.path == o.path)
                    .is_none_or(|p| p.value != o.value)
            });
            if distinct {
                keys.push(o.path.clone());
            }
        }
    }
    keys
}

/// The errors of runs that failed for another reason than diverging or an interruption.
fn failures(results: Vec<Result<Ended>>) -> Vec<anyhow::Error> {
    results
        .into_iter()
        .filter_map(|r| match r {
            Err(e) if !crate::error::is_interrupted(&e) => Some(e),
            Ok(Ended::Trained(_, Some(e))) if !crate::error::is_interrupted(&e) => Some(e),
            _ => None,
        })
        .collect()
}

/// Successive halving: every trial to the first rung, the best 1/eta (mean over seeds of the
/// metric after the rung's epochs, ties by trial index) on to the next, up to `train.epochs`.
/// Each run is the same run throughout (it stops at a rung and is resumed to the next), so its
/// schedule's horizons follow `train.epochs`. Returns the failures and the pruned trials.
fn halving(
    plan: &Plan,
    out: &Path,
    jobs: &[Job],
    workers: usize,
    force: bool,
    verbosity: Verbosity,
) -> Result<(Vec<anyhow::Error>, Vec<usize>)> {
    let Some(p) = plan.prune else {
        return Ok((Vec::new(), Vec::new()));
    };
    let epochs = jobs.first().map_or(0, |j| j.loaded.config.train.epochs);
    let rungs = prune::rungs(p, epochs);
    let mut alive: Vec<usize> = (0..plan.trials.len()).collect();
    let mut pruned = Vec::new();
    let mut errors = Vec::new();
    for (k, &rung) in rungs.iter().enumerate() {
        let last = k + 1 == rungs.len();
        let these: Vec<Job> = jobs
            .iter()
            .filter(|j| alive.contains(&j.trial))
            .cloned()
            .collect();
        if verbosity != Verbosity::Quiet {
            eprintln!(
                "sweep: rung {}/{}: {} trial{} to epoch {rung}",
                k + 1,
                rungs.len(),
                alive.len(),
                if alive.len() == 1 { "" } else { "s" }
            );
        }
        let stop = (!last).then_some(rung);
        let results =
            sweep_run::train_all(plan, out, &these, workers, stop, force && k == 0, verbosity);
        // A run another process holds has no result at this rung yet: deciding the rung
        // without it would prune from partial evidence.
        let held = these
            .iter()
            .zip(&results)
            .find(|(_, r)| matches!(r, Ok(Ended::Held)));
        if let (Some((job, _)), false) = (held, last) {
            bail_usage!(
                "{}: {}: another process is training this run; [prune] needs every trial's result at each rung: run the sweep again when that process has finished",
                plan.path.display(),
                job.dir.display()
            );
        }
        errors.extend(failures(results));
        if last || interrupt::requested() {
            break;
        }
        let scores: Vec<Score> = alive
            .iter()
            .map(|&t| Score {
                trial: t,
                values: these
                    .iter()
                    .filter(|j| j.trial == t)
                    .map(|j| at_rung(&j.dir, &plan.metric, rung))
                    .collect(),
            })
            .collect();
        let kept = prune::survivors(&scores, p.eta, plan.mode);
        let dropped: Vec<usize> = alive
            .iter()
            .copied()
            .filter(|t| !kept.contains(t))
            .collect();
        manifest::update(plan, out, |m| {
            for &t in &dropped {
                for &seed in &plan.seeds {
                    m.set_status(&plan.trials[t].name, seed, RunStatus::Pruned);
                }
            }
        })?;
        pruned.extend(dropped);
        alive = kept;
    }
    Ok((errors, pruned))
}

/// A run's `metric` after `rung` epochs (its row of epoch `rung - 1`); NaN when it has none
/// (diverged before, or the metric is missing), which ranks last.
fn at_rung(dir: &Path, metric: &str, rung: usize) -> f64 {
    load::run(dir)
        .ok()
        .and_then(|r| {
            r.rows
                .get(rung.saturating_sub(1))
                .and_then(|m| m.get(metric))
        })
        .filter(|v| v.is_finite())
        .unwrap_or(f64::NAN)
}

/// The ranked table over every trial of the plan (every shard's runs, whoever trained them):
/// a run another live process holds shows as `running` (with no rows yet when it has written
/// none), a pruned trial's runs as `pruned`, and a seed with no run yet as `pending`, so a
/// trial with a seed missing is never taken for `completed`. A trial none of whose seeds has
/// started is left out.
fn table(plan: &Plan, out: &Path, pruned: &[usize]) -> Result<(compare::Table, Vec<Group>)> {
    let mut groups = Vec::new();
    for (t, trial) in plan.trials.iter().enumerate() {
        let mut runs = Vec::new();
        let mut started = false;
        for &seed in &plan.seeds {
            let dir = manifest::run_dir(out, &trial.name, seed);
            let held = RunLock::held_elsewhere(&dir);
            let is_run = load::is_run(&dir);
            let mut record = match (is_run, held) {
                (true, false) => load::run(&dir)?,
                // Files another process is writing now may hold half a line: shown without
                // rows then, `running` either way.
                (true, true) => load::run(&dir)
                    .unwrap_or_else(|_| compare::RunRecord::not_run(dir.clone(), seed, "running")),
                (false, _) => compare::RunRecord::not_run(dir.clone(), seed, "pending"),
            };
            started |= held || is_run;
            if held {
                record.status = "running".into();
            } else if pruned.contains(&t) {
                record.status = "pruned".into();
            }
            runs.push(record);
        }
        if started {
            groups.push(Group {
                name: trial.name.clone(),
                runs,
            });
        }
    }
    Ok(compare::rank(groups, Some(&plan.metric), None))
}

/// `sweep.csv` (the table as `--format csv`), `epochs.csv` (every run's rows) and `sweep.json`
/// (the trials, every run's status, and the table as `--format json`).
fn write_files(
    plan: &Plan,
    out: &Path,
    table: &compare::Table,
    groups: &[Group],
    pruned: &[usize],
    quiet: bool,
) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    output::write_atomic(&out.join("sweep.csv"), &export::csv::render(table)?)?;
    output::write_atomic(
        &out.join("epochs.csv"),
        &export::epochs_csv::render(groups)?,
    )?;
    let json: serde_json::Value =
        serde_json::from_slice(&export::json::render(table)?).context("the table as JSON")?;
    manifest::update(plan, out, |m| {
        for (t, trial) in plan.trials.iter().enumerate() {
            for &seed in &plan.seeds {
                let dir = manifest::run_dir(out, &trial.name, seed);
                let status = if RunLock::held_elsewhere(&dir) {
                    RunStatus::Running
                } else if pruned.contains(&t) {
                    RunStatus::Pruned
                } else {
                    match manifest::run_status(&dir) {
                        // A run this process did not prune but an earlier halving pass did.
                        RunStatus::Interrupted
                            if m.status(&trial.name, seed) == Some(RunStatus::Pruned) =>
                        {
                            RunStatus::Pruned
                        }
                        s => s,
                    }
                };
                m.set_status(&trial.name, seed, status);
            }
        }
        m.table = json;
    })?;
    if !quiet {
        eprintln!(
            "wrote sweep.csv, epochs.csv, sweep.json into {}",
            out.display()
        );
    }
    Ok(())
}

/// `--slurm FILE.sh`: the job array's script, and with `--submit` its submission.
fn write_slurm(
    args: &SweepArgs,
    plan: &Plan,
    configs: &[LoadedConfig],
    out: &Path,
    script: &Path,
) -> Result<()> {
    let threads = configs.iter().map(|c| c.config.threads).max().unwrap_or(1);
    let job = SlurmJob {
        lrtrain: std::env::current_exe().context("finding lrtrain's own executable")?,
        sweep: plan.path.clone(),
        out: out.to_path_buf(),
        shards: slurm::shards(args.shards, plan.trials.len())?,
        cpus_per_task: slurm::cpus_per_task(threads),
        sbatch_args: args.sbatch_arg.clone(),
    };
    let text = slurm::script(&job)?;
    // The OUT is claimed for this sweep now, so a task or a later run sees whose it is.
    manifest::update(plan, out, |_| {})?;
    output::write_atomic(script, text.as_bytes())?;
    if !args.quiet {
        eprintln!(
            "wrote {} ({} array task{})",
            script.display(),
            job.shards,
            if job.shards == 1 { "" } else { "s" }
        );
    }
    if args.submit {
        submit(script, job.shards)?;
    }
    Ok(())
}

/// Runs `sbatch FILE.sh` and prints `Submitted batch job N (K array tasks)`. sbatch missing or
/// failing is an I/O failure (exit 1) showing its stderr.
fn submit(script: &Path, shards: usize) -> Result<()> {
    let result = std::process::Command::new("sbatch")
        .arg(script)
        .output()
        .map_err(|e| anyhow::anyhow!("sbatch {}: cannot run sbatch: {e}", script.display()))?;
    let stdout = String::from_utf8_lossy(&result.stdout);
    if !result.status.success() {
        let stderr = String::from_utf8_lossy(&result.stderr);
        anyhow::bail!(
            "sbatch {} failed ({}): {}",
            script.display(),
            result.status,
            stderr.trim()
        );
    }
    let id = stdout
        .split_whitespace()
        .rev()
        .find(|w| w.chars().all(|c| c.is_ascii_digit()))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "sbatch {}: expected `Submitted batch job N`, found: {}",
                script.display(),
                stdout.trim()
            )
        })?;
    println!(
        "Submitted batch job {id} ({shards} array task{})",
        if shards == 1 { "" } else { "s" }
    );
    Ok(())
}
