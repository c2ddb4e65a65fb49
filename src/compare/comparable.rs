//! What compared configs differ in, and whether they may be ranked together at all: runs on
//! different data or of a different task (classification against regression) are not
//! comparable by one metric, so `compare` refuses them naming the differing keys.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::Result;

use crate::bail_usage;
use crate::config::RunConfig;

/// Keys that never make two configs "different" for the table: the seed is what seeds pair on,
/// `[output]` and `threads` change where and how fast a run goes, not what it learns.
const IGNORED: [&str; 3] = ["seed", "output", "threads"];

/// The dotted keys in which `configs` differ, sorted: a table whose `kind` differs is named as a
/// whole (`schedule`), else its differing keys (`optimizer.lr`); a plain key by itself.
pub fn differ_in(configs: &[&RunConfig]) -> Vec<String> {
    let trees: Vec<toml::Table> = configs
        .iter()
        .filter_map(|c| toml::Table::try_from(*c).ok())
        .collect();
    let mut keys = BTreeSet::new();
    for tree in &trees {
        keys.extend(tree.keys().cloned());
    }
    let mut out = Vec::new();
    for key in keys.iter().filter(|k| !IGNORED.contains(&k.as_str())) {
        let values: Vec<Option<&toml::Value>> = trees.iter().map(|t| t.get(key)).collect();
        if values.windows(2).all(|w| w[0] == w[1]) {
            continue;
        }
        let tables: Vec<Option<&toml::Table>> = values
            .iter()
            .map(|v| v.and_then(|v| v.as_table()))
            .collect();
        let kinds: Vec<Option<&toml::Value>> = tables
            .iter()
            .map(|t| t.and_then(|t| t.get("kind")))
            .collect();
        if tables.iter().any(Option::is_none) || kinds.windows(2).any(|w| w[0] != w[1]) {
            out.push(key.clone());
            continue;
        }
        let mut sub = BTreeSet::new();
        for t in tables.iter().flatten() {
            sub.extend(t.keys().cloned());
        }
        for s in sub {
            let vs: Vec<Option<&toml::Value>> =
                tables.iter().map(|t| t.and_then(|t| t.get(&s))).collect();
            if vs.windows(2).any(|w| w[0] != w[1]) {
                out.push(format!("{key}.{s}"));
            }
        }
    }
    out
}

/// Refuses (exit 2) configs whose data or task differ, naming the configs and the keys.
pub fn check(configs: &[(PathBuf, &RunConfig)]) -> Result<()> {
    let Some((first_path, first)) = configs.first() else {
        return Ok(());
    };
    for (path, cfg) in &configs[1..] {
        let mut keys: Vec<String> = differ_in(&[first, cfg])
            .into_iter()
            .filter(|k| k == "data" || k.starts_with("data."))
            .collect();
        if cfg.model.task() != first.model.task() {
            keys.push("model (its task)".into());
        }
        if !keys.is_empty() {
            bail_usage!(
                "{} and {}: differ in {}; runs on other data or of another task are not ranked together",
                first_path.display(),
                path.display(),
                keys.join(", ")
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(extra: &str) -> RunConfig {
        toml::from_str(&format!(
            "seed = 1\n[data]\nkind = \"synthetic_linear\"\nsamples = 10\n[model]\nkind = \"linear\"\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n{extra}\n[train]\nepochs = 2\nbatch_size = 4\n"
        ))
        .unwrap()
    }

    #[test]
    fn a_kind_switch_names_the_table_and_a_rate_names_its_key() {
        let a = cfg("[schedule]\nkind = \"constant\"");
        let mut b = cfg("[schedule]\nkind = \"cosine\"");
        b.seed = 7;
        assert_eq!(differ_in(&[&a, &b]), vec!["schedule".to_string()]);
        let mut c = a.clone();
        c.train.epochs = 3;
        assert_eq!(differ_in(&[&a, &c]), vec!["train.epochs".to_string()]);
        assert!(differ_in(&[&a, &a]).is_empty());
    }

    #[test]
    fn other_data_is_refused_naming_the_key() {
        let a = cfg("");
        let mut b = cfg("");
        b.data.validation_split = 0.5;
        let e = check(&[("a.toml".into(), &a), ("b.toml".into(), &b)]).unwrap_err();
        assert!(format!("{e:#}").contains("data.validation_split"), "{e:#}");
        assert!(check(&[("a.toml".into(), &a), ("c.toml".into(), &a)]).is_ok());
    }
}
