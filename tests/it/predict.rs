//! `lrtrain predict` on CSV runs, through the binary.

use std::path::{Path, PathBuf};

use crate::common::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn predict(run: &Path, csv: &Path, extra: &[&str]) -> std::process::Output {
    lrtrain()
        .args(["predict", "--run"])
        .arg(run)
        .arg("--csv")
        .arg(csv)
        .args(extra)
        .output()
        .unwrap()
}

/// CSV text into rows of cells (no quoting in these files).
fn rows_of(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect()
}

#[test]
fn predictions_agree_with_evals_accuracy_on_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "train.csv", &two_class_rows(120));
    let run = train_run(
        dir.path(),
        &csv_config(&train, "label", "", "[train]\nepochs = 3"),
    );
    // Other rows, labelled, some of which the model gets wrong after 3 epochs or not.
    let text: String = two_class_rows(200)
        .lines()
        .skip(121)
        .map(|l| format!("{l}\n"))
        .collect();
    let test = write(dir.path(), "test.csv", &format!("x,colour,label\n{text}"));
    let out = predict(&run, &test, &[]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let rows = rows_of(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows[0], ["prediction"]);
    let labels: Vec<String> = rows_of(&text).into_iter().map(|r| r[2].clone()).collect();
    assert_eq!(rows.len() - 1, labels.len(), "one output row per input row");
    let right = rows[1..]
        .iter()
        .zip(&labels)
        .filter(|(p, l)| &p[0] == *l)
        .count();
    let eval = lrtrain()
        .args(["eval", "--run"])
        .arg(&run)
        .arg("--csv")
        .arg(&test)
        .output()
        .unwrap();
    assert!(eval.status.success(), "{}", stderr_of(&eval));
    let line = String::from_utf8(eval.stdout).unwrap();
    let acc: f64 = line
        .trim()
        .split(',')
        .find_map(|kv| kv.strip_prefix("accuracy="))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(acc, right as f64 / labels.len() as f64, "{line}");
}

#[test]
fn proba_gives_one_column_per_class_and_rows_that_sum_to_one() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "train.csv", &two_class_rows(90));
    let run = train_run(dir.path(), &csv_config(&train, "label", "", ""));
    let out = predict(&run, &train, &["--proba"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let rows = rows_of(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows[0], ["prediction", "p_hi", "p_lo"]);
    assert_eq!(rows.len(), 91);
    for r in &rows[1..] {
        let p: Vec<f64> = r[1..].iter().map(|v| v.parse().unwrap()).collect();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-6, "{r:?}");
        let best = if p[0] >= p[1] { "hi" } else { "lo" };
        assert_eq!(r[0], best, "{r:?}");
    }
}

#[test]
fn a_level_unseen_in_training_predicts_from_an_all_zero_one_hot_block() {
    let dir = tempfile::tempdir().unwrap();
    // Softmax regression (hidden = []) on one categorical column: with an unseen level every
    // input is 0, so the probabilities are the softmax of the bias alone.
    let train = write(
        dir.path(),
        "train.csv",
        "c,y\nred,a\nred,a\nblue,b\nblue,b\ngreen,a\n",
    );
    let run = train_run(
        dir.path(),
        &csv_config(&train, "y", "", "[model]\nkind = \"mlp\"\nhidden = []"),
    );
    let new = write(dir.path(), "new.csv", "c\npurple\nred\n");
    let out = predict(&run, &new, &["--proba"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let rows = rows_of(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows.len(), 3);
    let model = dir.path().join("m.safetensors");
    lrtrain()
        .args(["export", "--run"])
        .arg(&run)
        .args(["--format", "safetensors", "--out"])
        .arg(&model)
        .assert()
        .success();
    let bytes = std::fs::read(&model).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let b: Vec<f32> = st
        .tensor("0.bias")
        .unwrap()
        .data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let e: Vec<f64> = b.iter().map(|&v| (v as f64).exp()).collect();
    let pa = e[0] / (e[0] + e[1]);
    let got: f64 = rows[1][1].parse().unwrap();
    assert!((got - pa).abs() < 1e-6, "p_a {got} vs softmax(bias) {pa}");
    // A known level moves the probabilities away from the bias-only ones.
    let red: f64 = rows[2][1].parse().unwrap();
    assert!(
        (red - pa).abs() > 1e-3 && rows[2][0] == "a",
        "{:?}",
        rows[2]
    );
}

#[test]
fn a_row_with_a_missing_cell_gets_an_empty_prediction_and_one_note() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "train.csv", &two_class_rows(60));
    let run = train_run(
        dir.path(),
        &csv_config(&train, "label", "", "[train]\nepochs = 2"),
    );
    let new = write(
        dir.path(),
        "new.csv",
        "x,colour\n1,red\nNA,blue\n-1,?\n2,green\n",
    );
    let out = predict(&run, &new, &["--proba"]);
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(
            "2 row(s) with a missing cell get an empty prediction (the first: line 3, column \"x\")"
        ),
        "{err}"
    );
    let rows = rows_of(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[2], ["", "", ""]);
    assert_eq!(rows[3], ["", "", ""]);
    assert!(!rows[1][0].is_empty() && !rows[4][0].is_empty());
}

#[test]
fn extra_columns_are_ignored_and_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "train.csv", &two_class_rows(60));
    let run = train_run(
        dir.path(),
        &csv_config(&train, "label", "", "[train]\nepochs = 2"),
    );
    let new = write(
        dir.path(),
        "new.csv",
        "note,x,colour,id\nhello,1,red,7\nbye,-1,blue,8\n",
    );
    let out = predict(&run, &new, &[]);
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(err.matches("ignoring columns").count(), 1, "{err}");
    assert!(err.contains("\"note\", \"id\""), "{err}");
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 3);
}

#[test]
fn a_file_without_a_feature_column_is_refused_naming_file_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "train.csv", &two_class_rows(60));
    let run = train_run(
        dir.path(),
        &csv_config(&train, "label", "", "[train]\nepochs = 1"),
    );
    let new = write(dir.path(), "new.csv", "x,label\n1,hi\n");
    let out = predict(&run, &new, &[]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: ")
            && err.contains(
                "new.csv: line 1, column \"colour\": the run's model needs this feature column"
            ),
        "{err}"
    );
}

#[test]
fn a_text_cell_in_a_numeric_column_is_refused_naming_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "train.csv", &two_class_rows(60));
    let run = train_run(
        dir.path(),
        &csv_config(&train, "label", "", "[train]\nepochs = 1"),
    );
    let new = write(dir.path(), "new.csv", "x,colour\n1,red\nabc,red\n");
    let out = predict(&run, &new, &[]);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("new.csv: line 3, column \"x\": expected a number, found \"abc\""),
        "{err}"
    );
}

#[test]
fn regression_predictions_are_numbers_and_out_writes_a_new_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("a,b,y\n");
    for i in 0..200 {
        let (a, b) = (i as f64 / 100.0, ((i * 7) % 13) as f64 / 13.0);
        text.push_str(&format!("{a},{b},{}\n", 3.0 * a - 2.0 * b + 0.5));
    }
    let train = write(dir.path(), "train.csv", &text);
    let run = train_run(
        dir.path(),
        &csv_config(
            &train,
            "y",
            "task = \"regression\"",
            "[train]\nepochs = 200",
        ),
    );
    let out_file = dir.path().join("pred.csv");
    let new = write(dir.path(), "new.csv", "a,b\n1,0\n0,1\n");
    let out = predict(&run, &new, &["--out", out_file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let rows = rows_of(&std::fs::read_to_string(&out_file).unwrap());
    let p: Vec<f64> = rows[1..].iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(
        (p[0] - 3.5).abs() < 0.3 && (p[1] + 1.5).abs() < 0.3,
        "{p:?}"
    );
    let again = predict(&run, &new, &["--out", out_file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr_of(&again).contains("pred.csv: exists"),
        "{}",
        stderr_of(&again)
    );
    let proba = predict(&run, &new, &["--proba"]);
    assert_eq!(proba.status.code(), Some(2));
}

#[test]
fn idx_runs_predict_digit_labels_from_images() {
    let dir = tempfile::tempdir().unwrap();
    let run = train_run(
        dir.path(),
        &mnist_config(
            "[model]\nkind = \"mlp\"\nhidden = [16]\n[optimizer]\nkind = \"adam\"\nlr = 0.01\n[schedule]\nkind = \"constant\"\n[train]\nepochs = 1\nbatch_size = 64",
        ),
    );
    let out = lrtrain()
        .args(["predict", "--run"])
        .arg(&run)
        .arg("--images")
        .arg(mnist("t10k-images-idx3-ubyte.gz"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let preds: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(preds.len(), 2000);
    let labels = {
        use std::io::Read;
        let mut v = Vec::new();
        flate2::read::GzDecoder::new(
            std::fs::File::open(mnist("t10k-labels-idx1-ubyte.gz")).unwrap(),
        )
        .read_to_end(&mut v)
        .unwrap();
        v.split_off(8)
    };
    let right = preds
        .iter()
        .zip(&labels)
        .filter(|(p, l)| **p == l.to_string())
        .count();
    assert!(right > 1600, "{right} of 2000 right");
}

#[test]
fn a_run_directory_without_preprocessing_json_is_fitted_again_from_its_training_file() {
    // Run directories of lrtrain 0.1 have no preprocessing.json; refitting on the training file
    // gives what training applied.
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "train.csv", &two_class_rows(60));
    let run = train_run(
        dir.path(),
        &csv_config(&train, "label", "standardize = true", "[train]\nepochs = 2"),
    );
    let before = predict(&run, &train, &["--proba"]);
    assert!(before.status.success(), "{}", stderr_of(&before));
    std::fs::remove_file(run.join("preprocessing.json")).unwrap();
    let after = predict(&run, &train, &["--proba"]);
    assert!(after.status.success(), "{}", stderr_of(&after));
    assert_eq!(before.stdout, after.stdout);
}
