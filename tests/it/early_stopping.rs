//! `[train] early_stopping`, through the binary: the run stops where Keras' `EarlyStopping` would
//! on the same metrics.csv, `restore_best` leaves the best epoch's parameters in params.bin, and a
//! resumed run stops exactly like an uninterrupted one.

use std::path::{Path, PathBuf};

use crate::common::*;

/// 784-32-10 on the shipped MNIST subset with Adam at 0.01: the validation loss bottoms out after
/// a few epochs and then wanders up (the model overfits 8,000 digits).
fn config(dir: &Path, early_stopping: &str, epochs: usize) -> PathBuf {
    write_config(
        dir,
        "c.toml",
        &mnist_config(&format!(
            "[model]\nhidden = [32]\n\n[optimizer]\nkind = \"adam\"\nlr = 0.01\n\n[train]\nepochs = {epochs}\nbatch_size = 100\n{early_stopping}\n"
        )),
    )
}

fn train(cfg: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let o = lrtrain()
        .args(["train", "--quiet", "--config"])
        .arg(cfg)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    o
}

/// Keras 3 `EarlyStopping.on_epoch_end`, transcribed: the 0-based epoch it stops after.
fn keras_stop(values: &[f64], patience: usize, min_delta: f64, maximise: bool) -> Option<usize> {
    let min_delta = if maximise { min_delta } else { -min_delta };
    let (mut best, mut wait): (Option<f64>, usize) = (None, 0);
    for (epoch, &current) in values.iter().enumerate() {
        wait += 1;
        let improved = match best {
            None => true,
            Some(b) if maximise => current - min_delta > b,
            Some(b) => current - min_delta < b,
        };
        if improved {
            best = Some(current);
            wait = 0;
            continue;
        }
        if wait >= patience && epoch > 0 {
            return Some(epoch);
        }
    }
    None
}

fn column(dir: &Path, name: &str) -> Vec<f64> {
    let (header, rows) = read_csv(&dir.join("metrics.csv"));
    let i = header.iter().position(|h| h == name).unwrap();
    rows.iter().map(|r| r[i].parse().unwrap()).collect()
}

/// The parameters in params.bin (its header and config hash cut off).
fn params(dir: &Path) -> Vec<u8> {
    let bytes = std::fs::read(dir.join("params.bin")).unwrap();
    // magic 8, version 4, length 8, config hash 8 ... crc 4
    bytes[28..bytes.len() - 4].to_vec()
}

#[test]
fn the_run_stops_at_the_epoch_keras_early_stopping_would_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    // A long run without early stopping gives the whole val_loss sequence.
    let full = tmp.path().join("full");
    train(&config(tmp.path(), "", 25), &full, &[]);
    let losses = column(&full, "val_loss");
    let expected = keras_stop(&losses, 2, 0.0, false).expect("val_loss rises within 25 epochs");

    let cfg = config(
        tmp.path(),
        "early_stopping = { monitor = \"val_loss\", patience = 2 }",
        25,
    );
    let out = tmp.path().join("es");
    train(&cfg, &out, &[]);
    let got = column(&out, "val_loss");
    assert_eq!(got.len(), expected + 1, "rows up to the stopped epoch");
    assert_eq!(got, losses[..=expected], "the same epochs as the full run");
    let s = read_json(&out.join("summary.json"));
    assert_eq!(s["status"], "completed");
    assert_eq!(s["stopped_early"], true);
    assert_eq!(s["stopped_epoch"], expected);
    assert_eq!(s["epochs_run"], expected + 1);

    // A max-mode monitor with a min_delta, checked the same way.
    let accs = column(&full, "val_accuracy");
    let cfg = config(
        tmp.path(),
        "early_stopping = { monitor = \"val_accuracy\", patience = 1, min_delta = 0.002 }",
        25,
    );
    let out = tmp.path().join("acc");
    train(&cfg, &out, &[]);
    let s = read_json(&out.join("summary.json"));
    match keras_stop(&accs, 1, 0.002, true) {
        Some(e) => {
            assert_eq!(s["stopped_epoch"], e);
            assert_eq!(column(&out, "val_accuracy").len(), e + 1);
        }
        None => assert_eq!(s["stopped_early"], false),
    }
}

#[test]
fn restore_best_leaves_the_best_epochs_parameters_in_params_bin() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(
        tmp.path(),
        "early_stopping = { patience = 2, restore_best = true }",
        25,
    );
    let out = tmp.path().join("es");
    train(&cfg, &out, &[]);
    let losses = column(&out, "val_loss");
    let stopped = read_json(&out.join("summary.json"))["stopped_epoch"]
        .as_u64()
        .expect("it stops") as usize;
    assert_eq!(stopped + 1, losses.len());
    let best = (0..losses.len())
        .min_by(|&a, &b| losses[a].total_cmp(&losses[b]))
        .unwrap();
    assert!(best < stopped);
    // The same run cut at the best epoch ends with the parameters restore_best kept.
    let short = tmp.path().join("short");
    train(&config(tmp.path(), "", best + 1), &short, &[]);
    assert_eq!(params(&out), params(&short));
    // `eval` of the stopped run measures the best epoch's validation loss.
    let e = lrtrain()
        .args(["eval", "--run"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(e.status.success(), "{}", stderr_of(&e));
    let text = String::from_utf8_lossy(&e.stdout).into_owned();
    let short_eval = lrtrain()
        .args(["eval", "--run"])
        .arg(&short)
        .output()
        .unwrap();
    assert_eq!(text, String::from_utf8_lossy(&short_eval.stdout));
}

#[test]
fn a_run_resumed_midway_stops_exactly_like_the_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(
        tmp.path(),
        "early_stopping = { patience = 2, restore_best = true }",
        25,
    );
    let full = tmp.path().join("full");
    train(&cfg, &full, &[]);
    let stopped = column(&full, "val_loss").len();
    assert!(
        stopped >= 4,
        "stops late enough to be cut: {stopped} epochs"
    );
    let part = tmp.path().join("part");
    // Train the first epochs only (a checkpoint every epoch), then resume to the full length.
    train(
        &cfg,
        &part,
        &[
            "--epochs",
            &(stopped - 2).to_string(),
            "--set",
            "output.checkpoint_every=1",
        ],
    );
    let o = lrtrain()
        .args(["resume", "--quiet"])
        .arg(&part)
        .args(["--epochs", "25"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let strip = |d: &Path| -> Vec<String> {
        let (_, rows) = read_csv(&d.join("metrics.csv"));
        rows.iter().map(|r| r[..7].join(",")).collect()
    };
    assert_eq!(strip(&part), strip(&full));
    assert_eq!(params(&part), params(&full));
    let (a, b) = (
        read_json(&part.join("summary.json")),
        read_json(&full.join("summary.json")),
    );
    assert_eq!(a["stopped_epoch"], b["stopped_epoch"]);
}

#[test]
fn a_bad_monitor_is_refused_naming_the_key_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), "early_stopping = { monitor = \"val_acc\" }", 3);
    for cmd in ["check", "train"] {
        let mut c = lrtrain();
        c.args([cmd, "--config"]).arg(&cfg);
        if cmd == "train" {
            c.arg("--out").arg(tmp.path().join("r"));
        }
        let o = c.output().unwrap();
        let err = stderr_of(&o);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {err}");
        assert!(
            err.contains("train.early_stopping.monitor: expected a column of metrics.csv"),
            "{cmd}: {err}"
        );
        assert_eq!(
            err.lines().filter(|l| l.starts_with("error:")).count(),
            1,
            "{err}"
        );
    }
}
