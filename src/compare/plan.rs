//! Where each compared run goes: `<out>/<name>`, or `<out>/<name>/seed-<s>` with `--seeds`,
//! the name being the config's file stem made unique (`a`, `a-2`, …). Decided, and checked
//! against existing runs, before anything trains.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::UsageError;
use crate::run::dir::RUN_FILES;

/// Most seeds one config runs with (`compare --seeds K`, a sweep file's `seeds = K`).
pub const MAX_SEEDS: u64 = 1000;
/// Most runs one `compare` or `sweep` trains (configs or trials × seeds), counted before
/// anything is planned run by run: a typo (`--seeds 1000000`) costs a one-line refusal, not
/// minutes and gigabytes. Past it, a study belongs in several commands (or shards of a cluster
/// job): a sweep rewrites `sweep.json`, which grows with its runs, as each run starts and ends.
pub const MAX_RUNS: usize = 10_000;
/// Longest run name in bytes kept as it is: a name is a directory name, file systems hold at
/// most 255 bytes, and 6 are left for a `-N` suffix. A longer name keeps its first bytes and
/// ends in a hash of the whole (`…-h0123456789abcdef`); see [`fit_name`].
pub const MAX_NAME: usize = 249;

/// `name` when it is at most [`MAX_NAME`] bytes, else its first bytes (cut at a character
/// boundary) and a hash of the whole name, at most `MAX_NAME` bytes in all. The same name
/// always gives the same result, so a rerun finds its run directories.
pub fn fit_name(name: &str) -> String {
    if name.len() <= MAX_NAME {
        return name.to_string();
    }
    let hash = format!("-h{:016x}", crate::config::hash::fnv1a(name.as_bytes()));
    let mut keep = MAX_NAME - hash.len();
    while !name.is_char_boundary(keep) {
        keep -= 1;
    }
    format!("{}{hash}", &name[..keep])
}

/// Refuses more than [`MAX_RUNS`] runs (`what`: how they were asked for, in the user's words).
pub fn check_runs(runs: u128, what: impl FnOnce() -> String) -> Result<()> {
    if runs > MAX_RUNS as u128 {
        return Err(UsageError(format!(
            "{} = {runs} runs; expected at most {MAX_RUNS}: use fewer, or split the study into several commands",
            what()
        ))
        .into());
    }
    Ok(())
}

/// Makes names valid and unique directory names, in order: [`fit_name`], then a repeated
/// name gets `-2`, `-3`, … (the first free one). Names differing only in case count as
/// repeated: where the file system ignores case (macOS, Windows) they would share a directory.
pub fn unique_names(names: &[String]) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::new();
    names
        .iter()
        .map(|name| {
            let name = fit_name(name);
            let mut candidate = name.clone();
            let mut k = 2;
            while taken.contains(&candidate.to_lowercase()) {
                candidate = format!("{name}-{k}");
                k += 1;
            }
            taken.insert(candidate.to_lowercase());
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
    fn names_a_file_system_cannot_hold_are_shortened_and_made_unique() {
        let long = "é".repeat(200); // 400 bytes
        let fitted = fit_name(&long);
        assert!(fitted.len() <= MAX_NAME, "{}", fitted.len());
        assert!(
            fitted.starts_with("éé") && fitted.contains("-h"),
            "{fitted}"
        );
        assert_eq!(fit_name(&long), fitted, "the same name, the same result");
        assert_ne!(fit_name(&format!("{long}x")), fitted);
        assert_eq!(fit_name("short"), "short");
        let names = unique_names(&[long.clone(), long]);
        assert!(names.iter().all(|n| n.len() <= 255), "{names:?}");
        assert_ne!(names[0], names[1]);
        // Case-insensitive file systems would put these in one directory.
        assert_eq!(unique_names(&s(&["Adam", "adam"])), s(&["Adam", "adam-2"]));
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
