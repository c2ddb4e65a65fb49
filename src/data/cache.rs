//! Data loaded once per process: `sweep` and `compare` check every config and then train many
//! runs on the same files; each (data config, task, seed) is read and decoded once and shared
//! read-only by every run and check that asks for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::Result;

use super::{DataConfig, DataSource, Splits, load as load_uncached};
use crate::model::TaskKind;

/// Loaded splits by key; a per-key slot so two threads asking for the same data wait for one
/// load instead of both reading the files.
type Slot = Arc<Mutex<Option<Arc<Splits>>>>;
type Slots = Mutex<HashMap<String, Slot>>;

static CACHE: OnceLock<Slots> = OnceLock::new();

/// [`super::load`] through the process's cache. The key is the data config as JSON, the task,
/// and the seed where the seed shapes the data (a seeded validation split, synthetic draws,
/// CSV); IDX with its own test files ignores the seed, so every seed of a sweep shares one load.
/// Errors are not cached: a failing load is tried again by the next caller.
pub fn load(cfg: &DataConfig, task: TaskKind, seed: u64) -> Result<Arc<Splits>> {
    let seeded = !matches!(
        &cfg.source,
        DataSource::Idx(s) if s.test_images.is_some() && s.test_labels.is_some()
    );
    let key = format!(
        "{}|{task:?}|{}",
        serde_json::to_string(cfg)?,
        if seeded {
            seed.to_string()
        } else {
            String::new()
        }
    );
    let slot = {
        let mut map = CACHE
            .get_or_init(Default::default)
            .lock()
            .map_err(|_| anyhow::anyhow!("the data cache was poisoned by a panic"))?;
        map.entry(key).or_default().clone()
    };
    let mut slot = slot
        .lock()
        .map_err(|_| anyhow::anyhow!("the data cache was poisoned by a panic"))?;
    if let Some(splits) = slot.as_ref() {
        return Ok(splits.clone());
    }
    let splits = Arc::new(load_uncached(cfg, task, seed)?);
    *slot = Some(splits.clone());
    Ok(splits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_data_config_is_loaded_once_and_shared() {
        let cfg: DataConfig =
            toml::from_str("kind = \"synthetic_linear\"\nsamples = 20\nvalidation_split = 0.25")
                .unwrap();
        let a = load(&cfg, TaskKind::Regression, 3).unwrap();
        let b = load(&cfg, TaskKind::Regression, 3).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        // The seed shapes a split: another seed is another load.
        let c = load(&cfg, TaskKind::Regression, 4).unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(a.train.rows, 15);
    }
}
