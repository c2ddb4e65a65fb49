//! Helpers for running the real `lrtrain` binary the way a user does.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

pub fn lrtrain() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lrtrain"));
    cmd.env_remove("RUST_BACKTRACE");
    cmd
}

/// The repository root (to reach `configs/` and `data/`).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped MNIST files, absolute, for configs written into temp dirs.
pub fn mnist(name: &str) -> String {
    repo()
        .join("data/mnist")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Writes a config file into `dir` and returns its path.
pub fn write_config(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A small MNIST config (absolute data paths) with extra TOML appended.
pub fn mnist_config(extra: &str) -> String {
    format!(
        r#"seed = 1
threads = 1

[data]
kind = "idx"
train_images = "{}"
train_labels = "{}"
test_images = "{}"
test_labels = "{}"

{extra}
"#,
        mnist("train-images-idx3-ubyte.gz"),
        mnist("train-labels-idx1-ubyte.gz"),
        mnist("t10k-images-idx3-ubyte.gz"),
        mnist("t10k-labels-idx1-ubyte.gz"),
    )
}

/// Parses a metrics.csv into its header and rows of fields.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
