//! `--slurm FILE.sh`: the Slurm batch script for a job array whose task I runs
//! `lrtrain sweep SWEEP --out OUT --shard I/N --jobs 1`. A pure function of its inputs, so the
//! script is reviewed (and tested) as text before anything is submitted.
//!
//! sbatch reads `#SBATCH` lines only up to the first command, so every directive comes first.
//! No `--time` is set (a cluster's default applies) unless given with `--sbatch-arg`.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::bail_usage;

/// Shards (array tasks) at most: one task per trial up to this, so a large sweep does not flood
/// the queue with tiny jobs.
pub const MAX_SHARDS: usize = 64;

/// What the script needs. Paths must be absolute: the job runs in another working directory.
#[derive(Debug, Clone, PartialEq)]
pub struct SlurmJob {
    /// lrtrain's own executable (`std::env::current_exe`).
    pub lrtrain: PathBuf,
    /// The sweep file.
    pub sweep: PathBuf,
    /// The sweep's output directory; task output goes to `OUT/slurm-%A_%a.out`.
    pub out: PathBuf,
    /// Array tasks N (see [`shards`]).
    pub shards: usize,
    /// `--cpus-per-task`: the config's threads (see [`cpus_per_task`]).
    pub cpus_per_task: usize,
    /// `--sbatch-arg` values in order, each written as `#SBATCH ARG`.
    pub sbatch_args: Vec<String>,
}

/// `--shards`: the number given, else one per trial; 1 to [`MAX_SHARDS`] and at most the number
/// of trials (a task without trials would only wait in the queue). Usage errors name `--shards`.
pub fn shards(requested: Option<usize>, trials: usize) -> Result<usize> {
    let limit = trials.clamp(1, MAX_SHARDS);
    match requested {
        None => Ok(limit),
        Some(n) if (1..=limit).contains(&n) => Ok(n),
        Some(n) => bail_usage!(
            "--shards {n}: expected 1 to {limit} (the sweep has {trials} trials; at most {MAX_SHARDS} tasks)"
        ),
    }
}

/// Every run uses the config's `threads`, 1 when it is 0 ("all cores" would oversubscribe a
/// node shared with other array tasks), so `--cpus-per-task` asks for exactly that many.
pub fn cpus_per_task(threads: usize) -> usize {
    threads.max(1)
}

/// The script text. Errors (exit 2) for a path that is not absolute or not UTF-8, or a newline
/// in a path or an `--sbatch-arg` (either would end an `#SBATCH` line early).
pub fn script(job: &SlurmJob) -> Result<String> {
    let lrtrain = checked_path("lrtrain's executable", &job.lrtrain)?;
    let sweep = checked_path("the sweep file", &job.sweep)?;
    let out = checked_path("--out", &job.out)?;
    for arg in &job.sbatch_args {
        if arg.contains(['\n', '\r']) {
            bail_usage!("--sbatch-arg {arg:?}: expected one line");
        }
    }
    let stem = job
        .sweep
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let job_name: String = format!("lrtrain-{stem}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let last = job.shards.saturating_sub(1);
    // `%` starts a filename pattern in sbatch (`%A` job, `%a` task): a literal one is `%%`.
    let output = format!("{}/slurm-%A_%a.out", out.replace('%', "%%"));
    let mut s = String::new();
    s.push_str("#!/bin/sh\n");
    s.push_str(&format!("#SBATCH --job-name={job_name}\n"));
    s.push_str(&format!("#SBATCH --array=0-{last}\n"));
    s.push_str(&format!("#SBATCH --cpus-per-task={}\n", job.cpus_per_task));
    s.push_str(&format!("#SBATCH --output={}\n", sbatch_quote(&output)));
    for arg in &job.sbatch_args {
        s.push_str(&format!("#SBATCH {arg}\n"));
    }
    s.push_str(&format!(
        "\n# Task I of {n} runs the trials whose index mod {n} is I. Watch with `squeue --me` or\n\
         # `scontrol show job JOBID`; afterwards `lrtrain sweep SWEEP --out OUT` prints the merged\n\
         # table and trains only what is missing.\n",
        n = job.shards
    ));
    s.push_str("set -eu\n");
    s.push_str(&format!(
        "exec {} sweep {} --out {} --shard \"$SLURM_ARRAY_TASK_ID/{}\" --jobs 1\n",
        sh_quote(lrtrain),
        sh_quote(sweep),
        sh_quote(out),
        job.shards
    ));
    Ok(s)
}

fn checked_path<'p>(what: &str, path: &'p Path) -> Result<&'p str> {
    let Some(text) = path.to_str() else {
        bail_usage!("{what} {}: expected a UTF-8 path", path.display());
    };
    if !path.is_absolute() {
        bail_usage!("{what} {text}: expected an absolute path");
    }
    if text.contains(['\n', '\r']) {
        bail_usage!("{what} {text:?}: a path with a line break cannot go into a batch script");
    }
    Ok(text)
}

/// A word for sh: bare when it holds only characters sh leaves alone, else single-quoted
/// (a `'` inside becomes `'\''`).
pub fn sh_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// An `#SBATCH` value: sbatch splits these lines at blanks and honours double quotes.
fn sbatch_quote(s: &str) -> String {
    if s.contains([' ', '\t', '"', '\'']) {
        format!("\"{}\"", s.replace('"', "\\\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::exit_code;

    fn job() -> SlurmJob {
        SlurmJob {
            lrtrain: "/opt/lrtrain/bin/lrtrain".into(),
            sweep: "/home/ada/sweeps/schedules.toml".into(),
            out: "/scratch/ada/runs/schedules".into(),
            shards: 15,
            cpus_per_task: cpus_per_task(0),
            sbatch_args: vec!["--partition=cpu".into(), "--time=00:30:00".into()],
        }
    }

    #[test]
    fn the_script_matches_the_golden_file() {
        assert_eq!(
            script(&job()).unwrap(),
            include_str!("testdata/schedules.sh")
        );
    }

    #[test]
    fn no_time_limit_is_set_unless_asked_for() {
        let mut j = job();
        j.sbatch_args.clear();
        let s = script(&j).unwrap();
        assert!(!s.contains("--time"), "{s}");
        assert_eq!(s.matches("#SBATCH").count(), 4);
    }

    #[test]
    fn paths_with_blanks_quotes_and_percent_stay_one_word() {
        let mut j = job();
        j.sweep = "/home/ada/my sweeps/it's.toml".into();
        j.out = "/scratch/100% runs".into();
        let s = script(&j).unwrap();
        assert!(
            s.contains(r#"#SBATCH --output="/scratch/100%% runs/slurm-%A_%a.out""#),
            "{s}"
        );
        assert!(
            s.contains(
                r#"sweep '/home/ada/my sweeps/it'\''s.toml' --out '/scratch/100% runs' --shard"#
            ),
            "{s}"
        );
        assert!(s.contains("#SBATCH --job-name=lrtrain-it_s\n"), "{s}");
    }

    #[test]
    fn relative_paths_and_line_breaks_are_refused() {
        let mut j = job();
        j.out = "runs/x".into();
        let e = script(&j).unwrap_err();
        assert_eq!(exit_code(&e), 2);
        assert!(e.to_string().starts_with("--out runs/x:"), "{e}");
        let mut j = job();
        j.sbatch_args = vec!["--time=1\n#SBATCH --mem=1".into()];
        assert!(
            script(&j)
                .unwrap_err()
                .to_string()
                .starts_with("--sbatch-arg")
        );
    }

    #[test]
    fn shards_default_to_one_per_trial_and_never_exceed_64() {
        assert_eq!(shards(None, 15).unwrap(), 15);
        assert_eq!(shards(None, 200).unwrap(), 64);
        assert_eq!(shards(None, 0).unwrap(), 1);
        assert_eq!(shards(Some(4), 15).unwrap(), 4);
        for bad in [0, 16, 65] {
            let e = shards(Some(bad), if bad == 65 { 100 } else { 15 }).unwrap_err();
            assert_eq!(exit_code(&e), 2);
            assert!(
                e.to_string().starts_with(&format!("--shards {bad}:")),
                "{e}"
            );
        }
    }

    #[test]
    fn cpus_per_task_is_the_configs_threads_and_1_for_all_cores() {
        assert_eq!(cpus_per_task(0), 1);
        assert_eq!(cpus_per_task(4), 4);
    }
}
