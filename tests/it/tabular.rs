//! Tabular CSV data (`[data] kind = "csv"`) through `lrtrain train` and `check`.

use std::io::Write;

use crate::common::*;

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn fails(dir: &std::path::Path, config: &str) -> String {
    let cfg = write_config(dir, "bad.toml", config);
    let out = lrtrain()
        .args(["train", "--quiet", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.join("bad-run"))
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: ") && err.lines().count() == 1,
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn string_class_labels_are_listed_sorted_in_summary_json_and_learned() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "d.csv", &two_class_rows(120));
    let run = train_run(
        dir.path(),
        &csv_config(&csv, "label", "validation_split = 0.25", ""),
    );
    let summary = read_json(&run.join("summary.json"));
    assert_eq!(summary["classes"], serde_json::json!(["hi", "lo"]));
    let best = summary["best"]["value"].as_f64().unwrap();
    assert!(best >= 0.9, "validation accuracy {best}");
    let prep = read_json(&run.join("preprocessing.json"));
    assert_eq!(prep["task"], "classification");
    // colour has only text cells: one-hot with sorted levels, in its place after x.
    assert_eq!(prep["columns"][1]["kind"], "categorical");
    assert_eq!(
        prep["columns"][1]["levels"],
        serde_json::json!(["blue", "green", "red"])
    );
    assert_eq!(
        (
            prep["rows"]["train"].as_u64(),
            prep["rows"]["validation"].as_u64()
        ),
        (Some(90), Some(30))
    );
}

#[test]
fn a_missing_cell_stops_training_naming_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "d.csv", "x,y\n1,a\n2,b\nNA,a\n4,b\n");
    let err = fails(dir.path(), &csv_config(&csv, "y", "", ""));
    assert!(
        err.contains("d.csv") && err.contains("line 4, column \"x\": missing cell \"NA\""),
        "{err}"
    );
}

#[test]
fn with_missing_drop_every_spelling_of_a_missing_cell_drops_its_row_and_says_how_many() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("x,c,y\n");
    let gaps = ["", "NA", "N/A", "NaN", "nan", "null", "?"];
    for (i, g) in gaps.iter().enumerate() {
        text.push_str(&format!("{g},p,a\n{i},q,b\n{i},r,a\n"));
    }
    let csv = write(dir.path(), "d.csv", &text);
    let cfg = write_config(
        dir.path(),
        "drop.toml",
        &csv_config(&csv, "y", "missing = \"drop\"", ""),
    );
    let out = lrtrain()
        .args(["train", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("run"))
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("dropped 7 of 21 rows with a missing cell"),
        "{err}"
    );
    let prep = read_json(&dir.path().join("run/preprocessing.json"));
    assert_eq!(
        (
            prep["rows"]["dropped"].as_u64(),
            prep["rows"]["train"].as_u64()
        ),
        (Some(7), Some(14))
    );
}

#[test]
fn standardisation_is_fitted_on_the_training_rows_only() {
    let dir = tempfile::tempdir().unwrap();
    // x is 0..40 and a second column; the validation rows are a random quarter, so their mean
    // differs from the training rows' mean.
    let mut text = String::from("x,z,y\n");
    for i in 0..40 {
        text.push_str(&format!(
            "{i},{},{}\n",
            (i * i) % 7,
            if i % 2 == 0 { "e" } else { "o" }
        ));
    }
    let csv = write(dir.path(), "d.csv", &text);
    let run = train_run(
        dir.path(),
        &csv_config(&csv, "y", "standardize = true\nvalidation_split = 0.25", ""),
    );
    let prep = read_json(&run.join("preprocessing.json"));
    let val: Vec<u64> = prep["validation_lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(val.len(), 10);
    // Line L holds x = L − 2.
    let train: Vec<f64> = (2..42u64)
        .filter(|l| !val.contains(l))
        .map(|l| (l - 2) as f64)
        .collect();
    let mean = train.iter().sum::<f64>() / 30.0;
    let std = (train.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 30.0).sqrt();
    let val_mean = val.iter().map(|&l| (l - 2) as f64).sum::<f64>() / 10.0;
    assert!(
        (val_mean - mean).abs() > 0.1,
        "the split should differ: {val_mean} vs {mean}"
    );
    let got = &prep["columns"][0];
    assert!(
        (got["mean"].as_f64().unwrap() - mean).abs() < 1e-12,
        "{got}"
    );
    assert!(
        (got["std"].as_f64().unwrap() - std).abs() < 1e-12,
        "{got} (population std {std})"
    );
}

#[test]
fn auto_makes_integer_targets_with_many_values_regression_and_one_text_cell_classification() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("x,y\n");
    for i in 0..150 {
        text.push_str(&format!("{},{}\n", i as f64 / 150.0, i));
    }
    let csv = write(dir.path(), "many.csv", &text);
    let run = train_run(dir.path(), &csv_config(&csv, "y", "", ""));
    let summary = read_json(&run.join("summary.json"));
    assert!(summary.get("classes").is_none(), "{summary}");
    let (_, rows) = read_csv(&run.join("metrics.csv"));
    assert_eq!(rows[0][3], "", "regression has no accuracy");

    text.push_str("2,many\n");
    let dir2 = tempfile::tempdir().unwrap();
    let csv = write(dir2.path(), "text.csv", &text);
    let run = train_run(
        dir2.path(),
        &csv_config(&csv, "y", "", "[train]\nepochs = 1"),
    );
    let summary = read_json(&run.join("summary.json"));
    let classes = summary["classes"].as_array().unwrap();
    assert_eq!(classes.len(), 151);
    // Not all numbers: sorted by bytes ("0", "1", "10", "100", …, "many").
    assert_eq!(
        (
            classes[1].as_str(),
            classes[2].as_str(),
            classes[3].as_str()
        ),
        (Some("1"), Some("10"), Some("100"))
    );
    assert_eq!(classes[150], "many");
}

#[test]
fn a_target_column_that_does_not_exist_is_named_with_the_file_and_the_header_line() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "d.csv", "x,y\n1,2\n");
    let err = fails(dir.path(), &csv_config(&csv, "species", "", ""));
    assert!(
        err.contains("d.csv")
            && err.contains("line 1: data.target: expected a column named \"species\""),
        "{err}"
    );
}

#[test]
fn a_categorical_column_with_100000_levels_is_refused_with_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::with_capacity(2_000_000);
    text.push_str("id,x,y\n");
    for i in 0..100_000 {
        text.push_str(&format!("u{i},{},{}\n", i % 10, i % 2));
    }
    let csv = write(dir.path(), "ids.csv", &text);
    let err = fails(dir.path(), &csv_config(&csv, "y", "", ""));
    assert!(
        err.contains("ids.csv")
            && err.contains("line 1002, column \"id\": 100000 distinct levels")
            && err.contains("at most 1000 (data.max_levels"),
        "{err}"
    );
}

#[test]
fn max_levels_sets_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = std::iter::once("c,y\n".to_string())
        .chain((0..40).map(|i| format!("l{},{}\n", i % 20, i % 2)))
        .collect();
    let csv = write(dir.path(), "d.csv", &text);
    let err = fails(dir.path(), &csv_config(&csv, "y", "max_levels = 19", ""));
    assert!(
        err.contains("column \"c\": 20 distinct levels") && err.contains("at most 19"),
        "{err}"
    );
    let run = train_run(
        dir.path(),
        &csv_config(&csv, "y", "max_levels = 20", "[train]\nepochs = 1"),
    );
    assert!(run.join("params.bin").exists());
}

#[test]
fn an_all_missing_column_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "d.csv", "x,empty,y\n1,NA,a\n2,,b\n3,?,a\n");
    let err = fails(dir.path(), &csv_config(&csv, "y", "missing = \"drop\"", ""));
    assert!(
        err.contains("d.csv")
            && err.contains(
                "line 2, column \"empty\": every cell of the column is missing (lines 2 to 4)"
            ),
        "{err}"
    );
}

#[test]
fn a_gzipped_semicolon_file_with_features_and_ignore_trains() {
    let dir = tempfile::tempdir().unwrap();
    let text = two_class_rows(60)
        .replace(',', ";")
        .replace("x;", "x;junk;");
    let text: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                let (a, b) = l.split_once(';').unwrap();
                format!("{a};zz{i};{b}\n")
            }
        })
        .collect();
    let p = dir.path().join("d.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    std::fs::write(&p, gz.finish().unwrap()).unwrap();
    let run = train_run(
        dir.path(),
        &csv_config(&p, "label", "delimiter = \";\"\nignore = [\"junk\"]", ""),
    );
    let prep = read_json(&run.join("preprocessing.json"));
    let names: Vec<&str> = prep["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["x", "colour"]);
    let run2 = tempfile::tempdir().unwrap();
    let only_x = train_run(
        run2.path(),
        &csv_config(&p, "label", "delimiter = \";\"\nfeatures = [\"x\"]", ""),
    );
    assert_eq!(
        read_json(&only_x.join("preprocessing.json"))["columns"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn check_warns_when_an_mlps_feature_scales_differ_more_than_100_times() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(
        dir.path(),
        "d.csv",
        "small,big,y\n0.1,1000,a\n0.2,3000,b\n0.15,2000,a\n",
    );
    let cfg = write_config(dir.path(), "c.toml", &csv_config(&csv, "y", "", ""));
    let out = lrtrain()
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("warning: data.standardize: feature scales differ 20000×"),
        "{err}"
    );
    let cfg = write_config(
        dir.path(),
        "s.toml",
        &csv_config(&csv, "y", "standardize = true", ""),
    );
    let out = lrtrain()
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(
        !stderr_of(&out).contains("feature scales"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn a_regression_mlp_on_the_shipped_penguins_learns_body_mass() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mass");
    lrtrain()
        .args(["train", "--quiet", "--config"])
        .arg(repo().join("configs/penguins-mass.toml"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let summary = read_json(&out.join("summary.json"));
    let mse = summary["final"]["val_loss"].as_f64().unwrap();
    // The body mass has a standard deviation of about 800 g; a useful model is far below that.
    assert!(mse.sqrt() < 400.0, "validation RMSE {} g", mse.sqrt());
}

#[test]
fn the_shipped_penguins_config_classifies_the_species() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    lrtrain()
        .args(["train", "--quiet", "--config"])
        .arg(repo().join("configs/penguins.toml"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(
        summary["classes"],
        serde_json::json!(["Adelie", "Chinstrap", "Gentoo"])
    );
    let acc = summary["final"]["val_accuracy"].as_f64().unwrap();
    assert!(acc >= 0.95, "validation accuracy {acc}");
    let prep = read_json(&out.join("preprocessing.json"));
    assert_eq!(prep["rows"]["dropped"], 11);
}
