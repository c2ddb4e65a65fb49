//! Resuming a run: reading the checkpoint and checking that it belongs to the config, cutting
//! metrics.csv back to the epochs it covers, and the note on horizons that follow a changed length.

use std::path::Path;

use anyhow::Result;

use crate::config::{self, CheckpointPolicy, LoadedConfig, RunConfig};
use crate::error::UsageError;
use crate::run::checkpoint::{CHECKPOINT_FILE, Checkpoint};
use crate::run::metrics_csv::read_rows as read_csv_rows;
use crate::schedule::{self, RunShape};
use crate::train::EpochMetrics;

/// The first `epochs_done` rows of metrics.csv: the rows the checkpoint covers. A crash between
/// writing a row and renaming its checkpoint leaves one row more, which is cut off here.
pub(super) fn checkpointed_rows(path: &Path, epochs_done: usize) -> Result<Vec<EpochMetrics>> {
    let mut rows = read_csv_rows(path).map_err(|e| UsageError(format!("{e:#}")))?;
    if rows.len() < epochs_done {
        crate::bail_usage!(
            "{}: holds {} rows but the checkpoint is at epoch {epochs_done}; the run directory was changed by hand",
            path.display(),
            rows.len()
        );
    }
    rows.truncate(epochs_done);
    Ok(rows)
}

/// When a resumed run's length differs from that in its `config.toml` (`resume --epochs N`), the
/// omitted horizons that follow the run's length and change with it, as one line:
/// `extending the run from 20 to 30 epochs: schedule.total 20 → 30 (…)`. `None` when nothing
/// changes (or the old config cannot be read: the config check has reported that).
pub(super) fn horizons_recomputed(
    old_path: &Path,
    loaded: &LoadedConfig,
    shape: &RunShape,
) -> Option<String> {
    let old: RunConfig = toml::from_str(&std::fs::read_to_string(old_path).ok()?).ok()?;
    let cfg = &loaded.config;
    let (from, to) = (old.train.epochs, cfg.train.epochs);
    if from == to {
        return None;
    }
    let lr0 = cfg.optimizer.lr0();
    let old_shape = RunShape {
        epochs: from,
        ..*shape
    };
    let before = schedule::omitted_horizons(&old.schedule, lr0, &old_shape);
    let after = schedule::omitted_horizons(&cfg.schedule, lr0, shape);
    let changes: Vec<String> = after
        .iter()
        .filter_map(|a| {
            let b = before
                .iter()
                .find(|b| b.table == a.table && b.key == a.key)?;
            (b.value != a.value).then(|| format!("{}.{} {} → {}", a.table, a.key, b.value, a.value))
        })
        .collect();
    if changes.is_empty() {
        return None;
    }
    let verb = if to > from { "extending" } else { "shortening" };
    Some(format!(
        "{verb} the run from {from} to {to} epochs: {} (omitted horizons follow the run's length; the epochs already trained keep the rates they had)",
        changes.join(", ")
    ))
}

/// Reads the checkpoint to resume from and checks that it belongs to this config. `None`: the
/// run directory holds this config's run but no checkpoint yet (the run was killed before its
/// first time-based one), so it is trained again from the start.
pub(super) fn read_checkpoint(dir: &Path, loaded: &LoadedConfig) -> Result<Option<Checkpoint>> {
    let cfg = &loaded.config;
    let file = dir.join(CHECKPOINT_FILE);
    if !dir.is_dir() {
        crate::bail_usage!(
            "{}: no run to resume (not a directory); start it without --resume",
            dir.display()
        );
    }
    if !file.exists() {
        let stored = dir.join("config.toml");
        if cfg.output.checkpoint_policy() == CheckpointPolicy::Never || !stored.is_file() {
            crate::bail_usage!(
                "{}: no checkpoint to resume from (no epoch finished yet, or output.checkpoint_every = 0); start the run again without --resume",
                file.display()
            );
        }
        let stored = config::load_run(dir, &[])?;
        if config::hash::config_hash(&stored.config) != config::hash::config_hash(cfg) {
            crate::bail_usage!(
                "{}: the config differs from the run's{}; only train.epochs (and [output]) may change on resume",
                stored.path.display(),
                describe_changes(&stored.path, cfg)
            );
        }
        return Ok(None);
    }
    let c = Checkpoint::read(&file)?;
    if !config::hash::belongs_to(c.config_hash, loaded) {
        crate::bail_usage!(
            "{}: the config differs from the checkpointed run's{}; only train.epochs (and [output]) may change on resume",
            file.display(),
            describe_changes(&dir.join("config.toml"), cfg)
        );
    }
    if c.state.epochs_done as usize > cfg.train.epochs {
        crate::bail_usage!(
            "{}: the run already has {} epochs, more than train.epochs = {}; pass --epochs {} or more",
            file.display(),
            c.state.epochs_done,
            cfg.train.epochs,
            c.state.epochs_done
        );
    }
    Ok(Some(c))
}

/// ` (optimizer.lr: 0.1 → 0.2, …)`, from the run's config.toml; empty when it cannot be read.
fn describe_changes(old_path: &Path, cfg: &RunConfig) -> String {
    let old = std::fs::read_to_string(old_path)
        .ok()
        .and_then(|t| toml::from_str::<RunConfig>(&t).ok());
    let (Some(old), Ok(new)) = (old, toml::Value::try_from(config::hash::comparable(cfg))) else {
        return String::new();
    };
    let Ok(old) = toml::Value::try_from(config::hash::comparable(&old)) else {
        return String::new();
    };
    let (mut a, mut b) = (Vec::new(), Vec::new());
    flatten(&old, "", &mut a);
    flatten(&new, "", &mut b);
    let mut keys: Vec<&String> = a.iter().chain(&b).map(|(k, _)| k).collect();
    keys.sort();
    keys.dedup();
    let find = |v: &[(String, String)], k: &str| {
        v.iter()
            .find(|(x, _)| x == k)
            .map_or("(absent)".to_string(), |(_, v)| v.clone())
    };
    let changes: Vec<String> = keys
        .into_iter()
        .filter_map(|k| {
            let (x, y) = (find(&a, k), find(&b, k));
            (x != y).then(|| format!("{k}: {x} → {y}"))
        })
        .collect();
    if changes.is_empty() {
        String::new()
    } else {
        format!(" ({})", changes.join(", "))
    }
}

fn flatten(v: &toml::Value, prefix: &str, out: &mut Vec<(String, String)>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(v, &key, out);
            }
        }
        other => out.push((prefix.to_string(), other.to_string())),
    }
}
