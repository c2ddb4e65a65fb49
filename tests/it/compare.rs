//! `lrtrain compare` end to end, through the binary, on tiny MNIST networks (16 hidden units,
//! 2 epochs: a fraction of a second per run).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::*;

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

    // epochs.csv: long form, every epoch of every run, `run,seed` first.
    let (header, long) = read_csv(&out.join("epochs.csv"));
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

    // Charts: well-formed SVG, one legend entry per run and panel (training and validation
    // are two panels of loss.svg and accuracy.svg), and one colour per run.
    for (chart, panels) in [("loss.svg", 2), ("accuracy.svg", 2), ("lr.svg", 1)] {
        let (texts, colours) = svg_texts_and_colours(&out.join(chart));
        for name in ["constant", "step", "cosine"] {
            assert_eq!(
                texts.iter().filter(|t| *t == name).count(),
                panels,
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
        .args(["compare", "--target", "0.85", "--format", "csv", "--from"])
        .arg(&out)
        .output()
        .unwrap();
    let csv = stdout_of(&o);
    assert_eq!(csv.lines().count(), 4, "{csv}");
    // compare.csv is that same per-config table.
    assert_eq!(
        std::fs::read_to_string(out.join("compare.csv")).unwrap(),
        csv
    );
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

    // Running again reuses the completed runs: nothing trains, the same table is printed.
    let before = std::fs::read_to_string(out.join("compare.csv")).unwrap();
    let o = compare(&["--jobs", "2", "--target", "0.85"], &configs, &out);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert!(!stderr_of(&o).contains("completed in"), "{}", stderr_of(&o));
    assert_eq!(
        std::fs::read_to_string(out.join("compare.csv")).unwrap(),
        before
    );
    // A config changed since its run was trained is refused, naming the run.
    let text = std::fs::read_to_string(&configs[0]).unwrap() + "\n";
    std::fs::write(&configs[0], text.replace("lr = ", "lr = 0.5 #")).unwrap();
    let o = compare(&[], &configs, &out);
    assert_eq!(o.status.code(), Some(2), "{}", stderr_of(&o));
    assert!(
        stderr_of(&o).contains("config changed"),
        "{}",
        stderr_of(&o)
    );
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
        "Learning rate (each epoch's first step)",
    ] {
        assert!(texts.iter().any(|t| t == title), "{texts:?}");
    }
}

/// Runs `lrtrain ARGS` with stdout on a terminal (a pseudo-terminal from util-linux `script`)
/// whose width is `COLUMNS`; returns what the terminal showed, without carriage returns.
fn on_a_terminal(args: &[&str], columns: usize) -> String {
    let command = std::iter::once(env!("CARGO_BIN_EXE_lrtrain"))
        .chain(args.iter().copied())
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let o = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("COLUMNS", columns.to_string())
        .output()
        .expect("util-linux script");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap().replace('\r', "")
}

#[test]
fn the_table_fits_an_80_or_120_column_terminal_without_cutting_a_number() {
    let dir = tempfile::tempdir().unwrap();
    let configs = three_configs(dir.path());
    let out = dir.path().join("cmp");
    let o = compare(&["-q", "--seeds", "2", "--target", "0.5"], &configs, &out);
    assert!(o.status.success(), "{}", stderr_of(&o));
    // Piped, the table is whole, and wider than either terminal.
    let full = stdout_of(&o);
    assert!(full.lines().next().unwrap().chars().count() > 120, "{full}");
    let json = read_json(&out.join("compare.json"));
    let from = out.to_str().unwrap();
    let mut kept = Vec::new();
    for columns in [80, 120] {
        let shown = on_a_terminal(&["compare", "--target", "0.5", "--from", from], columns);
        let table: Vec<&str> = shown.lines().take(4).collect();
        for line in &table {
            assert!(
                line.chars().count() <= columns,
                "{columns}: {line:?}\n{shown}"
            );
        }
        // Each row keeps its run's best value in full (mean ± std, 4 digits) and its status.
        for row in json["rows"].as_array().unwrap() {
            let run = row["run"].as_str().unwrap();
            let line = table.iter().find(|l| l.contains(run)).unwrap();
            let mean = row["best"]["mean"].as_f64().unwrap();
            assert!(line.contains(&format!("{mean:.4} ± ")), "{line}");
            assert!(line.ends_with("completed"), "{line}");
        }
        assert!(
            shown.contains(&format!("hidden to fit {columns} columns: ")),
            "{shown}"
        );
        kept.push(
            table[0]
                .split("  ")
                .filter(|c| !c.trim().is_empty())
                .count(),
        );
    }
    assert!(kept[1] > kept[0], "120 columns show more than 80: {kept:?}");
}

#[test]
fn ranking_by_loss_gives_unique_csv_columns_with_the_seed_count_and_epochs_csv_has_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let configs = three_configs(dir.path());
    let out = dir.path().join("cmp");
    let o = compare(&["-q", "--seeds", "2", "--metric", "loss"], &configs, &out);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let (header, rows) = read_csv(&out.join("compare.csv"));
    let unique: BTreeSet<&String> = header.iter().collect();
    assert_eq!(unique.len(), header.len(), "{header:?}");
    assert_eq!(header.iter().filter(|h| *h == "final_loss").count(), 1);
    let seeds = header.iter().position(|h| h == "seeds").unwrap();
    assert!(rows.iter().all(|r| r[seeds] == "2"), "{rows:?}");
    // The same layout as --format csv: one row per config.
    assert_eq!(rows.len(), 3);
    let o = lrtrain()
        .args(["compare", "--metric", "loss", "--format", "csv", "--from"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        stdout_of(&o),
        std::fs::read_to_string(out.join("compare.csv")).unwrap()
    );
    // epochs.csv: 3 configs × 2 seeds × 2 epochs, `run,seed` first, epochs 0-based.
    let (header, rows) = read_csv(&out.join("epochs.csv"));
    assert_eq!(header[..3], ["run", "seed", "epoch"]);
    assert_eq!(rows.len(), 12);
    let seeds: BTreeSet<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(seeds, BTreeSet::from(["1", "2"]));
    let epochs: BTreeSet<&str> = rows.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(epochs, BTreeSet::from(["0", "1"]));
    // The table, for people, counts the best epoch from 1; the CSV from 0.
    let best_epoch = read_csv(&out.join("compare.csv")).1[0][9]
        .parse::<usize>()
        .unwrap();
    let table = lrtrain()
        .args(["compare", "--metric", "loss", "--from"])
        .arg(&out)
        .output()
        .unwrap();
    let first = stdout_of(&table).lines().nth(1).unwrap().to_string();
    let cells: Vec<&str> = first.split_whitespace().collect();
    // rank run optimizer schedule mean ± std best-epoch …
    assert_eq!(cells[7], (best_epoch + 1).to_string(), "{first}");
}

/// The curves of an SVG chart: `(stroke, points)` of every polyline not in the greys of grid
/// and axes (black is a palette colour, but also the axes': those are 1 pixel wide).
fn curves(svg: &roxmltree::Document) -> Vec<(String, Vec<(f64, f64)>)> {
    svg.descendants()
        .filter(|n| n.has_tag_name("polyline") && n.attribute("stroke-width") == Some("2"))
        .map(|n| {
            let points = n
                .attribute("points")
                .unwrap()
                .split_whitespace()
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect();
            (n.attribute("stroke").unwrap().to_ascii_uppercase(), points)
        })
        .collect()
}

/// `(text, x, y)` of every text element.
fn texts_at(svg: &roxmltree::Document) -> Vec<(String, f64, f64)> {
    svg.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let at = |a| n.attribute(a).unwrap().parse().unwrap();
            (n.text().unwrap_or("").trim().to_string(), at("x"), at("y"))
        })
        .collect()
}

#[test]
fn ten_configs_get_ten_line_styles_a_legend_beside_the_plot_and_step_shaped_rates() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(repo().join("configs/synthetic_linear.toml")).unwrap();
    let configs: Vec<PathBuf> = (0..10)
        .map(|i| {
            let text = base
                .replace("epochs = 500", "epochs = 6")
                .replace("lr = 0.01", &format!("lr = 0.00{}", i + 1))
                + "\n[schedule]\nkind = \"step\"\nunit = \"epoch\"\nstep_size = 2\ngamma = 0.5\n";
            write_config(dir.path(), &format!("c{i}.toml"), &text)
        })
        .collect();
    let out = dir.path().join("cmp");
    let o = compare(&["-q"], &configs, &out);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let text = std::fs::read_to_string(out.join("lr.svg")).unwrap();
    let svg = roxmltree::Document::parse(&text).unwrap();
    let curves = curves(&svg);
    // The plot's right edge: where the solid rate curves (not dashes, not legend samples, which
    // are 2-point lines) end, at the last epoch.
    let right = curves
        .iter()
        .filter(|c| c.1.len() > 2)
        .flat_map(|c| c.1.iter().map(|p| p.0))
        .fold(f64::MIN, f64::max);
    let texts = texts_at(&svg);
    let mut styles = BTreeSet::new();
    for i in 0..10 {
        let (_, x, y) = texts.iter().find(|t| t.0 == format!("c{i}")).unwrap();
        assert!(
            *x > right,
            "legend entry c{i} at x = {x} is inside the plot (right edge {right})"
        );
        // The entry's line sample: the curve pieces at its height just left of its text.
        let sample: Vec<&(String, Vec<(f64, f64)>)> = curves
            .iter()
            .filter(|c| c.1.iter().all(|p| p.1 == *y && p.0 < *x && p.0 > right))
            .collect();
        assert!(!sample.is_empty(), "c{i}: no line sample");
        let first = &sample[0].1;
        styles.insert((
            sample[0].0.clone(),
            sample.len(),
            (first[first.len() - 1].0 - first[0].0) as i64,
        ));
    }
    assert_eq!(styles.len(), 10, "colour × dash combinations: {styles:?}");

    // Every rate is drawn as used: flat within an epoch, vertical between (no ramps), three
    // levels for a rate halved every 2 of 6 epochs.
    let solid: Vec<&Vec<(f64, f64)>> = curves
        .iter()
        .map(|c| &c.1)
        .filter(|p| p.len() > 4)
        .collect();
    assert_eq!(solid.len(), 8, "the 8 solid configs");
    for points in solid {
        for w in points.windows(2) {
            assert!(w[0].0 == w[1].0 || w[0].1 == w[1].1, "a ramp: {w:?}");
        }
        let levels: BTreeSet<i64> = points.iter().map(|p| p.1 as i64).collect();
        assert_eq!(levels.len(), 3, "{points:?}");
    }
}

/// Writes a finished run directory by hand: metrics.csv with these losses, and summary.json.
fn handmade_run(dir: &Path, losses: &[f64], status: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let mut csv = String::from("epoch,lr,loss,accuracy,val_loss,val_accuracy,grad_norm,seconds\n");
    for (e, l) in losses.iter().enumerate() {
        csv += &format!("{e},0.1,{l},,,,1,0.1\n");
    }
    std::fs::write(dir.join("metrics.csv"), csv).unwrap();
    let summary = serde_json::json!({
        "status": status,
        "total_seconds": 1.0,
        "config": {"seed": 1, "optimizer": {"kind": "sgd"}, "schedule": {"kind": "constant"}},
    });
    std::fs::write(dir.join("summary.json"), summary.to_string()).unwrap();
}

#[test]
fn a_diverged_run_does_not_flatten_the_others_and_is_marked_where_it_diverged() {
    let dir = tempfile::tempdir().unwrap();
    let runs = dir.path().join("runs");
    handmade_run(&runs.join("tame"), &[2.3, 1.2, 0.8, 0.6, 0.5], "completed");
    handmade_run(&runs.join("wild"), &[2.3, 40.0, 1e77, f64::NAN], "diverged");
    let out = dir.path().join("cmp");
    let o = lrtrain()
        .args(["compare", "-q", "--from"])
        .arg(&runs)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let text = std::fs::read_to_string(out.join("loss.svg")).unwrap();
    let svg = roxmltree::Document::parse(&text).unwrap();
    let texts = texts_at(&svg);
    // The y ticks span the tame run's 0.5 to 2.3, not 1e77.
    let ticks: Vec<f64> = texts
        .iter()
        .filter(|t| t.1 < 80.0)
        .filter_map(|t| t.0.parse::<f64>().ok())
        .collect();
    assert!(ticks.len() >= 2, "{texts:?}");
    let top = ticks.iter().copied().fold(f64::MIN, f64::max);
    assert!((2.0..10.0).contains(&top), "y axis up to {top}: {ticks:?}");
    assert!(texts.iter().any(|t| t.0 == "diverged"), "{texts:?}");
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
