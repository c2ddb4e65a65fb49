//! Every message names the thing the user typed, in the user's words (issue 21, kind 7): the
//! `--set` argument rather than the file for a table the argument made up, the whole list of a
//! section's keys, a path that does not exist as one that does not exist, help text without
//! Rust source syntax, and `check` printing the whole resolved config.

use std::path::Path;

use crate::common::*;

fn check(config: &Path, args: &[&str]) -> std::process::Output {
    lrtrain()
        .args(["check", "--config"])
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

/// The one stderr line of a refused `check`.
fn refusal(config: &Path, args: &[&str]) -> String {
    let o = check(config, args);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    err.trim_end().to_string()
}

#[test]
fn an_unknown_section_given_with_set_is_blamed_on_the_set_not_on_the_file() {
    let cfg = repo().join("configs/penguins.toml");
    let err = refusal(&cfg, &["--set", "foo.bar=1"]);
    assert!(
        err.starts_with("error: --set foo.bar=1: foo: unknown field `foo`, expected one of `seed`"),
        "{err}"
    );
    assert!(!err.contains("penguins.toml"), "{err}");
    // A table made up inside a section is the argument's too.
    let err = refusal(&cfg, &["--set", "optimizer.extra.x=1"]);
    assert!(
        err.starts_with("error: --set optimizer.extra.x=1: "),
        "{err}"
    );
}

#[test]
fn an_unknown_key_is_answered_with_every_key_of_its_section() {
    let cfg = repo().join("configs/penguins.toml");
    let err = refusal(&cfg, &["--set", "optimizer.lrr=0.1"]);
    assert!(
        err.ends_with(
            "optimizer.lrr: unknown field `lrr`, expected one of `kind`, `lr`, `clip_norm`, `beta1`, `beta2`, `eps`, `weight_decay`, `amsgrad`"
        ),
        "{err}"
    );
    // A kind without keys of its own still has the schedule's.
    let err = refusal(
        &repo().join("configs/schedules/constant.toml"),
        &["--set", "schedule.warmpu=3"],
    );
    assert!(
        err.ends_with(
            "unknown field `warmpu`, expected one of `kind`, `unit`, `warmup`, `warmup_start_factor`"
        ),
        "{err}"
    );
    let err = refusal(&cfg, &["--set", "data.zzz=1"]);
    assert!(
        err.contains("expected one of `kind`, `validation_split`, `path`, `target`"),
        "{err}"
    );
    let err = refusal(&cfg, &["--set", "model.zzz=1"]);
    assert!(err.contains("expected one of `kind`, `hidden`"), "{err}");
}

#[test]
fn a_run_directory_that_does_not_exist_is_said_not_to_exist() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("does_not_exist");
    let m = missing.to_str().unwrap();
    let file = write_config(dir.path(), "a-file", "x");
    let f = file.to_str().unwrap();
    for (args, path) in [
        (vec!["eval", "--run", m], m),
        (vec!["predict", "--run", m, "--csv", "x.csv"], m),
        (
            vec![
                "export",
                "--run",
                m,
                "--format",
                "safetensors",
                "--out",
                "x.st",
            ],
            m,
        ),
        (vec!["resume", m], m),
        (vec!["eval", "--run", f], f),
    ] {
        let o = lrtrain()
            .current_dir(dir.path())
            .args(&args)
            .output()
            .unwrap();
        let err = stderr_of(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        let want = if path == m {
            format!("error: {m}: does not exist (expected a run directory")
        } else {
            format!("error: {f}: is a file, not a run directory")
        };
        assert!(err.starts_with(&want), "{args:?}: {err}");
        assert!(!err.contains("no config.toml"), "{err}");
    }
    // A directory that exists but holds no run is still told so.
    let o = lrtrain()
        .args(["eval", "--run", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(stderr_of(&o).contains("not a run directory (no config.toml in it)"));
    let o = lrtrain().args(["compare", "--from", m]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr_of(&o),
        format!(
            "error: --from {m}: does not exist (expected a run directory or a directory of them)\n"
        )
    );
}

/// The subcommands `lrtrain --help` lists (all of them, whoever adds one).
fn subcommands() -> Vec<String> {
    let o = lrtrain().arg("--help").output().unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    text.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        // A command's line is indented by two; a wrapped description by more.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(String::from)
        .collect()
}

#[test]
fn no_help_text_shows_rust_documentation_syntax() {
    let commands = subcommands();
    assert!(commands.len() >= 10, "{commands:?}");
    let mut helps = vec![vec!["--help".to_string()]];
    helps.extend(commands.iter().map(|c| vec![c.clone(), "--help".into()]));
    for args in helps {
        let o = lrtrain().args(&args).output().unwrap();
        assert!(o.status.success(), "{args:?}");
        let text = String::from_utf8(o.stdout).unwrap();
        // Rustdoc links ([`paired_t`]) and Markdown code spans are Rust source, not help.
        for bad in ["[`", "`]", "`"] {
            assert!(
                !text.contains(bad),
                "lrtrain {}: {bad:?} in:\n{text}",
                args.join(" ")
            );
        }
    }
    let o = lrtrain().args(["compare", "--help"]).output().unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("t:        The two-sided paired t-test\n"),
        "{text}"
    );
}

#[test]
fn find_lr_names_its_mode_as_the_flag_takes_it() {
    let dir = tempfile::tempdir().unwrap();
    for (mode, flag) in [(None, "exp"), (Some("linear"), "linear")] {
        let mut cmd = lrtrain();
        cmd.args(["find-lr", "--config"])
            .arg(repo().join("configs/linear.toml"))
            .args(["--steps", "5", "--out"])
            .arg(dir.path().join(flag));
        if let Some(m) = mode {
            cmd.args(["--mode", m]);
        }
        let o = cmd.output().unwrap();
        let err = stderr_of(&o);
        let first = err.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("seed 42: range test over 5 steps")
                && first.ends_with(&format!("(--mode {flag})")),
            "{err}"
        );
        assert!(!err.contains("Exp") && !err.contains("Linear)"), "{err}");
    }
}
