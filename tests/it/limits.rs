//! Work is bounded before it is expanded (issue 21, kind 5): a sweep's trials, runs and seeds
//! and compare's seeds are counted and refused above their documented limits in one line (exit
//! 2) before anything is made; names and paths a file system cannot hold are made valid and
//! unique (or refused) before anything trains.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::*;

/// A tiny regression base config: linear data, full batch, `epochs` epochs.
fn base(dir: &Path, extra: &str) {
    write_config(
        dir,
        "base.toml",
        &format!(
            "seed = 1\nthreads = 1\n\n[data]\nkind = \"csv\"\npath = \"{}\"\ntarget = \"y\"\n\n[model]\nkind = \"linear\"\n\n[optimizer]\nkind = \"sgd\"\nlr = 0.01\n\n[train]\nepochs = 2\nbatch_size = \"full\"\n{extra}",
            repo().join("data/linear.csv").display()
        ),
    );
}

/// `lrtrain ARGS` in `dir`: (exit code, stderr), with its wall time.
fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String, Duration) {
    let start = Instant::now();
    let o = lrtrain().current_dir(dir).args(args).output().unwrap();
    (o.status.code(), stderr_of(&o), start.elapsed())
}

const TEN: &str = "[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]";

#[test]
fn a_million_point_grid_is_refused_at_once_with_its_count() {
    let dir = tempfile::tempdir().unwrap();
    base(dir.path(), "");
    let axes = [
        "optimizer.lr",
        "optimizer.momentum",
        "optimizer.dampening",
        "optimizer.weight_decay",
        "schedule.warmup_start_factor",
        "data.validation_split",
    ];
    let mut text = "base = \"base.toml\"\n[grid]\n".to_string();
    for a in axes {
        text += &format!("\"{a}\" = {TEN}\n");
    }
    write_config(dir.path(), "big.toml", &text);
    for extra in [&["--list"][..], &["--out", "out"][..]] {
        let mut args = vec!["sweep", "big.toml"];
        args.extend_from_slice(extra);
        let (code, err, took) = run(dir.path(), &args);
        assert_eq!(code, Some(2), "{err}");
        assert_eq!(
            err,
            format!(
                "error: {}: line 2: grid: 10 × 10 × 10 × 10 × 10 × 10 = 1000000 trials; expected at most 10000: use fewer axes, or split the sweep into several files\n",
                dir.path().join("big.toml").display()
            )
        );
        assert!(took < Duration::from_secs(5), "{took:?}");
    }
    assert!(!dir.path().join("out").exists());
}

#[test]
fn seeds_samples_and_runs_above_their_limits_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    base(dir.path(), "");
    let cases = [
        (
            "seeds = 100000\n[grid]\n\"optimizer.lr\" = [0.1]\n",
            "line 2: seeds: expected at most 1000 seeds, found 100000",
        ),
        (
            "[random]\nsamples = 100000000000\n\"optimizer.lr\" = { uniform = [0.1, 0.2] }\n",
            "line 3: random.samples: expected an integer in [1, 10000], found 100000000000",
        ),
        (
            "[grid]\n\"optimizer.lr\" = [0.1, 0.2]\n[random]\nsamples = 6000\n\"optimizer.momentum\" = { uniform = [0.1, 0.2] }\n",
            "line 2: grid: 2 × 6000 samples = 12000 trials; expected at most 10000",
        ),
        (
            "seeds = 1000\n[grid]\n\"optimizer.lr\" = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1]\n",
            "11 trials × 1000 seeds = 11000 runs; expected at most 10000",
        ),
    ];
    for (i, (body, want)) in cases.iter().enumerate() {
        let name = format!("s{i}.toml");
        write_config(dir.path(), &name, &format!("base = \"base.toml\"\n{body}"));
        for list in [true, false] {
            let mut args = vec!["sweep", name.as_str(), "--out", "out"];
            if list {
                args.push("--list");
            }
            let (code, err, took) = run(dir.path(), &args);
            assert_eq!(code, Some(2), "{body}: {err}");
            assert!(
                err.starts_with("error: ") && err.contains(&name) && err.contains(want),
                "{body}: {err}"
            );
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(took < Duration::from_secs(5), "{body}: {took:?}");
        }
    }
    assert!(!dir.path().join("out").exists());
}

#[test]
fn compare_seeds_and_runs_above_their_limits_are_refused_before_anything_trains() {
    let dir = tempfile::tempdir().unwrap();
    base(dir.path(), "");
    let (code, err, _) = run(
        dir.path(),
        &["compare", "base.toml", "--seeds", "1000000", "--out", "out"],
    );
    assert_eq!(code, Some(2));
    assert_eq!(
        err,
        "error: --seeds: expected an integer in [1, 1000], found 1000000\n"
    );
    let many: Vec<&str> = std::iter::repeat_n("base.toml", 11).collect();
    let mut args = vec!["compare"];
    args.extend_from_slice(&many);
    args.extend_from_slice(&["--seeds", "1000", "--out", "out"]);
    let (code, err, _) = run(dir.path(), &args);
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with("error: 11 configs × --seeds 1000 = 11000 runs; expected at most 10000"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_trial_name_too_long_for_a_directory_is_shortened_before_anything_trains() {
    let dir = tempfile::tempdir().unwrap();
    base(
        dir.path(),
        "\n[schedule]\nkind = \"expr\"\nexpr = \"lr0\"\n",
    );
    // Two expressions of 400 bytes that differ only at their end, and a slash in a value.
    let long = |last: &str| format!("lr0{}{last}", " * 1".repeat(100));
    write_config(
        dir.path(),
        "s.toml",
        &format!(
            "base = \"base.toml\"\nseeds = 1\n[grid]\n\"schedule.expr\" = [\"{}\", \"{}\", \"lr0 / 2\"]\n",
            long(" * 1"),
            long(" / 1")
        ),
    );
    let o = lrtrain()
        .current_dir(dir.path())
        .args(["sweep", "s.toml", "--out", "out", "--quiet"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("expr="))
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    for n in &names {
        assert!(n.len() <= 255, "{} bytes: {n}", n.len());
        assert!(
            dir.path()
                .join("out")
                .join(n)
                .join("seed-1/metrics.csv")
                .is_file(),
            "{n}"
        );
    }
    assert!(names.contains(&"expr=lr0 _ 2".to_string()), "{names:?}");
    let long_ones: Vec<&String> = names.iter().filter(|n| n.contains("-h")).collect();
    assert_eq!(long_ones.len(), 2, "{names:?}");
    // sweep.json keeps the whole overrides of every trial.
    let json = read_json(&dir.path().join("out/sweep.json"));
    let trials = json["trials"].as_array().unwrap();
    assert_eq!(trials.len(), 3);
    let overrides = trials[0]["overrides"].to_string();
    assert!(overrides.contains(&long(" * 1")), "{overrides}");
    // The same sweep again finds its runs by the same names.
    let o = lrtrain()
        .current_dir(dir.path())
        .args(["sweep", "s.toml", "--out", "out"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert!(!stderr_of(&o).contains("completed in"), "{}", stderr_of(&o));
}

#[test]
fn an_output_name_longer_than_a_file_system_holds_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    base(dir.path(), "");
    let out = "x".repeat(300);
    let (code, err, _) = run(
        dir.path(),
        &["compare", "base.toml", "--out", &format!("{out}/cmp")],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.starts_with(&format!("error: --out {out}/cmp: the name xxxxxxxxxxxxxxxxxxxxxxxx… is 300 bytes long; expected at most 255")),
        "{err}"
    );
}

#[test]
fn one_hot_inputs_beyond_what_memory_holds_are_refused_before_they_are_made() {
    let dir = tempfile::tempdir().unwrap();
    // 50,000 rows with a distinct id each: 50,000 × 50,001 inputs, 10 GB of f32.
    let mut csv = String::from("id,x,y\n");
    for i in 0..50_000 {
        csv += &format!("id{i},{},{}\n", i % 7, i % 2);
    }
    std::fs::write(dir.path().join("ids.csv"), csv).unwrap();
    write_config(
        dir.path(),
        "c.toml",
        "[data]\nkind = \"csv\"\npath = \"ids.csv\"\ntarget = \"y\"\ncategorical = [\"id\"]\nmax_levels = 1000000000\n",
    );
    let (code, err, took) = run(dir.path(), &["check", "--config", "c.toml"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("50000 rows × 50001 inputs = 2500050000 values; expected at most 2147483648"),
        "{err}"
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn find_lr_steps_times_seeds_above_the_limit_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    base(dir.path(), "");
    let (code, err, _) = run(
        dir.path(),
        &[
            "find-lr",
            "--config",
            "base.toml",
            "--steps",
            "100000",
            "--seeds",
            "1000",
        ],
    );
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err,
        "error: --steps 100000 × --seeds 1000 = 100000000 steps; expected at most 1000000 in all\n"
    );
    assert!(!dir.path().join("runs").exists());
}
