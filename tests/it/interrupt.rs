//! SIGINT / SIGTERM during training, through the binary: the last complete epoch is kept, the
//! status is `interrupted`, the exit code 130 (SIGINT) or 143 (SIGTERM), and the run can be
//! resumed; `resume`, `compare` and `find-lr` exit the same way.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

fn long_config(dir: &Path, epochs: usize) -> std::path::PathBuf {
    write_config(
        dir,
        "long.toml",
        &mnist_config(&format!(
            "[model]\nhidden = [16]\n\n[optimizer]\nkind = \"sgd\"\nlr = 0.05\nmomentum = 0.9\n\n[schedule]\nkind = \"cosine\"\ntotal = {epochs}\nunit = \"epoch\"\n\n[train]\nepochs = {epochs}\nbatch_size = 64\n"
        )),
    )
}

fn start(dir: &Path, epochs: usize) -> (Child, std::path::PathBuf) {
    let cfg = long_config(dir, epochs);
    let out = dir.join("run");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_lrtrain"))
        .args(["train", "--quiet", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, out)
}

fn wait_for_rows(out: &Path, n: usize) {
    let started = Instant::now();
    loop {
        let rows = std::fs::read_to_string(out.join("metrics.csv"))
            .map(|t| t.lines().count().saturating_sub(1))
            .unwrap_or(0);
        if rows >= n {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no rows appear"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn signal(child: &Child, name: &str) {
    let ok = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{name} failed");
}

/// Every row complete (8 fields) and numbered 0, 1, 2, …
fn assert_complete_csv(out: &Path) -> usize {
    let (header, rows) = read_csv(&out.join("metrics.csv"));
    assert_eq!(header.len(), 8);
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), 8, "row {i}: {row:?}");
        assert_eq!(row[0], i.to_string());
        assert!(row[2].parse::<f64>().is_ok(), "row {i}: {row:?}");
    }
    rows.len()
}

#[test]
fn sigint_keeps_the_last_complete_epoch_marks_the_run_interrupted_and_exits_130() {
    let tmp = tempfile::tempdir().unwrap();
    let (child, out) = start(tmp.path(), 200);
    wait_for_rows(&out, 2);
    signal(&child, "INT");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr_of(&o));
    let rows = assert_complete_csv(&out);
    assert!((2..200).contains(&rows), "{rows} rows");
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["status"], "interrupted");
    assert_eq!(summary["epochs_run"], rows);
    // The checkpoint holds exactly those epochs: resuming to a short run appends to them.
    let o = lrtrain()
        .args(["resume", "--quiet", "--epochs"])
        .arg((rows + 1).to_string())
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    assert_eq!(assert_complete_csv(&out), rows + 1);
}

#[test]
fn sigterm_is_handled_like_sigint_but_exits_143() {
    let tmp = tempfile::tempdir().unwrap();
    let (child, out) = start(tmp.path(), 200);
    wait_for_rows(&out, 1);
    signal(&child, "TERM");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(143), "{}", stderr_of(&o));
    assert_complete_csv(&out);
    assert_eq!(
        read_json(&out.join("summary.json"))["status"],
        "interrupted"
    );
}

#[test]
fn a_second_sigint_exits_at_once_and_leaves_every_file_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let (child, out) = start(tmp.path(), 200);
    // Row 1 comes after epoch 0's checkpoint, so there is one to resume from.
    wait_for_rows(&out, 2);
    signal(&child, "INT");
    signal(&child, "INT");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr_of(&o));
    let rows = assert_complete_csv(&out);
    // summary.json and the checkpoint are whole (renamed into place, never written in place).
    let summary = read_json(&out.join("summary.json"));
    assert!(summary["status"].is_string());
    let o = lrtrain()
        .args(["resume", "--quiet", "--epochs"])
        .arg((rows + 1).to_string())
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
}

#[test]
fn sigterm_during_resume_exits_143_and_keeps_what_was_trained() {
    let tmp = tempfile::tempdir().unwrap();
    let (child, out) = start(tmp.path(), 200);
    wait_for_rows(&out, 2);
    signal(&child, "INT");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr_of(&o));
    let before = assert_complete_csv(&out);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_lrtrain"))
        .args(["resume", "--quiet"])
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_rows(&out, before + 2);
    signal(&child, "TERM");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(143), "{}", stderr_of(&o));
    let rows = assert_complete_csv(&out);
    assert!(rows >= before + 2, "{rows} rows");
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["status"], "interrupted");
    assert_eq!(summary["epochs_run"], rows);
}

#[test]
fn sigterm_during_compare_exits_143_and_marks_the_run_interrupted() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = long_config(tmp.path(), 200);
    let out = tmp.path().join("cmp");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_lrtrain"))
        .args(["compare", "--quiet", "--out"])
        .arg(&out)
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let run = out.join("long");
    wait_for_rows(&run, 1);
    signal(&child, "TERM");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(143), "{}", stderr_of(&o));
    assert_complete_csv(&run);
    assert_eq!(
        read_json(&run.join("summary.json"))["status"],
        "interrupted"
    );
}

#[test]
fn sigint_during_find_lr_exits_130() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = long_config(tmp.path(), 200);
    let out = tmp.path().join("lr");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_lrtrain"))
        .args([
            "find-lr", "--quiet", "--steps", "100000", "--max", "1e-3", "--out",
        ])
        .arg(&out)
        .arg("--config")
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // lrfind.csv (its header) is written once the handler is in place.
    let started = Instant::now();
    while !out.join("lrfind.csv").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "find-lr did not start"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    signal(&child, "INT");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr_of(&o));
    assert!(stderr_of(&o).contains("interrupted"), "{}", stderr_of(&o));
}
