//! `lrtrain compare` end to end, through the binary, on tiny MNIST networks (16 hidden units,
//! 2 epochs: a fraction of a second per run).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::*;

/// A tiny SGD config with the given schedule section (and `threads = 0`, so compare's one
/// thread per run applies).
fn tiny(schedule: &str, lr: f64) -> String {
    mnist_config(&format!(
        "[model]\nkind = \"mlp\"\nhidden = [16]\n[optimizer]\nkind = \"sgd\"\nlr = {lr}\nmomentum = 0.9\n[schedule]\n{schedule}\n[train]\nepochs = 2\nbatch_size = 100\n"
    ))
    .replace("threads = 1", "threads = 0")
}

/// Three configs whose schedules differ: constant, step, cosine.
fn three_configs(dir: &Path) -> Vec<PathBuf> {
    vec![
        write_config(dir, "constant.toml", &tiny("kind = \"constant\"", 0.05)),
        write_config(
            dir,
            "step.toml",
            &tiny(
                "kind = \"step\"\nunit = \"epoch\"\nstep_size = 1\ngamma = 0.3",
                0.1,
            ),
        ),
        write_config(
            dir,
            "cosine.toml",
            &tiny("kind = \"cosine\"\nunit = \"epoch\"\ntotal = 2", 0.1),
        ),
    ]
}

fn compare(args: &[&str], configs: &[PathBuf], out: &Path) -> std::process::Output {
    lrtrain()
        .arg("compare")
        .args(configs)
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .unwrap()
}

fn stdout_of(o: &std::process::Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// metrics.csv without the `seconds` column.
fn metrics_without_seconds(dir: &Path) -> Vec<Vec<String>> {
    read_csv(&dir.join("metrics.csv"))
        .1
        .into_iter()
        .map(|mut r| {
            r.pop();
            r
        })
        .collect()
}

/// The SVG parsed (failing if not well-formed): its texts and the distinct palette colours of
/// its curves (polylines not drawn in the greys of grid and axes).
fn svg_texts_and_colours(path: &Path) -> (Vec<String>, BTreeSet<String>) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{}: not well-formed: {e}", path.display()));
    let texts = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect();
    let colours = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter_map(|n| n.attribute("stroke"))
        .map(|s| s.to_ascii_uppercase())
        .filter(|s| !["#000000", "#D9D9D9", "#F0F0F0", "#444444"].contains(&s.as_str()))
        .collect();
    (texts, colours)
}

#[test]
fn three_configs_are_ranked_written_and_plotted_and_from_reproduces_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let configs = three_configs(dir.path());
    let out = dir.path().join("cmp");
    let o = compare(&["--jobs", "2", "--target", "0.85"], &configs, &out);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let table = stdout_of(&o);

    // The JSON ranks by best val_accuracy, best first, and the table prints that order.
    let json = read_json(&out.join("compare.json"));
    assert_eq!(json["metric"], "val_accuracy");
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    let names: Vec<&str> = rows.iter().map(|r| r["run"].as_str().unwrap()).collect();
    let bests: Vec<f64> = rows
        .iter()
        .map(|r| r["best"]["mean"].as_f64().unwrap())
        .collect();
    assert!(bests.windows(2).all(|w| w[0] >= w[1]), "{bests:?}");
    let printed: Vec<&str> = table
        .lines()
        .skip(1)
        .take(3)
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(printed, names, "{table}");
    assert_eq!(json["winner"]["run"], names[0]);
    assert!(
        table.contains(&format!("winner: {} (val_accuracy ", names[0])),
        "{table}"
    );
    assert!(table.contains(&format!(" over {})", names[1])), "{table}");
    assert!(
        table.lines().next().unwrap().contains("epoch ≥0.85"),
        "{table}"
    );
    // The best value is the run's own best epoch in its metrics.csv.
    let (_, cosine_rows) = read_csv(&out.join("cosine/metrics.csv"));
    let cosine_best = cosine_rows
        .iter()
        .map(|r| r[5].parse::<f64>().unwrap())
        .fold(f64::MIN, f64::max);
    let cosine = rows.iter().find(|r| r["run"] == "cosine").unwrap();
    assert_eq!(cosine["best"]["mean"].as_f64().unwrap(), cosine_best);
    assert_eq!(cosine["optimizer"], "sgd");
    assert_eq!(cosine["schedule"], "cosine");
    assert_eq!(cosine["status"], "completed");
    assert_eq!(read_json(&out.join("cosine/summary.json"))["threads"], 1);

    // compare.csv: long form, every epoch of every run.
    let (header, long) = read_csv(&out.join("compare.csv"));
    assert_eq!(
        header.join(","),
        "run,seed,epoch,lr,loss,accuracy,val_loss,val_accuracy,grad_norm,seconds"
    );
    assert_eq!(long.len(), 6);
    let runs: BTreeSet<&str> = long.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(runs, BTreeSet::from(["constant", "cosine", "step"]));
    let cosine_long: Vec<Vec<String>> = long
        .iter()
        .filter(|r| r[0] == "cosine")
        .map(|r| r[2..].to_vec())
        .collect();
    assert_eq!(cosine_long, cosine_rows);

    // Charts: well-formed SVG, one named series (legend entry) and one colour per run.
    for chart in ["loss.svg", "accuracy.svg", "lr.svg"] {
        let (texts, colours) = svg_texts_and_colours(&out.join(chart));
        for name in ["constant", "step", "cosine"] {
            assert_eq!(
                texts.iter().filter(|t| *t == name).count(),
                1,
                "{chart}: {texts:?}"
            );
        }
        assert_eq!(colours.len(), 3, "{chart}: {colours:?}");
    }
    // And each run directory has its own curves.
    svg_texts_and_colours(&out.join("step/curves.svg"));

    // --from gives the same table without training, from the compare directory or the runs.
    for from in [
        vec![out.clone()],
        vec![out.join("step"), out.join("cosine"), out.join("constant")],
    ] {
        let o = lrtrain()
            .args(["compare", "--target", "0.85", "--from"])
            .args(&from)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr_of(&o));
        assert_eq!(stdout_of(&o), table);
    }
    let o = lrtrain()
        .args(["compare", "--target", "0.85", "--format", "json", "--from"])
        .arg(&out)
        .output()
        .unwrap();
    let from_json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(from_json, json);
    let o = lrtrain()
        .args(["compare", "--format", "csv", "--from"])
        .arg(&out)
        .output()
        .unwrap();
    let csv = stdout_of(&o);
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(
        csv.starts_with("rank,run,optimizer,schedule,status,"),
        "{csv}"
    );
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with(&format!("1,{},sgd,", names[0]))
    );
    let o = lrtrain()
        .args(["compare", "--format", "markdown", "--from"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(stdout_of(&o).starts_with("| rank | run |"));

    // Running again into the same directory is refused, before anything trains.
    let o = compare(&[], &configs, &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr_of(&o).contains("--force"), "{}", stderr_of(&o));
}

#[test]
fn jobs_1_and_jobs_2_give_identical_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let configs = three_configs(dir.path());
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    for (out, jobs) in [(&one, "1"), (&two, "2")] {
        let o = compare(&["--jobs", jobs, "-q"], &configs, out);
        assert!(o.status.success(), "{}", stderr_of(&o));
        assert!(stderr_of(&o).is_empty(), "--quiet: {}", stderr_of(&o));
    }
    for run in ["constant", "step", "cosine"] {
        assert_eq!(
            metrics_without_seconds(&one.join(run)),
            metrics_without_seconds(&two.join(run)),
            "{run}"
        );
    }
}

#[test]
fn a_diverging_run_is_listed_as_diverged_and_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let configs = vec![
        write_config(dir.path(), "wild.toml", &tiny("kind = \"constant\"", 1e12)),
        write_config(dir.path(), "tame.toml", &tiny("kind = \"constant\"", 0.05)),
    ];
    let out = dir.path().join("cmp");
    let o = compare(&[], &configs, &out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    let table = stdout_of(&o);
    let wild = table.lines().find(|l| l.contains("wild")).unwrap();
    assert!(wild.trim_start().starts_with('2'), "{table}");
    assert!(wild.ends_with("diverged"), "{table}");
    assert!(table.contains("winner: tame"), "{table}");
    let json = read_json(&out.join("compare.json"));
    assert_eq!(json["rows"][1]["status"], "diverged");
    assert_eq!(
        read_json(&out.join("tame/summary.json"))["status"],
        "completed"
    );

    // --fail-on-diverge: the same, and exit 3 naming the run.
    let o = compare(
        &["--fail-on-diverge", "-q"],
        &configs,
        &dir.path().join("again"),
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr_of(&o));
    assert!(stderr_of(&o).contains("wild"), "{}", stderr_of(&o));
    assert!(stdout_of(&o).contains("diverged"));
    assert!(dir.path().join("again/tame/metrics.csv").exists());
}

#[test]
fn a_bad_config_fails_before_anything_trains() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_config(dir.path(), "good.toml", &tiny("kind = \"constant\"", 0.05));
    let typo = write_config(
        dir.path(),
        "typo.toml",
        &tiny("kind = \"step\"\nstep_size = 1\ngama = 0.5", 0.1),
    );
    let no_data = write_config(
        dir.path(),
        "nodata.toml",
        &tiny("kind = \"constant\"", 0.1).replace("train-images", "missing-images"),
    );
    for bad in [&typo, &no_data] {
        let out = dir.path().join("cmp");
        let o = compare(&[], &[good.clone(), bad.clone()], &out);
        assert_eq!(o.status.code(), Some(2), "{}", stderr_of(&o));
        let err = stderr_of(&o);
        assert!(
            err.contains(bad.file_name().unwrap().to_str().unwrap()),
            "{err}"
        );
        assert!(!out.join("good").exists(), "good was trained: {err}");
    }
    // A metric the runs will not have is a usage error too.
    let o = lrtrain()
        .arg("compare")
        .arg(&good)
        .args(["--metric", "grad_norm"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn require_passes_and_fails_on_the_best_runs_final_value() {
    let dir = tempfile::tempdir().unwrap();
    let configs = three_configs(dir.path());
    let out = dir.path().join("cmp");
    let o = compare(&["-q", "--require", "val_accuracy>=0.5"], &configs, &out);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let winner = read_json(&out.join("compare.json"))["winner"]["run"]
        .as_str()
        .unwrap()
        .to_string();
    let o = lrtrain()
        .args(["compare", "--require", "val_accuracy>=0.999", "--from"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(4), "{}", stderr_of(&o));
    let err = stderr_of(&o);
    assert!(err.contains(&format!("best run {winner}")), "{err}");
    assert!(err.contains("final val_accuracy = 0."), "{err}");
    assert!(
        stdout_of(&o).contains("winner:"),
        "the table is still printed"
    );
    let o = lrtrain()
        .args(["compare", "--require", "loss<=100", "--from"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
}

#[test]
fn seeds_give_mean_and_std_and_repeated_stems_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("x")).unwrap();
    std::fs::create_dir_all(dir.path().join("y")).unwrap();
    let a = write_config(
        &dir.path().join("x"),
        "a.toml",
        &tiny("kind = \"constant\"", 0.05),
    );
    let a2 = write_config(
        &dir.path().join("y"),
        "a.toml",
        &tiny("kind = \"constant\"", 0.1),
    );
    let out = dir.path().join("cmp");
    let o = compare(&["--seeds", "2", "--set", "train.epochs=1"], &[a, a2], &out);
    assert!(o.status.success(), "{}", stderr_of(&o));
    for run in ["a/seed-1", "a/seed-2", "a-2/seed-1", "a-2/seed-2"] {
        let (_, rows) = read_csv(&out.join(run).join("metrics.csv"));
        assert_eq!(rows.len(), 1, "{run}: --set applies to every config");
    }
    assert_ne!(
        metrics_without_seconds(&out.join("a/seed-1")),
        metrics_without_seconds(&out.join("a/seed-2")),
        "another seed, another run"
    );
    let table = stdout_of(&o);
    assert!(table.contains(" ± "), "{table}");
    assert!(table.contains("mean of 2 seeds"), "{table}");
    let json = read_json(&out.join("compare.json"));
    assert_eq!(json["seeds"], 2);
    assert_eq!(json["rows"][0]["seeds"], serde_json::json!([1, 2]));
    assert!(json["rows"][0]["best"]["std"].is_number());
    let o = lrtrain()
        .args(["compare", "--from"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(stdout_of(&o), table);
}

#[test]
fn train_also_writes_curves_svg_into_its_run_directory() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "c.toml", &tiny("kind = \"constant\"", 0.05));
    let out = dir.path().join("run");
    lrtrain()
        .args(["train", "-q", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let (texts, _) = svg_texts_and_colours(&out.join("curves.svg"));
    for title in [
        "Loss",
        "Accuracy",
        "Learning rate (first step of each epoch)",
    ] {
        assert!(texts.iter().any(|t| t == title), "{texts:?}");
    }
}

#[test]
fn a_config_whose_data_lacks_the_target_column_fails_compare_before_any_config_trains() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_config(dir.path(), "good.toml", &tiny("kind = \"constant\"", 0.05));
    std::fs::write(dir.path().join("points.csv"), "x,z\n1,2\n2,4\n3,6\n").unwrap();
    let bad = write_config(
        dir.path(),
        "nocol.toml",
        "[data]\nkind = \"csv\"\npath = \"points.csv\"\ntarget = \"y\"\n[model]\nkind = \"linear\"\n[optimizer]\nkind = \"sgd\"\nlr = 0.01\n[train]\nepochs = 2\nbatch_size = \"full\"\n",
    );
    // The bad config last: every config is checked before the first (good) one trains.
    let out = dir.path().join("cmp");
    let o = compare(&[], &[good, bad], &out);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("points.csv"), "{err}");
    assert!(!out.join("good").exists(), "good was trained: {err}");
}
