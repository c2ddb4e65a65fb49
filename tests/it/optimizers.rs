//! The optimizers of version 2 through the binary: a run stopped after some epochs and resumed
//! ends bit for bit like the run that went straight through (their state, scalars included,
//! lives in the checkpoint); Prodigy logs `effective_lr`; schedule-free runs evaluate and keep
//! the averaged point; every example config in `configs/optimizers/` trains.

use std::path::{Path, PathBuf};

use crate::common::*;

/// A 784-16-10 MNIST model with `optim` TOML, a constant rate, batches of 256.
fn config(dir: &Path, optim: &str, epochs: usize) -> PathBuf {
    write_config(
        dir,
        "c.toml",
        &mnist_config(&format!(
            "[model]\nhidden = [16]\n\n[optimizer]\n{optim}\n\n[schedule]\nkind = \"constant\"\n\n\
             [train]\nepochs = {epochs}\nbatch_size = 256\n\n[output]\ncheckpoint_every = 1\n"
        )),
    )
}

fn train(cfg: &Path, out: &Path, extra: &[&str]) {
    let o = lrtrain()
        .args(["train", "--quiet", "--config"])
        .arg(cfg)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
}

/// metrics.csv with the `seconds` column blanked (every other column, `effective_lr` included).
fn rows_without_seconds(dir: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let (header, mut rows) = read_csv(&dir.join("metrics.csv"));
    let s = header.iter().position(|h| h == "seconds").unwrap();
    for r in &mut rows {
        r[s].clear();
    }
    (header, rows)
}

#[test]
fn a_run_of_each_new_optimizer_stopped_after_two_epochs_and_resumed_matches_the_straight_run() {
    for optim in [
        "kind = \"nadam\"\nweight_decay = 0.01",
        "kind = \"rprop\"",
        "kind = \"asgd\"\nlr = 0.05\nt0 = 10.0",
        "kind = \"adafactor\"",
        "kind = \"sgd_schedule_free\"\nlr = 0.5\nwarmup_steps = 20",
        "kind = \"adamw_schedule_free\"\nweight_decay = 0.01",
        "kind = \"prodigy\"",
        "kind = \"muon\"\nlr = 0.02",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let (full, part) = (tmp.path().join("full"), tmp.path().join("part"));
        let cfg = config(tmp.path(), optim, 4);
        train(&cfg, &full, &[]);
        train(&cfg, &part, &["--epochs", "2"]);
        let o = lrtrain()
            .args(["resume", "--quiet", "--epochs", "4"])
            .arg(&part)
            .output()
            .unwrap();
        assert!(o.status.success(), "{optim}: {}", stderr_of(&o));
        assert_eq!(
            rows_without_seconds(&part),
            rows_without_seconds(&full),
            "{optim}"
        );
        assert_eq!(
            std::fs::read(part.join("params.bin")).unwrap(),
            std::fs::read(full.join("params.bin")).unwrap(),
            "{optim}"
        );
    }
}

#[test]
fn prodigy_logs_its_effective_rate_after_seconds_and_other_optimizers_do_not() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("p");
    train(&config(tmp.path(), "kind = \"prodigy\"", 3), &out, &[]);
    let (header, rows) = read_csv(&out.join("metrics.csv"));
    assert_eq!(header.last().unwrap(), "effective_lr");
    assert_eq!(header[header.len() - 2], "seconds");
    let rates: Vec<f64> = rows
        .iter()
        .map(|r| r.last().unwrap().parse().unwrap())
        .collect();
    // d starts at d0 = 1e-6 and grows as the parameters travel: the epoch means rise.
    assert!(rates[0] > 1e-6 && rates[0] < 1.0, "{rates:?}");
    assert!(rates[1] > rates[0] && rates[2] >= rates[1], "{rates:?}");
    // `lr` stays the multiplier the schedule gives (1.0).
    assert!(rows.iter().all(|r| r[1] == "1"), "{rows:?}");

    let out = tmp.path().join("a");
    let tmp2 = tempfile::tempdir().unwrap();
    train(&config(tmp2.path(), "kind = \"nadam\"", 1), &out, &[]);
    let (header, _) = read_csv(&out.join("metrics.csv"));
    assert!(!header.contains(&"effective_lr".to_string()), "{header:?}");
}

#[test]
fn a_schedule_free_run_keeps_the_averaged_point_which_eval_reports_as_the_last_validation() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sf");
    train(
        &config(tmp.path(), "kind = \"adamw_schedule_free\"\nlr = 0.01", 2),
        &out,
        &[],
    );
    let (header, rows) = read_csv(&out.join("metrics.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let last = rows.last().unwrap();
    let o = lrtrain()
        .args(["eval", "--run"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let report = String::from_utf8_lossy(&o.stdout).into_owned();
    // params.bin holds x, where the validation columns were measured.
    assert!(
        report.contains(&last[col("val_loss")]),
        "{report} vs {last:?}"
    );
    assert!(
        report.contains(&last[col("val_accuracy")]),
        "{report} vs {last:?}"
    );
}

#[test]
fn every_optimizer_example_config_learns_mnist_in_two_epochs() {
    let dir = repo().join("configs/optimizers");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 12, "{files:?}");
    let tmp = tempfile::tempdir().unwrap();
    for f in files {
        let out = tmp.path().join(f.file_stem().unwrap());
        // Rprop takes one full-batch step per epoch: give it its configured epochs.
        let epochs = if f.ends_with("rprop.toml") { "30" } else { "2" };
        train(&f, &out, &["--epochs", epochs, "--set", "threads=1"]);
        let (header, rows) = read_csv(&out.join("metrics.csv"));
        let acc = header.iter().position(|h| h == "val_accuracy").unwrap();
        let best: f64 = rows
            .iter()
            .map(|r| r[acc].parse::<f64>().unwrap())
            .fold(0.0, f64::max);
        assert!(best > 0.8, "{}: best val_accuracy {best}", f.display());
    }
}

/// A 784-16-10 MNIST model trained by L-BFGS, full batch, `extra` lines in `[optimizer]`.
fn lbfgs_config(dir: &Path, extra: &str, batch_size: &str) -> PathBuf {
    write_config(
        dir,
        "lbfgs.toml",
        &mnist_config(&format!(
            "[model]\nhidden = [16]\n\n[optimizer]\nkind = \"lbfgs\"\n{extra}\n\n\
             [schedule]\nkind = \"constant\"\n\n\
             [train]\nepochs = 3\nbatch_size = {batch_size}\n\n[output]\ncheckpoint_every = 1\n"
        )),
    )
}

#[test]
fn lbfgs_trains_full_batch_one_step_per_epoch_and_a_resumed_run_matches_the_straight_run() {
    for extra in ["", "line_search_fn = \"strong_wolfe\"\nhistory_size = 5"] {
        let tmp = tempfile::tempdir().unwrap();
        let (full, part) = (tmp.path().join("full"), tmp.path().join("part"));
        let cfg = lbfgs_config(tmp.path(), extra, "\"full\"");
        train(&cfg, &full, &[]);
        let (header, rows) = read_csv(&full.join("metrics.csv"));
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let losses: Vec<f64> = rows
            .iter()
            .map(|r| r[col("loss")].parse().unwrap())
            .collect();
        assert_eq!(losses.len(), 3);
        // Epoch 0's loss is the first evaluation's: the untrained net's, about ln 10.
        assert!((losses[0] - 10f64.ln()).abs() < 0.1, "{extra}: {losses:?}");
        assert!(
            losses[1] < 0.6 * losses[0] && losses[2] < losses[1],
            "{extra}: {losses:?}"
        );
        let acc: f64 = rows[2][col("val_accuracy")].parse().unwrap();
        assert!(acc > 0.8, "{extra}: val_accuracy {acc}");
        train(&cfg, &part, &["--epochs", "1"]);
        let o = lrtrain()
            .args(["resume", "--quiet", "--epochs", "3"])
            .arg(&part)
            .output()
            .unwrap();
        assert!(o.status.success(), "{extra}: {}", stderr_of(&o));
        assert_eq!(
            rows_without_seconds(&part),
            rows_without_seconds(&full),
            "{extra}"
        );
        assert_eq!(
            std::fs::read(part.join("params.bin")).unwrap(),
            std::fs::read(full.join("params.bin")).unwrap(),
            "{extra}"
        );
    }
}

#[test]
fn lbfgs_with_mini_batches_or_clipping_is_refused_naming_the_key_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    for (extra, batch, key) in [
        ("", "256", "train.batch_size"),
        ("clip_norm = 1.0", "\"full\"", "optimizer.clip_norm"),
    ] {
        let cfg = lbfgs_config(tmp.path(), extra, batch);
        let out = tmp.path().join("out");
        let o = lrtrain()
            .args(["train", "--quiet", "--config"])
            .arg(&cfg)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let err = stderr_of(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains(key) && err.contains("lbfgs"), "{err}");
        assert!(err.contains(&cfg.display().to_string()), "{key}: {err}");
        assert!(!out.exists(), "nothing is written for a refused config");
    }
}
