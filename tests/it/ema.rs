//! `[train] ema`, through the binary: params_ema.bin is the exponential moving average of the
//! parameters after every optimizer step (the first step copied), the `val_loss_ema` column and
//! `eval --ema` measure it, and resuming keeps it bit for bit.

use std::path::{Path, PathBuf};

use crate::common::*;

/// A linear model on 60 synthetic points (48 to train, 12 to validate) with SGD + momentum.
fn config(dir: &Path, name: &str, epochs: usize, batch: &str, ema: &str) -> PathBuf {
    write_config(
        dir,
        name,
        &format!(
            "seed = 3\nthreads = 1\n\n[data]\nkind = \"synthetic_linear\"\nsamples = 60\nweights = [2.0, -1.0]\nbias = 0.5\nnoise = 0.1\nvalidation_split = 0.2\n\n[model]\nkind = \"linear\"\n\n[optimizer]\nkind = \"sgd\"\nlr = 0.01\nmomentum = 0.9\n\n[train]\nepochs = {epochs}\nbatch_size = {batch}\n{ema}\n"
        ),
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

/// The f32 parameters of a params.bin-format file (magic 8, version 4, length 8, hash 8, n 8,
/// n × f32, crc 4).
fn params(path: &Path) -> Vec<f32> {
    let b = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(b[28..36].try_into().unwrap()) as usize;
    (0..n)
        .map(|i| f32::from_le_bytes(b[36 + 4 * i..40 + 4 * i].try_into().unwrap()))
        .collect()
}

#[test]
fn params_ema_bin_is_the_average_of_the_parameters_after_every_step() {
    let tmp = tempfile::tempdir().unwrap();
    let decay = 0.8f64;
    // Full batch: one step per epoch, so the k-epoch run's params.bin is the parameters after
    // step k (the EMA does not change the raw training).
    let trajectory: Vec<Vec<f32>> = (1..=6)
        .map(|k| {
            let out = tmp.path().join(format!("k{k}"));
            train(&config(tmp.path(), "c.toml", k, "\"full\"", ""), &out, &[]);
            params(&out.join("params.bin"))
        })
        .collect();
    let out = tmp.path().join("ema");
    train(
        &config(
            tmp.path(),
            "e.toml",
            6,
            "\"full\"",
            &format!("ema = {decay}"),
        ),
        &out,
        &[],
    );
    // torch AveragedModel + get_ema_multi_avg_fn: the first update copies, then
    // lerp_(p, 1 − decay) in f32.
    let w = (1.0 - decay) as f32;
    let mut expected = trajectory[0].clone();
    for p in &trajectory[1..] {
        for (e, &x) in expected.iter_mut().zip(p) {
            *e += w * (x - *e);
        }
    }
    assert_eq!(params(&out.join("params_ema.bin")), expected);
    // params.bin keeps the raw weights.
    assert_eq!(params(&out.join("params.bin")), trajectory[5]);
    // The average lags behind: it differs from the raw weights.
    assert_ne!(expected, trajectory[5]);
}

#[test]
fn the_ema_columns_and_eval_ema_measure_the_averaged_weights() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    train(
        &config(tmp.path(), "c.toml", 20, "8", "ema = 0.9"),
        &out,
        &[],
    );
    let (header, rows) = read_csv(&out.join("metrics.csv"));
    assert_eq!(
        header[7..],
        ["seconds", "val_loss_ema", "val_accuracy_ema"].map(String::from)
    );
    let last = rows.last().unwrap();
    assert_eq!(last[9], "", "no accuracy for regression");
    let (raw, ema): (f64, f64) = (last[4].parse().unwrap(), last[8].parse().unwrap());
    assert_ne!(raw, ema);
    let eval = |extra: &[&str]| -> f64 {
        let o = lrtrain()
            .args(["eval", "--run"])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr_of(&o));
        let text = String::from_utf8(o.stdout).unwrap();
        text.trim()
            .split(',')
            .find_map(|kv| kv.strip_prefix("loss="))
            .unwrap()
            .parse()
            .unwrap()
    };
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
    assert!(close(eval(&[]), raw), "{} vs {raw}", eval(&[]));
    assert!(
        close(eval(&["--ema"]), ema),
        "{} vs {ema}",
        eval(&["--ema"])
    );
}

#[test]
fn a_resumed_run_keeps_the_average_bit_for_bit() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), "c.toml", 8, "8", "ema = 0.95");
    let full = tmp.path().join("full");
    train(&cfg, &full, &[]);
    let part = tmp.path().join("part");
    train(&cfg, &part, &["--epochs", "3"]);
    let o = lrtrain()
        .args(["resume", "--quiet"])
        .arg(&part)
        .args(["--epochs", "8"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let strip = |d: &Path| -> Vec<String> {
        let (_, rows) = read_csv(&d.join("metrics.csv"));
        rows.iter()
            .map(|r| format!("{},{}", r[..7].join(","), r[8..].join(",")))
            .collect()
    };
    assert_eq!(strip(&part), strip(&full));
    assert_eq!(
        params(&part.join("params_ema.bin")),
        params(&full.join("params_ema.bin"))
    );
}

#[test]
fn a_bad_decay_or_eval_ema_without_an_average_is_refused_with_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), "c.toml", 2, "8", "ema = 1.5");
    let o = lrtrain()
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr_of(&o);
    assert!(
        err.contains("train.ema: expected a number in [0, 1), found 1.5"),
        "{err}"
    );
    let out = tmp.path().join("plain");
    train(&config(tmp.path(), "p.toml", 2, "8", ""), &out, &[]);
    let o = lrtrain()
        .args(["eval", "--ema", "--run"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr_of(&o).contains("--ema: the run has no averaged weights"),
        "{}",
        stderr_of(&o)
    );
}
