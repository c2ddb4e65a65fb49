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

/// The shipped penguins file with `extra` columns appended to every row (header, value).
fn penguins_with(dir: &std::path::Path, extra: &[(&str, &str)]) -> std::path::PathBuf {
    let text = std::fs::read_to_string(repo().join("data/penguins/penguins.csv")).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        out.push_str(line);
        for (name, value) in extra {
            out.push(',');
            out.push_str(if i == 0 { name } else { value });
        }
        out.push('\n');
    }
    write(dir, "penguins.csv", &out)
}

/// configs/penguins.toml on another file.
fn penguins_config(csv: &std::path::Path) -> String {
    let shipped = std::fs::read_to_string(repo().join("configs/penguins.toml")).unwrap();
    shipped.replace(
        "path = \"../data/penguins/penguins.csv\"",
        &format!("path = \"{}\"", csv.display()),
    )
}

#[test]
fn a_constant_column_is_standardised_to_zero_so_a_tiny_change_at_predict_changes_nothing() {
    // The naive mean of 0.1 over the training rows is off by an ulp, which used to leave a
    // standard deviation of 3e-16: 0.1000001 at predict time then stood 3e8 deviations out.
    let dir = tempfile::tempdir().unwrap();
    let csv = penguins_with(dir.path(), &[("c", "0.1"), ("big", "12345.678")]);
    let run = train_run(dir.path(), &penguins_config(&csv));
    let prep = read_json(&run.join("preprocessing.json"));
    for (name, value) in [("c", 0.1), ("big", 12345.678)] {
        let column = prep["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap();
        assert_eq!(
            (column["mean"].as_f64(), column["std"].as_f64()),
            (Some(value), Some(1.0)),
            "{name}"
        );
    }
    let rows = "island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,c,big\nTorgersen,39.1,18.7,181,3750,male,C,12345.678\nBiscoe,46.5,14.8,217,5200,female,C,12345.678\nDream,49.0,19.5,210,3950,male,C,12345.678\n";
    let predict = |c: &str| {
        let file = write(
            dir.path(),
            "new.csv",
            &rows.replace(",C,", &format!(",{c},")),
        );
        let o = lrtrain()
            .args(["predict", "--proba", "--run"])
            .arg(&run)
            .arg("--csv")
            .arg(&file)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr_of(&o));
        String::from_utf8(o.stdout).unwrap()
    };
    let (exact, nudged) = (predict("0.1"), predict("0.1000001"));
    let cells = |t: &str| -> Vec<Vec<String>> {
        t.lines()
            .skip(1)
            .map(|l| l.split(',').map(String::from).collect())
            .collect()
    };
    for (a, b) in cells(&exact).iter().zip(cells(&nudged).iter()) {
        assert_eq!(a[0], b[0], "{exact}\n{nudged}");
        for (p, q) in a[1..].iter().zip(&b[1..]) {
            let (p, q): (f64, f64) = (p.parse().unwrap(), q.parse().unwrap());
            assert!((p - q).abs() < 1e-5, "{exact}\n{nudged}");
        }
    }
}

/// Rows of two numeric features and a class, the numbers written with `decimal` and the fields
/// separated by `sep`.
fn decimal_rows(sep: char, decimal: char) -> String {
    let mut s = format!("x{sep}z{sep}label\n");
    for i in 0..80 {
        let x = (i as f64 * 0.37).sin() * 3.0;
        let z = (i as f64 * 0.11).cos() * 1.5;
        let label = if x + 0.3 * z > 0.0 { "yes" } else { "no" };
        let (x, z) = (format!("{x:.4}"), format!("{z:.3}"));
        let w = |v: String| v.replace('.', &decimal.to_string());
        s.push_str(&format!("{}{sep}{}{sep}{label}\n", w(x), w(z)));
    }
    s
}

#[test]
fn a_file_with_decimal_commas_reads_as_numbers_with_decimal_comma_and_trains_as_its_point_twin() {
    let dir = tempfile::tempdir().unwrap();
    let point = write(dir.path(), "point.csv", &decimal_rows(',', '.'));
    let comma = write(dir.path(), "comma.csv", &decimal_rows(';', ','));
    // Without the key: refused, naming the line, the column and the key that reads it.
    let err = fails(
        dir.path(),
        &csv_config(&comma, "label", "delimiter = \";\"", ""),
    );
    assert!(
        err.contains("line 2, column \"x\": ")
            && err.contains("is a number with a decimal comma; data.decimal = \",\" reads it"),
        "{err}"
    );
    let a = train_run(
        &{
            let d = dir.path().join("a");
            std::fs::create_dir_all(&d).unwrap();
            d
        },
        &csv_config(&point, "label", "validation_split = 0.25", ""),
    );
    let b = train_run(
        &{
            let d = dir.path().join("b");
            std::fs::create_dir_all(&d).unwrap();
            d
        },
        &csv_config(
            &comma,
            "label",
            "validation_split = 0.25\ndelimiter = \";\"\ndecimal = \",\"",
            "",
        ),
    );
    let prep = read_json(&b.join("preprocessing.json"));
    assert_eq!(prep["columns"][0]["kind"], "numeric");
    assert_eq!(prep["columns"][1]["kind"], "numeric");
    assert_eq!(prep["decimal"], ",");
    let strip = |run: &std::path::Path| -> Vec<String> {
        let (_, rows) = read_csv(&run.join("metrics.csv"));
        rows.iter().map(|r| r[..7].join(",")).collect()
    };
    assert_eq!(strip(&a), strip(&b));
    // eval and predict read the run's decimal mark.
    let o = lrtrain()
        .args(["eval", "--run"])
        .arg(&b)
        .arg("--csv")
        .arg(&comma)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    // A decimal comma beside a comma delimiter is refused before the file is read.
    let err = fails(
        dir.path(),
        &csv_config(&comma, "label", "decimal = \",\"", ""),
    );
    assert!(
        err.contains("data.decimal: \",\" is also the field delimiter"),
        "{err}"
    );
}

#[test]
fn numbers_written_another_way_are_refused_with_a_hint_never_one_hot_encoded() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // Thousands separators (quoted in a comma-separated file).
        (
            "x,label\n\"1,234.5\",a\n\"2,345.0\",b\n\"3,001.25\",a\n",
            "",
            "line 2, column \"x\": \"1,234.5\" is a number with thousands separators",
        ),
        // One decimal comma in a column of numbers.
        (
            "x,label\n1.5,a\n\"2,5\",b\n3,a\n",
            "",
            "line 3, column \"x\": expected a number: \"2,5\" is a number with a decimal comma",
        ),
        // A regression-looking target with decimal commas is no class name.
        (
            "x;y\n1;1,5\n2;2,25\n3;0,5\n",
            "delimiter = \";\"",
            "line 2, column \"y\": \"1,5\" is a number with a decimal comma",
        ),
        // A decimal point in a decimal-comma file.
        (
            "x;label\n1,5;a\n2.5;b\n3;a\n",
            "delimiter = \";\"\ndecimal = \",\"",
            "line 3, column \"x\": expected a number: \"2.5\" is a number with a decimal point, but data.decimal = \",\"",
        ),
    ];
    for (i, (text, keys, want)) in cases.iter().enumerate() {
        let csv = write(dir.path(), &format!("d{i}.csv"), text);
        let target = if text.contains("y\n") { "y" } else { "label" };
        let err = fails(dir.path(), &csv_config(&csv, target, keys, ""));
        assert!(err.contains(want), "{text}\n{err}");
    }
    // Listed in data.categorical, the cells are text on purpose.
    let csv = write(
        dir.path(),
        "listed.csv",
        "x,label\n\"1,5\",a\n\"2,5\",b\n\"1,5\",b\n\"2,5\",a\n",
    );
    let cfg = write_config(
        dir.path(),
        "listed.toml",
        &csv_config(&csv, "label", "categorical = [\"x\"]", ""),
    );
    lrtrain()
        .args(["check", "--config"])
        .arg(&cfg)
        .assert()
        .success();
}

#[test]
fn a_categorical_column_with_very_many_levels_for_its_rows_gets_one_warning_line() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = (0..40)
        .map(|i| format!("id{i},{},{}\n", i % 5, ["a", "b"][i % 2]))
        .collect();
    let csv = write(dir.path(), "d.csv", &format!("id,x,label\n{rows}"));
    let cfg = write_config(dir.path(), "c.toml", &csv_config(&csv, "label", "", ""));
    let o = lrtrain()
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let err = stderr_of(&o);
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("levels in")).collect();
    assert_eq!(
        lines,
        [
            "warning: column \"id\": 40 levels in 40 training rows, one input each; most levels are too rare to learn from (a column of identifiers is better left out with data.ignore)"
        ],
        "{err}"
    );
}

#[test]
fn every_csv_key_that_names_the_target_or_a_column_twice_is_refused_naming_key_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "d.csv", &two_class_rows(30));
    for (keys, want) in [
        (
            "ignore = [\"label\"]",
            "data.ignore: lists the target column \"label\"",
        ),
        (
            "features = [\"label\", \"x\"]",
            "data.features: lists the target column \"label\"",
        ),
        (
            "categorical = [\"label\"]",
            "data.categorical: lists the target column \"label\"",
        ),
        (
            "features = [\"x\", \"x\"]",
            "data.features: lists column \"x\" twice",
        ),
        (
            "ignore = [\"colour\", \"colour\"]",
            "data.ignore: lists column \"colour\" twice",
        ),
        (
            "categorical = [\"colour\", \"colour\"]",
            "data.categorical: lists column \"colour\" twice",
        ),
        (
            "features = [\"x\"]\nignore = [\"x\"]",
            "data.ignore: lists column \"x\", which data.features also lists",
        ),
        (
            "categorical = [\"colour\"]\nignore = [\"colour\"]",
            "data.ignore: lists column \"colour\", which data.categorical also lists",
        ),
        (
            "features = [\"\"]",
            "data.features: expected column names, found \"\"",
        ),
        (
            "ignore = [\"x\", \"colour\"]",
            "data.ignore: expected at least one feature column besides the target \"label\"",
        ),
        (
            "ignore = [\"nope\"]",
            "data.ignore: expected a column named \"nope\"",
        ),
    ] {
        let err = fails(dir.path(), &csv_config(&csv, "label", keys, ""));
        assert!(err.contains(want), "{keys}\n{err}");
    }
}

#[test]
fn a_header_with_a_repeated_or_empty_name_is_refused_naming_the_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    for (header, want) in [
        (
            "x,x,label",
            "line 1, column \"x\": names columns 1 and 2; expected each name once",
        ),
        ("x,,label", "line 1: column 2 has an empty name"),
    ] {
        let csv = write(
            dir.path(),
            "d.csv",
            &format!("{header}\n1,2,a\n3,4,b\n5,6,a\n"),
        );
        let err = fails(dir.path(), &csv_config(&csv, "label", "", ""));
        assert!(err.contains(want) && err.contains("d.csv"), "{err}");
        assert!(!err.contains("the run's model needs"), "{err}");
    }
}

#[test]
fn class_labels_that_are_one_number_written_two_ways_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "d.csv", "x,label\n1,1\n2,1.0\n3,2\n4,2\n");
    let err = fails(
        dir.path(),
        &csv_config(&csv, "label", "task = \"classification\"", ""),
    );
    assert!(
        err.contains("column \"label\": \"1\" and \"1.0\" are the same number written two ways"),
        "{err}"
    );
}
