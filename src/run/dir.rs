//! Creating the directory a command writes into, the one way for every command: a path that is
//! not a directory is refused, and so is a directory already holding that command's files
//! unless `--force` (exit 2); nothing a user wrote is replaced without asking.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::checkpoint::{CHECKPOINT_FILE, PARAMS_EMA_FILE, PARAMS_FILE};
use crate::data::tabular::PREPROCESSING_FILE;
use crate::output;

/// Files a run writes; an existing one is never replaced without `--force`.
pub const RUN_FILES: [&str; 3] = ["metrics.csv", "summary.json", "config.toml"];

#[derive(Debug, Clone)]
pub struct RunDir {
    pub path: PathBuf,
}

impl RunDir {
    /// Creates the directory; refuses (exit 2) when it already holds a run, unless `force`
    /// (see [`create`]).
    pub fn create(path: &Path, force: bool) -> Result<RunDir> {
        create(path, force, &RUN)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Writes `bytes` to `name` through a temporary file and a rename, so a crash mid-write
    /// leaves the previous version whole.
    pub fn write_atomic(&self, name: &str, bytes: &[u8]) -> Result<()> {
        output::write_atomic(&self.file(name), bytes)
    }
}

/// What kind of directory is made, for the messages and the refusal.
#[derive(Debug, Clone, Copy)]
pub struct DirKind {
    /// `run directory`, `output directory`.
    pub noun: &'static str,
    /// What an existing one holds: `a run`, `a range test`.
    pub holds: &'static str,
    /// Files whose presence means the directory holds one already.
    pub files: &'static [&'static str],
}

/// A training run's directory (`train`, `compare`, `sweep`).
pub const RUN: DirKind = DirKind {
    noun: "run directory",
    holds: "a run",
    files: &RUN_FILES,
};

/// Creates `path` (and its parents) for `kind`.
///
/// # Errors
/// A usage error (exit 2) when `path` exists and is not a directory, or already holds one of
/// `kind.files` and `force` is false; an I/O error (exit 1) when it cannot be created.
pub fn create(path: &Path, force: bool, kind: &DirKind) -> Result<RunDir> {
    if path.exists() && !path.is_dir() {
        crate::bail_usage!(
            "{}: the {} path exists and is not a directory",
            path.display(),
            kind.noun
        );
    }
    if let (false, Some(existing)) = (force, kind.files.iter().find(|f| path.join(f).exists())) {
        crate::bail_usage!(
            "{}: already holds {} ({existing}); pass --force to replace it or --out DIR to write elsewhere",
            path.display(),
            kind.holds
        );
    }
    std::fs::create_dir_all(path)
        .with_context(|| format!("creating the {} {}", kind.noun, path.display()))?;
    Ok(RunDir {
        path: path.to_path_buf(),
    })
}

/// Creates a run directory for a run that starts from epoch 0, removing what a replaced run
/// (`--force`) left that must not outlive it: its checkpoint, parameters and preprocessing.
///
/// # Errors
/// As [`create`], and an I/O error when a stale file cannot be removed.
pub fn fresh_run(path: &Path, force: bool) -> Result<RunDir> {
    let dir = create(path, force, &RUN)?;
    for stale in [
        CHECKPOINT_FILE,
        PARAMS_FILE,
        PARAMS_EMA_FILE,
        PREPROCESSING_FILE,
    ] {
        match std::fs::remove_file(dir.file(stale)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(anyhow::Error::new(e)
                    .context(format!("removing {}", dir.file(stale).display())));
            }
            _ => {}
        }
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn an_existing_run_is_refused_without_force_and_replaced_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("r");
        RunDir::create(&run, false).unwrap();
        fs::write(run.join("metrics.csv"), "x").unwrap();
        let err = RunDir::create(&run, false).unwrap_err();
        assert!(format!("{err}").contains("--force"), "{err}");
        assert_eq!(crate::error::exit_code(&err), 2);
        RunDir::create(&run, true).unwrap();
    }
}
