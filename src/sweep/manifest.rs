//! `OUT/sweep.json`: which runs a sweep has and where each stands, shared by every shard that
//! writes into OUT.
//!
//! ```json
//! {"sweep": "/abs/schedules.toml", "metric": "val_accuracy", "seeds": [1, 2, 3],
//!  "trials": [{"name": "lr=0.03,schedule=cosine",
//!              "overrides": {"optimizer.lr": 0.03, "schedule": {"kind": "cosine", "unit": "epoch"}},
//!              "runs": [{"seed": 1, "dir": "/abs/out/lr=0.03,schedule=cosine/seed-1", "status": "completed"}]}],
//!  "table": null}
//! ```
//!
//! Every change goes through [`update`]: under an exclusive lock on `OUT/sweep.lock` it reads the
//! file as it is now, applies the change and writes it back atomically (temporary file, then
//! rename), so shards finishing at the same moment each add their update to the other's instead
//! of overwriting it, and a reader never sees half a file. Should the file still be missing or
//! unreadable (a crash, a hand edit), it is rebuilt from the run directories themselves
//! ([`rediscover`]): finished runs are never lost.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::plan::{Plan, Trial};
use crate::output::write_atomic;
use crate::run::checkpoint::CHECKPOINT_FILE;

/// The manifest's file name inside OUT.
pub const MANIFEST_FILE: &str = "sweep.json";
/// The lock file inside OUT; it stays (an empty file), only the lock on it comes and goes.
pub const LOCK_FILE: &str = "sweep.lock";

/// Where one run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Trained to `train.epochs`.
    Completed,
    /// Stopped on a NaN or infinite loss (exit 3 of a single run).
    Diverged,
    /// Stopped by successive halving at a rung; its checkpoint lets a later rung go on.
    Pruned,
    /// Stopped by a signal or a crash; resumed from its checkpoint next time.
    Interrupted,
    /// Not started.
    Pending,
    /// A process is training it now.
    Running,
}

impl RunStatus {
    /// Completed, diverged and pruned runs are not trained again (without `--force`).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RunStatus::Completed | RunStatus::Diverged | RunStatus::Pruned
        )
    }
}

/// One (trial, seed) run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEntry {
    pub seed: u64,
    /// `OUT/<trial>/seed-<s>` (absolute when OUT is).
    pub dir: PathBuf,
    pub status: RunStatus,
}

/// One trial and its runs, seeds in the plan's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialEntry {
    pub name: String,
    /// Dotted config path → value, the trial's overrides as JSON.
    pub overrides: serde_json::Map<String, serde_json::Value>,
    pub runs: Vec<RunEntry>,
}

/// The whole of `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The sweep file.
    pub sweep: PathBuf,
    pub metric: String,
    pub seeds: Vec<u64>,
    pub trials: Vec<TrialEntry>,
    /// The ranked table (as `compare --format json` writes it); null until there is one.
    #[serde(default)]
    pub table: serde_json::Value,
}

/// The run directory of `trial` and `seed`: `OUT/<trial name>/seed-<s>`.
pub fn run_dir(out: &Path, trial: &str, seed: u64) -> PathBuf {
    out.join(trial).join(format!("seed-{seed}"))
}

impl Manifest {
    /// Every run of `plan` as `pending`, in plan order.
    pub fn new(plan: &Plan, out: &Path) -> Manifest {
        Manifest {
            sweep: plan.path.clone(),
            metric: plan.metric.clone(),
            seeds: plan.seeds.clone(),
            trials: plan
                .trials
                .iter()
                .map(|t| TrialEntry {
                    name: t.name.clone(),
                    overrides: overrides_json(t),
                    runs: plan
                        .seeds
                        .iter()
                        .map(|&seed| RunEntry {
                            seed,
                            dir: run_dir(out, &t.name, seed),
                            status: RunStatus::Pending,
                        })
                        .collect(),
                })
                .collect(),
            table: serde_json::Value::Null,
        }
    }

    /// The status of `trial`'s run with `seed`, if the manifest lists it.
    pub fn status(&self, trial: &str, seed: u64) -> Option<RunStatus> {
        self.run(trial, seed).map(|r| r.status)
    }

    fn run(&self, trial: &str, seed: u64) -> Option<&RunEntry> {
        let t = self.trials.iter().find(|t| t.name == trial)?;
        t.runs.iter().find(|r| r.seed == seed)
    }

    /// Sets the status of `trial`'s run with `seed`; `false` when the manifest has no such run.
    pub fn set_status(&mut self, trial: &str, seed: u64, status: RunStatus) -> bool {
        let run = self
            .trials
            .iter_mut()
            .find(|t| t.name == trial)
            .and_then(|t| t.runs.iter_mut().find(|r| r.seed == seed));
        match run {
            Some(r) => {
                r.status = status;
                true
            }
            None => false,
        }
    }
}

/// A trial's overrides as a JSON object (dotted path → value).
fn overrides_json(trial: &Trial) -> serde_json::Map<String, serde_json::Value> {
    trial
        .overrides
        .iter()
        .map(|o| {
            // A TOML value is always representable in JSON (datetimes become objects).
            let v = serde_json::to_value(&o.value).unwrap_or(serde_json::Value::Null);
            (o.path.clone(), v)
        })
        .collect()
}

/// Reads `OUT/sweep.json`: `None` when it is missing or not a whole, valid manifest.
pub fn read(out: &Path) -> Option<Manifest> {
    let bytes = fs::read(out.join(MANIFEST_FILE)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The manifest of `plan` as the run directories under `out` tell it, for when `sweep.json` is
/// missing or unreadable. A run's status comes from its `summary.json`: `completed` and
/// `diverged` as written; `interrupted` or `running` (a process that died mid-run, e.g. killed)
/// become `interrupted` when a `checkpoint.bin` lets them resume, else `pending`; a directory
/// without a readable summary counts by its checkpoint the same way. `pruned` is not visible in
/// a run directory: such a run shows as `interrupted`, and the halving, which is deterministic,
/// prunes it again.
pub fn rediscover(plan: &Plan, out: &Path) -> Manifest {
    let mut m = Manifest::new(plan, out);
    for trial in &mut m.trials {
        for run in &mut trial.runs {
            run.status = run_status(&run.dir);
        }
    }
    m
}

/// The status of one run directory, as [`rediscover`] reads it.
pub fn run_status(dir: &Path) -> RunStatus {
    let summary = fs::read(dir.join("summary.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
    let status = summary
        .as_ref()
        .and_then(|s| s.get("status"))
        .and_then(|s| s.as_str());
    match status {
        Some("completed") => RunStatus::Completed,
        Some("diverged") => RunStatus::Diverged,
        _ if dir.join(CHECKPOINT_FILE).is_file() => RunStatus::Interrupted,
        _ => RunStatus::Pending,
    }
}

/// Applies `change` to OUT's manifest under the lock and writes the result; returns it. The
/// manifest it changes is the file as it is at that moment, or, when that is missing or
/// unreadable, `plan`'s rebuilt by [`rediscover`]. Creates OUT if needed. Blocks while another
/// process (or thread) holds the lock.
pub fn update(plan: &Plan, out: &Path, change: impl FnOnce(&mut Manifest)) -> Result<Manifest> {
    fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let _lock = Lock::exclusive(&out.join(LOCK_FILE))?;
    let mut manifest = read(out).unwrap_or_else(|| rediscover(plan, out));
    change(&mut manifest);
    let mut json = serde_json::to_string_pretty(&manifest).context("writing sweep.json")?;
    json.push('\n');
    write_atomic(&out.join(MANIFEST_FILE), json.as_bytes())?;
    Ok(manifest)
}

/// Sets one run's status through [`update`] (the common case: a run starts, stops or finishes).
/// A run the manifest does not list (the file came from an older plan) is added to its trial,
/// or with a new trial entry, so the update is never dropped.
pub fn record(plan: &Plan, out: &Path, trial: &Trial, seed: u64, status: RunStatus) -> Result<()> {
    update(plan, out, |m| {
        if m.set_status(&trial.name, seed, status) {
            return;
        }
        let entry = RunEntry {
            seed,
            dir: run_dir(out, &trial.name, seed),
            status,
        };
        match m.trials.iter_mut().find(|t| t.name == trial.name) {
            Some(t) => t.runs.push(entry),
            None => m.trials.push(TrialEntry {
                name: trial.name.clone(),
                overrides: overrides_json(trial),
                runs: vec![entry],
            }),
        }
    })
    .map(|_| ())
}

/// An exclusive advisory lock (flock) on a file, released when dropped or when the process
/// ends, so a killed shard never leaves OUT locked.
struct Lock(File);

impl Lock {
    fn exclusive(path: &Path) -> Result<Lock> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        file.lock()
            .with_context(|| format!("locking {}", path.display()))?;
        Ok(Lock(file))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Closing the file releases the lock anyway; unlocking first just says so.
        let _ = self.0.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(dir: &Path) -> Plan {
        let base = dir.join("base.toml");
        fs::write(&base, "seed = 7\n[data]\nkind = \"synthetic_linear\"\n").unwrap();
        let sweep = dir.join("s.toml");
        let text = "base = \"base.toml\"\nseeds = 2\nmetric = \"loss\"\n[grid]\n\"optimizer.lr\" = [0.1, 0.2, 0.3, 0.4]\nschedule = [{ kind = \"constant\" }, { kind = \"cosine\" }]\n";
        fs::write(&sweep, text).unwrap();
        Plan::load(&sweep).unwrap()
    }

    #[test]
    fn a_new_manifest_lists_every_run_pending_with_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let p = plan(dir.path());
        let out = dir.path().join("out");
        let m = Manifest::new(&p, &out);
        assert_eq!(m.trials.len(), 8);
        assert_eq!(m.seeds, vec![1, 2]);
        assert_eq!(m.trials[1].name, "lr=0.1,schedule=cosine");
        assert_eq!(
            m.trials[1].runs[1].dir,
            out.join("lr=0.1,schedule=cosine").join("seed-2")
        );
        assert_eq!(
            m.trials[1].overrides["optimizer.lr"],
            serde_json::json!(0.1)
        );
        assert_eq!(m.trials[1].overrides["schedule"]["kind"], "cosine");
        assert!(
            m.trials
                .iter()
                .flat_map(|t| &t.runs)
                .all(|r| r.status == RunStatus::Pending)
        );
    }

    #[test]
    fn the_file_has_the_spec_fields_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = plan(dir.path());
        let out = dir.path().join("out");
        let written = update(&p, &out, |m| {
            m.set_status("lr=0.2,schedule=constant", 2, RunStatus::Diverged);
        })
        .unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join(MANIFEST_FILE)).unwrap()).unwrap();
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, vec!["metric", "seeds", "sweep", "table", "trials"]);
        assert_eq!(json["trials"][2]["runs"][1]["status"], "diverged");
        assert_eq!(json["trials"][2]["runs"][1]["seed"], 2);
        assert!(json["table"].is_null());
        assert_eq!(read(&out).unwrap(), written);
        assert!(!out.join("sweep.json.tmp").exists());
    }

    #[test]
    fn concurrent_writers_lose_no_update() {
        let dir = tempfile::tempdir().unwrap();
        let p = plan(dir.path());
        let out = dir.path().join("out");
        // 8 writers (one per trial, as 8 shards would be) each record 2 seeds × 3 states.
        std::thread::scope(|s| {
            for trial in &p.trials {
                let (p, out) = (&p, &out);
                s.spawn(move || {
                    for &seed in &p.seeds {
                        for status in [
                            RunStatus::Running,
                            RunStatus::Interrupted,
                            RunStatus::Completed,
                        ] {
                            record(p, out, trial, seed, status).unwrap();
                        }
                    }
                });
            }
        });
        let m = read(&out).unwrap();
        assert_eq!(m.trials.len(), 8);
        for t in &m.trials {
            assert_eq!(t.runs.len(), 2);
            assert!(
                t.runs.iter().all(|r| r.status == RunStatus::Completed),
                "{t:?}"
            );
        }
    }

    #[test]
    fn a_half_written_manifest_is_rebuilt_from_the_run_directories() {
        let dir = tempfile::tempdir().unwrap();
        let p = plan(dir.path());
        let out = dir.path().join("out");
        let done = run_dir(&out, "lr=0.1,schedule=constant", 1);
        let killed = run_dir(&out, "lr=0.1,schedule=constant", 2);
        let blown = run_dir(&out, "lr=0.4,schedule=cosine", 2);
        let fresh = run_dir(&out, "lr=0.3,schedule=cosine", 1);
        for d in [&done, &killed, &blown, &fresh] {
            fs::create_dir_all(d).unwrap();
        }
        fs::write(done.join("summary.json"), r#"{"status": "completed"}"#).unwrap();
        fs::write(killed.join("summary.json"), r#"{"status": "running"}"#).unwrap();
        fs::write(killed.join(CHECKPOINT_FILE), b"x").unwrap();
        fs::write(blown.join("summary.json"), r#"{"status": "diverged"}"#).unwrap();
        fs::write(fresh.join("summary.json"), r#"{"status": "runn"#).unwrap();
        fs::write(
            out.join(MANIFEST_FILE),
            r#"{"sweep": "s.toml", "metric": "lo"#,
        )
        .unwrap();
        assert!(read(&out).is_none());

        let m = update(&p, &out, |_| {}).unwrap();
        assert_eq!(
            m.status("lr=0.1,schedule=constant", 1),
            Some(RunStatus::Completed)
        );
        assert_eq!(
            m.status("lr=0.1,schedule=constant", 2),
            Some(RunStatus::Interrupted)
        );
        assert_eq!(
            m.status("lr=0.4,schedule=cosine", 2),
            Some(RunStatus::Diverged)
        );
        assert_eq!(
            m.status("lr=0.3,schedule=cosine", 1),
            Some(RunStatus::Pending)
        );
        assert_eq!(
            m.status("lr=0.2,schedule=cosine", 1),
            Some(RunStatus::Pending)
        );
        assert_eq!(read(&out).unwrap(), m);
    }

    #[test]
    fn a_run_missing_from_an_older_manifest_is_added_not_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = plan(dir.path());
        let out = dir.path().join("out");
        update(&p, &out, |m| m.trials.truncate(1)).unwrap();
        record(&p, &out, &p.trials[5], 2, RunStatus::Running).unwrap();
        let m = read(&out).unwrap();
        assert_eq!(m.trials.len(), 2);
        assert_eq!(m.status(&p.trials[5].name, 2), Some(RunStatus::Running));
    }

    #[test]
    fn only_completed_diverged_and_pruned_runs_are_final() {
        assert!(RunStatus::Pruned.is_final());
        assert!(!RunStatus::Interrupted.is_final());
        assert!(!RunStatus::Running.is_final());
        assert_eq!(
            serde_json::to_string(&RunStatus::Pending).unwrap(),
            "\"pending\""
        );
    }
}
