//! Paths through the binary (SPEC "Paths"): a config given by a relative path, run directories
//! and generated configs that work from any working directory, and output paths checked (their
//! parents created) before any work.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::common::*;

/// A folder holding `tiny.csv` (the shipped y = 2x + 3 + noise data) and `rel.toml`, a linear
/// regression config naming it by a relative path.
fn folder() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(repo().join("data/linear.csv"), tmp.path().join("tiny.csv")).unwrap();
    write_config(
        tmp.path(),
        "rel.toml",
        "seed = 3\nthreads = 1\n\n[data]\nkind = \"csv\"\npath = \"tiny.csv\"\ntarget = \"y\"\n\n\
         [model]\nkind = \"linear\"\n\n[optimizer]\nkind = \"sgd\"\nlr = 0.01\n\n\
         [train]\nepochs = 2\nbatch_size = 16\n",
    );
    tmp
}

/// Runs lrtrain in `dir` and asserts the exit code; returns stdout.
fn run_in(dir: &Path, args: &[&str], code: i32) -> String {
    let o = lrtrain().current_dir(dir).args(args).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(code),
        "lrtrain {args:?} in {}: {}",
        dir.display(),
        stderr_of(&o)
    );
    if code == 1 || code == 2 {
        let err = stderr_of(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: "), "{err}");
    }
    String::from_utf8(o.stdout).unwrap()
}

fn rows_without_seconds(dir: &Path) -> Vec<String> {
    let (_, rows) = read_csv(&dir.join("metrics.csv"));
    rows.iter().map(|r| r[..7].join(",")).collect()
}

fn stored_data_path(run: &Path) -> PathBuf {
    let text = std::fs::read_to_string(run.join("config.toml")).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    PathBuf::from(table["data"]["path"].as_str().unwrap())
}

#[test]
fn a_run_of_a_config_given_by_a_relative_path_is_evaluated_resumed_and_retrained_from_anywhere() {
    let tmp = folder();
    let dir = tmp.path();
    run_in(
        dir,
        &["train", "--quiet", "--config", "rel.toml", "--out", "run"],
        0,
    );
    let run = dir.join("run");
    assert_eq!(stored_data_path(&run), dir.join("tiny.csv"));
    let summary = read_json(&run.join("summary.json"));
    assert_eq!(
        summary["config"]["data"]["path"],
        dir.join("tiny.csv").to_str().unwrap()
    );

    // The three commands, from the folder itself.
    let line = run_in(dir, &["eval", "--run", "run", "--csv", "tiny.csv"], 0);
    assert!(
        line.starts_with("loss=") && line.contains(",rows=100"),
        "{line}"
    );
    run_in(dir, &["resume", "--quiet", "run", "--epochs", "3"], 0);
    assert_eq!(rows_without_seconds(&run).len(), 3);
    run_in(
        dir,
        &[
            "train",
            "--quiet",
            "--config",
            "run/config.toml",
            "--out",
            "again",
        ],
        0,
    );
    // Retraining the stored config gives the same run (it now has 3 epochs).
    assert_eq!(
        rows_without_seconds(&dir.join("again")),
        rows_without_seconds(&run)
    );

    // And from somewhere else entirely.
    let elsewhere = tempfile::tempdir().unwrap();
    let run_arg = run.to_str().unwrap();
    let csv_arg = dir.join("tiny.csv");
    let from_there = run_in(
        elsewhere.path(),
        &["eval", "--run", run_arg, "--csv", csv_arg.to_str().unwrap()],
        0,
    );
    // The same parameters (now 3 epochs) evaluated from the folder give the same line.
    assert_eq!(
        from_there,
        run_in(dir, &["eval", "--run", "run", "--csv", "tiny.csv"], 0)
    );
    assert_ne!(from_there, line, "resume did not change the parameters");
    run_in(
        elsewhere.path(),
        &["resume", "--quiet", run_arg, "--epochs", "4"],
        0,
    );
    assert_eq!(rows_without_seconds(&run).len(), 4);
}

#[test]
fn output_dir_in_a_config_resolves_against_the_config_directory_and_out_against_the_cwd() {
    let tmp = folder();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::rename(dir.join("tiny.csv"), dir.join("sub/tiny.csv")).unwrap();
    let text = std::fs::read_to_string(dir.join("rel.toml")).unwrap();
    std::fs::write(
        dir.join("sub/c.toml"),
        format!("{text}\n[output]\ndir = \"runs/here\"\n"),
    )
    .unwrap();
    run_in(dir, &["train", "--quiet", "--config", "sub/c.toml"], 0);
    assert!(dir.join("sub/runs/here/metrics.csv").is_file());
    assert!(!dir.join("runs").exists());
    run_in(
        dir,
        &[
            "train",
            "--quiet",
            "--config",
            "sub/c.toml",
            "--out",
            "mine",
        ],
        0,
    );
    assert!(dir.join("mine/metrics.csv").is_file());
}

#[test]
fn a_set_data_path_resolves_against_the_current_directory() {
    let tmp = folder();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("sub")).unwrap();
    std::fs::copy(dir.join("rel.toml"), dir.join("sub/c.toml")).unwrap();
    // sub/tiny.csv does not exist: only the --set path (against the cwd) can work.
    run_in(
        dir,
        &[
            "train",
            "--quiet",
            "--config",
            "sub/c.toml",
            "--set",
            "data.path=tiny.csv",
            "--out",
            "run",
        ],
        0,
    );
    assert_eq!(stored_data_path(&dir.join("run")), dir.join("tiny.csv"));
}

#[test]
fn the_readme_main_command_from_the_repository_root_resolves_every_path_absolute() {
    let out = run_in(
        &repo(),
        &[
            "check",
            "--config",
            "configs/mnist.toml",
            "--set",
            "train.epochs=1",
        ],
        0,
    );
    let resolved: toml::Table = toml::from_str(&out).unwrap();
    for key in ["train_images", "train_labels", "test_images", "test_labels"] {
        let p = PathBuf::from(resolved["data"][key].as_str().unwrap());
        assert!(p.is_absolute() && p.is_file(), "{key}: {}", p.display());
    }
}

#[test]
fn find_lr_creates_the_parents_of_plot_and_write_config_and_the_written_config_works_anywhere() {
    let tmp = folder();
    let dir = tmp.path();
    run_in(
        dir,
        &[
            "find-lr",
            "--quiet",
            "--config",
            "rel.toml",
            "--steps",
            "60",
            "--plot",
            "missing/dir/x.svg",
            "--write-config",
            "gen/deeper/lr.toml",
        ],
        0,
    );
    let svg = std::fs::read_to_string(dir.join("missing/dir/x.svg")).unwrap();
    assert!(svg.contains("<svg"), "{svg}");
    let elsewhere = tempfile::tempdir().unwrap();
    let generated = dir.join("gen/deeper/lr.toml");
    let out = run_in(
        elsewhere.path(),
        &["check", "--config", generated.to_str().unwrap()],
        0,
    );
    assert!(
        out.contains(dir.join("tiny.csv").to_str().unwrap()),
        "{out}"
    );
    let json = read_json(&dir.join("runs/rel-lrfind/lrfind.json"));
    assert_eq!(json["config"], dir.join("rel.toml").to_str().unwrap());
}

#[test]
fn find_lr_refuses_a_bad_or_taken_output_path_before_running_the_test() {
    let tmp = folder();
    let dir = tmp.path();
    std::fs::write(dir.join("taken.svg"), "mine").unwrap();
    std::fs::write(dir.join("afile"), "").unwrap();
    // A file in the way is bad usage (2); a directory that cannot be made an I/O failure (1).
    for (args, code) in [
        (&["--plot", "taken.svg"][..], 2),
        (&["--plot", "afile/x.svg"], 1),
        (&["--write-config", "afile/lr.toml"], 1),
        (&["--out", "afile"], 2),
    ] {
        let mut all = vec!["find-lr", "--config", "rel.toml", "--steps", "60"];
        all.extend_from_slice(args);
        run_in(dir, &all, code);
        assert!(
            !dir.join("runs/rel-lrfind/lrfind.csv").exists(),
            "{args:?}: the test ran"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("taken.svg")).unwrap(),
        "mine"
    );
    // With --force the user's own plot file is replaced.
    run_in(
        dir,
        &[
            "find-lr",
            "--quiet",
            "--config",
            "rel.toml",
            "--steps",
            "60",
            "--plot",
            "taken.svg",
            "--force",
        ],
        0,
    );
    assert!(
        std::fs::read_to_string(dir.join("taken.svg"))
            .unwrap()
            .contains("<svg")
    );
}

#[test]
fn find_lr_with_stdout_closed_early_still_writes_every_file_and_exits_0() {
    let tmp = folder();
    let dir = tmp.path();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lrtrain"))
        .current_dir(dir)
        .args([
            "find-lr",
            "--quiet",
            "--config",
            "rel.toml",
            "--steps",
            "60",
            "--write-config",
            "lr.toml",
            "--plot",
            "lr.svg",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -0`: the reader goes away before anything is printed.
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    assert!(
        std::fs::read_to_string(dir.join("lr.toml"))
            .unwrap()
            .contains("[optimizer]")
    );
    assert!(dir.join("lr.svg").is_file());
}

#[test]
fn schedule_plot_creates_missing_parent_directories_and_refuses_a_directory() {
    let tmp = folder();
    let dir = tmp.path();
    let csv = run_in(
        dir,
        &["schedule", "--config", "rel.toml", "--plot", "a/b/s.svg"],
        0,
    );
    assert!(csv.starts_with("epoch,step,lr\n"), "{csv}");
    assert!(dir.join("a/b/s.svg").is_file());
    run_in(dir, &["schedule", "--config", "rel.toml", "--plot", "a"], 2);
}

#[test]
fn compare_refuses_an_out_path_that_is_a_file_before_training() {
    let tmp = folder();
    let dir = tmp.path();
    std::fs::write(dir.join("afile"), "").unwrap();
    run_in(dir, &["compare", "rel.toml", "--out", "afile"], 2);
    run_in(dir, &["compare", "rel.toml", "--out", "afile/sub"], 1);
    assert!(!dir.join("runs").exists());
    // A missing parent is made, and every run directory under it is absolute.
    run_in(
        dir,
        &["compare", "--quiet", "rel.toml", "--out", "new/cmp"],
        0,
    );
    assert!(dir.join("new/cmp/rel/metrics.csv").is_file());
    assert_eq!(
        stored_data_path(&dir.join("new/cmp/rel")),
        dir.join("tiny.csv")
    );
}

/// What lrtrain 0.1 left for `train --config rel.toml --out run` run in `dir`: config.toml with
/// the relative path and params.bin with the hash of that config.
fn make_version_1_run(dir: &Path) -> PathBuf {
    run_in(
        dir,
        &["train", "--quiet", "--config", "rel.toml", "--out", "run"],
        0,
    );
    let run = dir.join("run");
    let absolute = dir.join("tiny.csv");
    let text = std::fs::read_to_string(run.join("config.toml"))
        .unwrap()
        .replace(absolute.to_str().unwrap(), "tiny.csv");
    assert!(text.contains("path = \"tiny.csv\""), "{text}");
    std::fs::write(run.join("config.toml"), &text).unwrap();
    let cfg: lrtrain::config::RunConfig = toml::from_str(&text).unwrap();
    let (_, params) = lrtrain::run::checkpoint::read_params(&run.join("params.bin")).unwrap();
    let bytes =
        lrtrain::run::checkpoint::encode_params(lrtrain::config::hash::config_hash(&cfg), &params);
    std::fs::write(run.join("params.bin"), bytes).unwrap();
    std::fs::remove_file(run.join("checkpoint.bin")).unwrap();
    run
}

#[test]
fn a_version_1_run_with_relative_paths_is_read_where_it_was_trained_and_says_what_to_do_elsewhere()
{
    let tmp = folder();
    let dir = tmp.path();
    let run = make_version_1_run(dir);
    let line = run_in(dir, &["eval", "--run", "run", "--csv", "tiny.csv"], 0);
    assert!(line.starts_with("loss="), "{line}");
    let elsewhere = tempfile::tempdir().unwrap();
    let o = lrtrain()
        .current_dir(elsewhere.path())
        .args(["eval", "--run", run.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr_of(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("data.path = \"tiny.csv\"") && err.contains("run this command from"),
        "{err}"
    );
}
