//! `lrtrain train` end to end, through the binary.

use std::path::{Path, PathBuf};

use crate::common::*;

const COLUMNS: &str = "epoch,lr,loss,accuracy,val_loss,val_accuracy,grad_norm,seconds";

#[test]
fn the_shipped_mnist_config_learns_well_above_chance_in_a_few_epochs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    lrtrain()
        .args(["train", "--config"])
        .arg(repo().join("configs/mnist.toml"))
        .args(["--epochs", "3", "--out"])
        .arg(&out)
        .assert()
        .success();
    let (header, rows) = read_csv(&out.join("metrics.csv"));
    assert_eq!(header.join(","), COLUMNS);
    assert_eq!(rows.len(), 3);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), 8);
        assert_eq!(row[0], i.to_string());
    }
    let val_acc: f64 = rows[2][5].parse().unwrap();
    assert!(
        val_acc > 0.85,
        "validation accuracy after 3 epochs: {val_acc}"
    );
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["status"], "completed");
    assert_eq!(summary["epochs_run"], 3);
    assert_eq!(summary["best"]["metric"], "val_accuracy");
    assert!(summary["steps"].as_u64().unwrap() > 0);
    assert!(summary["config"]["optimizer"]["lr"].is_number());
    let config = std::fs::read_to_string(out.join("config.toml")).unwrap();
    assert!(config.contains("[optimizer]"), "{config}");
}

#[test]
fn the_linear_config_recovers_weight_two_and_bias_three() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lin");
    lrtrain()
        .args(["train", "--quiet", "--config"])
        .arg(repo().join("configs/linear.toml"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let summary = read_json(&out.join("summary.json"));
    let w = summary["weights"][0].as_f64().unwrap();
    let b = summary["bias"].as_f64().unwrap();
    // The least-squares fit of 100 noisy points: within noise of the true 2 and 3.
    assert!((w - 2.0).abs() < 0.15, "weight {w}");
    assert!((b - 3.0).abs() < 0.6, "bias {b}");
    let (_, rows) = read_csv(&out.join("metrics.csv"));
    assert_eq!(rows[0][3], "", "regression leaves accuracy empty");
}

#[test]
fn the_same_seed_gives_identical_metrics_apart_from_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "c.toml",
        &mnist_config(
            "[model]\nkind = \"mlp\"\nhidden = [32]\n[optimizer]\nkind = \"sgd\"\nlr = 0.05\nmomentum = 0.9\n[train]\nepochs = 2\nbatch_size = 50\n",
        ),
    );
    let mut runs = Vec::new();
    for name in ["a", "b"] {
        let out = dir.path().join(name);
        lrtrain()
            .args(["train", "-q", "--config"])
            .arg(&cfg)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let (_, rows) = read_csv(&out.join("metrics.csv"));
        runs.push(
            rows.into_iter()
                .map(|mut r| {
                    r.pop();
                    r
                })
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(runs[0], runs[1]);
    let out = dir.path().join("c");
    lrtrain()
        .args(["train", "-q", "--seed", "2", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let (_, rows) = read_csv(&out.join("metrics.csv"));
    assert_ne!(rows[0][2], runs[0][0][2], "another seed gives another loss");
}

#[test]
fn a_diverging_run_exits_3_and_keeps_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "d.toml",
        &mnist_config("[optimizer]\nkind = \"sgd\"\nlr = 1e6\n[train]\nepochs = 5\n"),
    );
    let out = dir.path().join("d");
    let o = lrtrain()
        .args(["train", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr_of(&o));
    assert!(stderr_of(&o).contains("diverged"));
    let (header, rows) = read_csv(&out.join("metrics.csv"));
    assert_eq!(header.join(","), COLUMNS);
    assert!(!rows.is_empty());
    assert_eq!(read_json(&out.join("summary.json"))["status"], "diverged");
}

#[test]
fn an_existing_run_directory_is_not_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "c.toml",
        &mnist_config("[model]\nkind = \"mlp\"\nhidden = [8]\n[train]\nepochs = 1\n"),
    );
    let out = dir.path().join("r");
    lrtrain()
        .args(["train", "-q", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let before = std::fs::read(out.join("metrics.csv")).unwrap();
    let o = lrtrain()
        .args(["train", "-q", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr_of(&o).contains("--force"), "{}", stderr_of(&o));
    assert_eq!(std::fs::read(out.join("metrics.csv")).unwrap(), before);
    lrtrain()
        .args(["train", "-q", "--force", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
}

#[test]
fn require_passes_and_fails_with_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "c.toml",
        &mnist_config("[model]\nkind = \"mlp\"\nhidden = [16]\n[train]\nepochs = 1\n"),
    );
    lrtrain()
        .args(["train", "-q", "--require", "val_accuracy>=0.5", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("a"))
        .assert()
        .success();
    let o = lrtrain()
        .args([
            "train",
            "-q",
            "--require",
            "val_accuracy>=0.999",
            "--config",
        ])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("b"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr_of(&o).contains("val_accuracy"), "{}", stderr_of(&o));
}

/// A linear model on 100 synthetic rows: hundreds of epochs in well under a second.
fn quick_linear(dir: &Path, epochs: usize) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("configs/synthetic_linear.toml")).unwrap();
    write_config(
        dir,
        "lin.toml",
        &text.replace("epochs = 500", &format!("epochs = {epochs}")),
    )
}

fn epoch_lines(err: &str) -> Vec<&str> {
    err.lines().filter(|l| l.starts_with("epoch ")).collect()
}

#[test]
fn without_a_terminal_progress_is_at_most_about_a_line_a_second_plus_the_last_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = quick_linear(dir.path(), 300);
    let started = std::time::Instant::now();
    let o = lrtrain()
        .args(["train", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("p"))
        .output()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let err = stderr_of(&o);
    let lines = epoch_lines(&err);
    // One a second at most (the run took `seconds`), and the last epoch, counted from 1.
    assert!(lines.len() as f64 <= seconds + 1.0, "{seconds} s: {err}");
    assert!(
        lines.last().unwrap().starts_with("epoch 300/300  lr "),
        "{err}"
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn verbose_prints_one_line_per_epoch_counted_from_one_and_quiet_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = quick_linear(dir.path(), 40);
    let o = lrtrain()
        .args(["train", "--verbose", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("v"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let err = stderr_of(&o);
    let lines = epoch_lines(&err);
    assert_eq!(lines.len(), 40, "{err}");
    for (i, l) in lines.iter().enumerate() {
        assert!(l.starts_with(&format!("epoch {}/40  ", i + 1)), "{l}");
    }
    // metrics.csv, a file, keeps counting from 0.
    let (_, rows) = read_csv(&dir.path().join("v/metrics.csv"));
    assert_eq!(rows[0][0], "0");
    assert_eq!(rows[39][0], "39");

    let o = lrtrain()
        .args(["train", "-q", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("q"))
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(o.stderr.is_empty(), "{}", stderr_of(&o));
    let o = lrtrain()
        .args(["train", "-q", "-v", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "--quiet and --verbose exclude each other"
    );
}

#[test]
fn a_diverged_run_names_the_same_epoch_in_its_error_as_its_last_progress_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "d.toml",
        &mnist_config("[optimizer]\nkind = \"sgd\"\nlr = 1e6\n[train]\nepochs = 5\n"),
    );
    let out = dir.path().join("d");
    let o = lrtrain()
        .args(["train", "--verbose", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr_of(&o));
    let err = stderr_of(&o);
    let (_, rows) = read_csv(&out.join("metrics.csv"));
    // The row of the epoch that diverged is kept, 0-based in the file; people read it from 1.
    let last = rows.len();
    assert_eq!(rows[last - 1][0], (last - 1).to_string());
    let lines = epoch_lines(&err);
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with(&format!("epoch {last}/5 ")),
        "{err}"
    );
    assert!(
        err.contains(&format!("training diverged in epoch {last}:")),
        "{err}"
    );
}
