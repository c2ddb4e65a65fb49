//! Every message names the thing the user typed, in the user's words (issue 21, kind 7): the
//! `--set` argument rather than the file for a table the argument made up, the whole list of a
//! section's keys, a path that does not exist as one that does not exist, help text without
//! Rust source syntax, and `check` printing the whole resolved config.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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

/// The keys a section accepts, as lrtrain itself lists them when one is unknown.
fn accepted(config: &Path, section: &str) -> Vec<String> {
    let key = if section.is_empty() {
        "zz_not_a_key".to_string()
    } else {
        format!("{section}.zz_not_a_key")
    };
    let err = refusal(config, &["--set", &format!("{key}=1")]);
    let list = err
        .split_once(", expected ")
        .unwrap_or_else(|| panic!("{section}: {err}"))
        .1;
    list.split('`')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

/// `check`'s output cut into its tables: `""` for the top, `data`, `schedule.phases[1]`, ….
fn tables(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut table = String::new();
    for line in text.lines() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("[[").and_then(|r| r.strip_suffix("]]")) {
            let n = counts.entry(name.to_string()).or_default();
            table = format!("{name}[{n}]");
            *n += 1;
        } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            table = name.to_string();
        } else {
            out.entry(table.clone()).or_default().push(t.to_string());
        }
    }
    out
}

/// Whether `key` is in `lines`: set (`key = …`) or, unset, in a comment (`# key = …` for a
/// value that stands in for it, `# key: unset (…)`).
fn shows(lines: &[String], key: &str) -> bool {
    lines.iter().any(|l| {
        let l = l.strip_prefix("# ").unwrap_or(l);
        l.strip_prefix(key)
            .is_some_and(|rest| rest.starts_with(" =") || rest.starts_with(':'))
    })
}

fn shipped_configs() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["configs", "configs/schedules", "configs/optimizers"] {
        for e in std::fs::read_dir(repo().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|e| e == "toml") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn check_prints_every_key_the_config_accepts_for_every_shipped_config() {
    let mut checked = 0;
    for cfg in shipped_configs() {
        let o = check(&cfg, &[]);
        if stderr_of(&o).contains("apt-get install") {
            continue; // Fashion-MNIST, a system package that may be missing here
        }
        assert!(o.status.success(), "{}: {}", cfg.display(), stderr_of(&o));
        let text = String::from_utf8(o.stdout).unwrap();
        let tables = tables(&text);
        let mut sections: Vec<String> = [
            "",
            "data",
            "model",
            "optimizer",
            "schedule",
            "train",
            "output",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // The tables inside the schedule: sequential's phases, chain's links.
        sections.extend(
            tables
                .keys()
                .filter(|t| t.starts_with("schedule.") && t.ends_with(']'))
                .cloned(),
        );
        for section in &sections {
            let lines = tables.get(section.as_str()).cloned().unwrap_or_default();
            for key in accepted(&cfg, section) {
                // A table value is a table of its own: `[train.early_stopping]`,
                // `[[schedule.phases]]`.
                let inner = if section.is_empty() {
                    key.clone()
                } else {
                    format!("{section}.{key}")
                };
                let own_table = tables
                    .keys()
                    .any(|t| *t == inner || t.starts_with(&format!("{inner}[")));
                assert!(
                    shows(&lines, &key) || own_table,
                    "{}: check shows no {section}.{key}:\n{text}",
                    cfg.display()
                );
            }
        }
        // early_stopping's own keys, set or in the comment that says it is unset.
        let keys = accepted(&cfg, "train.early_stopping");
        let train = &tables["train"];
        let shown = match tables.get("train.early_stopping") {
            Some(lines) => keys.iter().all(|k| shows(lines, k)),
            None => train.iter().any(|l| {
                l.starts_with("# early_stopping: unset")
                    && keys.iter().all(|k| l.contains(&format!("{k} = ")))
            }),
        };
        assert!(shown, "{}: early_stopping {keys:?}:\n{text}", cfg.display());
        checked += 1;
    }
    assert!(checked >= 40, "{checked} configs checked");
}

#[test]
fn checks_output_read_back_as_a_config_is_the_same_config() {
    let dir = tempfile::tempdir().unwrap();
    for cfg in shipped_configs() {
        let o = check(&cfg, &[]);
        if !o.status.success() {
            continue; // Fashion-MNIST missing: the test above says which
        }
        let first = String::from_utf8(o.stdout).unwrap();
        let again = write_config(dir.path(), "again.toml", &first);
        let o = check(&again, &[]);
        assert!(o.status.success(), "{}: {}", cfg.display(), stderr_of(&o));
        assert_eq!(
            String::from_utf8(o.stdout).unwrap(),
            first,
            "{}",
            cfg.display()
        );
    }
    // The CSV keys check writes out are the defaults: the same config as without them.
    let o = check(&repo().join("configs/linear.toml"), &[]);
    let text = String::from_utf8(o.stdout).unwrap();
    for line in [
        "task = \"auto\"",
        "features = []",
        "ignore = []",
        "categorical = []",
        "missing = \"error\"",
        "delimiter = \",\"",
        "max_levels = 1000",
    ] {
        assert!(text.lines().any(|l| l == line), "{line}:\n{text}");
    }
}

/// A sweep over `base` (written beside it) with `body` after `base = "base.toml"`.
fn sweep_file(dir: &Path, base: &str, body: &str) -> PathBuf {
    write_config(dir, "base.toml", base);
    write_config(dir, "s.toml", &format!("base = \"base.toml\"\n{body}"))
}

fn penguins(epochs: usize) -> String {
    std::fs::read_to_string(repo().join("configs/penguins.toml"))
        .unwrap()
        .replace("../data/", &format!("{}/data/", repo().display()))
        .replace("epochs = 60", &format!("epochs = {epochs}"))
}

#[test]
fn a_sweep_file_without_a_metric_shows_its_real_error() {
    let dir = tempfile::tempdir().unwrap();
    let s = sweep_file(dir.path(), &penguins(1), "[grid]\nseed = [1, 2]\n");
    let o = lrtrain()
        .args(["sweep", s.to_str().unwrap(), "--list"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr_of(&o);
    assert!(
        err.contains("s.toml: line 3: grid.seed: the runs' seeds come from `seeds`, not an axis"),
        "{err}"
    );
    assert!(!err.contains("metric"), "{err}");
}

#[test]
fn a_sweep_file_without_a_metric_ranks_by_compares_rule() {
    let dir = tempfile::tempdir().unwrap();
    // Classification with a validation set: val_accuracy, as compare would rank.
    let s = sweep_file(
        dir.path(),
        &penguins(1),
        "seeds = 1\n[grid]\n\"optimizer.lr\" = [0.01, 0.02]\n",
    );
    let out = dir.path().join("out");
    let o = lrtrain()
        .args(["sweep", s.to_str().unwrap(), "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let json = read_json(&out.join("sweep.json"));
    assert_eq!(json["metric"], "val_accuracy");
    assert_eq!(json["table"]["metric"], "val_accuracy");
    // Regression without a validation set: loss.
    let linear = std::fs::read_to_string(repo().join("configs/linear.toml"))
        .unwrap()
        .replace("../data/", &format!("{}/data/", repo().display()))
        .replace("epochs = 3000", "epochs = 2");
    let s = sweep_file(
        dir.path(),
        &linear,
        "seeds = 1\n[grid]\n\"optimizer.lr\" = [0.01]\n",
    );
    let out = dir.path().join("out2");
    let o = lrtrain()
        .args(["sweep", s.to_str().unwrap(), "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(read_json(&out.join("sweep.json"))["metric"], "loss");
}

#[test]
fn a_sweep_metric_its_runs_will_not_have_names_the_sweep_files_key() {
    let dir = tempfile::tempdir().unwrap();
    let linear = std::fs::read_to_string(repo().join("configs/linear.toml"))
        .unwrap()
        .replace("../data/", &format!("{}/data/", repo().display()));
    let s = sweep_file(
        dir.path(),
        &linear,
        "metric = \"val_accuracy\"\n[grid]\n\"optimizer.lr\" = [0.01]\n",
    );
    let o = lrtrain()
        .args(["sweep", s.to_str().unwrap(), "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr_of(&o);
    assert!(
        err.contains("s.toml: metric = \"val_accuracy\": the runs of trial lr=0.01 will have no val_accuracy: it has no"),
        "{err}"
    );
    assert!(!err.contains("--metric"), "{err}");
}

#[test]
fn a_set_that_fails_for_one_of_several_compared_configs_names_that_config() {
    let dir = tempfile::tempdir().unwrap();
    let sgd = repo().join("configs/linear.toml");
    let adam = repo().join("configs/penguins.toml");
    let o = lrtrain()
        .arg("compare")
        .args([&sgd, &adam])
        .args(["--set", "optimizer.momentum=0.9", "--out"])
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr_of(&o);
    assert!(
        err.starts_with(&format!(
            "error: {}: --set optimizer.momentum=0.9: optimizer.momentum: unknown field `momentum`",
            adam.display()
        )),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}
