//! The resolved config as people read it (`check`'s output, a run's `config.toml`,
//! `find-lr --write-config`): every key the config accepts, each with the value in force.
//!
//! serde writes most of it. What it leaves out is added here, without changing the config
//! itself (so the text reads back as the same config, and its hash is unchanged):
//! - the CSV keys of version 2 at their defaults, which the serialized config omits so that a
//!   0.1 run directory's hash still matches (`task`, `features`, `missing`, …), as `key = value`;
//! - every optional key left unset, as a comment saying what stands in its place
//!   (`# ema: unset (…)`, `# step_size_down = 2000 (unset: step_size_up)`). An omitted
//!   schedule horizon gets its comment from [`crate::schedule::annotate`].

use std::collections::HashMap;

use super::{EarlyStopping, RunConfig};
use crate::data::{CsvSource, DataSource};
use crate::optim::OptimizerKind;
use crate::schedule::ScheduleKind;

/// One line to add at the end of a table: `table` as messages write its path
/// (`data`, `schedule.phases[1]`).
#[derive(Debug, Clone, PartialEq)]
struct Extra {
    table: String,
    line: String,
}

/// `text` (the config as serde writes it) with the lines [`extras`] finds for `cfg`.
pub(super) fn complete(text: &str, cfg: &RunConfig) -> String {
    insert(text, &extras(cfg))
}

fn extras(cfg: &RunConfig) -> Vec<Extra> {
    let mut out = Vec::new();
    let mut add = |table: &str, line: String| {
        out.push(Extra {
            table: table.to_string(),
            line,
        })
    };
    match &cfg.data.source {
        DataSource::Idx(s) => {
            let why = "(no test files: the validation set is validation_split of the training set)";
            if s.test_images.is_none() {
                add("data", format!("# test_images: unset {why}"));
            }
            if s.test_labels.is_none() {
                add("data", format!("# test_labels: unset {why}"));
            }
        }
        DataSource::Csv(s) => {
            for line in csv_defaults(s) {
                add("data", line);
            }
        }
        DataSource::SyntheticLinear(_) => {}
    }

    match &cfg.optimizer.kind {
        OptimizerKind::Prodigy(p) if p.beta3.is_none() => add(
            "optimizer",
            format!(
                "# beta3 = {} (unset: the square root of beta2)",
                p.beta2.sqrt()
            ),
        ),
        OptimizerKind::Adafactor(a) if a.eps1.is_none() => add(
            "optimizer",
            format!(
                "# eps1 = {} (unset: f32's machine epsilon)",
                f64::from(f32::EPSILON)
            ),
        ),
        OptimizerKind::Lbfgs(l) if l.max_eval.is_none() => add(
            "optimizer",
            format!("# max_eval = {} (unset: max_iter · 5/4)", l.max_eval()),
        ),
        OptimizerKind::Muon(m) if m.adjust_lr_fn.is_none() => add(
            "optimizer",
            "# adjust_lr_fn = \"original\" (unset: the default)".to_string(),
        ),
        _ => {}
    }

    let mut schedule = Vec::new();
    schedule_extras(
        &cfg.schedule.kind,
        "schedule",
        cfg.optimizer.lr0(),
        &mut schedule,
    );
    for e in schedule {
        add(&e.table, e.line);
    }

    if cfg.train.early_stopping.is_none() {
        // Its keys with their defaults, from the type itself.
        let defaults = toml::from_str::<EarlyStopping>("")
            .ok()
            .and_then(|d| toml::Value::try_from(d).ok())
            .map(|v| inline(&v))
            .unwrap_or_default();
        add(
            "train",
            format!(
                "# early_stopping: unset (every epoch trains); when set, its keys default to {defaults}"
            ),
        );
    }
    if cfg.train.ema.is_none() {
        add(
            "train",
            "# ema: unset (no averaged weights; a decay such as 0.999 adds them)".to_string(),
        );
    }
    if cfg.output.dir.is_none() {
        add(
            "output",
            "# dir: unset (--out, else runs/<config file stem>)".to_string(),
        );
    }
    if cfg.output.checkpoint_every.is_none() {
        add(
            "output",
            "# checkpoint_every: unset (a checkpoint whenever 5 s have passed since the last, after the last epoch and on an interrupt; N > 0: every N epochs; 0: never)".to_string(),
        );
    }
    out
}

/// The `[data]` keys of a CSV source that the serialized config leaves out at their defaults.
fn csv_defaults(s: &CsvSource) -> Vec<String> {
    let value = |v: Result<toml::Value, toml::ser::Error>| v.map(|v| inline(&v)).ok();
    let all = [
        ("task", value(toml::Value::try_from(s.task))),
        ("features", value(toml::Value::try_from(&s.features))),
        ("ignore", value(toml::Value::try_from(&s.ignore))),
        ("categorical", value(toml::Value::try_from(&s.categorical))),
        ("missing", value(toml::Value::try_from(s.missing))),
        ("standardize", value(toml::Value::try_from(s.standardize))),
        ("delimiter", value(toml::Value::try_from(&s.delimiter))),
        ("decimal", value(toml::Value::try_from(s.decimal))),
        (
            "max_levels",
            value(toml::Value::try_from(s.max_levels as u64)),
        ),
    ];
    let written = toml::Table::try_from(s).unwrap_or_default();
    all.into_iter()
        .filter(|(key, _)| !written.contains_key(*key))
        .filter_map(|(key, v)| Some(format!("{key} = {}", v?)))
        .collect()
}

/// Unset optional keys of a schedule kind at table `table`, and of the kinds inside it.
fn schedule_extras(kind: &ScheduleKind, table: &str, lr0: f64, out: &mut Vec<Extra>) {
    let mut add = |line: String| {
        out.push(Extra {
            table: table.to_string(),
            line,
        })
    };
    match kind {
        ScheduleKind::GradNorm(g) if g.max_lr.is_none() => {
            add(format!("# max_lr = {lr0} (unset: optimizer.lr)"))
        }
        ScheduleKind::Cyclic(c) if c.step_size_down.is_none() => add(format!(
            "# step_size_down = {} (unset: step_size_up)",
            c.step_size_up
        )),
        ScheduleKind::Exponential(e) => {
            if e.decay_rate.is_none() {
                add("# decay_rate: unset (k is used)".to_string());
            }
            if e.k.is_none() {
                add("# k: unset (decay_rate is used)".to_string());
            }
        }
        ScheduleKind::Sequential(s) => {
            for (i, phase) in s.phases.iter().enumerate() {
                let here = format!("{table}.phases[{i}]");
                if phase.length.is_none() {
                    out.push(Extra {
                        table: here.clone(),
                        line: "# length: unset (the rest of the run)".to_string(),
                    });
                }
                schedule_extras(&phase.kind, &here, lr0, out);
            }
        }
        ScheduleKind::Chain(c) => {
            for (i, link) in c.schedules.iter().enumerate() {
                schedule_extras(link, &format!("{table}.schedules[{i}]"), lr0, out);
            }
        }
        _ => {}
    }
}

/// A value as inline TOML on one line (`[]`, `"auto"`, `{ monitor = "val_loss", … }`).
fn inline(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) => {
            let parts: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k} = {}", inline(v)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        toml::Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(inline).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

/// `text` with each extra line at the end of its table (before the blank line that separates
/// it from the next); a table the text lacks is appended with its header. Tables are found by
/// their headers: `[data]`, and for arrays of tables the n-th `[[schedule.phases]]` (within
/// its parent element when nested) is `schedule.phases[n]`.
fn insert(text: &str, extras: &[Extra]) -> String {
    // (table path, lines) in text order; the lines before the first header belong to "".
    let mut blocks: Vec<(String, Vec<String>)> = vec![(String::new(), Vec::new())];
    // Raw array-of-tables name → the path of its current element.
    let mut current: HashMap<String, String> = HashMap::new();
    // Resolved array path → elements seen.
    let mut counts: HashMap<String, usize> = HashMap::new();
    // `a.b.c` with its longest array-of-tables prefix replaced by that array's current element.
    let resolve = |name: &str, current: &HashMap<String, String>| -> String {
        let mut best: Option<(&str, &str)> = None;
        for (raw, path) in current {
            if name.starts_with(&format!("{raw}.")) && best.is_none_or(|(b, _)| raw.len() > b.len())
            {
                best = Some((raw, path));
            }
        }
        match best {
            Some((raw, path)) => format!("{path}{}", &name[raw.len()..]),
            None => name.to_string(),
        }
    };
    for line in text.lines() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("[[").and_then(|r| r.strip_suffix("]]")) {
            let name = name.trim();
            let array = resolve(name, &current);
            let n = counts.entry(array.clone()).or_insert(0);
            let path = format!("{array}[{n}]");
            *n += 1;
            current.insert(name.to_string(), path.clone());
            blocks.push((path, vec![line.to_string()]));
        } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            blocks.push((resolve(name.trim(), &current), vec![line.to_string()]));
        } else if let Some((_, lines)) = blocks.last_mut() {
            lines.push(line.to_string());
        }
    }
    for (table, lines) in &mut blocks {
        let mine: Vec<String> = extras
            .iter()
            .filter(|e| &e.table == table)
            .map(|e| e.line.clone())
            .collect();
        let mut end = lines.len();
        while end > 1 && lines[end - 1].trim().is_empty() {
            end -= 1;
        }
        lines.splice(end..end, mine);
    }
    let mut out = String::with_capacity(text.len() + 80 * extras.len());
    for (_, lines) in &blocks {
        for line in lines {
            out.push_str(line);
            out.push('\n');
        }
    }
    let mut missing: Vec<&str> = Vec::new();
    for e in extras {
        if !blocks.iter().any(|(t, _)| *t == e.table) && !missing.contains(&e.table.as_str()) {
            missing.push(&e.table);
        }
    }
    for table in missing {
        out.push_str(&format!("\n[{table}]\n"));
        for e in extras.iter().filter(|e| e.table == table) {
            out.push_str(&e.line);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extra(table: &str, line: &str) -> Extra {
        Extra {
            table: table.into(),
            line: line.into(),
        }
    }

    #[test]
    fn each_line_goes_to_the_end_of_its_table() {
        let text = "seed = 1\n\n[schedule]\nkind = \"sequential\"\n\n[[schedule.phases]]\nkind = \"linear\"\nlength = 2\n\n[[schedule.phases]]\nkind = \"cosine\"\n\n[train]\nepochs = 3\n\n[output]\n";
        let got = insert(
            text,
            &[
                extra("schedule.phases[1]", "# length: unset"),
                extra("train", "# ema: unset"),
                extra("output", "# dir: unset"),
                extra("model", "# x"),
            ],
        );
        assert_eq!(
            got,
            "seed = 1\n\n[schedule]\nkind = \"sequential\"\n\n[[schedule.phases]]\nkind = \"linear\"\nlength = 2\n\n[[schedule.phases]]\nkind = \"cosine\"\n# length: unset\n\n[train]\nepochs = 3\n# ema: unset\n\n[output]\n# dir: unset\n\n[model]\n# x\n"
        );
    }

    #[test]
    fn nested_arrays_of_tables_count_within_their_parent_element() {
        let text = "[[schedule.phases]]\nkind = \"chain\"\n\n[[schedule.phases.schedules]]\nkind = \"a\"\n\n[[schedule.phases]]\nkind = \"chain\"\n\n[[schedule.phases.schedules]]\nkind = \"b\"\n";
        let got = insert(text, &[extra("schedule.phases[1].schedules[0]", "# here")]);
        assert!(got.ends_with("kind = \"b\"\n# here\n"), "{got}");
    }

    #[test]
    fn csv_keys_at_their_defaults_are_written_out_and_set_ones_are_not_repeated() {
        let mut s = CsvSource::new("/d/x.csv".into(), "y".into(), true);
        s.standardize = true;
        let lines = csv_defaults(&s);
        assert_eq!(
            lines,
            [
                "task = \"auto\"",
                "features = []",
                "ignore = []",
                "categorical = []",
                "missing = \"error\"",
                "delimiter = \",\"",
                "decimal = \".\"",
                "max_levels = 1000"
            ]
        );
    }
}
