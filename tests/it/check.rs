//! `lrtrain check` and config validation, through the binary: every bad config is exit 2 with
//! one clear line naming the file and the key.

use crate::common::*;

fn check(text: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "bad.toml", text);
    lrtrain()
        .args(["check", "--config"])
        .arg(&cfg)
        .output()
        .unwrap()
}

fn assert_usage_error(text: &str, expected: &[&str]) {
    let o = check(text);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(2), "config:\n{text}\nstderr: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("bad.toml"), "names the file: {err}");
    for e in expected {
        assert!(err.contains(e), "expected {e:?} in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.lines().count() <= 2, "one or two lines: {err}");
}

#[test]
fn a_typo_in_every_table_is_rejected_naming_the_key() {
    assert_usage_error(&mnist_config("sed = 3"), &["sed"]);
    assert_usage_error(
        &mnist_config("").replace("train_labels", "train_labelz"),
        &["train_labelz"],
    );
    assert_usage_error(
        &mnist_config("[model]\nkind = \"mlp\"\nhiden = [3]"),
        &["hiden"],
    );
    assert_usage_error(
        &mnist_config("[optimizer]\nkind = \"sgd\"\nmomentun = 0.9"),
        &["momentun"],
    );
    assert_usage_error(
        &mnist_config("[schedule]\nkind = \"step\"\nstep_size = 2\ngama = 0.5"),
        &["gama"],
    );
    assert_usage_error(&mnist_config("[train]\nepoch = 3"), &["epoch"]);
    assert_usage_error(&mnist_config("[output]\ndirr = \"x\""), &["dirr"]);
}

#[test]
fn a_typo_is_located_on_its_line() {
    let text = mnist_config("[schedule]\nkind = \"step\"\nstep_size = 2\ngama = 0.5");
    let line = text.lines().position(|l| l.starts_with("gama")).unwrap() + 1;
    assert_usage_error(&text, &[&format!("line {line}"), "schedule.gama"]);
}

#[test]
fn wrong_types_and_ranges_are_rejected_naming_the_key() {
    assert_usage_error(
        &mnist_config("[optimizer]\nkind = \"adam\"\nlr = \"fast\""),
        &["lr"],
    );
    assert_usage_error(
        &mnist_config("[optimizer]\nkind = \"adam\"\nlr = -0.1"),
        &["optimizer.lr", "-0.1"],
    );
    assert_usage_error(&mnist_config("[train]\nbatch_size = 0"), &["batch_size"]);
    assert_usage_error(&mnist_config("[train]\nepochs = 0"), &["train.epochs"]);
    assert_usage_error(
        &mnist_config("[train]\nbatch_size = \"half\""),
        &["batch_size", "full"],
    );
}

#[test]
fn an_unknown_kind_lists_the_known_ones() {
    assert_usage_error(
        &mnist_config("[schedule]\nkind = \"warp\""),
        &["warp", "constant", "step", "exponential"],
    );
    assert_usage_error(
        &mnist_config("[optimizer]\nkind = \"sophia\""),
        &["sophia", "sgd", "adam", "lion", "prodigy", "muon"],
    );
}

#[test]
fn broken_files_are_usage_errors_not_panics() {
    assert_usage_error("", &["data"]);
    assert_usage_error("this is = = not toml", &["line 1"]);
    assert_usage_error("\u{0}\u{1}\u{2}garbage\u{ff}", &[]);
    let o = lrtrain()
        .args(["check", "--config", "/nonexistent/x.toml"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr_of(&o).contains("/nonexistent/x.toml"));
}

#[test]
fn a_missing_data_file_is_a_usage_error_naming_it() {
    let text = mnist_config("").replace("train-images-idx3-ubyte.gz", "nope.gz");
    assert_usage_error(&text, &["nope.gz"]);
}

#[test]
fn check_prints_the_resolved_config_with_every_default() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "ok.toml",
        &mnist_config("[optimizer]\nkind = \"sgd\""),
    );
    let o = lrtrain()
        .args(["check", "--config"])
        .arg(&cfg)
        .args(["--set", "train.batch_size=32"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    let resolved: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(resolved["train"]["batch_size"].as_integer(), Some(32));
    assert_eq!(resolved["train"]["epochs"].as_integer(), Some(20));
    assert_eq!(resolved["optimizer"]["momentum"].as_float(), Some(0.0));
    assert!(resolved["optimizer"]["lr"].as_float().is_some());
    assert_eq!(resolved["schedule"]["kind"].as_str(), Some("constant"));
    // The resolved config is itself a valid config.
    let again = write_config(dir.path(), "again.toml", &text);
    lrtrain()
        .args(["check", "--config"])
        .arg(&again)
        .assert()
        .success();
}

#[test]
fn relative_data_paths_are_resolved_against_the_config_file() {
    // Run from a directory other than the config's: the shipped config still finds its data.
    let dir = tempfile::tempdir().unwrap();
    lrtrain()
        .current_dir(dir.path())
        .args(["check", "--config"])
        .arg(repo().join("configs/mnist.toml"))
        .assert()
        .success();
}

#[test]
fn set_overrides_are_validated_like_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "ok.toml", &mnist_config(""));
    let o = lrtrain()
        .args(["check", "--config"])
        .arg(&cfg)
        .args(["--set", "optimizer.lr=-1"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr_of(&o).contains("optimizer.lr"));
    let o = lrtrain()
        .args(["check", "--config"])
        .arg(&cfg)
        .args(["--set", "nonsense"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr_of(&o).contains("KEY=VALUE"));
    let o = lrtrain()
        .args(["check", "--config"])
        .arg(&cfg)
        .args(["--set", "optimizer.kind=sgd"])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "a bare word is a string: {}",
        stderr_of(&o)
    );
}

/// A linear-regression config on `csv` (a file written beside it) with extra `[data]` keys.
fn csv_config(dir: &std::path::Path, csv: &str, data_keys: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("points.csv"), csv).unwrap();
    write_config(
        dir,
        "points.toml",
        &format!(
            "[data]\nkind = \"csv\"\npath = \"points.csv\"\n{data_keys}\n[model]\nkind = \"linear\"\n[optimizer]\nkind = \"sgd\"\nlr = 0.01\n[train]\nepochs = 2\nbatch_size = \"full\"\n"
        ),
    )
}

fn check_file(config: &std::path::Path) -> std::process::Output {
    lrtrain()
        .args(["check", "--config"])
        .arg(config)
        .output()
        .unwrap()
}

#[test]
fn check_refuses_a_csv_config_whose_file_lacks_the_target_column_as_train_does() {
    let dir = tempfile::tempdir().unwrap();
    let config = csv_config(dir.path(), "x,z\n1,2\n2,4\n3,6\n", "target = \"y\"");
    let o = check_file(&config);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("points.csv"),
        "{err}"
    );
    assert!(
        err.contains("\"y\"") || err.contains(" y"),
        "names the column: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    // train gives the same verdict, and check's is not weaker.
    let t = lrtrain()
        .args(["train", "--quiet", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(dir.path().join("run"))
        .output()
        .unwrap();
    assert_eq!(t.status.code(), Some(2));
    assert_eq!(stderr_of(&t), err);
    // The same file with the target present passes.
    let good = csv_config(dir.path(), "x,y\n1,2\n2,4\n3,6\n", "target = \"y\"");
    assert!(check_file(&good).status.success());
}

#[test]
fn check_refuses_a_header_true_csv_whose_first_line_is_data() {
    let dir = tempfile::tempdir().unwrap();
    let config = csv_config(
        dir.path(),
        "1,2\n2,4\n3,6\n",
        "target = \"y\"\nheader = true",
    );
    let o = check_file(&config);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("points.csv"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn check_refuses_images_whose_size_does_not_fit_the_validation_images() {
    // Train on MNIST's 784-pixel images, validate on a file of 2-pixel images: only loading the
    // data finds it (the headers alone are valid).
    let dir = tempfile::tempdir().unwrap();
    let mut images = vec![0u8, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2];
    images.extend([0u8, 255]);
    let labels = [0u8, 0, 8, 1, 0, 0, 0, 1, 3];
    std::fs::write(dir.path().join("val-images"), images).unwrap();
    std::fs::write(dir.path().join("val-labels"), labels).unwrap();
    let text = mnist_config("")
        .replace(&mnist("t10k-images-idx3-ubyte.gz"), "val-images")
        .replace(&mnist("t10k-labels-idx1-ubyte.gz"), "val-labels");
    let config = write_config(dir.path(), "sizes.toml", &text);
    let o = check_file(&config);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("val-images") && err.contains("784"), "{err}");
}

fn check_warnings(text: &str) -> Vec<String> {
    let o = check(text);
    assert!(o.status.success(), "{}", stderr_of(&o));
    stderr_of(&o)
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .map(String::from)
        .collect()
}

#[test]
fn a_schedule_that_touches_0_and_rises_again_is_not_said_to_stop_training() {
    // 8,000 digits in batches of 100: 80 steps per epoch, 2 epochs, 160 steps.
    let base = "[train]\nepochs = 2\nbatch_size = 100\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n";
    for schedule in [
        // linear from factor 0 up to 1, per step: one idle step, not worth a word.
        "kind = \"linear\"\ntotal = 160\nstart_factor = 0.0\nend_factor = 1.0",
        // a warm-up from 0 (the default start factor) before a cosine.
        "kind = \"cosine\"\ntotal = 150\nwarmup = 10",
    ] {
        let w = check_warnings(&mnist_config(&format!("{base}[schedule]\n{schedule}")));
        assert!(w.is_empty(), "{schedule}: {w:?}");
    }
    // Piecewise 0.1, 0, 0.05: idle from step 41 to step 80, then trains again.
    let w = check_warnings(&mnist_config(&format!(
        "{base}[schedule]\nkind = \"piecewise\"\nboundaries = [40, 80]\nvalues = [0.1, 0.0, 0.05]"
    )));
    assert_eq!(
        w,
        ["warning: schedule: the rate is 0 from step 41 to step 80: those 40 steps do not train"]
    );
    // Per epoch, a ramp from 0 idles a whole epoch, and the warning says only that.
    let w = check_warnings(&mnist_config(&format!(
        "{base}[schedule]\nkind = \"linear\"\nunit = \"epoch\"\ntotal = 2\nstart_factor = 0.0\nend_factor = 1.0"
    )));
    assert_eq!(
        w,
        ["warning: schedule: the rate is 0 at epoch 0: that epoch does not train"]
    );
    // A decay that reaches 0 early names the steps from there to the end.
    let w = check_warnings(&mnist_config(&format!(
        "{base}[schedule]\nkind = \"linear\"\ntotal = 100"
    )));
    assert!(
        w.contains(&"warning: schedule: the rate is 0 from step 100 to the end of the run (step 159): the last 60 steps do not train".to_string()),
        "{w:?}"
    );
}
