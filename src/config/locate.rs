//! Locating a config error: the line and column of a TOML syntax error, and the key path and
//! line a type or range error belongs to (serde's messages name neither).

use super::{OutputConfig, TrainConfig};
use crate::data::DataConfig;
use crate::model::ModelConfig;
use crate::optim::OptimizerConfig;
use crate::schedule::ScheduleConfig;

/// `line 3, column 7: <message>` on one line, from a syntax error with a span.
pub fn describe_toml_error(e: &toml::de::Error, text: &str) -> String {
    match e.span() {
        Some(span) => {
            let (line, col) = line_col(text, span.start);
            format!("line {line}, column {col}: {}", e.message().trim())
        }
        None => e.message().trim().to_string(),
    }
}

/// The 1-based (line, column) of byte `offset` in `text` (columns count characters).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The key path serde's (one-line) message is about. serde reports `unknown field `gama`` or
/// `missing field `x`` without the table it was in (the tagged enums buffer their content), so the
/// table is found by looking for the key.
pub(super) fn locate_error(message: &str, table: &toml::Table) -> Option<String> {
    if message.starts_with("invalid type") || message.starts_with("invalid value") {
        culprit(table).or_else(|| {
            let found = found_value(message)?;
            find_path(table, "", &|_, v| *v == found)
        })
    } else {
        // `unknown field `gama`` names a key; `unknown variant `warp`` names a value.
        let name = message.split('`').nth(1).unwrap_or_default();
        if message.starts_with("missing field") {
            // The section that fails, then the key it lacks.
            let section = culprit(table)?;
            let section = section.split('.').next().unwrap_or(&section).to_string();
            Some(format!("{section}.{name}"))
        } else if message.starts_with("unknown field") {
            // The same key name may be legal in another section (`momentum` in [optimizer] and,
            // misplaced, in [schedule]): the one in a section that fails is meant.
            let mut paths = Vec::new();
            find_paths(table, "", &|k, _| k == name, &mut paths);
            let fails = |p: &String| section_fails(table, p.split(['.', '[']).next().unwrap_or(p));
            paths.iter().find(|p| fails(p)).or(paths.first()).cloned()
        } else if message.starts_with("unknown variant") {
            find_path(table, "", &|_, v| v.as_str() == Some(name))
        } else {
            None
        }
    }
}

/// The keys a section has besides its kind's own: serde lists only the kind's keys when it
/// refuses an unknown one in a section whose kind is flattened into it (`kind`, `lr`, `unit`,
/// `validation_split` are missing from its list, and a kind without keys says "there are no
/// fields"). Keyed by the table's path with array indices removed.
const SHARED_KEYS: [(&str, &[&str]); 6] = [
    ("data", &["kind", "validation_split"]),
    ("model", &["kind"]),
    ("optimizer", &["kind", "lr", "clip_norm"]),
    (
        "schedule",
        &["kind", "unit", "warmup", "warmup_start_factor"],
    ),
    ("schedule.phases", &["kind", "length"]),
    ("schedule.schedules", &["kind"]),
];

/// serde's `unknown field `x`, expected one of …` for the key at `path`, with the list made
/// whole: the section's shared keys first, then the kind's own. Other messages are returned
/// as they are.
pub(super) fn every_key(message: &str, path: &str) -> String {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return message.to_string();
    };
    let Some((name, tail)) = rest.split_once('`') else {
        return message.to_string();
    };
    let table = path.rsplit_once('.').map_or("", |(t, _)| t);
    let mut plain = String::with_capacity(table.len());
    let mut depth = 0;
    for c in table.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            c if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let shared = SHARED_KEYS
        .iter()
        .find(|(t, _)| *t == plain)
        .map_or(&[][..], |(_, keys)| *keys);
    if shared.is_empty() {
        return message.to_string();
    }
    // serde's list: every name between backticks after the field's own.
    let listed: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
    let mut all: Vec<&str> = shared.to_vec();
    all.extend(listed.iter().filter(|k| !shared.contains(k)));
    let all: Vec<String> = all.iter().map(|k| format!("`{k}`")).collect();
    format!("unknown field `{name}`, expected one of {}", all.join(", "))
}

/// True when top-level section `name` is present and does not deserialize.
fn section_fails(table: &toml::Table, name: &str) -> bool {
    fn fails<T: serde::de::DeserializeOwned>(v: &toml::Value) -> bool {
        v.clone().try_into::<T>().is_err()
    }
    let Some(v) = table.get(name) else {
        return false;
    };
    match name {
        "data" => fails::<DataConfig>(v),
        "model" => fails::<ModelConfig>(v),
        "optimizer" => fails::<OptimizerConfig>(v),
        "schedule" => fails::<ScheduleConfig>(v),
        "train" => fails::<TrainConfig>(v),
        "output" => fails::<OutputConfig>(v),
        _ => true,
    }
}

/// The file line of the key at dotted `path`, looked up inside its `[section]`; for keys in
/// arrays of tables (`schedule.phases[1].gama`), the first line defining that key name. `None`
/// when the file does not hold it (it came from `--set`).
pub(super) fn line_of(text: &str, path: &str) -> Option<usize> {
    let key = path.rsplit('.').next().unwrap_or(path);
    let mut section = "";
    let mut first_anywhere = None;
    for (i, line) in text.lines().enumerate() {
        let l = line.split('#').next().unwrap_or("").trim();
        if let Some(name) = l.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            section = name.trim();
        } else if l.split('=').next().is_some_and(|k| k.trim() == key) {
            let here = if section.is_empty() {
                key.to_string()
            } else {
                format!("{section}.{key}")
            };
            if here == path {
                return Some(i + 1);
            }
            first_anywhere.get_or_insert(i + 1);
        }
    }
    path.contains('[').then_some(first_anywhere).flatten()
}

/// The key that makes its section fail to deserialize: the one whose removal lets the section
/// through (or only complains that it is missing). serde's messages from inside tagged and
/// flattened enums carry no path, so this finds it by trying; sections are a few keys.
fn culprit(table: &toml::Table) -> Option<String> {
    fn probe<T: serde::de::DeserializeOwned>(name: &str, table: &toml::Table) -> Option<String> {
        let toml::Value::Table(section) = table.get(name)? else {
            return None;
        };
        let parse = |t: &toml::Table| -> std::result::Result<(), String> {
            toml::Value::Table(t.clone())
                .try_into::<T>()
                .map(|_| ())
                .map_err(|e| e.message().to_string())
        };
        parse(section).err()?;
        // `kind` last: without it every tagged section reports it missing.
        let mut keys: Vec<&String> = section.keys().collect();
        keys.sort_by_key(|k| *k == "kind");
        for key in keys {
            let mut without = section.clone();
            without.remove(key);
            match parse(&without) {
                Ok(()) => return Some(format!("{name}.{key}")),
                Err(m) if m.contains(&format!("missing field `{key}`")) => {
                    return Some(format!("{name}.{key}"));
                }
                Err(_) => {}
            }
        }
        Some(name.to_string())
    }
    probe::<DataConfig>("data", table)
        .or_else(|| probe::<ModelConfig>("model", table))
        .or_else(|| probe::<OptimizerConfig>("optimizer", table))
        .or_else(|| probe::<ScheduleConfig>("schedule", table))
        .or_else(|| probe::<TrainConfig>("train", table))
        .or_else(|| probe::<OutputConfig>("output", table))
}

/// The value serde says it found, from `invalid type: string "x", …`, `invalid value: integer
/// `-1`, …` and the like.
fn found_value(message: &str) -> Option<toml::Value> {
    let rest = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))?;
    if let Some(r) = rest.strip_prefix("string \"") {
        return Some(toml::Value::String(r.split('"').next()?.to_string()));
    }
    let quoted = rest.split('`').nth(1)?;
    if rest.starts_with("integer") {
        return quoted.parse().ok().map(toml::Value::Integer);
    }
    if rest.starts_with("floating point") {
        return quoted.parse().ok().map(toml::Value::Float);
    }
    if rest.starts_with("boolean") {
        return quoted.parse().ok().map(toml::Value::Boolean);
    }
    None
}

/// The dotted paths of every key (in nested tables and arrays of tables too) for which
/// `matches(key, value)` holds, in order.
fn find_paths(
    table: &toml::Table,
    prefix: &str,
    matches: &dyn Fn(&str, &toml::Value) -> bool,
    out: &mut Vec<String>,
) {
    for (k, v) in table {
        let here = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if matches(k, v) {
            out.push(here.clone());
        }
        match v {
            toml::Value::Table(t) => find_paths(t, &here, matches, out),
            toml::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let toml::Value::Table(t) = item {
                        find_paths(t, &format!("{here}[{i}]"), matches, out);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The dotted path of the first key (in nested tables and arrays of tables too) for which
/// `matches(key, value)` holds.
fn find_path(
    table: &toml::Table,
    prefix: &str,
    matches: &dyn Fn(&str, &toml::Value) -> bool,
) -> Option<String> {
    table.iter().find_map(|(k, v)| {
        let here = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        if matches(k, v) {
            return Some(here);
        }
        match v {
            toml::Value::Table(t) => find_path(t, &here, matches),
            toml::Value::Array(items) => {
                items.iter().enumerate().find_map(|(i, item)| match item {
                    toml::Value::Table(t) => find_path(t, &format!("{here}[{i}]"), matches),
                    _ => None,
                })
            }
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parses<T: serde::de::DeserializeOwned>(text: &str) -> bool {
        toml::from_str::<T>(text).is_ok()
    }

    #[test]
    fn the_shared_keys_are_keys_of_their_sections() {
        assert!(parses::<DataConfig>(
            "kind = \"synthetic_linear\"\nvalidation_split = 0.1"
        ));
        assert!(parses::<ModelConfig>("kind = \"linear\""));
        assert!(parses::<OptimizerConfig>(
            "kind = \"sgd\"\nlr = 0.1\nclip_norm = 1.0"
        ));
        assert!(parses::<ScheduleConfig>(
            "kind = \"constant\"\nunit = \"epoch\"\nwarmup = 1\nwarmup_start_factor = 0.5"
        ));
        assert!(parses::<crate::schedule::Phase>(
            "kind = \"constant\"\nlength = 3"
        ));
        assert!(parses::<crate::schedule::ScheduleKind>(
            "kind = \"constant\""
        ));
    }

    #[test]
    fn an_unknown_key_is_answered_with_every_key_of_its_section() {
        assert_eq!(
            every_key(
                "unknown field `lrr`, expected one of `beta1`, `beta2`",
                "optimizer.lrr"
            ),
            "unknown field `lrr`, expected one of `kind`, `lr`, `clip_norm`, `beta1`, `beta2`"
        );
        assert_eq!(
            every_key(
                "unknown field `warmpu`, there are no fields",
                "schedule.warmpu"
            ),
            "unknown field `warmpu`, expected one of `kind`, `unit`, `warmup`, `warmup_start_factor`"
        );
        assert_eq!(
            every_key(
                "unknown field `x`, expected `total` or `min_lr`",
                "schedule.phases[2].x"
            ),
            "unknown field `x`, expected one of `kind`, `length`, `total`, `min_lr`"
        );
        // Sections serde lists whole, and other messages, stay as they are.
        let train = "unknown field `epoch`, expected one of `epochs`, `batch_size`";
        assert_eq!(every_key(train, "train.epoch"), train);
        let other = "invalid type: string \"x\", expected f64";
        assert_eq!(every_key(other, "optimizer.lr"), other);
    }
}
