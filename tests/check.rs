//! `lrtrain check` and config validation, through the binary: every bad config is exit 2 with
//! one clear line naming the file and the key.

mod common;

use common::*;

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
