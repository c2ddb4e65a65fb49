//! Schedules that follow the run (grad_norm, plateau) and the random one, end to end through
//! `lrtrain train`: the lr column of metrics.csv obeys each rule, and runs repeat exactly.

use std::path::{Path, PathBuf};

use crate::common::*;

/// A small MNIST run (784-16-10, SGD) with `schedule` as its `[schedule]` body.
fn config(dir: &Path, schedule: &str, epochs: usize) -> PathBuf {
    write_config(
        dir,
        "c.toml",
        &mnist_config(&format!(
            "[model]\nkind = \"mlp\"\nhidden = [16]\n[optimizer]\nkind = \"sgd\"\nlr = 0.05\nmomentum = 0.9\n[train]\nepochs = {epochs}\nbatch_size = 100\n[schedule]\n{schedule}\n"
        )),
    )
}

/// Trains `cfg` into `dir/name` and returns metrics.csv as (header, rows).
fn train(cfg: &Path, dir: &Path, name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let out = dir.join(name);
    let o = lrtrain()
        .args(["train", "-q", "--config"])
        .arg(cfg)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert!(
        o.stderr.is_empty(),
        "no warning expected: {}",
        stderr_of(&o)
    );
    read_csv(&out.join("metrics.csv"))
}

/// The values of column `name`.
fn column(csv: &(Vec<String>, Vec<Vec<String>>), name: &str) -> Vec<f64> {
    let i = csv.0.iter().position(|h| h == name).unwrap();
    csv.1.iter().map(|r| r[i].parse().unwrap()).collect()
}

/// Every column but `seconds` (the last), which is wall time.
fn without_seconds(csv: &(Vec<String>, Vec<Vec<String>>)) -> Vec<Vec<String>> {
    assert_eq!(csv.0.last().map(String::as_str), Some("seconds"));
    csv.1.iter().map(|r| r[..r.len() - 1].to_vec()).collect()
}

fn assert_close(got: f64, expected: f64, what: &str) {
    assert!(
        (got - expected).abs() <= 1e-12 * expected.abs(),
        "{what}: {got} vs {expected}"
    );
}

#[test]
fn grad_norm_scales_each_epochs_rate_by_the_last_epochs_gradient_norm() {
    let dir = tempfile::tempdir().unwrap();
    // unit = epoch: G(t) is the mean gradient norm over epoch t, metrics.csv's grad_norm column.
    let cfg = config(
        dir.path(),
        "kind = \"grad_norm\"\nunit = \"epoch\"\nmin_lr = 0.01\nmax_lr = 0.06",
        3,
    );
    let a = train(&cfg, dir.path(), "a");
    let (lr, g) = (column(&a, "lr"), column(&a, "grad_norm"));
    assert_eq!(lr.len(), 3);
    // lr0 at t = 0; then lr0 · G(t − 1)/G(0) clamped to [min_lr, max_lr].
    assert_eq!(lr[0], 0.05);
    for t in 1..3 {
        let expected = (0.05 * g[t - 1] / g[0]).clamp(0.01, 0.06);
        assert_close(lr[t], expected, &format!("epoch {t}"));
    }
    assert_ne!(lr[2], lr[0], "the gradient norm moved the rate: {lr:?}");
    let b = train(&cfg, dir.path(), "b");
    assert_eq!(without_seconds(&a), without_seconds(&b), "deterministic");
}

#[test]
fn random_rates_in_training_are_the_ones_schedule_previews() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        "kind = \"random\"\nunit = \"epoch\"\nmin_lr = 0.01\nmax_lr = 0.1",
        3,
    );
    let a = train(&cfg, dir.path(), "a");
    let lr = column(&a, "lr");
    let o = lrtrain()
        .args(["schedule", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    // The preview's rate for each epoch's first step (80 steps per epoch at batch 100).
    let text = String::from_utf8(o.stdout).unwrap();
    let preview: Vec<f64> = text
        .lines()
        .skip(1)
        .step_by(80)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(text.lines().count(), 1 + 3 * 80);
    assert_eq!(lr, preview);
    for r in &lr {
        assert!((0.01..0.1).contains(r), "{r}");
    }
    assert!(
        lr[0] != lr[1] && lr[1] != lr[2],
        "a fresh draw each epoch: {lr:?}"
    );
    let b = train(&cfg, dir.path(), "b");
    assert_eq!(without_seconds(&a), without_seconds(&b), "deterministic");
}

#[test]
fn plateau_divides_the_rate_by_factor_after_patience_plus_one_epochs_without_improvement() {
    let dir = tempfile::tempdir().unwrap();
    // An absolute threshold of 1e9: after the first epoch (better than the initial best, +∞)
    // nothing ever counts as an improvement, so with patience 1 every second epoch is the
    // (patience + 1)-th bad one and halves the rate for the epochs after it.
    let cfg = config(
        dir.path(),
        "kind = \"plateau\"\nmonitor = \"val_loss\"\nfactor = 0.5\npatience = 1\nthreshold = 1e9\nthreshold_mode = \"abs\"",
        6,
    );
    let a = train(&cfg, dir.path(), "a");
    // Epoch 0 improves; 1, 2 bad → drop after 2; 3, 4 bad → drop after 4.
    assert_eq!(column(&a, "lr"), [0.05, 0.05, 0.05, 0.025, 0.025, 0.0125]);
}
