//! Checkpoints and `--resume`, through the binary: a run killed at any moment and resumed ends
//! exactly like the run that was never stopped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::*;

/// A small MNIST model (784-16-10) with `optim` and `sched` TOML; a few hundredths of a second
/// per epoch.
fn config(dir: &Path, optim: &str, sched: &str, epochs: usize) -> PathBuf {
    write_config(
        dir,
        "c.toml",
        &mnist_config(&format!(
            "[model]\nhidden = [16]\n\n[optimizer]\n{optim}\n\n[schedule]\n{sched}\n\n[train]\nepochs = {epochs}\nbatch_size = 64\n"
        )),
    )
}

fn train(cfg: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    lrtrain()
        .args(["train", "--quiet", "--config"])
        .arg(cfg)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// metrics.csv without the `seconds` column.
fn rows_without_seconds(dir: &Path) -> Vec<String> {
    let (_, rows) = read_csv(&dir.join("metrics.csv"));
    rows.iter().map(|r| r[..7].join(",")).collect()
}

fn rows_in(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("metrics.csv"))
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

/// Starts a run with time-based checkpoints every epoch (the test hook's interval 0), SIGKILLs it
/// once `after_rows` rows are in metrics.csv (somewhere inside a later epoch, or while it
/// writes), resumes it, and checks it against an uninterrupted run.
fn kill_resume_and_compare(optim: &str, sched: &str, epochs: usize, after_rows: usize) {
    let had_checkpoint = kill_resume_and_compare_every(optim, sched, epochs, after_rows, Some(0));
    assert!(had_checkpoint, "killed before the first checkpoint");
}

/// As [`kill_resume_and_compare`] with the time-based checkpoint interval `interval_ms` (`None`:
/// the default 5 s). Returns whether a checkpoint.bin existed when the run was killed.
fn kill_resume_and_compare_every(
    optim: &str,
    sched: &str,
    epochs: usize,
    after_rows: usize,
    interval_ms: Option<u64>,
) -> bool {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), optim, sched, epochs);
    let (full, part) = (tmp.path().join("full"), tmp.path().join("part"));
    let o = train(&cfg, &full, &[]);
    assert!(o.status.success(), "{}", stderr_of(&o));

    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lrtrain"));
    command
        .args(["train", "--quiet", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&part)
        .stderr(Stdio::null());
    if let Some(ms) = interval_ms {
        command.env("LRTRAIN_TEST_CHECKPOINT_INTERVAL_MS", ms.to_string());
    }
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    while rows_in(&part) < after_rows && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let killed_at = rows_in(&part);
    let had_checkpoint = part.join("checkpoint.bin").exists();
    assert!(
        killed_at < epochs,
        "the run finished before it could be killed"
    );

    let o = train(&cfg, &part, &["--resume"]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(rows_without_seconds(&part), rows_without_seconds(&full));
    assert_eq!(
        std::fs::read(part.join("params.bin")).unwrap(),
        std::fs::read(full.join("params.bin")).unwrap(),
        "final parameters differ"
    );
    assert_eq!(read_json(&part.join("summary.json"))["status"], "completed");
    had_checkpoint
}

#[test]
fn a_run_killed_before_its_first_time_based_checkpoint_is_trained_again_and_matches() {
    // A few hundredths of a second per epoch: 3 epochs come long before the default 5 s.
    let had_checkpoint = kill_resume_and_compare_every(
        "kind = \"sgd\"\nlr = 0.05\nmomentum = 0.9",
        "kind = \"cosine\"\nunit = \"epoch\"\ntotal = 40",
        40,
        3,
        None,
    );
    assert!(!had_checkpoint, "the default wrote a checkpoint within 5 s");
}

#[test]
fn a_run_killed_between_two_time_based_checkpoints_resumes_identically() {
    // Checkpoints every 40 ms or so, that is every few epochs: the kill lands between two.
    let had_checkpoint = kill_resume_and_compare_every(
        "kind = \"adam\"\nlr = 0.01",
        "kind = \"random\"\nmin_lr = 0.001\nmax_lr = 0.01",
        40,
        12,
        Some(40),
    );
    assert!(had_checkpoint, "no checkpoint within 12 epochs");
}

#[test]
fn an_unset_checkpoint_every_checkpoints_after_the_last_epoch_and_zero_never_does() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), "kind = \"adam\"", "kind = \"constant\"", 3);
    let out = tmp.path().join("default");
    assert!(train(&cfg, &out, &[]).status.success());
    let c = lrtrain::run::checkpoint::Checkpoint::read(&out.join("checkpoint.bin")).unwrap();
    assert_eq!(c.state.epochs_done, 3);
    // The resolved config keeps the default unset (and says so in a comment).
    let stored = std::fs::read_to_string(out.join("config.toml")).unwrap();
    assert!(
        !stored.lines().any(|l| l.starts_with("checkpoint_every")),
        "{stored}"
    );
    assert!(stored.contains("\n# checkpoint_every: unset ("), "{stored}");
    let never = tmp.path().join("never");
    assert!(
        train(&cfg, &never, &["--set", "output.checkpoint_every=0"])
            .status
            .success()
    );
    assert!(!never.join("checkpoint.bin").exists());
    assert!(never.join("params.bin").exists());
}

#[test]
fn sgd_with_momentum_and_a_step_schedule_killed_and_resumed_matches_the_uninterrupted_run() {
    kill_resume_and_compare(
        "kind = \"sgd\"\nlr = 0.05\nmomentum = 0.9\nnesterov = true",
        "kind = \"step\"\nstep_size = 250\ngamma = 0.5",
        10,
        3,
    );
}

#[test]
fn adam_with_one_cycle_killed_and_resumed_matches_the_uninterrupted_run() {
    kill_resume_and_compare(
        "kind = \"adam\"\nlr = 0.01\namsgrad = true",
        "kind = \"one_cycle\"\ntotal = 1250",
        10,
        4,
    );
}

#[test]
fn rmsprop_with_plateau_killed_and_resumed_matches_the_uninterrupted_run() {
    // threshold 0.3 with patience 0: most epochs count as bad, so the rate drops and the cooldown
    // runs: the counters must come back from the checkpoint.
    kill_resume_and_compare(
        "kind = \"rmsprop\"\nlr = 0.002\nmomentum = 0.5\ncentered = true",
        "kind = \"plateau\"\npatience = 0\nthreshold = 0.3\nfactor = 0.5\ncooldown = 1",
        10,
        3,
    );
}

#[test]
fn adagrad_with_a_sequential_grad_norm_schedule_killed_and_resumed_matches() {
    kill_resume_and_compare(
        "kind = \"adagrad\"\nlr = 0.05",
        "kind = \"sequential\"\nunit = \"epoch\"\nphases = [{ kind = \"linear\", length = 2, start_factor = 0.1, end_factor = 1.0 }, { kind = \"grad_norm\" }]",
        10,
        4,
    );
}

#[test]
fn a_crash_between_writing_a_checkpoint_and_renaming_it_keeps_the_previous_one() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(
        tmp.path(),
        "kind = \"sgd\"\nlr = 0.05\nmomentum = 0.9",
        "kind = \"random\"\nmin_lr = 0.01\nmax_lr = 0.1",
        6,
    );
    let (full, part) = (tmp.path().join("full"), tmp.path().join("part"));
    assert!(train(&cfg, &full, &[]).status.success());
    let o = lrtrain()
        .args(["train", "--quiet", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&part)
        // A checkpoint after every epoch, so the one of epoch 3 is due.
        .env("LRTRAIN_TEST_CHECKPOINT_INTERVAL_MS", "0")
        .env("LRTRAIN_TEST_CRASH_BEFORE_CHECKPOINT_RENAME", "3")
        .output()
        .unwrap();
    assert!(!o.status.success(), "the injected crash did not happen");
    // The row of epoch 2 was written, its checkpoint was not: the previous one is whole.
    assert_eq!(rows_in(&part), 3);
    assert!(part.join("checkpoint.bin.tmp").exists());
    let o = train(&cfg, &part, &["--resume"]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(rows_without_seconds(&part), rows_without_seconds(&full));
    assert_eq!(
        std::fs::read(part.join("params.bin")).unwrap(),
        std::fs::read(full.join("params.bin")).unwrap()
    );
}

/// A finished 3-epoch run to damage.
fn finished_run(tmp: &Path) -> (PathBuf, PathBuf) {
    let cfg = config(tmp, "kind = \"adam\"", "kind = \"constant\"", 3);
    let out = tmp.join("run");
    let o = train(&cfg, &out, &["--set", "output.checkpoint_every=2"]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    (cfg, out)
}

fn resume_error(cfg: &Path, out: &Path, extra: &[&str]) -> String {
    let o = train(cfg, out, &[&["--resume"], extra].concat());
    assert_eq!(o.status.code(), Some(2), "{}", stderr_of(&o));
    let err = stderr_of(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

#[test]
fn a_corrupted_truncated_or_foreign_checkpoint_is_refused_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let (cfg, out) = finished_run(tmp.path());
    let ckpt = out.join("checkpoint.bin");
    let good = std::fs::read(&ckpt).unwrap();
    let extend = ["--epochs", "4", "--set", "output.checkpoint_every=2"];

    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 1;
    std::fs::write(&ckpt, &flipped).unwrap();
    assert!(resume_error(&cfg, &out, &extend).contains("checksum"));

    std::fs::write(&ckpt, &good[..good.len() - 100]).unwrap();
    assert!(resume_error(&cfg, &out, &extend).contains("truncated"));

    std::fs::write(&ckpt, b"{\"not\": \"a checkpoint\"}").unwrap();
    assert!(resume_error(&cfg, &out, &extend).contains("not an lrtrain checkpoint"));

    std::fs::write(&ckpt, &good).unwrap();
    let o = train(&cfg, &out, &[&["--resume"], &extend[..]].concat());
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(rows_in(&out), 4);
}

#[test]
fn resuming_with_a_changed_config_is_refused_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let (cfg, out) = finished_run(tmp.path());
    let err = resume_error(&cfg, &out, &["--set", "optimizer.lr=0.5"]);
    assert!(err.contains("optimizer.lr"), "{err}");
}

#[test]
fn resuming_without_a_checkpoint_is_refused_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), "kind = \"adam\"", "kind = \"constant\"", 2);
    let err = resume_error(&cfg, &tmp.path().join("nothing-here"), &[]);
    assert!(err.contains("no run to resume"), "{err}");
    let out = tmp.path().join("off");
    assert!(
        train(&cfg, &out, &["--set", "output.checkpoint_every=0"])
            .status
            .success()
    );
    let err = resume_error(&cfg, &out, &["--set", "output.checkpoint_every=0"]);
    assert!(err.contains("no checkpoint"), "{err}");
}

#[test]
fn resuming_a_completed_run_is_a_successful_no_op_and_a_longer_run_extends_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (cfg, out) = finished_run(tmp.path());
    let before = rows_without_seconds(&out);
    let o = lrtrain()
        .args(["train", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .args(["--resume", "--set", "output.checkpoint_every=2"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert!(
        stderr_of(&o).contains("nothing to train"),
        "{}",
        stderr_of(&o)
    );
    assert_eq!(rows_without_seconds(&out), before);

    // Extending a constant-rate run to 5 epochs gives the 5-epoch run.
    let o = lrtrain()
        .args(["resume", "--quiet", "--epochs", "5"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let five = tmp.path().join("five");
    assert!(
        train(
            &cfg,
            &five,
            &["--epochs", "5", "--set", "output.checkpoint_every=2"]
        )
        .status
        .success()
    );
    assert_eq!(rows_without_seconds(&out), rows_without_seconds(&five));
    let o = lrtrain()
        .args(["resume", "--epochs", "2"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr_of(&o).contains("--epochs 5"), "{}", stderr_of(&o));
}

#[test]
fn eval_reports_the_final_validation_loss_and_accuracy_of_a_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, out) = finished_run(tmp.path());
    let (_, rows) = read_csv(&out.join("metrics.csv"));
    let last = rows.last().unwrap();
    let expected = format!("loss={},accuracy={},rows=2000\n", last[4], last[5]);
    let o = lrtrain()
        .args(["eval", "--run"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), expected);
    let o = lrtrain()
        .args(["eval", "--run"])
        .arg(&out)
        .arg("--images")
        .arg(mnist("t10k-images-idx3-ubyte.gz"))
        .arg("--labels")
        .arg(mnist("t10k-labels-idx1-ubyte.gz"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), expected);
    let o = lrtrain()
        .args(["eval", "--run"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn eval_of_a_linear_run_on_a_csv_reports_the_loss_without_accuracy() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("lin");
    let o = lrtrain()
        .args(["train", "--quiet", "--config"])
        .arg(repo().join("configs/linear.toml"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let o = lrtrain()
        .args(["eval", "--run"])
        .arg(&out)
        .arg("--csv")
        .arg(repo().join("data/linear.csv"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let line = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        line.starts_with("loss=") && !line.contains("accuracy"),
        "{line}"
    );
}
