//! Sweeps on Slurm (`lrtrain sweep --shard`, `--slurm`, `--submit`), tested for real: a one-node
//! cluster started by `scripts/slurm-local.sh` in a temp directory runs the job array, and its
//! merged table must equal the one of the same sweep run locally with `--jobs 1`. When Slurm
//! cannot be started these tests fail with the script's reason; they are never skipped.
//! Bad input (`--shard`, `--submit`, `sbatch` missing or failing, an OUT of another sweep) is
//! tested through the binary with fake `sbatch` programs on PATH.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output};
use std::time::{Duration, Instant};

use crate::common::{lrtrain, mnist_config, stderr_of, write_config};
use tempfile::TempDir;

/// The longest a job array may take on the local cluster before a test gives up (its 8 tiny runs
/// take seconds; other tests share the 2 cores).
const JOB_TIMEOUT: Duration = Duration::from_secs(300);

/// A one-node Slurm cluster in its own temp directory, stopped on drop, so a failing assertion
/// never leaves daemons behind.
struct Cluster {
    dir: TempDir,
    conf: PathBuf,
}

impl Cluster {
    /// Starts the cluster through the repository's script; panics with the script's own words
    /// (this is the test failing, never a skip) when Slurm cannot be started.
    fn start() -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("lrtrain-slurm-test")
            .tempdir()
            .unwrap();
        let out = Process::new("bash")
            .arg(crate::common::repo().join("scripts/slurm-local.sh"))
            .arg("start")
            .arg(dir.path())
            .output()
            .expect("bash runs scripts/slurm-local.sh");
        let cluster = Cluster {
            conf: dir.path().join("slurm.conf"),
            dir,
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "Slurm could not be started by scripts/slurm-local.sh (exit {:?}): {}{}",
            out.status.code(),
            stdout,
            stderr_of(&out)
        );
        assert_eq!(
            stdout.trim(),
            format!("export SLURM_CONF={}", cluster.conf.display())
        );
        cluster
    }

    /// A Slurm client command (sbatch, squeue, scontrol, scancel) aimed at this cluster.
    fn client(&self, program: &str) -> Process {
        let mut cmd = Process::new(program);
        cmd.env("SLURM_CONF", &self.conf);
        cmd
    }

    /// Runs a client command and returns its stdout; panics with its stderr when it fails.
    fn run(&self, program: &str, args: &[&str]) -> String {
        let out = self.client(program).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}",
            stderr_of(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until no task of `job` is pending or running (`squeue`; no accounting database is
    /// needed), then returns each array task's `JobState` from `scontrol show job`.
    fn wait(&self, job: &str, logs: &Path) -> BTreeMap<usize, String> {
        let start = Instant::now();
        loop {
            let queued = self.run("squeue", &["-h", "-j", job, "-o", "%i %T"]);
            if queued.trim().is_empty() {
                break;
            }
            if start.elapsed() > JOB_TIMEOUT {
                panic!(
                    "job {job} still queued after {JOB_TIMEOUT:?}:\n{queued}\n{}",
                    task_logs(logs)
                );
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        let shown = self.run("scontrol", &["-o", "show", "job", job]);
        let mut states = BTreeMap::new();
        for line in shown.lines() {
            let field = |name: &str| {
                line.split_whitespace()
                    .find_map(|w| w.strip_prefix(name))
                    .map(str::to_string)
            };
            if let (Some(task), Some(state)) = (field("ArrayTaskId="), field("JobState=")) {
                states.insert(task.parse().unwrap(), state);
            }
        }
        states
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Process::new("bash")
            .arg(crate::common::repo().join("scripts/slurm-local.sh"))
            .arg("stop")
            .arg(self.dir.path())
            .output();
    }
}

/// Every `slurm-*.out` in `out`, for a failure message.
fn task_logs(out: &Path) -> String {
    let mut text = String::new();
    if let Ok(entries) = std::fs::read_dir(out) {
        let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for p in paths {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("slurm-") && name.ends_with(".out") {
                text += &format!("--- {name}\n{}\n", std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    text
}

/// A sweep of 4 trials × 2 seeds on the shipped MNIST subset with a tiny network (784-16-10,
/// one epoch): `dir/base.toml` and `dir/NAME.toml`; returns the sweep file.
fn tiny_sweep(dir: &Path, name: &str) -> PathBuf {
    write_config(
        dir,
        "base.toml",
        &mnist_config(
            "[model]\nkind = \"mlp\"\nhidden = [16]\n\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n\
             momentum = 0.9\n\n[schedule]\nkind = \"cosine\"\nunit = \"epoch\"\n\n\
             [train]\nepochs = 1\nbatch_size = 64\n",
        ),
    );
    write_config(
        dir,
        &format!("{name}.toml"),
        "base = \"base.toml\"\nseeds = [1, 2]\nmetric = \"val_accuracy\"\n\n\
         [grid]\n\"optimizer.lr\" = [0.01, 0.03, 0.1, 0.3]\n",
    )
}

/// Every `metrics.csv` under `out` (by path relative to `out`) without its `seconds` column.
fn metrics_without_seconds(out: &Path) -> BTreeMap<PathBuf, Vec<Vec<String>>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![out.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() == "metrics.csv" {
                let (header, rows) = crate::common::read_csv(&p);
                let seconds = header.iter().position(|h| h == "seconds");
                let keep = |row: &[String]| -> Vec<String> {
                    row.iter()
                        .enumerate()
                        .filter(|(i, _)| Some(*i) != seconds)
                        .map(|(_, c)| c.clone())
                        .collect()
                };
                let mut table = vec![keep(&header)];
                table.extend(rows.iter().map(|r| keep(r)));
                found.insert(p.strip_prefix(out).unwrap().to_path_buf(), table);
            }
        }
    }
    found
}

/// `lrtrain sweep SWEEP --out OUT --format csv`, the merged table (trains only what is missing),
/// without its wall-time columns `seconds` and `seconds_std` (trial names here hold no comma, so
/// a plain split is a CSV parse).
fn merged_table(sweep: &Path, out: &Path) -> Vec<Vec<String>> {
    let run = lrtrain()
        .arg("sweep")
        .arg(sweep)
        .arg("--out")
        .arg(out)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr_of(&run));
    let text = String::from_utf8(run.stdout).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    let wall: Vec<usize> = rows[0]
        .iter()
        .enumerate()
        .filter(|(_, h)| **h == "seconds" || **h == "seconds_std")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(wall.len(), 2, "{text}");
    rows.iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .filter(|(i, _)| !wall.contains(i))
                .map(|(_, c)| c.to_string())
                .collect()
        })
        .collect()
}

/// The job id from `Submitted batch job N (K array tasks)`.
fn job_id(stdout: &str, tasks: usize) -> String {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("Submitted batch job "))
        .unwrap_or_else(|| panic!("no job id line in {stdout:?}"));
    let rest = line.strip_prefix("Submitted batch job ").unwrap();
    let (id, count) = rest.split_once(' ').unwrap();
    assert_eq!(count, format!("({tasks} array tasks)"), "{line}");
    assert!(id.bytes().all(|b| b.is_ascii_digit()), "{line}");
    id.to_string()
}

#[test]
#[ignore = "needs a real one-node Slurm cluster: root and Debian's slurmctld, slurmd, slurm-client, munge; .ci/run runs it"]
fn the_local_cluster_script_starts_a_node_that_runs_a_job_and_a_second_start_reuses_it() {
    let cluster = Cluster::start();
    let nodes = cluster.run("sinfo", &["-h", "-N", "-o", "%T"]);
    assert_eq!(nodes.trim(), "idle");
    let again = Process::new("bash")
        .arg(crate::common::repo().join("scripts/slurm-local.sh"))
        .arg("start")
        .arg(cluster.dir.path())
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", stderr_of(&again));
    assert!(stderr_of(&again).contains("already running"));
    let marker = cluster.dir.path().join("ran");
    let submitted = cluster.run(
        "sbatch",
        &[
            "--parsable",
            "--output=/dev/null",
            &format!("--wrap=echo $SLURM_JOB_ID > {}", marker.display()),
        ],
    );
    let job = submitted.trim().to_string();
    let states = cluster.wait(&job, cluster.dir.path());
    assert!(states.is_empty(), "not an array job: {states:?}");
    let shown = cluster.run("scontrol", &["-o", "show", "job", &job]);
    assert!(shown.contains("JobState=COMPLETED"), "{shown}");
    assert_eq!(std::fs::read_to_string(&marker).unwrap().trim(), job);
}

#[test]
#[ignore = "needs a real one-node Slurm cluster: root and Debian's slurmctld, slurmd, slurm-client, munge; .ci/run runs it"]
fn a_sweep_submitted_to_slurm_equals_the_local_sweep_also_after_a_cancelled_task_is_resubmitted() {
    let cluster = Cluster::start();
    let tmp = TempDir::new().unwrap();
    let sweep = tiny_sweep(tmp.path(), "lr");
    let out = tmp.path().join("out");
    let script = tmp.path().join("lr.sh");

    // Held, so task 2 is cancelled before it starts; then released.
    let submit = lrtrain()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&out)
        .arg("--slurm")
        .arg(&script)
        .args(["--sbatch-arg=--hold", "--submit"])
        .env("SLURM_CONF", &cluster.conf)
        .output()
        .unwrap();
    assert_eq!(submit.status.code(), Some(0), "{}", stderr_of(&submit));
    let job = job_id(&String::from_utf8_lossy(&submit.stdout), 4);
    cluster.run("scancel", &[&format!("{job}_2")]);
    cluster.run("scontrol", &["release", &job]);
    let mut states = cluster.wait(&job, &out);
    // A task cancelled while pending may no longer be listed by scontrol at all.
    let cancelled = states.remove(&2);
    assert!(
        matches!(cancelled.as_deref(), None | Some("CANCELLED")),
        "task 2: {cancelled:?}"
    );
    let expected: BTreeMap<usize, String> = [0, 1, 3]
        .into_iter()
        .map(|t| (t, "COMPLETED".to_string()))
        .collect();
    assert_eq!(states, expected, "{}", task_logs(&out));
    for task in [0, 1, 3] {
        assert!(out.join(format!("slurm-{job}_{task}.out")).is_file());
    }
    assert!(!out.join(format!("slurm-{job}_2.out")).exists());
    let first = metrics_without_seconds(&out);
    assert_eq!(
        first.len(),
        6,
        "trial 2's two runs were cancelled: {first:?}"
    );

    // Resubmitting the same script (held too, by its `#SBATCH --hold`) reruns every task; the
    // finished shards train nothing again and task 2 trains its trial.
    let resubmitted = cluster.run("sbatch", &["--parsable", script.to_str().unwrap()]);
    let job2 = resubmitted.trim().to_string();
    cluster.run("scontrol", &["release", &job2]);
    assert_ne!(job2, job);
    let states = cluster.wait(&job2, &out);
    assert_eq!(states.len(), 4, "{states:?}");
    assert!(
        states.values().all(|s| s == "COMPLETED"),
        "{states:?}\n{}",
        task_logs(&out)
    );
    let slurm = metrics_without_seconds(&out);
    assert_eq!(slurm.len(), 8);
    for (run, table) in &first {
        assert_eq!(
            &slurm[run],
            table,
            "{} changed on resubmission",
            run.display()
        );
    }

    // The same sweep locally, one run at a time.
    let local = tmp.path().join("local");
    let run = lrtrain()
        .arg("sweep")
        .arg(&sweep)
        .arg("--out")
        .arg(&local)
        .args(["--jobs", "1"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr_of(&run));
    assert_eq!(metrics_without_seconds(&local), slurm);

    let table = merged_table(&sweep, &out);
    assert_eq!(table, merged_table(&sweep, &local));
    assert_eq!(table.len(), 5, "a header and 4 trials: {table:?}");
    assert!(
        table[1..]
            .iter()
            .all(|row| row.contains(&"completed".to_string()))
    );
    let manifest = crate::common::read_json(&out.join("sweep.json"));
    let statuses: Vec<&str> = manifest["trials"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["runs"].as_array().unwrap())
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["completed"; 8]);
}

/// `lrtrain sweep SWEEP ARGS…` in `dir` with PATH set to `path`.
fn sweep_in(dir: &Path, sweep: &Path, args: &[&str], path: &str) -> Output {
    lrtrain()
        .current_dir(dir)
        .arg("sweep")
        .arg(sweep)
        .args(args)
        .env("PATH", path)
        .output()
        .unwrap()
}

/// Asserts a usage error: exit 2 and one `error: …` line holding every one of `needles`.
fn assert_usage_error(out: &Output, needles: &[&str]) {
    let err = stderr_of(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in {err}");
    }
}

fn system_path() -> String {
    std::env::var("PATH").unwrap()
}

#[test]
fn a_shard_index_not_below_the_shard_count_is_refused_naming_the_flag() {
    let tmp = TempDir::new().unwrap();
    let sweep = tiny_sweep(tmp.path(), "lr");
    let out = sweep_in(tmp.path(), &sweep, &["--shard", "3/2"], &system_path());
    assert_usage_error(&out, &["--shard", "3/2"]);
    assert!(!tmp.path().join("runs").exists(), "nothing is trained");
}

#[test]
fn a_shard_that_is_not_i_over_n_is_refused_naming_the_flag() {
    let tmp = TempDir::new().unwrap();
    let sweep = tiny_sweep(tmp.path(), "lr");
    let out = sweep_in(tmp.path(), &sweep, &["--shard", "x"], &system_path());
    assert_usage_error(&out, &["--shard", "x"]);
    assert!(!tmp.path().join("runs").exists(), "nothing is trained");
}

#[test]
fn submit_without_slurm_is_refused_naming_both_flags() {
    let tmp = TempDir::new().unwrap();
    let sweep = tiny_sweep(tmp.path(), "lr");
    let out = sweep_in(tmp.path(), &sweep, &["--submit"], &system_path());
    assert_usage_error(&out, &["--submit", "--slurm"]);
    assert!(!tmp.path().join("runs").exists(), "nothing is trained");
}

/// A directory holding one executable `sbatch` with the given shell body.
fn fake_sbatch(dir: &Path, body: &str) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let path = bin.join("sbatch");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin.to_string_lossy().into_owned()
}

#[test]
fn submit_with_no_sbatch_on_path_exits_1_saying_sbatch_cannot_be_run() {
    let tmp = TempDir::new().unwrap();
    let sweep = tiny_sweep(tmp.path(), "lr");
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = sweep_in(
        tmp.path(),
        &sweep,
        &["--out", "o", "--slurm", "lr.sh", "--submit"],
        empty.to_str().unwrap(),
    );
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let error = err.lines().find(|l| l.starts_with("error: ")).unwrap_or("");
    assert!(error.contains("cannot run sbatch"), "{err}");
    // The script is written before submitting, so it can be submitted by hand.
    assert!(tmp.path().join("lr.sh").is_file());
}

#[test]
fn submit_with_a_failing_sbatch_exits_1_showing_its_message() {
    let tmp = TempDir::new().unwrap();
    let sweep = tiny_sweep(tmp.path(), "lr");
    let bin = fake_sbatch(
        tmp.path(),
        "echo 'sbatch: error: Batch job submission failed: Invalid partition name specified' >&2\nexit 1",
    );
    let out = sweep_in(
        tmp.path(),
        &sweep,
        &["--out", "o", "--slurm", "lr.sh", "--submit"],
        &format!("{bin}:{}", system_path()),
    );
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let error = err.lines().find(|l| l.starts_with("error: ")).unwrap_or("");
    assert!(
        error.contains("Batch job submission failed: Invalid partition name specified"),
        "{err}"
    );
}

#[test]
fn submit_hands_the_written_script_to_sbatch_and_prints_the_job_id_with_its_task_count() {
    let tmp = TempDir::new().unwrap();
    let sweep = tiny_sweep(tmp.path(), "lr");
    let args = tmp.path().join("sbatch-args");
    let bin = fake_sbatch(
        tmp.path(),
        &format!(
            "echo \"$@\" > '{}'\necho 'Submitted batch job 4242'",
            args.display()
        ),
    );
    let out = sweep_in(
        tmp.path(),
        &sweep,
        &[
            "--out", "o", "--slurm", "lr.sh", "--shards", "3", "--submit",
        ],
        &format!("{bin}:{}", system_path()),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert_eq!(job_id(&String::from_utf8_lossy(&out.stdout), 3), "4242");
    let given = std::fs::read_to_string(&args).unwrap();
    assert!(given.trim_end().ends_with("lr.sh"), "{given}");
    assert!(tmp.path().join("lr.sh").is_file());
    assert!(
        !tmp.path().join("o").join("lr=0.01").exists(),
        "nothing trained here"
    );
}

#[test]
fn the_slurm_script_runs_one_shard_per_array_task_with_absolute_paths_and_jobs_1() {
    let tmp = TempDir::new().unwrap();
    let sweep = tiny_sweep(tmp.path(), "lr");
    let out = sweep_in(
        tmp.path(),
        &sweep,
        &[
            "--out",
            "o",
            "--slurm",
            "lr.sh",
            "--shards",
            "2",
            "--sbatch-arg",
            "--partition=short",
            "--sbatch-arg=--mem=1G",
        ],
        &system_path(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = std::fs::read_to_string(tmp.path().join("lr.sh")).unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let abs_out = root.join("o");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "#!/bin/sh");
    let directives: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("#SBATCH"))
        .collect();
    assert_eq!(
        directives,
        vec![
            "#SBATCH --job-name=lrtrain-lr",
            "#SBATCH --array=0-1",
            "#SBATCH --cpus-per-task=1",
            &format!("#SBATCH --output={}/slurm-%A_%a.out", abs_out.display()),
            "#SBATCH --partition=short",
            "#SBATCH --mem=1G",
        ]
    );
    assert!(!text.contains("--time"), "{text}");
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_lrtrain"))
        .canonicalize()
        .unwrap();
    let command = format!(
        "exec {} sweep {} --out {} --shard \"$SLURM_ARRAY_TASK_ID/2\" --jobs 1",
        exe.display(),
        root.join("lr.toml").display(),
        abs_out.display()
    );
    assert_eq!(lines.last().copied(), Some(command.as_str()), "{text}");
    // Every #SBATCH line comes before the first command (sbatch stops reading them there).
    let first_command = lines
        .iter()
        .position(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap();
    assert!(
        lines[first_command..]
            .iter()
            .all(|l| !l.starts_with("#SBATCH"))
    );
}

#[test]
fn an_out_holding_another_sweeps_runs_is_refused_naming_both_sweep_files() {
    let tmp = TempDir::new().unwrap();
    let first = tiny_sweep(tmp.path(), "first");
    write_config(
        tmp.path(),
        "one.toml",
        "base = \"base.toml\"\nseeds = [1]\nmetric = \"val_loss\"\n\n[grid]\n\"optimizer.lr\" = [0.1]\n",
    );
    let one = tmp.path().join("one.toml");
    let ran = sweep_in(tmp.path(), &one, &["--out", "o"], &system_path());
    assert_eq!(ran.status.code(), Some(0), "{}", stderr_of(&ran));
    let before = std::fs::read(tmp.path().join("o/sweep.json")).unwrap();
    for args in [
        &["--out", "o"][..],
        &["--out", "o", "--shard", "0/2"][..],
        &["--out", "o", "--slurm", "first.sh"][..],
    ] {
        let out = sweep_in(tmp.path(), &first, args, &system_path());
        assert_usage_error(&out, &["first.toml", "one.toml"]);
    }
    assert!(
        !tmp.path().join("first.sh").exists(),
        "no script for a refused OUT"
    );
    assert_eq!(
        std::fs::read(tmp.path().join("o/sweep.json")).unwrap(),
        before,
        "the other sweep's manifest is left alone"
    );
}
