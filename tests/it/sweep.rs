//! `lrtrain sweep` (and compare's statistics) through the binary, as a user runs them.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// A small MNIST base config: 784-16-10, SGD, constant rate, `epochs` epochs of batch 64.
fn base(dir: &Path, epochs: usize) -> PathBuf {
    write_config(
        dir,
        "base.toml",
        &mnist_config(&format!(
            "[model]\nkind = \"mlp\"\nhidden = [16]\n\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n\n[schedule]\nkind = \"constant\"\n\n[train]\nepochs = {epochs}\nbatch_size = 64\n"
        )),
    )
}

/// The 2 × 2 × 2 sweep: two rates × two schedule kinds × seeds 1 and 2.
fn grid_sweep(dir: &Path, epochs: usize) -> PathBuf {
    base(dir, epochs);
    write_config(
        dir,
        "s.toml",
        "base = \"base.toml\"\nseeds = [1, 2]\nmetric = \"val_accuracy\"\n\n[grid]\n\"optimizer.lr\" = [0.01, 0.1]\nschedule = [{ kind = \"constant\" }, { kind = \"cosine\" }]\n",
    )
}

fn sweep(args: &[&str]) -> std::process::Output {
    lrtrain().arg("sweep").args(args).output().unwrap()
}

/// `lrtrain sweep SWEEP --out OUT EXTRA…`.
fn sweep_to(sweep_file: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![sweep_file.to_str().unwrap(), "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    sweep(&args)
}

fn stdout_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// metrics.csv without its `seconds` column (the only one allowed to differ between runs).
fn metrics_without_seconds(dir: &Path) -> Vec<String> {
    let (header, rows) = read_csv(&dir.join("metrics.csv"));
    let s = header.iter().position(|h| h == "seconds").unwrap();
    rows.into_iter()
        .map(|mut r| {
            r.remove(s);
            r.join(",")
        })
        .collect()
}

/// Every run directory under OUT (`<trial>/seed-<s>`), sorted.
fn run_dirs(out: &Path) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for trial in std::fs::read_dir(out).unwrap().flatten() {
        if trial.path().is_dir() {
            for run in std::fs::read_dir(trial.path()).unwrap().flatten() {
                dirs.push(run.path());
            }
        }
    }
    dirs.sort();
    dirs
}

/// The table's JSON without the wall times.
fn table_without_seconds(out: &Path) -> serde_json::Value {
    let mut t = read_json(&out.join("sweep.json"))["table"].clone();
    for row in t["rows"].as_array_mut().unwrap() {
        row.as_object_mut().unwrap().remove("seconds");
    }
    t
}

#[test]
fn a_two_by_two_by_two_sweep_switching_schedule_kinds_trains_every_run_and_ranks_the_trials() {
    let dir = tempfile::tempdir().unwrap();
    let s = grid_sweep(dir.path(), 2);
    let out = dir.path().join("out");
    let o = sweep_to(&s, &out, &["--jobs", "2"]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let table = stdout_of(&o);
    assert!(
        table.contains("differ in: optimizer.lr, schedule"),
        "{table}"
    );
    assert!(table.contains("verdict"), "{table}");

    let m = read_json(&out.join("sweep.json"));
    assert_eq!(m["metric"], "val_accuracy");
    assert_eq!(m["seeds"], serde_json::json!([1, 2]));
    let trials = m["trials"].as_array().unwrap();
    assert_eq!(trials.len(), 4);
    assert_eq!(trials[1]["name"], "lr=0.01,schedule=cosine");
    assert_eq!(trials[1]["overrides"]["schedule"]["kind"], "cosine");
    for t in trials {
        for r in t["runs"].as_array().unwrap() {
            assert_eq!(r["status"], "completed", "{t}");
            let dir = PathBuf::from(r["dir"].as_str().unwrap());
            assert_eq!(read_csv(&dir.join("metrics.csv")).1.len(), 2);
            let cfg = std::fs::read_to_string(dir.join("config.toml")).unwrap();
            assert!(cfg.contains(&format!("seed = {}", r["seed"])), "{cfg}");
        }
    }
    // The leader is the rate 0.1 (0.01 learns far less in 2 epochs); its row says so.
    let rows = m["table"]["rows"].as_array().unwrap();
    assert!(rows[0]["run"].as_str().unwrap().starts_with("lr=0.1,"));
    assert_eq!(rows[0]["vs_leader"]["verdict"], "leader");
    assert!(rows[0]["best"]["ci95"].is_array());
    let (header, csv_rows) = read_csv(&out.join("sweep.csv"));
    assert_eq!(header.last().unwrap(), "verdict");
    assert_eq!(csv_rows.len(), 4);
    let (eh, erows) = read_csv(&out.join("epochs.csv"));
    assert_eq!(&eh[..2], &["run".to_string(), "seed".to_string()]);
    assert_eq!(erows.len(), 4 * 2 * 2);
}

#[test]
fn results_do_not_depend_on_jobs_and_a_second_run_trains_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let s = grid_sweep(dir.path(), 2);
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (out, jobs) in [(&a, "1"), (&b, "2")] {
        let o = sweep_to(&s, out, &["--jobs", jobs]);
        assert!(o.status.success(), "{}", stderr_of(&o));
    }
    for (x, y) in run_dirs(&a).iter().zip(run_dirs(&b)) {
        assert_eq!(
            metrics_without_seconds(x),
            metrics_without_seconds(&y),
            "{x:?}"
        );
    }
    let again = sweep_to(&s, &a, &[]);
    assert!(again.status.success());
    assert!(!stderr_of(&again).contains("[1/"), "{}", stderr_of(&again));
}

#[test]
fn a_sweep_interrupted_by_sigint_at_a_random_moment_continues_to_the_same_table_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let s = grid_sweep(dir.path(), 4);
    let whole = dir.path().join("whole");
    let o = sweep_to(&s, &whole, &["--jobs", "2"]);
    assert!(o.status.success(), "{}", stderr_of(&o));

    let cut = dir.path().join("cut");
    let child: Child = lrtrain_std()
        .args([
            "sweep",
            s.to_str().unwrap(),
            "--out",
            cut.to_str().unwrap(),
            "--jobs",
            "2",
        ])
        .env("LRTRAIN_TEST_CHECKPOINT_INTERVAL_MS", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A moment between the first row and the end, drawn from the clock.
    let started = Instant::now();
    while !cut.join("sweep.json").exists() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    std::thread::sleep(Duration::from_millis(u64::from(nanos % 300)));
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let o = child.wait_with_output().unwrap();
    // Either it stopped (130, table of what finished printed) or it had already finished.
    let code = o.status.code().unwrap();
    assert!(code == 130 || code == 0, "{code}: {}", stderr_of(&o));
    if code == 130 {
        assert!(stdout_of(&o).contains("rank"), "{}", stdout_of(&o));
        let m = read_json(&cut.join("sweep.json"));
        assert!(!m.to_string().contains("\"running\""), "{m}");
    }
    let leftovers: Vec<_> = walk(&cut)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let o = sweep_to(&s, &cut, &["--jobs", "2"]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(table_without_seconds(&whole), table_without_seconds(&cut));
    let (w, c) = (run_dirs(&whole), run_dirs(&cut));
    assert_eq!(w.len(), 8);
    for (x, y) in w.iter().zip(&c) {
        assert_eq!(
            metrics_without_seconds(x),
            metrics_without_seconds(y),
            "{y:?}"
        );
    }
}

fn lrtrain_std() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_lrtrain"))
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn list_prints_the_same_trials_every_time_and_trains_nothing() {
    let dir = tempfile::tempdir().unwrap();
    base(dir.path(), 2);
    let s = write_config(
        dir.path(),
        "r.toml",
        "base = \"base.toml\"\nseeds = 2\nmetric = \"val_loss\"\n\n[random]\nsamples = 3\n\"optimizer.lr\" = { log_uniform = [1e-3, 1e-1] }\n",
    );
    let first = sweep(&[s.to_str().unwrap(), "--list"]);
    assert!(first.status.success(), "{}", stderr_of(&first));
    let text = stdout_of(&first);
    assert_eq!(text.lines().next(), Some("index,name,overrides"));
    assert_eq!(text.lines().count(), 4);
    assert_eq!(stdout_of(&sweep(&[s.to_str().unwrap(), "--list"])), text);
    assert!(!dir.path().join("runs").exists());
}

#[test]
fn halving_keeps_the_sensible_rates_and_their_runs_continue_exactly() {
    let dir = tempfile::tempdir().unwrap();
    base(dir.path(), 4);
    let s = write_config(
        dir.path(),
        "h.toml",
        "base = \"base.toml\"\nseeds = [1, 2]\nmetric = \"val_loss\"\n\n[grid]\n\"optimizer.lr\" = [1e-6, 0.1, 1e-5, 0.05]\nschedule = [{ kind = \"cosine\", unit = \"epoch\" }]\n\n[prune]\nkind = \"halving\"\nmin_epochs = 1\neta = 2\n",
    );
    let out = dir.path().join("out");
    let o = sweep_to(&s, &out, &["--jobs", "2"]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let m = read_json(&out.join("sweep.json"));
    let status = |name: &str| -> Vec<String> {
        let t = m["trials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap();
        t["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(status("lr=0.1,schedule=cosine"), ["completed", "completed"]);
    assert_eq!(status("lr=0.05,schedule=cosine"), ["pruned", "pruned"]);
    assert_eq!(status("lr=0.000001,schedule=cosine"), ["pruned", "pruned"]);
    // Rungs 1, 2, 4: the two tiny rates stop after 1 epoch, 0.05 after 2; rows are kept.
    let rows = |name: &str| read_csv(&out.join(name).join("seed-1/metrics.csv")).1.len();
    assert_eq!(rows("lr=0.000001,schedule=cosine"), 1);
    assert_eq!(rows("lr=0.05,schedule=cosine"), 2);
    assert_eq!(rows("lr=0.1,schedule=cosine"), 4);

    // The survivor, stopped at rungs 1 and 2 and resumed, equals one uninterrupted train run:
    // its cosine follows train.epochs = 4, not the rung.
    let plain = write_config(
        dir.path(),
        "plain.toml",
        &std::fs::read_to_string(dir.path().join("base.toml"))
            .unwrap()
            .replace("kind = \"constant\"", "kind = \"cosine\"\nunit = \"epoch\""),
    );
    let run = dir.path().join("plain");
    let o = lrtrain()
        .args([
            "train",
            "--config",
            plain.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(
        metrics_without_seconds(&run),
        metrics_without_seconds(&out.join("lr=0.1,schedule=cosine/seed-1"))
    );
}

#[test]
fn a_half_written_sweep_json_loses_no_finished_run() {
    let dir = tempfile::tempdir().unwrap();
    let s = grid_sweep(dir.path(), 1);
    let out = dir.path().join("out");
    assert!(sweep_to(&s, &out, &[]).status.success());
    let text = std::fs::read_to_string(out.join("sweep.json")).unwrap();
    std::fs::write(out.join("sweep.json"), &text[..text.len() / 2]).unwrap();
    let o = sweep_to(&s, &out, &[]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert!(
        !stderr_of(&o).contains("[1/"),
        "retrained: {}",
        stderr_of(&o)
    );
    let m = read_json(&out.join("sweep.json"));
    let statuses: Vec<&str> = m["trials"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| {
            t["runs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["status"].as_str().unwrap())
        })
        .collect();
    assert_eq!(statuses, ["completed"; 8]);
}

#[test]
fn a_run_whose_config_changed_is_named_and_refused_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let s = grid_sweep(dir.path(), 1);
    let out = dir.path().join("out");
    assert!(sweep_to(&s, &out, &[]).status.success());
    let b = dir.path().join("base.toml");
    let text = std::fs::read_to_string(&b)
        .unwrap()
        .replace("hidden = [16]", "hidden = [8]");
    std::fs::write(&b, text).unwrap();
    let o = sweep_to(&s, &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr_of(&o).contains("seed-1 and 7 more: the run's config changed"),
        "{}",
        stderr_of(&o)
    );
    let o = sweep_to(&s, &out, &["--force"]);
    assert!(o.status.success(), "{}", stderr_of(&o));
}

#[test]
fn an_out_holding_another_sweeps_runs_is_refused_naming_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let s = grid_sweep(dir.path(), 1);
    let other = write_config(
        dir.path(),
        "other.toml",
        "base = \"base.toml\"\nseeds = 1\nmetric = \"val_accuracy\"\n[grid]\n\"optimizer.lr\" = [0.1]\n",
    );
    let out = dir.path().join("out");
    assert!(sweep_to(&s, &out, &[]).status.success());
    let o = sweep_to(&other, &out, &[]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr_of(&o);
    assert!(e.contains("s.toml") && e.contains("other.toml"), "{e}");
}

#[test]
fn bad_sweep_files_and_flags_exit_2_naming_file_line_and_key_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    base(dir.path(), 1);
    let cases = [
        (
            "[grid]\n\"optimizer.lrr\" = [0.1]\n",
            "line 6",
            "optimizer.lrr",
        ),
        (
            "[grid]\n\"optimizer.lr\" = [\"fast\"]\n",
            "line 6",
            "optimizer.lr",
        ),
        ("[grid]\n\"optimizer.lr\" = []\n", "line 6", "optimizer.lr"),
        (
            "[random]\nsamples = 0\n\"optimizer.lr\" = { uniform = [0.1, 0.2] }\n",
            "line 6",
            "samples",
        ),
        (
            "[random]\nsamples = 2\n\"optimizer.lr\" = { uniform = [0.2, 0.1] }\n",
            "line 7",
            "optimizer.lr",
        ),
    ];
    for (i, (body, line, key)) in cases.iter().enumerate() {
        let name = format!("bad{i}.toml");
        let s = write_config(
            dir.path(),
            &name,
            &format!("base = \"base.toml\"\nseeds = 1\nmetric = \"val_accuracy\"\n\n{body}"),
        );
        let out = dir.path().join(format!("out{i}"));
        let o = sweep_to(&s, &out, &[]);
        let e = stderr_of(&o);
        assert_eq!(o.status.code(), Some(2), "{body}: {e}");
        assert!(e.starts_with("error: ") && e.lines().count() == 1, "{e}");
        assert!(
            e.contains(&name) && e.contains(line) && e.contains(key),
            "{body}: {e}"
        );
        assert!(!out.exists(), "{body}: something ran");
    }
    let itself = write_config(
        dir.path(),
        "self.toml",
        "base = \"self.toml\"\nseeds = 1\nmetric = \"val_accuracy\"\n",
    );
    let o = sweep(&[itself.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr_of(&o).contains("line 1: base"), "{}", stderr_of(&o));

    let s = grid_sweep(dir.path(), 1);
    for shard in ["3/2", "x", "1/0"] {
        let o = sweep(&[s.to_str().unwrap(), "--shard", shard]);
        assert_eq!(o.status.code(), Some(2), "{shard}");
        assert!(stderr_of(&o).contains("--shard"), "{}", stderr_of(&o));
    }
    let o = sweep(&[s.to_str().unwrap(), "--submit"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr_of(&o));
}

#[test]
fn a_sweep_axis_over_the_data_is_refused_before_anything_trains() {
    let dir = tempfile::tempdir().unwrap();
    base(dir.path(), 1);
    let s = write_config(
        dir.path(),
        "d.toml",
        &format!(
            "base = \"base.toml\"\nseeds = 1\nmetric = \"val_accuracy\"\n[grid]\ndata = [{{ kind = \"idx\", train_images = \"{0}\", train_labels = \"{1}\", test_images = \"{2}\", test_labels = \"{3}\" }}, {{ kind = \"idx\", train_images = \"{0}\", train_labels = \"{1}\", validation_split = 0.25 }}]\n",
            mnist("train-images-idx3-ubyte.gz"),
            mnist("train-labels-idx1-ubyte.gz"),
            mnist("t10k-images-idx3-ubyte.gz"),
            mnist("t10k-labels-idx1-ubyte.gz")
        ),
    );
    let out = dir.path().join("out");
    let o = sweep_to(&s, &out, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr_of(&o));
    assert!(
        stderr_of(&o).contains("differ in data."),
        "{}",
        stderr_of(&o)
    );
    assert!(!out.exists());
}

#[test]
fn prune_with_shard_or_slurm_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    base(dir.path(), 2);
    let s = write_config(
        dir.path(),
        "h.toml",
        "base = \"base.toml\"\nseeds = 1\nmetric = \"val_accuracy\"\n[grid]\n\"optimizer.lr\" = [0.1, 0.01]\n[prune]\nkind = \"halving\"\nmin_epochs = 1\neta = 2\n",
    );
    for extra in [["--shard", "0/2"], ["--slurm", "x.sh"]] {
        let o = sweep(&[s.to_str().unwrap(), extra[0], extra[1]]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr_of(&o).contains("[prune]"), "{}", stderr_of(&o));
    }
}

#[test]
fn shards_train_only_their_trials_and_the_whole_sweep_then_merges_them() {
    let dir = tempfile::tempdir().unwrap();
    let s = grid_sweep(dir.path(), 1);
    let out = dir.path().join("out");
    let o = sweep_to(&s, &out, &["--shard", "1/2"]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert!(
        out.join("lr=0.01,schedule=cosine/seed-1/metrics.csv")
            .exists()
    );
    assert!(!out.join("lr=0.01,schedule=constant/seed-1").exists());
    let m = read_json(&out.join("sweep.json"));
    assert_eq!(m["trials"][0]["runs"][0]["status"], "pending");
    assert_eq!(m["trials"][1]["runs"][0]["status"], "completed");
    let o = sweep_to(&s, &out, &[]);
    assert!(o.status.success());
    // Only the other shard's 4 runs were trained by the merge.
    let e = stderr_of(&o);
    assert_eq!(
        e.lines().filter(|l| l.contains(": completed")).count(),
        4,
        "{e}"
    );
}

#[test]
fn slurm_writes_the_script_and_submit_without_sbatch_shows_why_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let s = grid_sweep(dir.path(), 1);
    let script = dir.path().join("job.sh");
    let out = dir.path().join("out");
    let o = lrtrain()
        .args(["sweep", s.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args([
            "--slurm",
            script.to_str().unwrap(),
            "--shards",
            "2",
            "--submit",
        ])
        .env("PATH", dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr_of(&o));
    assert!(stderr_of(&o).contains("sbatch"), "{}", stderr_of(&o));
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(text.contains("#SBATCH --array=0-1"), "{text}");
    assert!(text.contains("--shard"), "{text}");
    // Written once: not replaced without --force.
    let o = sweep_to(&s, &out, &["--slurm", script.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr_of(&o));
}

/// Two configs in a temp dir for `compare`, differing only in the rate.
fn two_rates(dir: &Path, a: f64, b: f64) -> (PathBuf, PathBuf) {
    let cfg = |lr: f64| {
        mnist_config(&format!(
            "[model]\nkind = \"mlp\"\nhidden = [16]\n\n[optimizer]\nkind = \"sgd\"\nlr = {lr}\n\n[train]\nepochs = 1\nbatch_size = 64\n"
        ))
    };
    (
        write_config(dir, "a.toml", &cfg(a)),
        write_config(dir, "b.toml", &cfg(b)),
    )
}

fn compare_json(dir: &Path, a: &Path, b: &Path, seeds: &str) -> serde_json::Value {
    let o = lrtrain()
        .args([
            "compare",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--seeds",
            seeds,
        ])
        .args([
            "--out",
            dir.join("cmp").to_str().unwrap(),
            "--format",
            "json",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn identical_configs_are_tied_never_a_zero_margin() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_rates(dir.path(), 0.1, 0.1);
    let v = compare_json(dir.path(), &a, &b, "3");
    assert_eq!(v["rows"][1]["vs_leader"]["verdict"], "tied");
    assert_eq!(v["rows"][1]["vs_leader"]["diff"], 0.0);
    assert!(!v["summary"].as_str().unwrap().contains("is best"), "{v}");
}

#[test]
fn a_rate_of_1e_6_against_0_1_over_5_seeds_is_worse_with_p_holm_below_0_05() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = two_rates(dir.path(), 1e-6, 0.1);
    let v = compare_json(dir.path(), &a, &b, "5");
    assert_eq!(v["rows"][0]["run"], "b");
    assert_eq!(v["rows"][0]["vs_leader"]["verdict"], "leader");
    assert_eq!(v["rows"][1]["vs_leader"]["verdict"], "worse");
    assert!(
        v["rows"][1]["vs_leader"]["p_holm"].as_f64().unwrap() < 0.05,
        "{v}"
    );
    assert_eq!(v["rows"][1]["best"]["values"].as_array().unwrap().len(), 5);
    assert_eq!(v["summary"], "b is best");
}

#[test]
fn configs_on_other_data_or_of_another_task_are_not_ranked_together() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = two_rates(dir.path(), 0.1, 0.1);
    let linear = write_config(
        dir.path(),
        "lin.toml",
        "seed = 1\n[data]\nkind = \"synthetic_linear\"\nsamples = 50\n[model]\nkind = \"linear\"\n[optimizer]\nkind = \"sgd\"\nlr = 0.01\n[train]\nepochs = 1\nbatch_size = 10\n",
    );
    let out = dir.path().join("cmp");
    let o = lrtrain()
        .args([
            "compare",
            a.to_str().unwrap(),
            linear.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = stderr_of(&o);
    assert!(
        e.contains("differ in data") && e.contains("lin.toml"),
        "{e}"
    );
    assert!(!out.exists());
}
