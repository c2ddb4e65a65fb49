//! Which rows of `compare` and `sweep` can lead: one rule decides a row's standing in the
//! table, the JSON's `winner`, the statistics (leader, tests, verdicts), the last line and
//! `--require`. Only a row whose every seed completed can lead or be tested; every other row is
//! ranked after those, `not tested`, and labelled with what it is.

use std::path::{Path, PathBuf};

use crate::common::*;

/// A run directory written by hand: one metrics.csv row per value of `val_acc` (NaN: the
/// epoch where the loss blew up), and a summary.json with `status`.
fn run_dir(dir: &Path, seed: u64, status: &str, val_acc: &[f64]) {
    std::fs::create_dir_all(dir).unwrap();
    let mut csv = String::from("epoch,lr,loss,accuracy,val_loss,val_accuracy,grad_norm,seconds\n");
    for (e, a) in val_acc.iter().enumerate() {
        let loss = 1.0 - a;
        csv += &format!("{e},0.1,{loss},{a},{loss},{a},1,0.25\n");
    }
    std::fs::write(dir.join("metrics.csv"), csv).unwrap();
    let summary = serde_json::json!({
        "status": status,
        "total_seconds": 1.0,
        "config": {"seed": seed, "optimizer": {"kind": "sgd"}, "schedule": {"kind": "constant"}},
    });
    std::fs::write(dir.join("summary.json"), summary.to_string()).unwrap();
}

/// A seeded config's directory `root/name/seed-<s>/` for each `(seed, status, values)`.
fn config_dir(root: &Path, name: &str, runs: &[(u64, &str, &[f64])]) {
    for (seed, status, values) in runs {
        run_dir(
            &root.join(name).join(format!("seed-{seed}")),
            *seed,
            status,
            values,
        );
    }
}

/// `lrtrain compare --from DIR EXTRA…`.
fn compare_from(dir: &Path, extra: &[&str]) -> std::process::Output {
    lrtrain()
        .args(["compare", "--from"])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap()
}

fn stdout_of(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The table's line of the row named `run` (the run column is the second).
fn line_of<'a>(table: &'a str, run: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(run))
        .unwrap_or_else(|| panic!("no row {run}: {table}"))
}

/// The JSON row named `run`.
fn json_row<'a>(table: &'a serde_json::Value, run: &str) -> &'a serde_json::Value {
    table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["run"] == run)
        .unwrap_or_else(|| panic!("no row {run}: {table}"))
}

#[test]
fn a_config_that_diverged_on_4_of_6_seeds_ranks_after_one_that_completed_and_never_leads_however_good_its_2_survivors()
 {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("runs");
    let wild: Vec<(u64, &str, &[f64])> = (1..=6)
        .map(|s| match s {
            1 | 2 => (s, "completed", &[0.99][..]),
            _ => (s, "diverged", &[0.99, f64::NAN][..]),
        })
        .collect();
    config_dir(&root, "lr=60", &wild);
    let tame: Vec<(u64, &str, &[f64])> = (1..=6)
        .map(|s| (s, "completed", &[0.90, 0.91][..]))
        .collect();
    config_dir(&root, "lr=0.0005", &tame);

    let o = compare_from(&root, &[]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let table = stdout_of(&o);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[1].contains("lr=0.0005"), "{table}");
    assert!(
        lines[1].trim_end().ends_with("leader      completed"),
        "{table}"
    );
    assert!(
        line_of(&table, "lr=60")
            .trim_end()
            .ends_with("not tested  diverged 4/6"),
        "{table}"
    );
    assert_eq!(
        lines.last().unwrap(),
        &"lr=0.0005 leads; not tested: lr=60 (diverged 4/6); mean of 6 seeds"
    );

    let o = compare_from(&root, &["--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["winner"]["run"], "lr=0.0005");
    assert_eq!(json["rows"][0]["vs_leader"]["verdict"], "leader");
    let wild = json_row(&json, "lr=60");
    assert_eq!(wild["status"], "diverged");
    assert_eq!(wild["rank"], 2);
    assert_eq!(
        wild["vs_leader"],
        serde_json::json!({
            "diff": null, "diff_ci95": null, "p_value": null, "p_holm": null,
            "prob_better": null, "seeds_needed": null, "verdict": "not tested"
        })
    );
    assert!(
        json["summary"]
            .as_str()
            .unwrap()
            .starts_with("lr=0.0005 leads"),
        "{json}"
    );

    // The charts name it the same way.
    let files = dir.path().join("cmp");
    let o = compare_from(&root, &["--quiet", "--out", files.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let svg = std::fs::read_to_string(files.join("accuracy.svg")).unwrap();
    let texts: Vec<&str> = svg.lines().map(str::trim).collect();
    assert!(texts.contains(&"lr=60 (diverged 4/6)"), "{svg}");
    assert!(texts.contains(&"lr=0.0005"), "{svg}");

    let o = compare_from(&root, &["--format", "csv"]);
    let text = stdout_of(&o);
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let verdict = header.iter().position(|h| *h == "verdict").unwrap();
    let cells: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(cells[0][verdict], "leader");
    assert_eq!(cells[1][verdict], "not tested");
}

#[test]
fn rows_that_diverged_on_every_seed_are_running_or_average_interrupted_seeds_say_what_they_are_never_single_seed()
 {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("runs");
    let good: &[f64] = &[0.80, 0.85];
    let great: &[f64] = &[0.95, 0.99];
    config_dir(
        &root,
        "tame",
        &[
            (1, "completed", good),
            (2, "completed", good),
            (3, "completed", good),
        ],
    );
    let blown: &[f64] = &[0.5, f64::NAN];
    config_dir(
        &root,
        "dead",
        &[
            (1, "diverged", blown),
            (2, "diverged", blown),
            (3, "diverged", blown),
        ],
    );
    // The best values of all, but a seed still training: it cannot lead.
    config_dir(
        &root,
        "busy",
        &[(1, "completed", great), (2, "running", great)],
    );
    config_dir(
        &root,
        "half",
        &[
            (1, "completed", great),
            (2, "completed", great),
            (3, "interrupted", great),
        ],
    );
    config_dir(
        &root,
        "cut",
        &[(1, "interrupted", great), (2, "interrupted", great)],
    );

    let o = compare_from(&root, &[]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let table = stdout_of(&o);
    assert!(!table.contains("single seed"), "{table}");
    let tame = line_of(&table, "tame");
    assert!(tame.trim_start().starts_with("1 "), "{table}");
    assert!(
        tame.trim_end().ends_with("leader      completed"),
        "{table}"
    );
    for (run, label) in [
        ("dead", "diverged 3/3"),
        ("busy", "running"),
        ("half", "2 of 3 seeds"),
        ("cut", "0 of 2 seeds"),
    ] {
        let line = line_of(&table, run);
        assert!(
            line.trim_end().ends_with(&format!("not tested  {label}")),
            "{run}: {table}"
        );
    }
    assert!(
        table.trim_end().ends_with(
            "tame leads; not tested: busy (running), cut (0 of 2 seeds), half (2 of 3 seeds), \
             dead (diverged 3/3); mean of 3 seeds"
        ),
        "{table}"
    );

    let o = compare_from(&root, &["--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["winner"]["run"], "tame");
    assert_eq!(json["winner"]["runner_up"], serde_json::Value::Null);
    for (run, status) in [
        ("dead", "diverged"),
        ("busy", "running"),
        ("half", "interrupted"),
        ("cut", "interrupted"),
    ] {
        let row = json_row(&json, run);
        assert_eq!(row["status"], status, "{run}");
        assert_eq!(row["vs_leader"]["verdict"], "not tested", "{run}");
    }

    // --require checks the leader, never a row that cannot lead.
    let o = compare_from(&root, &["--require", "val_accuracy>=0.9"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr_of(&o));
    assert!(stderr_of(&o).contains("best run tame"), "{}", stderr_of(&o));
}

#[test]
fn with_no_row_whose_every_seed_completed_nothing_leads_and_require_misses() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("runs");
    let blown: &[f64] = &[0.5, f64::NAN];
    let great: &[f64] = &[0.95, 0.99];
    config_dir(
        &root,
        "dead",
        &[(1, "diverged", blown), (2, "diverged", blown)],
    );
    config_dir(
        &root,
        "busy",
        &[(1, "completed", great), (2, "running", great)],
    );
    let o = compare_from(&root, &["--require", "val_accuracy>=0.5"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr_of(&o));
    let err = stderr_of(&o);
    assert!(err.contains("no config completed every seed"), "{err}");
    let table = stdout_of(&o);
    assert!(!table.contains("leader"), "{table}");
    assert!(
        table.trim_end().ends_with(
            "no config completed every seed with a value of the metric; not tested: busy (running), dead (diverged 2/2)"
        ),
        "{table}"
    );
    let o = compare_from(&root, &["--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["winner"], serde_json::Value::Null);
}

#[test]
fn compare_from_a_3_seed_and_a_5_seed_config_names_each_rows_own_seed_count() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("runs");
    let three: Vec<(u64, &str, &[f64])> = (1..=3)
        .map(|s| (s, "completed", &[0.95, 0.96][..]))
        .collect();
    config_dir(&root, "a", &three);
    let five: Vec<(u64, &str, &[f64])> = (1..=5)
        .map(|s| (s, "completed", &[0.80, 0.85][..]))
        .collect();
    config_dir(&root, "b", &five);
    let o = compare_from(&root, &[]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let table = stdout_of(&o);
    assert!(
        table
            .trim_end()
            .ends_with("a is best; mean of 3 seeds (5 for b)"),
        "{table}"
    );
    // The leader with 5 seeds, the other with 3: each row still its own count.
    let root = dir.path().join("swapped");
    config_dir(&root, "a", &five);
    config_dir(&root, "b", &three);
    let table = stdout_of(&compare_from(&root, &[]));
    assert!(
        table
            .trim_end()
            .ends_with("b is best; mean of 3 seeds (5 for a)"),
        "{table}"
    );
}

/// A small MNIST base config: 784-16-10, SGD, constant rate, `epochs` epochs of batch 64.
fn base(dir: &Path, epochs: usize) -> PathBuf {
    write_config(
        dir,
        "base.toml",
        &mnist_config(&format!(
            "[model]\nkind = \"mlp\"\nhidden = [16]\n\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n\n[schedule]\nkind = \"constant\"\n\n[train]\nepochs = {epochs}\nbatch_size = 64\n"
        )),
    )
}

/// `lrtrain sweep SWEEP --out OUT EXTRA…`.
fn sweep_to(sweep_file: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    lrtrain()
        .arg("sweep")
        .arg(sweep_file)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_sweep_over_lr_0_0005_and_1e9_with_6_seeds_never_makes_the_rate_that_diverged_on_some_seeds_winner_or_leader()
 {
    let dir = tempfile::tempdir().unwrap();
    base(dir.path(), 2);
    // On this tiny network 1e9 diverges on 5 of the 6 seeds; one survives.
    let s = write_config(
        dir.path(),
        "s.toml",
        "base = \"base.toml\"\nseeds = 6\nmetric = \"val_accuracy\"\n[grid]\n\"optimizer.lr\" = [0.0005, 1e9]\n",
    );
    let out = dir.path().join("out");
    let o = sweep_to(&s, &out, &["--jobs", "2", "--quiet"]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let m = read_json(&out.join("sweep.json"));
    let wild = "lr=1000000000";
    let trial = m["trials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == wild)
        .unwrap();
    let diverged = trial["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "diverged")
        .count();
    assert!(diverged >= 1, "{trial}");

    let table = stdout_of(&o);
    let label = format!("diverged {diverged}/6");
    let line = line_of(&table, wild);
    assert!(line.trim_start().starts_with("2 "), "{table}");
    assert!(
        line.trim_end().ends_with(&format!("not tested  {label}")),
        "{table}"
    );
    let last = table.lines().last().unwrap();
    assert!(last.starts_with("lr=0.0005 "), "{table}");
    assert!(
        last.ends_with(&format!("not tested: {wild} ({label}); mean of 6 seeds")),
        "{table}"
    );

    assert_eq!(m["table"]["winner"]["run"], "lr=0.0005");
    assert_eq!(m["table"]["rows"][0]["vs_leader"]["verdict"], "leader");
    let row = json_row(&m["table"], wild);
    assert_eq!(row["status"], "diverged");
    assert_eq!(row["diverged"], diverged);
    assert_eq!(row["vs_leader"]["verdict"], "not tested");
    assert!(row["vs_leader"]["p_value"].is_null());
}

#[test]
fn a_sweep_seed_another_process_holds_before_writing_anything_makes_its_trial_running_never_completed()
 {
    let dir = tempfile::tempdir().unwrap();
    base(dir.path(), 1);
    let s = write_config(
        dir.path(),
        "s.toml",
        "base = \"base.toml\"\nseeds = 3\nmetric = \"val_accuracy\"\n[grid]\n\"optimizer.lr\" = [0.05, 0.1]\n",
    );
    let out = dir.path().join("out");
    // What a second identical sweep does to the first: it holds seed 3's directory (locked,
    // nothing written yet) while this one ranks.
    let held = out.join("lr=0.1").join("seed-3");
    std::fs::create_dir_all(&held).unwrap();
    let lock = std::fs::File::open(&held).unwrap();
    lock.try_lock().unwrap();

    let o = sweep_to(&s, &out, &["--quiet"]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let table = stdout_of(&o);
    let busy = line_of(&table, "lr=0.1");
    assert!(busy.trim_start().starts_with("2 "), "{table}");
    assert!(busy.trim_end().ends_with("not tested  running"), "{table}");
    assert!(
        table
            .trim_end()
            .ends_with("lr=0.05 leads; not tested: lr=0.1 (running); mean of 3 seeds"),
        "{table}"
    );
    let m = read_json(&out.join("sweep.json"));
    let row = json_row(&m["table"], "lr=0.1");
    assert_eq!(row["status"], "running");
    assert_eq!(row["seeds"], serde_json::json!([1, 2, 3]));
    assert_eq!(row["best"]["values"][2], serde_json::Value::Null);
    assert_eq!(m["table"]["winner"]["run"], "lr=0.05");
    let trial = m["trials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "lr=0.1")
        .unwrap();
    assert_eq!(trial["runs"][2]["status"], "running");

    // compare --from the OUT while the seed is held: the same rows and last line.
    let from = stdout_of(&compare_from(&out, &[]));
    let rows = |t: &str| -> Vec<String> {
        t.lines()
            .skip(1)
            .take_while(|l| !l.is_empty())
            .map(String::from)
            .collect()
    };
    assert_eq!(rows(&from), rows(&table), "{from}\n{table}");
    assert_eq!(from.lines().last(), table.lines().last(), "{from}");

    // Released: the next sweep trains the seed, and the trial completes over its 3 seeds.
    drop(lock);
    let o = sweep_to(&s, &out, &["--quiet"]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let table = stdout_of(&o);
    assert!(!table.contains("not tested"), "{table}");
    assert!(table.trim_end().ends_with("; mean of 3 seeds"), "{table}");
    assert!(line_of(&table, "lr=0.1").trim_end().ends_with("completed"));
}

#[test]
fn compare_from_a_sweep_with_a_seed_missing_shows_the_trial_as_2_of_3_seeds_not_completed() {
    let dir = tempfile::tempdir().unwrap();
    base(dir.path(), 1);
    let s = write_config(
        dir.path(),
        "s.toml",
        "base = \"base.toml\"\nseeds = 3\nmetric = \"val_accuracy\"\n[grid]\n\"optimizer.lr\" = [0.05, 0.1]\n",
    );
    let out = dir.path().join("out");
    assert!(sweep_to(&s, &out, &["--quiet"]).status.success());
    // A seed whose run is gone (removed, or never written by a process that died at once).
    std::fs::remove_dir_all(out.join("lr=0.1").join("seed-2")).unwrap();
    let table = stdout_of(&compare_from(&out, &[]));
    let line = line_of(&table, "lr=0.1");
    assert!(
        line.trim_end().ends_with("not tested  2 of 3 seeds"),
        "{table}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&compare_from(&out, &["--format", "json"]).stdout).unwrap();
    assert_eq!(json_row(&json, "lr=0.1")["status"], "pending");
    assert_eq!(json["winner"]["run"], "lr=0.05");
}

#[test]
fn halving_ranks_pruned_trials_after_the_survivor_labelled_with_their_rung_and_untested() {
    let dir = tempfile::tempdir().unwrap();
    base(dir.path(), 4);
    let s = write_config(
        dir.path(),
        "h.toml",
        "base = \"base.toml\"\nseeds = [1, 2]\nmetric = \"val_loss\"\n\n[grid]\n\"optimizer.lr\" = [1e-6, 0.1, 1e-5, 0.05]\n\n[prune]\nkind = \"halving\"\nmin_epochs = 1\neta = 2\n",
    );
    let out = dir.path().join("out");
    let o = sweep_to(&s, &out, &["--jobs", "2", "--quiet"]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let table = stdout_of(&o);
    assert!(!table.contains("single seed"), "{table}");
    let first = table.lines().nth(1).unwrap();
    assert!(first.contains("lr=0.1 "), "{table}");
    assert!(
        first.trim_end().ends_with("leader      completed"),
        "{table}"
    );
    assert!(
        line_of(&table, "lr=0.05")
            .trim_end()
            .ends_with("not tested  pruned at epoch 2"),
        "{table}"
    );
    for run in ["lr=0.000001", "lr=0.00001"] {
        assert!(
            line_of(&table, run)
                .trim_end()
                .ends_with("not tested  pruned at epoch 1"),
            "{table}"
        );
    }
    let m = read_json(&out.join("sweep.json"));
    assert_eq!(json_row(&m["table"], "lr=0.05")["status"], "pruned");
    // compare --from the OUT shows the sweep's own standing (sweep.json says who was pruned).
    let from = stdout_of(&compare_from(&out, &[]));
    assert!(
        line_of(&from, "lr=0.05")
            .trim_end()
            .ends_with("not tested  pruned at epoch 2"),
        "{from}"
    );
    assert_eq!(from.lines().last(), table.lines().last(), "{from}");
}

#[test]
fn halving_refuses_to_decide_a_rung_while_another_process_trains_one_of_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    base(dir.path(), 2);
    let s = write_config(
        dir.path(),
        "h.toml",
        "base = \"base.toml\"\nseeds = [1, 2]\nmetric = \"val_loss\"\n\n[grid]\n\"optimizer.lr\" = [0.1, 0.05]\n\n[prune]\nkind = \"halving\"\nmin_epochs = 1\neta = 2\n",
    );
    let out = dir.path().join("out");
    let held = out.join("lr=0.05").join("seed-2");
    std::fs::create_dir_all(&held).unwrap();
    let lock = std::fs::File::open(&held).unwrap();
    lock.try_lock().unwrap();
    let o = sweep_to(&s, &out, &["--quiet"]);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("seed-2: another process is training this run"),
        "{err}"
    );
    assert!(err.contains("[prune]"), "{err}");
    let m = read_json(&out.join("sweep.json"));
    assert!(
        !m.to_string().contains("\"pruned\""),
        "nothing pruned from partial evidence: {m}"
    );
    drop(lock);
    let o = sweep_to(&s, &out, &["--quiet"]);
    assert!(o.status.success(), "{}", stderr_of(&o));
}
