//! `--set` (SPEC "`--set` and kinds"): setting a kind switches it, dropping the old kind's keys
//! with one note; errors in a command-line value name that argument, not a line of the file.

use crate::common::*;

const STEP: &str = "[optimizer]\nkind = \"sgd\"\nlr = 0.1\nmomentum = 0.9\n\n[schedule]\nkind = \"step\"\nstep_size = 3\ngamma = 0.5\nunit = \"epoch\"\n\n[train]\nepochs = 6\n";

/// `lrtrain check` of an MNIST config with `extra` TOML and the given arguments.
fn check(extra: &str, args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "c.toml", &mnist_config(extra));
    lrtrain()
        .args(["check", "--config"])
        .arg(&cfg)
        .args(args)
        .output()
        .unwrap()
}

fn stdout_of(o: &std::process::Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn set_schedule_kind_cosine_on_a_step_config_drops_the_step_keys_with_one_note() {
    let o = check(STEP, &["--set", "schedule.kind=cosine"]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(
        stderr_of(&o),
        "note: --set schedule.kind=cosine: dropped schedule.gamma, schedule.step_size (keys of kind \"step\" that \"cosine\" does not have)\n"
    );
    let resolved = stdout_of(&o);
    assert!(resolved.contains("kind = \"cosine\"\n"), "{resolved}");
    assert!(resolved.contains("unit = \"epoch\""), "{resolved}");
    assert!(!resolved.contains("step_size"), "{resolved}");
    assert!(!resolved.contains("gamma"), "{resolved}");
}

#[test]
fn switching_the_optimizer_and_model_kinds_drops_only_what_the_new_kind_lacks() {
    // Regression data: a linear model needs real-valued targets (an MNIST linear model is refused).
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "c.toml",
        &format!(
            "[data]\nkind = \"csv\"\npath = \"{}\"\ntarget = \"y\"\n\n[model]\nhidden = [16]\nactivation = \"tanh\"\n\n{STEP}",
            repo().join("data/linear.csv").display()
        ),
    );
    let o = lrtrain()
        .args(["check", "--config"])
        .arg(&cfg)
        .args(["--set", "optimizer.kind=adam", "--set", "model.kind=linear"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let err = stderr_of(&o);
    let notes: Vec<&str> = err.lines().collect();
    assert_eq!(
        notes,
        [
            "note: --set optimizer.kind=adam: dropped optimizer.momentum (keys of kind \"sgd\" that \"adam\" does not have)",
            "note: --set model.kind=linear: dropped model.activation, model.hidden (keys of kind \"mlp\" that \"linear\" does not have)",
        ],
        "{err}"
    );
    let resolved = stdout_of(&o);
    // `lr` belongs to every optimizer: it stays.
    assert!(resolved.contains("kind = \"adam\"\n"), "{resolved}");
    assert!(resolved.contains("lr = 0.1"), "{resolved}");
    assert!(!resolved.contains("momentum"), "{resolved}");
}

#[test]
fn a_sequential_phase_kind_and_length_can_be_set_by_index() {
    let seq = "[schedule]\nkind = \"sequential\"\nphases = [{ kind = \"step\", length = 100, step_size = 10 }, { kind = \"constant\" }]\n";
    let o = check(
        seq,
        &[
            "--set",
            "schedule.phases[0].kind=cosine",
            "--set",
            "schedule.phases[0].length=160",
        ],
    );
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(
        stderr_of(&o),
        "note: --set schedule.phases[0].kind=cosine: dropped schedule.phases[0].step_size (keys of kind \"step\" that \"cosine\" does not have)\n"
    );
    let resolved = stdout_of(&o);
    assert!(
        resolved.contains("length = 160\nkind = \"cosine\"\n# total = 160 (the phase's length)\n"),
        "{resolved}"
    );

    let o = check(seq, &["--set", "schedule.phases[2].length=5"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr_of(&o),
        "error: --set schedule.phases[2].length=5: schedule.phases[2]: no such element (the array has 2)\n"
    );
}

#[test]
fn set_data_kind_drops_the_old_sources_keys() {
    let o = check(
        "",
        &[
            "--set",
            "data.kind=synthetic_linear",
            "--set",
            "model.kind=linear",
        ],
    );
    assert!(o.status.success(), "{}", stderr_of(&o));
    let err = stderr_of(&o);
    assert!(
        err.starts_with("note: --set data.kind=synthetic_linear: dropped data.test_images, data.test_labels, data.train_images, data.train_labels (keys of kind \"idx\" that \"synthetic_linear\" does not have)\n"),
        "{err}"
    );
    assert!(stdout_of(&o).contains("kind = \"synthetic_linear\""));
}

#[test]
fn a_whole_table_given_with_set_replaces_the_table() {
    let o = check(
        STEP,
        &[
            "--set",
            "schedule={ kind = \"cosine\", unit = \"epoch\", min_lr = 0.001 }",
        ],
    );
    assert!(o.status.success(), "{}", stderr_of(&o));
    let resolved = stdout_of(&o);
    assert!(
        resolved.contains("kind = \"cosine\"\n# total = 6 (the run's length: train.epochs = 6)\n"),
        "{resolved}"
    );
    assert!(!resolved.contains("step_size"), "{resolved}");
}

/// Runs check and returns (exit code, the single stderr line).
fn error_of(extra: &str, args: &[&str]) -> (Option<i32>, String) {
    let o = check(extra, args);
    let err = stderr_of(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    (o.status.code(), err.trim_end().to_string())
}

#[test]
fn a_bad_set_value_names_the_set_argument_not_a_line_of_the_file() {
    // A value of the wrong type, for a key the file has on a line of its own.
    let (code, err) = error_of(STEP, &["--set", "optimizer.lr=abc"]);
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with(
            "error: --set optimizer.lr=abc: optimizer.lr: invalid type: string \"abc\""
        ),
        "{err}"
    );
    assert!(!err.contains("line"), "{err}");
    // Out of range (found by validation after typing).
    let (code, err) = error_of(STEP, &["--set", "optimizer.lr=-1"]);
    assert_eq!(code, Some(2));
    assert_eq!(
        err,
        "error: --set optimizer.lr=-1: optimizer.lr: expected a finite number > 0, found -1"
    );
    // Out of range for the schedule (found when it is built against the run's shape).
    let (code, err) = error_of(STEP, &["--set", "schedule.step_size=0"]);
    assert_eq!(code, Some(2));
    assert_eq!(
        err,
        "error: --set schedule.step_size=0: schedule.step_size: expected an integer >= 1, found 0"
    );
}

#[test]
fn an_unknown_key_given_with_set_is_blamed_on_the_set_even_when_another_section_has_it() {
    // `momentum` is a key of [optimizer] (line 13 of the file), not of a step schedule.
    let (code, err) = error_of(STEP, &["--set", "schedule.momentum=0.9"]);
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with(
            "error: --set schedule.momentum=0.9: schedule.momentum: unknown field `momentum`"
        ),
        "{err}"
    );
    let (code, err) = error_of(STEP, &["--set", "optimizer.lrr=0.1"]);
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with("error: --set optimizer.lrr=0.1: optimizer.lrr: unknown field `lrr`"),
        "{err}"
    );
}

#[test]
fn a_switched_kind_missing_its_required_key_names_the_switch() {
    let (code, err) = error_of(
        "[schedule]\nkind = \"cosine\"\n",
        &["--set", "schedule.kind=step"],
    );
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with(
            "error: --set schedule.kind=step: schedule.step_size: missing field `step_size`"
        ),
        "{err}"
    );
}

#[test]
fn an_epochs_flag_out_of_range_names_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "c.toml", &mnist_config(STEP));
    let o = lrtrain()
        .args(["schedule", "--config"])
        .arg(&cfg)
        .args(["--epochs", "0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr_of(&o),
        "error: --epochs 0: train.epochs: expected an integer in [1, 10000000], found 0\n"
    );
}

#[test]
fn an_error_in_the_file_still_names_its_line() {
    let (code, err) = error_of(
        "[optimizer]\nkind = \"sgd\"\nlr = \"fast\"\n",
        &["--set", "schedule.kind=constant"],
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("c.toml: line "), "{err}");
    assert!(err.contains("optimizer.lr: invalid type"), "{err}");
}

#[test]
fn a_custom_checked_value_and_a_missing_data_file_given_with_set_name_the_set() {
    let (code, err) = error_of(STEP, &["--set", "train.batch_size=-3"]);
    assert_eq!(code, Some(2));
    assert_eq!(
        err,
        "error: --set train.batch_size=-3: train.batch_size: expected an integer >= 1 or \"full\", found -3"
    );
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "c.toml", &mnist_config(STEP));
    let o = lrtrain()
        .current_dir(dir.path())
        .args(["check", "--config"])
        .arg(&cfg)
        .args(["--set", "data.train_images=nope.gz"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr_of(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: --set data.train_images=nope.gz: ") && err.contains("nope.gz"),
        "{err}"
    );
}
