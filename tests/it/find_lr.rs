//! `lrtrain find-lr` through the binary: the range test on a quadratic with known curvature, the
//! usefulness of its suggestion on MNIST, reproducibility, spread, stops and bad ranges.

use std::path::Path;

use crate::common::{lrtrain, mnist_config, read_csv, read_json, repo, stderr_of, write_config};

/// L, the largest eigenvalue of the Hessian of half_mse on data/linear.csv: (1/n)·XᵀX with X =
/// [x, 1], a 2×2 symmetric matrix [[a, b], [b, 1]].
fn largest_curvature() -> f64 {
    let text = std::fs::read_to_string(repo().join("data/linear.csv")).unwrap();
    let xs: Vec<f64> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    let n = xs.len() as f64;
    let a = xs.iter().map(|x| x * x).sum::<f64>() / n;
    let b = xs.iter().sum::<f64>() / n;
    let d = 1.0;
    (a + d) / 2.0 + (((a - d) / 2.0).powi(2) + b * b).sqrt()
}

fn find_lr(args: &[&str]) -> std::process::Output {
    lrtrain().arg("find-lr").args(args).output().unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn suggestion(report: &serde_json::Value, name: &str) -> serde_json::Value {
    report["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap()
        .clone()
}

#[test]
fn on_a_quadratic_it_stops_past_the_divergence_point_and_suggests_a_rate_below_2_over_l() {
    let limit = 2.0 / largest_curvature(); // gradient descent is stable only below this
    let tmp = tempfile::tempdir().unwrap();
    let config = repo().join("configs/linear.toml");
    let out = find_lr(&["--config", path(&config), "--out", path(tmp.path())]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let report = read_json(&tmp.path().join("lrfind.json"));
    assert_eq!(report["stop_reason"], "exploded", "{report}");
    // Full-batch descent has converged by the time the rate passes 2/L, so the error along the
    // top eigenvector starts tiny and needs a few amplifying steps to show: the stop comes past
    // 2/L, within a factor of 10 of it (about 9× here, i.e. 12 exponential steps of 1.2×).
    let stop = report["runs"][0]["stop_lr"].as_f64().unwrap();
    assert!(
        stop > limit && stop < 10.0 * limit,
        "stop {stop}, 2/L {limit}"
    );
    let chosen = report["chosen_lr"].as_f64().unwrap();
    assert!(
        chosen < limit && chosen > limit / 10.0,
        "suggested {chosen}, 2/L {limit}"
    );
    let min10 = suggestion(&report, "minimum/10")["lr"].as_f64().unwrap();
    assert!(
        min10 < limit && min10 > limit / 10.0,
        "{min10}, 2/L {limit}"
    );
}

/// Final training and validation loss of 3 epochs of configs/mnist.toml at `lr`; a run that
/// diverges (exit 3) counts as infinitely bad.
fn mnist_loss_after_3_epochs(dir: &Path, lr: f64) -> (f64, f64) {
    let config = repo().join("configs/mnist.toml");
    let run = dir.join(format!("run-{lr}"));
    let out = lrtrain()
        .args([
            "train",
            "--config",
            path(&config),
            "--epochs",
            "3",
            "--quiet",
        ])
        .args(["--out", path(&run), "--set", &format!("optimizer.lr={lr}")])
        .output()
        .unwrap();
    match out.status.code() {
        Some(0) => {}
        Some(3) => return (f64::INFINITY, f64::INFINITY),
        _ => panic!("{}", stderr_of(&out)),
    }
    let summary = read_json(&run.join("summary.json"));
    let last = &summary["final"];
    let get = |k: &str| last[k].as_f64().unwrap_or(f64::INFINITY);
    (get("loss"), get("val_loss"))
}

#[test]
fn on_mnist_three_epochs_at_the_suggestion_beat_rates_100_times_smaller_and_larger() {
    let tmp = tempfile::tempdir().unwrap();
    let config = repo().join("configs/mnist.toml");
    let out = find_lr(&[
        "--config",
        path(&config),
        "--out",
        path(&tmp.path().join("f")),
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let report = read_json(&tmp.path().join("f/lrfind.json"));
    let lr = report["chosen_lr"].as_f64().unwrap();
    let at = mnist_loss_after_3_epochs(tmp.path(), lr);
    let smaller = mnist_loss_after_3_epochs(tmp.path(), lr / 100.0);
    let larger = mnist_loss_after_3_epochs(tmp.path(), lr * 100.0);
    eprintln!("lr {lr}: {at:?}; /100: {smaller:?}; ×100: {larger:?}");
    assert!(at.0 < smaller.0 && at.0 < larger.0, "training loss");
    assert!(at.1 < smaller.1 && at.1 < larger.1, "validation loss");
}

#[test]
fn the_same_seed_gives_an_identical_lrfind_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let config = repo().join("configs/mnist.toml");
    let csv = |name: &str| {
        let dir = tmp.path().join(name);
        let out = find_lr(&[
            "--config",
            path(&config),
            "--out",
            path(&dir),
            "--set",
            "threads=1",
            "--steps",
            "60",
        ]);
        assert!(out.status.success(), "{}", stderr_of(&out));
        std::fs::read(dir.join("lrfind.csv")).unwrap()
    };
    let a = csv("a");
    assert_eq!(a, csv("b"));
    let text = String::from_utf8(a).unwrap();
    assert!(text.starts_with("seed,step,lr,loss,smoothed_loss\n42,0,0.0000001,"));
}

#[test]
fn three_seeds_report_a_spread_plot_one_curve_each_and_the_explosion_stop_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let config = repo().join("configs/mnist.toml");
    let out = find_lr(&[
        "--config",
        path(&config),
        "--out",
        path(tmp.path()),
        "--seeds",
        "3",
        "--plot",
        path(&tmp.path().join("lr.svg")),
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("spread (3 seeds)"), "{stdout}");
    assert!(stdout.contains("exceeded 4× its minimum"), "{stdout}");
    let report = read_json(&tmp.path().join("lrfind.json"));
    assert_eq!(report["seeds"], serde_json::json!([42, 43, 44]));
    assert_eq!(report["stop_reason"], "exploded");
    for run in report["runs"].as_array().unwrap() {
        assert!(run["steps_run"].as_u64().unwrap() < 100, "{run}");
    }
    let valley = suggestion(&report, "valley");
    assert_eq!(valley["per_seed"].as_array().unwrap().len(), 3);
    let spread = &valley["spread"];
    let (min, median, max) = (
        spread["min"].as_f64().unwrap(),
        spread["median"].as_f64().unwrap(),
        spread["max"].as_f64().unwrap(),
    );
    assert!(min <= median && median <= max, "{spread}");
    assert_eq!(spread["disagree"], max > 3.0 * min);
    let svg = std::fs::read_to_string(tmp.path().join("lr.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") || svg.starts_with("<?xml"),
        "{}",
        &svg[..80]
    );
    for text in ["seed 42", "seed 44", "valley", "learning rate"] {
        assert!(svg.contains(text), "the plot lacks {text}");
    }
    let rows = std::fs::read_to_string(tmp.path().join("lrfind.csv")).unwrap();
    for seed in ["42,", "43,", "44,"] {
        assert!(rows.lines().any(|l| l.starts_with(seed)), "{seed}");
    }
}

#[test]
fn a_non_finite_loss_stops_the_test_at_once_as_diverged() {
    let tmp = tempfile::tempdir().unwrap();
    let config = repo().join("configs/linear.toml");
    let out = find_lr(&[
        "--config",
        path(&config),
        "--out",
        path(tmp.path()),
        "--min",
        "1e36",
        "--max",
        "1e38",
    ]);
    // Two steps are too few to read a suggestion from: exit 2, saying what to change.
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("lower --min"),
        "{}",
        stderr_of(&out)
    );
    let report = read_json(&tmp.path().join("lrfind.json"));
    assert_eq!(report["stop_reason"], "diverged", "{report}");
    assert_eq!(report["runs"][0]["steps_run"], 2);
}

#[test]
fn bad_ranges_exit_2_with_one_clear_line() {
    let config = repo().join("configs/linear.toml");
    for (args, says) in [
        (
            vec!["--min", "1", "--max", "1"],
            "--max: expected a rate above --min = 1, found 1",
        ),
        (
            vec!["--min", "0.1", "--max", "0.01"],
            "--max: expected a rate above --min = 0.1, found 0.01",
        ),
        (
            vec!["--min=0"],
            "--min: expected a finite number > 0, found 0",
        ),
        (
            vec!["--min=-1"],
            "--min: expected a finite number > 0, found -1",
        ),
        (vec!["--max=-5"], "--max: expected a finite number > 0"),
        (vec!["--steps", "1"], "--steps: expected an integer in [2, "),
        (vec!["--seeds", "0"], "--seeds: expected an integer in [1, "),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let out = lrtrain()
            .args([
                "find-lr",
                "--config",
                path(&config),
                "--out",
                path(tmp.path()),
            ])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr_of(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!tmp.path().join("lrfind.csv").exists(), "{args:?}");
    }
}

#[test]
fn write_config_gives_a_config_that_trains_at_once_and_the_original_is_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(repo().join("configs/linear.toml")).unwrap();
    let config = write_config(
        tmp.path(),
        "linear.toml",
        &original.replace("../data", &format!("{}/data", repo().display())),
    );
    let before = std::fs::read(&config).unwrap();
    let applied = tmp.path().join("applied.toml");
    let out = find_lr(&[
        "--config",
        path(&config),
        "--out",
        path(&tmp.path().join("f")),
        "--write-config",
        path(&applied),
    ]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(std::fs::read(&config).unwrap(), before);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let chosen = read_json(&tmp.path().join("f/lrfind.json"))["chosen_lr"]
        .as_f64()
        .unwrap();
    assert!(
        stdout.contains(&format!("[optimizer]\nlr = {chosen}\n")),
        "{stdout}"
    );
    assert!(stdout.contains("kind = \"one_cycle\""), "{stdout}");
    assert!(stdout.contains("total = 3000"), "{stdout}");
    let text = std::fs::read_to_string(&applied).unwrap();
    assert!(text.contains(&format!("lr = {chosen}\n")), "{text}");
    assert!(
        text.contains("kind = \"constant\""),
        "the schedule is not switched: {text}"
    );

    let run = tmp.path().join("run");
    let out = lrtrain()
        .args([
            "train",
            "--config",
            path(&applied),
            "--epochs",
            "5",
            "--quiet",
        ])
        .args(["--out", path(&run)])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));

    // Never onto the config under test, never over an existing file without --force, and never
    // over an existing range test without --force.
    let again = |extra: &[&str]| {
        lrtrain()
            .args(["find-lr", "--config", path(&config), "--out"])
            .arg(tmp.path().join("g"))
            .args(extra)
            .output()
            .unwrap()
    };
    let out = again(&["--write-config", path(&config), "--force"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("never modifies"),
        "{}",
        stderr_of(&out)
    );
    let out = again(&["--write-config", path(&applied)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--force"), "{}", stderr_of(&out));
    assert_eq!(std::fs::read(&config).unwrap(), before);
    let out = lrtrain()
        .args(["find-lr", "--config", path(&config), "--out"])
        .arg(tmp.path().join("f"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("already holds a range test"));
}

#[test]
fn the_plot_shows_the_fall_and_clips_the_final_blow_up() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "m.toml",
        &mnist_config(
            "[model]\nkind = \"mlp\"\nhidden = [16]\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n[train]\nbatch_size = 100\n",
        ),
    );
    let plot = dir.path().join("lr.svg");
    let o = lrtrain()
        .args([
            "find-lr", "-q", "--max", "100", "--steps", "100", "--config",
        ])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("f"))
        .arg("--plot")
        .arg(&plot)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let (_, rows) = read_csv(&dir.path().join("f/lrfind.csv"));
    let smoothed: Vec<f64> = rows.iter().map(|r| r[4].parse().unwrap()).collect();
    let finite = smoothed.iter().copied().filter(|v| v.is_finite());
    let (min, max) = finite.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let start = smoothed[0];
    assert!(
        max > start * 1.2,
        "the test needs a blow-up above the start: {smoothed:?}"
    );
    let text = std::fs::read_to_string(&plot).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    // Y tick labels sit left of the plot, one per row: numbers with x < 80 pixels.
    let ticks: Vec<f64> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter(|n| n.attribute("x").and_then(|x| x.parse::<f64>().ok()) < Some(80.0))
        .filter_map(|n| n.text()?.trim().parse().ok())
        .collect();
    let mut ticks = ticks;
    ticks.sort_by(f64::total_cmp);
    let (bottom, top) = (ticks[0], ticks[ticks.len() - 1]);
    let step = top - ticks[ticks.len() - 2];
    assert!(top < max, "the blow-up to {max} sets the axis ({ticks:?})");
    // The axis covers the fall: from the minimum up to the start (within a tick).
    assert!(
        top + step >= start && bottom - step <= min,
        "{min}..{start}: {ticks:?}"
    );
    assert!(text.contains("beyond the y range not drawn"));
}

#[test]
fn in_linear_mode_on_mnist_the_loss_rises_from_the_start_so_no_rate_is_suggested_and_it_exits_2() {
    // Linear from 1e-7 to 10: the first tenth (skipped) already reaches 1, where SGD with
    // momentum climbs from 2.3; the later fall back toward chance must not be read as a valley.
    let tmp = tempfile::tempdir().unwrap();
    let config = repo().join("configs/mnist.toml");
    let out = find_lr(&[
        "--config",
        path(&config),
        "--out",
        path(tmp.path()),
        "--mode",
        "linear",
        "--quiet",
    ]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("mnist.toml"),
        "{err}"
    );
    assert!(err.contains("no trustworthy suggestion"), "{err}");
    assert!(err.contains("lower --max"), "{err}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("rose above 1.1× its minimum"), "{stdout}");
    assert!(!stdout.contains("lr = "), "no rate to paste: {stdout}");
    let report = read_json(&tmp.path().join("lrfind.json"));
    assert!(report["chosen_lr"].is_null(), "{report}");
    for s in report["suggestions"].as_array().unwrap() {
        assert!(s["lr"].is_null(), "{s}");
    }
}

/// val_accuracy after one epoch of configs/mnist.toml at `lr`.
fn mnist_val_accuracy_after_1_epoch(dir: &Path, lr: f64) -> f64 {
    let run = dir.join(format!("acc-{lr}"));
    let out = lrtrain()
        .args(["train", "--quiet", "--epochs", "1", "--config"])
        .arg(repo().join("configs/mnist.toml"))
        .args(["--out", path(&run), "--set", &format!("optimizer.lr={lr}")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    read_json(&run.join("summary.json"))["final"]["val_accuracy"]
        .as_f64()
        .unwrap()
}

#[test]
fn every_rate_suggested_for_mnist_in_either_mode_trains_well_above_chance() {
    let tmp = tempfile::tempdir().unwrap();
    let config = repo().join("configs/mnist.toml");
    for (mode, max) in [("exp", "10"), ("linear", "1")] {
        let dir = tmp.path().join(mode);
        let out = find_lr(&[
            "--config",
            path(&config),
            "--out",
            path(&dir),
            "--mode",
            mode,
            "--max",
            max,
            "--quiet",
        ]);
        assert!(out.status.success(), "{mode}: {}", stderr_of(&out));
        let report = read_json(&dir.join("lrfind.json"));
        for s in report["suggestions"].as_array().unwrap() {
            let Some(lr) = s["lr"].as_f64() else { continue };
            let acc = mnist_val_accuracy_after_1_epoch(tmp.path(), lrfind_round(lr));
            eprintln!("{mode} {}: lr {lr}: val_accuracy {acc}", s["name"]);
            // Chance is 0.1; one epoch at a sound rate reaches about 0.9 on this data.
            assert!(acc > 0.8, "{mode} {} = {lr}: val_accuracy {acc}", s["name"]);
        }
    }
}

/// Three significant digits, as find-lr prints rates.
fn lrfind_round(x: f64) -> f64 {
    format!("{x:.2e}").parse().unwrap()
}

#[test]
fn a_config_whose_data_train_would_refuse_exits_2_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("points.csv"), "x,z\n1,2\n2,4\n3,6\n").unwrap();
    let config = write_config(
        tmp.path(),
        "nocol.toml",
        "[data]\nkind = \"csv\"\npath = \"points.csv\"\ntarget = \"y\"\n[model]\nkind = \"linear\"\n[optimizer]\nkind = \"sgd\"\nlr = 0.01\n",
    );
    let out_dir = tmp.path().join("out");
    let out = find_lr(&["--config", path(&config), "--out", path(&out_dir)]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("points.csv"),
        "{err}"
    );
    // Nothing left behind that a corrected run would have to --force past.
    assert!(!out_dir.exists(), "{err}");
}
