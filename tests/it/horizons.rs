//! Horizons follow the run (SPEC "Horizons follow the run"): an omitted `total` / `decay_steps`
//! is the run's length, so `--epochs` stretches the schedule; resolved configs keep it omitted
//! with its value in a comment; `resume --epochs N` recomputes it and says so.

use std::f64::consts::PI;
use std::path::Path;

use crate::common::*;

/// lr0 · (1 + cos(π t / total)) / 2: PyTorch CosineAnnealingLR(T_max=total, eta_min=0).
fn cosine(lr0: f64, t: usize, total: usize) -> f64 {
    lr0 * (1.0 + (PI * t as f64 / total as f64).cos()) / 2.0
}

fn assert_close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= 1e-12 * want.abs().max(1e-12),
        "{what}: expected {want}, got {got}"
    );
}

/// `epoch,step,lr` rows of `lrtrain schedule`.
fn schedule_rows(stdout: &[u8]) -> Vec<(usize, usize, f64)> {
    let text = String::from_utf8(stdout.to_vec()).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("epoch,step,lr"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn epochs_30_on_the_mnist_config_stretches_its_cosine_to_reach_the_minimum_only_at_the_end() {
    // configs/mnist.toml: SGD lr 0.1, cosine per epoch with total omitted, 20 epochs of 250
    // steps (8,000 digits, batch 32).
    let o = lrtrain()
        .args(["schedule", "--config"])
        .arg(repo().join("configs/mnist.toml"))
        .args(["--epochs", "30"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(
        stderr_of(&o),
        "note: schedule.total = 30 (the run's length: train.epochs = 30)\n"
    );
    let rows = schedule_rows(&o.stdout);
    assert_eq!(rows.len(), 30 * 250);
    for &(epoch, step, lr) in &rows {
        assert_eq!(epoch, step / 250);
        assert_close(lr, cosine(0.1, epoch, 30), &format!("step {step}"));
    }
    // Every epoch trains, the last one at the lowest rate: 0.1 · (1 + cos(29π/30))/2 ≈ 2.7e-4.
    let per_epoch: Vec<f64> = rows.iter().step_by(250).map(|r| r.2).collect();
    assert!(per_epoch.windows(2).all(|w| w[1] < w[0]), "{per_epoch:?}");
    assert!(
        per_epoch[29] > 2.7e-4 && per_epoch[29] < 2.8e-4,
        "{}",
        per_epoch[29]
    );
}

#[test]
fn check_keeps_an_omitted_total_omitted_and_shows_its_value_in_a_comment() {
    let o = lrtrain()
        .args(["check", "--config"])
        .arg(repo().join("configs/mnist.toml"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let resolved = String::from_utf8(o.stdout).unwrap();
    assert!(
        resolved.contains(
            "unit = \"epoch\"\nwarmup = 0\nwarmup_start_factor = 0.0\nkind = \"cosine\"\n# total = 20 (the run's length: train.epochs = 20)\n"
        ),
        "{resolved}"
    );
    assert!(
        !resolved.lines().any(|l| l.starts_with("total")),
        "{resolved}"
    );

    // With --set train.epochs=30 (as with train --epochs 30) the comment follows.
    let o = lrtrain()
        .args(["check", "--config"])
        .arg(repo().join("configs/mnist.toml"))
        .args(["--set", "train.epochs=30"])
        .output()
        .unwrap();
    let resolved = String::from_utf8(o.stdout).unwrap();
    assert!(
        resolved.contains("# total = 30 (the run's length: train.epochs = 30)\n"),
        "{resolved}"
    );
}

#[test]
fn a_sequential_shows_each_omitted_phase_horizon_and_a_warmup_is_subtracted() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "seq.toml",
        &mnist_config(
            "[schedule]\nkind = \"sequential\"\nwarmup = 100\nphases = [{ kind = \"linear\", length = 300, start_factor = 0.1, end_factor = 1.0 }, { kind = \"polynomial\" }]\n\n[train]\nepochs = 4\nbatch_size = 100\n",
        ),
    );
    let o = lrtrain()
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let resolved = String::from_utf8(o.stdout).unwrap();
    // 4 epochs × 80 steps = 320, minus warmup 100 minus phase 0's 300: nothing is left, so the
    // last phase's horizon is the smallest there is. With 10 epochs: 800 − 100 − 300 = 400.
    assert!(
        resolved.contains("kind = \"linear\"\n# total = 300 (the phase's length)\n"),
        "{resolved}"
    );
    let o = lrtrain()
        .args(["check", "--config"])
        .arg(&cfg)
        .args(["--set", "train.epochs=10"])
        .output()
        .unwrap();
    let resolved = String::from_utf8(o.stdout).unwrap();
    assert!(
        resolved.contains(
            "kind = \"polynomial\"\n# decay_steps = 400 (the rest of the run after the earlier phases)\n"
        ),
        "{resolved}"
    );
}

/// A quick regression config: 64 synthetic rows, full batch (1 step an epoch), SGD at 0.01 with a
/// cosine per epoch whose `total` is omitted.
fn tiny_cosine(dir: &Path, epochs: usize) -> std::path::PathBuf {
    write_config(
        dir,
        "tiny.toml",
        &format!(
            "seed = 3\nthreads = 1\n\n[data]\nkind = \"synthetic_linear\"\nsamples = 64\n\n[model]\nkind = \"linear\"\n\n[optimizer]\nkind = \"sgd\"\nlr = 0.01\n\n[schedule]\nkind = \"cosine\"\nunit = \"epoch\"\n\n[train]\nepochs = {epochs}\nbatch_size = \"full\"\n\n[output]\ncheckpoint_every = 1\n"
        ),
    )
}

/// The `lr` column of a run's metrics.csv.
fn lr_column(run: &Path) -> Vec<f64> {
    let (header, rows) = read_csv(&run.join("metrics.csv"));
    let i = header.iter().position(|h| h == "lr").unwrap();
    rows.iter().map(|r| r[i].parse().unwrap()).collect()
}

/// metrics.csv without the `seconds` column.
fn metrics_without_seconds(run: &Path) -> Vec<Vec<String>> {
    let (header, rows) = read_csv(&run.join("metrics.csv"));
    let s = header.iter().position(|h| h == "seconds").unwrap();
    rows.into_iter()
        .map(|mut r| {
            r.remove(s);
            r
        })
        .collect()
}

#[test]
fn train_epochs_stretches_an_omitted_total_and_the_run_config_keeps_it_omitted() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = tiny_cosine(dir.path(), 4);
    let run = dir.path().join("run");
    let o = lrtrain()
        .args(["train", "--quiet", "--epochs", "6", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&run)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let lrs = lr_column(&run);
    assert_eq!(lrs.len(), 6);
    for (e, lr) in lrs.iter().enumerate() {
        assert_close(*lr, cosine(0.01, e, 6), &format!("epoch {e}"));
    }
    let saved = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(
        saved.contains("kind = \"cosine\"\n# total = 6 (the run's length: train.epochs = 6)\n"),
        "{saved}"
    );
    assert!(!saved.lines().any(|l| l.starts_with("total")), "{saved}");
}

#[test]
fn resume_with_more_epochs_recomputes_an_omitted_total_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = tiny_cosine(dir.path(), 4);
    let run = dir.path().join("run");
    let o = lrtrain()
        .args(["train", "--quiet", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&run)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let first = lr_column(&run);

    let o = lrtrain()
        .arg("resume")
        .arg(&run)
        .args(["--epochs", "8"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let err = stderr_of(&o);
    assert!(
        err.contains("extending the run from 4 to 8 epochs: schedule.total 4 → 8"),
        "{err}"
    );
    let lrs = lr_column(&run);
    assert_eq!(lrs.len(), 8);
    // Epochs 0-3 keep the rates of the 4-epoch cosine; 4-7 follow the 8-epoch one.
    assert_eq!(&lrs[..4], &first[..]);
    for (e, lr) in lrs.iter().enumerate().skip(4) {
        assert_close(*lr, cosine(0.01, e, 8), &format!("epoch {e}"));
    }
    assert!(lrs[7] > 0.0);
    let saved = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(
        saved.contains("# total = 8 (the run's length: train.epochs = 8)"),
        "{saved}"
    );
}

#[test]
fn resuming_an_interrupted_run_to_the_same_length_gives_the_uninterrupted_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = tiny_cosine(dir.path(), 6);
    let whole = dir.path().join("whole");
    let o = lrtrain()
        .args(["train", "--quiet", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&whole)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));

    // Killed while writing the checkpoint of epoch 3: the checkpoint of epoch 2 stays.
    let cut = dir.path().join("cut");
    let o = lrtrain()
        .args(["train", "--quiet", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&cut)
        .env("LRTRAIN_TEST_CRASH_BEFORE_CHECKPOINT_RENAME", "3")
        .output()
        .unwrap();
    assert!(!o.status.success());
    let o = lrtrain().arg("resume").arg(&cut).output().unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert!(!stderr_of(&o).contains("extending"), "{}", stderr_of(&o));
    assert_eq!(
        metrics_without_seconds(&cut),
        metrics_without_seconds(&whole)
    );
}
