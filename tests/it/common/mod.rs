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

/// A CSV run's config: `[data]` on `csv` (absolute path) with `data_extra` appended to the
/// section, a small MLP, Adam, and `extra` appended at the end (a `[train]` there replaces the
/// default one: 30 epochs of 16 rows).
pub fn csv_config(csv: &Path, target: &str, data_extra: &str, extra: &str) -> String {
    let train = if extra.contains("[train]") {
        ""
    } else {
        "[train]\nepochs = 30\nbatch_size = 16"
    };
    format!(
        r#"seed = 3
threads = 1

[data]
kind = "csv"
path = "{}"
target = "{target}"
{data_extra}

[optimizer]
kind = "adam"
lr = 0.05

[schedule]
kind = "constant"

{train}

{extra}
"#,
        csv.display()
    )
}

/// Trains `config` (written into `dir`) into `dir/run` quietly; returns the run directory.
pub fn train_run(dir: &Path, config: &str) -> PathBuf {
    let cfg = write_config(dir, "run.toml", config);
    let out = dir.join("run");
    lrtrain()
        .args(["train", "--quiet", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    out
}

/// Two well-separated classes "hi" / "lo" by x, with a colour column: `n` rows.
pub fn two_class_rows(n: usize) -> String {
    let mut s = String::from("x,colour,label\n");
    for i in 0..n {
        let x = (i as f64 * 0.37).sin() * 3.0;
        let colour = ["red", "green", "blue"][i % 3];
        let label = if x > 0.0 { "hi" } else { "lo" };
        s.push_str(&format!("{x:.4},{colour},{label}\n"));
    }
    s
}
