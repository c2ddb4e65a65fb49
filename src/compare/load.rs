//! Reading finished runs back: `metrics.csv` for the rows, `summary.json` for the config, status
//! and wall time. `compare` reads the runs it just trained through here too, so
//! `compare --from` gives the same table.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::plan::unique_names;
use super::{Group, RunRecord};
use crate::error::UsageError;
use crate::run::metrics_csv::read_rows;

/// A directory holding a run: both files a run writes first.
pub fn is_run(dir: &Path) -> bool {
    dir.join("metrics.csv").is_file() && dir.join("summary.json").is_file()
}

/// Reads one run directory.
pub fn run(dir: &Path) -> Result<RunRecord> {
    let usage = |what: String| anyhow::Error::new(UsageError(what));
    let rows = read_rows(&dir.join("metrics.csv")).map_err(|e| usage(format!("{e:#}")))?;
    let summary_path = dir.join("summary.json");
    let text = fs::read_to_string(&summary_path)
        .map_err(|e| usage(format!("{}: cannot read: {e}", summary_path.display())))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| usage(format!("{}: not JSON: {e}", summary_path.display())))?;
    let field = |pointer: &str| {
        json.pointer(pointer).ok_or_else(|| {
            usage(format!(
                "{}: expected a summary.json with {pointer}, found none",
                summary_path.display()
            ))
        })
    };
    let text_of = |pointer: &str| -> Result<String> {
        Ok(field(pointer)?.as_str().unwrap_or_default().to_string())
    };
    Ok(RunRecord {
        dir: dir.to_path_buf(),
        seed: field("/config/seed")?.as_u64().unwrap_or_default(),
        optimizer: text_of("/config/optimizer/kind")?,
        schedule: text_of("/config/schedule/kind")?,
        status: text_of("/status")?,
        seconds: field("/total_seconds")?.as_f64().unwrap_or(f64::NAN),
        rows,
    })
}

/// The runs of a seeded config: its `seed-<s>` subdirectories, in seed order.
fn seed_runs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut seeded: Vec<(u64, PathBuf)> = subdirs(dir)?
        .into_iter()
        .filter_map(|d| {
            let name = d.file_name()?.to_str()?;
            let seed = name.strip_prefix("seed-")?.parse().ok()?;
            is_run(&d).then_some((seed, d))
        })
        .collect();
    seeded.sort();
    Ok(seeded.into_iter().map(|(_, d)| d).collect())
}

fn subdirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("reading the directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// The name a directory gives its run: its own name (`.` and `..` resolved).
fn dir_name(dir: &Path) -> String {
    let named = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    named(dir)
        .filter(|n| n != "." && n != "..")
        .or_else(|| fs::canonicalize(dir).ok().and_then(|p| named(&p)))
        .unwrap_or_else(|| "run".into())
}

/// The directories of `--from`: each a run (`<dir>/metrics.csv`), a seeded config
/// (`<dir>/seed-<s>/`), or a directory of those, such as a `compare --out` directory, whose
/// runs are taken in name order. A run is named after its directory (a seeded run after the
/// directory above `seed-<s>`).
pub fn groups(dirs: &[PathBuf]) -> Result<Vec<Group>> {
    let mut found: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for dir in dirs {
        if !dir.exists() {
            return Err(UsageError(format!(
                "--from {}: does not exist (expected a run directory or a directory of them)",
                dir.display()
            ))
            .into());
        }
        if !dir.is_dir() {
            return Err(UsageError(format!(
                "--from {}: is a file, not a directory (expected a run directory or a directory of them)",
                dir.display()
            ))
            .into());
        }
        let before = found.len();
        if is_run(dir) {
            found.push((dir_name(dir), vec![dir.clone()]));
            continue;
        }
        let seeded = seed_runs(dir)?;
        if !seeded.is_empty() {
            found.push((dir_name(dir), seeded));
            continue;
        }
        for sub in subdirs(dir)? {
            if is_run(&sub) {
                found.push((dir_name(&sub), vec![sub]));
            } else {
                let seeded = seed_runs(&sub)?;
                if !seeded.is_empty() {
                    found.push((dir_name(&sub), seeded));
                }
            }
        }
        if found.len() == before {
            return Err(UsageError(format!(
                "--from {}: expected a run directory (metrics.csv and summary.json), or a directory of them, found neither",
                dir.display()
            ))
            .into());
        }
    }
    let names = unique_names(&found.iter().map(|f| f.0.clone()).collect::<Vec<_>>());
    names
        .into_iter()
        .zip(found)
        .map(|(name, (_, dirs))| {
            Ok(Group {
                name,
                runs: dirs.iter().map(|d| run(d)).collect::<Result<_>>()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_run(dir: &Path, seed: u64, status: &str) {
        fs::create_dir_all(dir).unwrap();
        fs::write(
            dir.join("metrics.csv"),
            "epoch,lr,loss,accuracy,val_loss,val_accuracy,grad_norm,seconds\n0,0.1,0.5,0.8,0.4,0.85,1,0.25\n1,0.05,NaN,,inf,,2,0.25\n",
        )
        .unwrap();
        let summary = serde_json::json!({
            "status": status,
            "total_seconds": 1.25,
            "config": { "seed": seed, "optimizer": { "kind": "sgd" }, "schedule": { "kind": "step" } }
        });
        fs::write(dir.join("summary.json"), summary.to_string()).unwrap();
    }

    #[test]
    fn a_run_reads_back_with_empty_columns_and_non_finite_values() {
        let dir = tempfile::tempdir().unwrap();
        fake_run(dir.path(), 3, "diverged");
        let r = run(dir.path()).unwrap();
        assert_eq!((r.seed, r.status.as_str()), (3, "diverged"));
        assert_eq!((r.optimizer.as_str(), r.schedule.as_str()), ("sgd", "step"));
        assert_eq!(r.seconds, 1.25);
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[0].val_accuracy, Some(0.85));
        assert!(r.rows[1].loss.is_nan());
        assert_eq!(r.rows[1].val_loss, Some(f64::INFINITY));
        assert_eq!(r.rows[1].accuracy, None);
    }

    #[test]
    fn a_compare_directory_expands_into_its_runs_and_seeded_configs() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("cmp");
        fake_run(&out.join("b"), 1, "completed");
        fake_run(&out.join("a/seed-10"), 10, "completed");
        fake_run(&out.join("a/seed-9"), 9, "completed");
        fs::write(out.join("compare.csv"), "").unwrap();
        let g = groups(std::slice::from_ref(&out)).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].name, "a");
        assert_eq!(
            g[0].runs.iter().map(|r| r.seed).collect::<Vec<_>>(),
            [9, 10]
        );
        assert_eq!(g[1].name, "b");
        // The same runs named one by one; a repeated name is made unique.
        let g = groups(&[out.join("b"), out.join("a"), out.join("b")]).unwrap();
        let names: Vec<_> = g.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["b", "a", "b-2"]);
    }

    #[test]
    fn a_directory_without_runs_is_a_usage_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = groups(&[dir.path().to_path_buf()]).unwrap_err();
        assert_eq!(crate::error::exit_code(&err), 2);
        assert!(format!("{err}").contains("found neither"), "{err}");
        let err = groups(&[dir.path().join("missing")]).unwrap_err();
        assert_eq!(crate::error::exit_code(&err), 2);
    }
}
