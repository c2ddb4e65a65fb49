//! Command-line overrides of config keys: `--set KEY=VALUE` and the flags that stand for a key
//! (`--epochs 30` is `train.epochs=30`), applied to the TOML tree before it is typed.
//!
//! SPEC "`--set` and kinds": setting a `kind` (`schedule.kind`, `optimizer.kind`, `model.kind`,
//! `data.kind`, a sequential phase's `schedule.phases[1].kind`) switches the kind: keys of the old
//! kind that the new one does not have are dropped, with one note naming them. Errors in a value
//! that came from the command line name that argument, not a line of the file; [`Applied`] keeps
//! what each override touched so that errors found later (typing, validation, schedule keys) can
//! be traced back to it.

use std::fmt::Display;
use std::path::Path;

use anyhow::Result;
use serde::de::DeserializeOwned;

use crate::bail_usage;
use crate::data::{self, DataConfig};
use crate::model::ModelConfig;
use crate::optim::OptimizerConfig;
use crate::schedule::{Phase, ScheduleConfig};

/// One command-line override: the `KEY=VALUE` it sets and the argument as the user wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// `train.epochs=30`.
    pub item: String,
    /// `--set train.epochs=30` or `--epochs 30`: what messages name.
    pub arg: String,
}

impl Override {
    /// `--set KEY=VALUE`.
    pub fn set(item: &str) -> Override {
        Override {
            item: item.to_string(),
            arg: format!("--set {item}"),
        }
    }

    /// A flag that stands for one key: `Override::flag("--epochs", "train.epochs", 30)`.
    pub fn flag(flag: &str, key: &str, value: impl Display) -> Override {
        Override {
            item: format!("{key}={value}"),
            arg: format!("{flag} {value}"),
        }
    }
}

/// What one override did to the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// The key path it set, as messages write it: `schedule.phases[1].kind`.
    pub path: String,
    /// The argument as the user wrote it.
    pub arg: String,
    /// For a kind switch: the table's keys that stayed (written in the file or set earlier).
    pub kept: Option<Vec<String>>,
    /// The note for stderr (a kind switch that dropped keys).
    pub note: Option<String>,
    /// The file paths it set (data files, `output.dir`), absolute: errors about reading them
    /// name no key, only the file.
    pub files: Vec<String>,
    /// The outermost table it created because the config had none there (`foo` for
    /// `--set foo.bar=1`): an error about that table is this override's doing too.
    pub created: Option<String>,
}

impl Applied {
    /// True when an error at key path `path` is this override's doing: the key it set, a key
    /// inside the table it set, or, after a kind switch, a key of that table it did not keep.
    pub fn covers(&self, path: &str) -> bool {
        let inside = |prefix: &str| {
            path == prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|r| r.starts_with('.') || r.starts_with('['))
        };
        if inside(&self.path) || self.created.as_deref().is_some_and(inside) {
            return true;
        }
        let Some(kept) = &self.kept else {
            return false;
        };
        let table = self.path.strip_suffix(".kind").unwrap_or(&self.path);
        if path == table {
            return true;
        }
        match path.strip_prefix(table).and_then(|r| r.strip_prefix('.')) {
            Some(key) => {
                let key = key.split(['.', '[']).next().unwrap_or(key);
                !kept.iter().any(|k| k == key)
            }
            None => false,
        }
    }
}

/// Of `applied`, the argument to blame for an error at `path` (the last that covers it).
pub fn blame<'a>(applied: &'a [Applied], path: &str) -> Option<&'a str> {
    applied
        .iter()
        .rev()
        .find(|a| a.covers(path))
        .map(|a| a.arg.as_str())
}

/// Of `applied`, the argument that set a file `message` names (`reading /abs/x.csv: …`).
pub fn blame_file<'a>(applied: &'a [Applied], message: &str) -> Option<&'a str> {
    applied
        .iter()
        .rev()
        .find(|a| a.files.iter().any(|f| message.contains(f.as_str())))
        .map(|a| a.arg.as_str())
}

/// The key path an error message starts with (`schedule.total: …`, `line 3: schedule.total: …`,
/// `schedule.total = 5 but …`), if it starts with one.
pub fn leading_path(message: &str) -> Option<&str> {
    let rest = match message.strip_prefix("line ") {
        Some(r) => r.split_once(": ")?.1,
        None => message,
    };
    let end = rest.find([':', ' ']).unwrap_or(rest.len());
    let path = &rest[..end];
    let valid = !path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c));
    valid.then_some(path)
}

/// One segment of a key path: `phases` or `phases[1]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment<'a> {
    name: &'a str,
    index: Option<usize>,
}

fn parse_path(key: &str) -> Result<Vec<Segment<'_>>> {
    let bad = || {
        crate::error::UsageError(format!(
            "expected a dotted key path like optimizer.lr or schedule.phases[1].length, found \"{key}\""
        ))
    };
    key.split('.')
        .map(|part| {
            let (name, index) = match part.split_once('[') {
                Some((name, rest)) => {
                    let i = rest.strip_suffix(']').ok_or_else(bad)?;
                    (name, Some(i.parse::<usize>().map_err(|_| bad())?))
                }
                None => (part, None),
            };
            let ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok {
                return Err(bad().into());
            }
            Ok(Segment { name, index })
        })
        .collect()
}

/// Applies `ov` to `table`; paths in the value are resolved against `cwd`. Errors are one line
/// without the argument (the caller prefixes it).
pub fn apply(table: &mut toml::Table, ov: &Override, cwd: &Path) -> Result<Applied> {
    let Some((key, value)) = ov.item.split_once('=') else {
        bail_usage!("expected KEY=VALUE, e.g. optimizer.lr=0.01");
    };
    let key = key.trim();
    let segments = parse_path(key)?;
    let mut value = parse_value(value.trim())?;
    absolutize_paths(&segments, &mut value, cwd);
    let files = file_paths(&segments, &value);

    let (last, parents) = segments
        .split_last()
        .expect("split yields one part at least");
    let mut node = table;
    let mut here = String::new();
    let mut created = None;
    for seg in parents {
        let existed = node.contains_key(seg.name);
        node = step(node, seg, &mut here)?;
        if !existed && created.is_none() {
            created = Some(here.clone());
        }
    }
    let path = join(&here, last);
    let mut applied = Applied {
        path: path.clone(),
        arg: ov.arg.clone(),
        kept: None,
        note: None,
        files,
        created,
    };
    match last.index {
        Some(i) => {
            let Some(toml::Value::Array(items)) = node.get_mut(last.name) else {
                bail_usage!(
                    "{}: not an array",
                    join(
                        &here,
                        &Segment {
                            index: None,
                            ..*last
                        }
                    )
                );
            };
            let len = items.len();
            let Some(slot) = items.get_mut(i) else {
                bail_usage!("{path}: no such element (the array has {len})");
            };
            *slot = value;
        }
        None => {
            if last.name == "kind"
                && let toml::Value::String(new) = &value
            {
                let (kept, dropped) = switch_kind(node, &here, new);
                if !dropped.is_empty() {
                    let old = node.get("kind").and_then(|v| v.as_str()).unwrap_or("");
                    applied.note = Some(format!(
                        "{}: dropped {} (keys of kind \"{old}\" that \"{new}\" does not have)",
                        ov.arg,
                        dropped.join(", ")
                    ));
                }
                applied.kept = kept;
            }
            node.insert(last.name.to_string(), value);
        }
    }
    Ok(applied)
}

/// Moves from `node` into the table at `seg` (created when absent), extending `here`.
fn step<'t>(
    node: &'t mut toml::Table,
    seg: &Segment,
    here: &mut String,
) -> Result<&'t mut toml::Table> {
    let name_path = join(
        here,
        &Segment {
            index: None,
            ..*seg
        },
    );
    *here = join(here, seg);
    if seg.index.is_some() && !node.contains_key(seg.name) {
        bail_usage!("{name_path}: not in the config (an index needs an existing array)");
    }
    let entry = node
        .entry(seg.name.to_string())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    let entry = match (seg.index, entry) {
        (None, v) => v,
        (Some(i), toml::Value::Array(items)) => {
            let len = items.len();
            match items.get_mut(i) {
                Some(item) => item,
                None => bail_usage!("{here}: no such element (the array has {len})"),
            }
        }
        (Some(_), _) => bail_usage!("{name_path}: not an array"),
    };
    match entry {
        toml::Value::Table(t) => Ok(t),
        _ => bail_usage!("{here} is not a table"),
    }
}

fn join(here: &str, seg: &Segment) -> String {
    let name = match seg.index {
        Some(i) => format!("{}[{i}]", seg.name),
        None => seg.name.to_string(),
    };
    if here.is_empty() {
        name
    } else {
        format!("{here}.{name}")
    }
}

/// Drops from `table` (the section at `path`) the keys that kind `new` does not have. Returns the
/// keys that stayed and the dropped ones as full paths; `(None, [])` for a table whose kind is not
/// a switch (not a kinded section, or the same kind).
fn switch_kind(
    table: &mut toml::Table,
    path: &str,
    new: &str,
) -> (Option<Vec<String>>, Vec<String>) {
    let probe: fn(&str, &str, &toml::Value) -> bool = match path {
        "schedule" => accepts::<ScheduleConfig>,
        "optimizer" => accepts::<OptimizerConfig>,
        "model" => accepts::<ModelConfig>,
        "data" => accepts::<DataConfig>,
        p if p.starts_with("schedule.phases[") && !p[16..].contains('.') => accepts::<Phase>,
        _ => return (None, Vec::new()),
    };
    let old = table
        .get("kind")
        .and_then(|v| v.as_str())
        .or(match path {
            "schedule" => Some("constant"),
            "optimizer" => Some("adam"),
            "model" => Some("mlp"),
            _ => None,
        })
        .unwrap_or("")
        .to_string();
    if old == new {
        return (None, Vec::new());
    }
    let mut dropped = Vec::new();
    table.retain(|key, value| {
        let keep = key == "kind" || probe(new, key, value);
        if !keep {
            dropped.push(format!("{path}.{key}"));
        }
        keep
    });
    // The old kind's name stays in `kind` until the caller overwrites it (for the note).
    if !table.contains_key("kind") && !old.is_empty() {
        table.insert("kind".into(), toml::Value::String(old));
    }
    let kept = table.keys().filter(|k| *k != "kind").cloned().collect();
    (Some(kept), dropped)
}

/// Whether kind `kind` of section type `T` has key `key`: only a table holding just the kind and
/// that key is parsed, and only an "unknown field" naming the key says no (a missing required key
/// or a wrong type still means the key exists).
fn accepts<T: DeserializeOwned>(kind: &str, key: &str, value: &toml::Value) -> bool {
    let mut t = toml::Table::new();
    t.insert("kind".into(), toml::Value::String(kind.into()));
    t.insert(key.into(), value.clone());
    match toml::Value::Table(t).try_into::<T>() {
        Ok(_) => true,
        Err(e) => !e
            .message()
            .trim_start()
            .starts_with(&format!("unknown field `{key}`")),
    }
}

/// Paths given on the command line resolve against the current directory: a data path key, or
/// `output.dir`, set alone or inside a whole `data` / `output` table.
fn absolutize_paths(segments: &[Segment], value: &mut toml::Value, cwd: &Path) {
    let names: Vec<&str> = segments.iter().map(|s| s.name).collect();
    match (names.as_slice(), value) {
        (["data", key], v) if data::PATH_KEYS.contains(key) => super::absolutize(Some(v), cwd),
        (["output", "dir"], v) => super::absolutize(Some(v), cwd),
        (["data"], toml::Value::Table(t)) => {
            for key in data::PATH_KEYS {
                super::absolutize(t.get_mut(key), cwd);
            }
        }
        (["output"], toml::Value::Table(t)) => super::absolutize(t.get_mut("dir"), cwd),
        _ => {}
    }
}

/// The file paths (strings) among the path keys `value` sets at `segments`.
fn file_paths(segments: &[Segment], value: &toml::Value) -> Vec<String> {
    let names: Vec<&str> = segments.iter().map(|s| s.name).collect();
    let text = |v: Option<&toml::Value>| v.and_then(|v| v.as_str()).map(String::from);
    match (names.as_slice(), value) {
        (["data", key], v) if data::PATH_KEYS.contains(key) => text(Some(v)).into_iter().collect(),
        (["output", "dir"], v) => text(Some(v)).into_iter().collect(),
        (["data"], toml::Value::Table(t)) => data::PATH_KEYS
            .iter()
            .filter_map(|k| text(t.get(*k)))
            .collect(),
        (["output"], toml::Value::Table(t)) => text(t.get("dir")).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// A TOML value; a bare word that is not valid TOML (`sgd`) is taken as the string it spells.
fn parse_value(text: &str) -> Result<toml::Value> {
    let doc = format!("v = {text}");
    match toml::from_str::<toml::Table>(&doc) {
        Ok(mut t) => Ok(t.remove("v").unwrap_or(toml::Value::String(text.into()))),
        Err(_)
            if !text.is_empty()
                && text
                    .chars()
                    .all(|c| c.is_alphanumeric() || "_-./".contains(c)) =>
        {
            Ok(toml::Value::String(text.to_string()))
        }
        Err(e) => bail_usage!("not a TOML value: {}", e.message().trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(src: &str) -> toml::Table {
        toml::from_str(src).unwrap()
    }

    fn set(t: &mut toml::Table, item: &str) -> Result<Applied> {
        apply(t, &Override::set(item), Path::new("/cwd"))
    }

    #[test]
    fn switching_the_schedule_kind_drops_the_old_kinds_keys_and_keeps_shared_ones() {
        let mut t = table(
            "[schedule]\nkind = \"step\"\nstep_size = 3\ngamma = 0.5\nunit = \"epoch\"\nwarmup = 2",
        );
        let a = set(&mut t, "schedule.kind=cosine").unwrap();
        assert_eq!(
            t,
            table("[schedule]\nkind = \"cosine\"\nunit = \"epoch\"\nwarmup = 2")
        );
        assert_eq!(
            a.note.as_deref(),
            Some(
                "--set schedule.kind=cosine: dropped schedule.gamma, schedule.step_size (keys of kind \"step\" that \"cosine\" does not have)"
            )
        );
        // cyclic has a gamma too: it stays.
        let mut t = table("[schedule]\nkind = \"step\"\nstep_size = 3\ngamma = 0.5");
        let a = set(&mut t, "schedule.kind=cyclic").unwrap();
        assert_eq!(t["schedule"]["gamma"].as_float(), Some(0.5));
        assert!(t["schedule"].get("step_size").is_none());
        assert_eq!(a.kept, Some(vec!["gamma".to_string()]));
    }

    #[test]
    fn switching_optimizer_model_and_data_kinds_and_a_phase_kind() {
        let mut t = table(
            "[optimizer]\nkind = \"sgd\"\nlr = 0.1\nmomentum = 0.9\nnesterov = true\nweight_decay = 1e-4",
        );
        set(&mut t, "optimizer.kind=adam").unwrap();
        assert_eq!(
            t,
            table("[optimizer]\nkind = \"adam\"\nlr = 0.1\nweight_decay = 1e-4")
        );
        // No kind written: the default (mlp) is the old kind.
        let mut t = table("[model]\nhidden = [8]\nactivation = \"tanh\"");
        let a = set(&mut t, "model.kind=linear").unwrap();
        assert_eq!(t, table("[model]\nkind = \"linear\""));
        assert!(a.note.unwrap().contains("model.activation, model.hidden"));
        let mut t = table(
            "[data]\nkind = \"idx\"\ntrain_images = \"/a\"\ntrain_labels = \"/b\"\nvalidation_split = 0.1",
        );
        set(&mut t, "data.kind=synthetic_linear").unwrap();
        assert_eq!(
            t,
            table("[data]\nkind = \"synthetic_linear\"\nvalidation_split = 0.1")
        );
        let mut t = table(
            "[schedule]\nkind = \"sequential\"\nphases = [{ kind = \"step\", length = 5, step_size = 2 }, { kind = \"constant\" }]",
        );
        let a = set(&mut t, "schedule.phases[0].kind=cosine").unwrap();
        assert_eq!(
            t,
            table(
                "[schedule]\nkind = \"sequential\"\nphases = [{ kind = \"cosine\", length = 5 }, { kind = \"constant\" }]"
            )
        );
        assert_eq!(a.path, "schedule.phases[0].kind");
        assert!(a.note.unwrap().contains("schedule.phases[0].step_size"));
    }

    #[test]
    fn the_same_kind_or_an_unkinded_table_drops_nothing() {
        let mut t = table("[schedule]\nkind = \"step\"\nstep_size = 3");
        let a = set(&mut t, "schedule.kind=step").unwrap();
        assert_eq!(a.note, None);
        assert_eq!(t["schedule"]["step_size"].as_integer(), Some(3));
    }

    #[test]
    fn a_phase_key_and_an_array_element_can_be_set_by_index() {
        let mut t = table(
            "[schedule]\nkind = \"sequential\"\nphases = [{ kind = \"constant\", length = 5 }, { kind = \"constant\" }]\n[model]\nhidden = [8, 4]",
        );
        set(&mut t, "schedule.phases[1].length=7").unwrap();
        set(&mut t, "model.hidden[1]=16").unwrap();
        assert_eq!(t["schedule"]["phases"][1]["length"].as_integer(), Some(7));
        assert_eq!(t["model"]["hidden"][1].as_integer(), Some(16));
        let e = set(&mut t, "schedule.phases[2].length=7").unwrap_err();
        assert_eq!(
            e.to_string(),
            "schedule.phases[2]: no such element (the array has 2)"
        );
        let e = set(&mut t, "model[0].x=1").unwrap_err();
        assert_eq!(e.to_string(), "model: not an array");
        let e = set(&mut t, "train.stages[0].x=1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "train.stages: not in the config (an index needs an existing array)"
        );
        let e = set(&mut t, "model.hidden[x]=1").unwrap_err();
        assert!(
            e.to_string().starts_with("expected a dotted key path"),
            "{e}"
        );
    }

    #[test]
    fn paths_in_a_whole_data_table_resolve_against_the_current_directory() {
        let mut t = table("seed = 1");
        set(
            &mut t,
            "data={ kind = \"csv\", path = \"d/x.csv\", target = \"y\" }",
        )
        .unwrap();
        assert_eq!(t["data"]["path"].as_str(), Some("/cwd/d/x.csv"));
        set(&mut t, "output={ dir = \"runs/a\" }").unwrap();
        assert_eq!(t["output"]["dir"].as_str(), Some("/cwd/runs/a"));
    }

    #[test]
    fn errors_are_blamed_on_the_override_that_caused_them() {
        let applied = vec![
            Applied {
                path: "optimizer.lr".into(),
                arg: "--set optimizer.lr=x".into(),
                kept: None,
                note: None,
                files: Vec::new(),
                created: None,
            },
            Applied {
                path: "schedule.kind".into(),
                arg: "--set schedule.kind=step".into(),
                kept: Some(vec!["unit".into()]),
                note: None,
                files: Vec::new(),
                created: None,
            },
            Applied {
                path: "schedule.phases[0]".into(),
                arg: "--set schedule.phases[0]={}".into(),
                kept: None,
                note: None,
                files: Vec::new(),
                created: None,
            },
        ];
        assert_eq!(
            blame(&applied, "optimizer.lr"),
            Some("--set optimizer.lr=x")
        );
        assert_eq!(blame(&applied, "optimizer.lrr"), None);
        assert_eq!(blame(&applied, "optimizer"), None);
        // A key the switched kind needs and nobody wrote; a key kept from the file is the file's.
        assert_eq!(
            blame(&applied, "schedule.step_size"),
            Some("--set schedule.kind=step")
        );
        assert_eq!(blame(&applied, "schedule.unit"), None);
        assert_eq!(
            blame(&applied, "schedule.phases[0].total"),
            Some("--set schedule.phases[0]={}")
        );
        assert_eq!(
            blame(&applied, "schedule.phases[1].total"),
            Some("--set schedule.kind=step")
        );
    }

    #[test]
    fn a_table_the_override_created_is_its_own() {
        let mut t = table("[optimizer]\nlr = 0.1");
        let a = set(&mut t, "foo.bar.baz=1").unwrap();
        assert_eq!(a.created.as_deref(), Some("foo"));
        assert!(a.covers("foo") && a.covers("foo.bar") && !a.covers("optimizer"));
        let a = set(&mut t, "optimizer.extra.x=1").unwrap();
        assert_eq!(a.created.as_deref(), Some("optimizer.extra"));
        assert!(a.covers("optimizer.extra") && !a.covers("optimizer"));
        let a = set(&mut t, "optimizer.lr=0.2").unwrap();
        assert_eq!(a.created, None);
    }

    #[test]
    fn the_leading_key_path_of_a_message() {
        assert_eq!(
            leading_path("schedule.total: expected"),
            Some("schedule.total")
        );
        assert_eq!(
            leading_path("line 4: schedule.phases[1].gama: unknown field"),
            Some("schedule.phases[1].gama")
        );
        assert_eq!(
            leading_path("schedule.total = 5 but"),
            Some("schedule.total")
        );
        assert_eq!(leading_path("/tmp/x.gz: cannot read"), None);
    }
}
