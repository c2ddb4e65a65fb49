//! Where each compared run goes: `<out>/<name>`, or `<out>/<name>/seed-<s>` with `--seeds`,
//! the name being the config's file stem made unique (`a`, `a-2`, …). Decided, and checked
//! against existing runs, before anything trains.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::UsageError;
use crate::run::dir::RUN_FILES;

/// Makes names unique in order: a repeated name gets `-2`, `-3`, … (the first free one).
pub fn unique_names(names: &[String]) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::new();
    names
        .iter()
        .map(|name| {
            let mut candidate = name.clone();
            let mut k = 2;
            while taken.contains(&candidate) {
                candidate = format!("{name}-{k}");
                k += 1;
            }
            taken.insert(candidate.clone());
            candidate
        })
        .collect()
}

/// The config file's stem (`configs/cosine.toml` → `cosine`).
pub fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "run".into())
}

/// The directory of one run; `seeded`: the config is run with several seeds.
pub fn run_dir(out: &Path, name: &str, seed: u64, seeded: bool) -> PathBuf {
    if seeded {
        out.join(name).join(format!("seed-{seed}"))
    } else {
        out.join(name)
    }
}

/// Refuses (exit 2) when any of `dirs` already holds a run, naming every one, unless `force`:
/// checked for all runs before the first trains, so nothing is half done.
pub fn check_free(dirs: &[PathBuf], force: bool) -> Result<()> {
    if force {
        return Ok(());
    }
    let taken: Vec<String> = dirs
        .iter()
        .filter(|d| RUN_FILES.iter().any(|f| d.join(f).exists()))
        .map(|d| d.display().to_string())
        .collect();
    if taken.is_empty() {
        return Ok(());
    }
    Err(UsageError(format!(
        "{} already {} a run; pass --force to replace, or --out DIR to write elsewhere (nothing was trained)",
        taken.join(", "),
        if taken.len() == 1 { "holds" } else { "hold" }
    ))
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn repeated_stems_get_numbered_suffixes() {
        assert_eq!(
            unique_names(&s(&["a", "b", "a", "a"])),
            s(&["a", "b", "a-2", "a-3"])
        );
        // A suffix that is itself taken is skipped over.
        assert_eq!(
            unique_names(&s(&["a-2", "a", "a"])),
            s(&["a-2", "a", "a-3"])
        );
    }

    #[test]
    fn seeded_runs_go_one_level_deeper() {
        let out = Path::new("runs/cmp");
        assert_eq!(run_dir(out, "a", 7, false), Path::new("runs/cmp/a"));
        assert_eq!(run_dir(out, "a", 7, true), Path::new("runs/cmp/a/seed-7"));
        assert_eq!(stem(Path::new("configs/x/cosine.toml")), "cosine");
    }

    #[test]
    fn every_existing_run_is_named_before_anything_trains() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        for d in [&a, &b] {
            std::fs::create_dir_all(d).unwrap();
            std::fs::write(d.join("metrics.csv"), "").unwrap();
        }
        let dirs = [a, b, c];
        let err = check_free(&dirs, false).unwrap_err();
        let msg = format!("{err}");
        assert!(
            msg.contains("a,") && msg.contains("b already hold"),
            "{msg}"
        );
        assert_eq!(crate::error::exit_code(&err), 2);
        check_free(&dirs, true).unwrap();
    }
}
