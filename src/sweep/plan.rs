//! A sweep file read into a plan: the base config, the seeds, the ranking metric, the axes of
//! `[grid]` and `[random]`, `[prune]`, and the list of trials with their names and overrides.
//!
//! ```toml
//! base = "mnist.toml"            # relative to the sweep file
//! seeds = [1, 2, 3]              # or seeds = 3 → 1, 2, 3; default: the base config's seed
//! metric = "val_accuracy"        # *loss → lower is better, else higher
//! [grid]
//! "optimizer.lr" = [0.01, 0.03]
//! "schedule" = [{ kind = "cosine", unit = "epoch" }, { kind = "step", unit = "epoch", step_size = 5 }]
//! [random]
//! samples = 8
//! seed = 0
//! "optimizer.momentum" = { uniform = [0.8, 0.99] }
//! [prune]
//! kind = "halving"
//! min_epochs = 2
//! eta = 3
//! ```
//!
//! Trials are the grid's cross product in file order of the axes (the last axis varies
//! fastest); with `[random]` each grid point is combined with every sample (the samples vary
//! fastest, as if `[random]` were one more axis after the grid's). A trial's config is exactly
//! what `lrtrain train --config BASE --set PATH=VALUE…` would load, so a sweep run is a train run.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Result;
use toml::Value;
use toml::de::{DeTable, DeValue};

use super::inline;
use super::prune::Prune;
use super::random::Distribution;
use crate::bail_usage;
use crate::compare::METRICS;
use crate::compare::plan::{MAX_NAME, MAX_SEEDS, check_runs, fit_name};
use crate::config::{self, LoadedConfig};
use crate::data;
use crate::error::UsageError;
use crate::metric::Direction;

/// One `[grid]` axis: a dotted config path and the values it takes, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Dotted config path: `optimizer.lr`, or a whole table such as `schedule`.
    pub key: String,
    pub values: Vec<Value>,
    /// 1-based line of the key in the sweep file.
    pub line: usize,
}

/// One `[random]` axis.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomAxis {
    pub key: String,
    pub distribution: Distribution,
    pub line: usize,
}

/// `[random]`: `samples` seeded draws of every axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Random {
    /// ≥ 1.
    pub samples: usize,
    /// Seeds the draws (default 0); independent of the runs' seeds.
    pub seed: u64,
    pub axes: Vec<RandomAxis>,
}

/// Sets the config value at dotted `path` (a table value replaces that whole table).
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    pub path: String,
    pub value: Value,
}

impl Override {
    /// `optimizer.lr=0.03`, `schedule={ kind = "cosine", unit = "epoch" }`: the `--set`
    /// argument that makes the same change.
    pub fn set_arg(&self) -> String {
        format!("{}={}", self.path, inline::value(&self.value))
    }
}

/// One point of the sweep: every seed of it is one run in `OUT/<name>/seed-<s>/`.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// 0-based position in the plan (what `--shard` and pruning ties use).
    pub index: usize,
    /// `lr=0.03,schedule=cosine`, unique within the plan (repeats get `-2`, `-3`, …).
    pub name: String,
    /// The grid's axes in file order, then the random axes in file order.
    pub overrides: Vec<Override>,
    /// For each override, the sweep-file line of its axis (to name it in errors).
    lines: Vec<usize>,
}

impl Trial {
    /// The overrides as one inline TOML table with dotted keys:
    /// `{ optimizer.lr = 0.03, schedule = { kind = "cosine", unit = "epoch" } }`.
    /// Read back with `toml::from_str(&format!("o = {text}"))` it is the nested table
    /// the overrides describe.
    pub fn overrides_toml(&self) -> String {
        if self.overrides.is_empty() {
            return "{}".to_string();
        }
        let parts: Vec<String> = self
            .overrides
            .iter()
            .map(|o| format!("{} = {}", inline::path(&o.path), inline::value(&o.value)))
            .collect();
        format!("{{ {} }}", parts.join(", "))
    }

    /// The `--set` arguments that turn the base config into this trial's config.
    pub fn set_args(&self) -> Vec<String> {
        self.overrides.iter().map(Override::set_arg).collect()
    }
}

/// A sweep file, read and expanded into trials. Config files are not read beyond the base's
/// TOML; [`Plan::load_trial`] and [`Plan::validate`] load and check each trial's config.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The sweep file as given.
    pub path: PathBuf,
    /// The base config (relative to the sweep file's directory when written relative).
    pub base: PathBuf,
    /// Every trial runs every seed, in this order (paired seeds).
    pub seeds: Vec<u64>,
    /// The ranking metric: the file's `metric`, else (once [`Plan::settle_metric`] has seen the
    /// trials' data) `compare`'s rule; `loss` until then.
    pub metric: String,
    pub mode: Direction,
    /// True when the sweep file names its `metric`.
    pub metric_given: bool,
    pub grid: Vec<Axis>,
    pub random: Option<Random>,
    pub prune: Option<Prune>,
    pub trials: Vec<Trial>,
}

const TOP_KEYS: [&str; 6] = ["base", "seeds", "metric", "grid", "random", "prune"];

/// Most trials a sweep file may expand to (`[grid]`'s cross product × `[random] samples`),
/// counted before any trial is made, so a typo in an axis costs a one-line refusal, not
/// minutes and gigabytes. The runs (trials × seeds) obey `compare`'s
/// [`crate::compare::plan::MAX_RUNS`], and `seeds = K` its [`MAX_SEEDS`].
pub const MAX_TRIALS: usize = 10_000;

impl Plan {
    /// Reads and expands `path`. Errors are usage errors (exit 2) naming the sweep file, the
    /// line and the key.
    pub fn load(path: &Path) -> Result<Plan> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            UsageError(format!(
                "{}: cannot read the sweep file: {e}",
                path.display()
            ))
        })?;
        Plan::parse(path, &text)
    }

    /// Like [`Plan::load`] from the file's text (`path` names it in errors and anchors `base`).
    pub fn parse(path: &Path, text: &str) -> Result<Plan> {
        let file = SweepFile::parse(path, text)?;
        file.plan()
    }

    /// The config of `trial` for run seed `seed`: the base config with the trial's overrides
    /// applied exactly as `--set` would (a path value is already absolute: sweep-file paths
    /// resolve against the sweep file's directory), then `seed` set. Errors name the sweep file
    /// and the trial, then what the user wrote: the axis (`line 6: optimizer.lrr = 0.1`) when
    /// the error is one of its value, else the base config's file, line and key.
    pub fn load_trial(&self, trial: &Trial, seed: u64) -> Result<LoadedConfig> {
        let overrides: Vec<config::Override> = trial
            .overrides
            .iter()
            .zip(&trial.lines)
            .map(|(o, line)| config::Override {
                item: o.set_arg(),
                arg: format!("line {line}: {} = {}", o.path, inline::value(&o.value)),
            })
            .collect();
        let mut loaded = config::load_with(&self.base, &overrides).map_err(|e| {
            UsageError(format!(
                "{}: trial {}: {e:#}",
                self.path.display(),
                trial.name
            ))
        })?;
        loaded.config.seed = seed;
        Ok(loaded)
    }

    /// Loads every trial's config (first seed) through the config loader, so a bad axis key or
    /// value stops the sweep before anything trains; with `[prune]`, also checks that every
    /// trial trains the same `train.epochs` and that the first rung fits in it.
    pub fn validate(&self) -> Result<Vec<LoadedConfig>> {
        let mut configs = Vec::with_capacity(self.trials.len());
        for trial in &self.trials {
            configs.push(self.load_trial(trial, self.seeds[0])?);
        }
        if let Some(prune) = self.prune {
            let epochs = configs[0].config.train.epochs;
            if let Some((trial, other)) = self
                .trials
                .iter()
                .zip(&configs)
                .find(|(_, c)| c.config.train.epochs != epochs)
            {
                bail_usage!(
                    "{}: [prune] needs one train.epochs for every trial: {} trains {}, {} trains {epochs}",
                    self.path.display(),
                    trial.name,
                    other.config.train.epochs,
                    self.trials[0].name
                );
            }
            if prune.min_epochs > epochs {
                bail_usage!(
                    "{}: prune.min_epochs: expected at most train.epochs ({epochs}), found {}",
                    self.path.display(),
                    prune.min_epochs
                );
            }
        }
        Ok(configs)
    }

    /// A sweep file without `metric` ranks by `compare`'s rule: the trials' natural metric
    /// (`natural`, one per trial: val_accuracy for classification with a validation set,
    /// accuracy without, val_loss for regression with one, else loss) when they all share it,
    /// else `loss`, which every run has. A `metric` the file names stays.
    pub fn settle_metric(&mut self, natural: &[&str]) {
        if self.metric_given {
            return;
        }
        let metric = match natural.split_first() {
            Some((first, rest)) if rest.iter().all(|m| m == first) => first,
            _ => "loss",
        };
        self.metric = metric.to_string();
        self.mode = Direction::of(metric);
    }

    /// `--list`: CSV `index,name,overrides`, one row per trial, overrides as in
    /// [`Trial::overrides_toml`] (quoted as CSV requires).
    pub fn list_csv(&self) -> String {
        let mut w = csv::Writer::from_writer(Vec::new());
        // Writing CSV into a Vec cannot fail.
        w.write_record(["index", "name", "overrides"])
            .expect("in memory");
        for t in &self.trials {
            w.write_record([t.index.to_string(), t.name.clone(), t.overrides_toml()])
                .expect("in memory");
        }
        String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8 fields")
    }
}

/// Sets each override in a config's TOML table: dotted paths create missing tables, a value
/// replaces what was there (a table value the whole table). Pure; the same change `--set` makes.
/// Errors when a path runs through a value that is not a table (`optimizer.lr.x`).
pub fn apply(table: &mut toml::Table, overrides: &[Override]) -> Result<()> {
    for o in overrides {
        let parts: Vec<&str> = o.path.split('.').collect();
        let (last, parents) = parts.split_last().expect("split yields at least one part");
        let mut node = &mut *table;
        for (i, part) in parents.iter().enumerate() {
            let entry = node
                .entry(part.to_string())
                .or_insert_with(|| Value::Table(toml::Table::new()));
            node = match entry {
                Value::Table(t) => t,
                _ => bail_usage!("{}: {} is not a table", o.path, parts[..=i].join(".")),
            };
        }
        node.insert(last.to_string(), o.value.clone());
    }
    Ok(())
}

/// The sweep file's text with the positions of its keys, for errors that name a line.
struct SweepFile<'a> {
    path: &'a Path,
    text: &'a str,
    table: toml::Table,
    spans: DeTable<'a>,
}

impl<'a> SweepFile<'a> {
    fn parse(path: &'a Path, text: &'a str) -> Result<SweepFile<'a>> {
        let syntax = |e: toml::de::Error| {
            UsageError(format!(
                "{}: {}",
                path.display(),
                config::describe_toml_error(&e, text)
            ))
        };
        let table: toml::Table = toml::from_str(text).map_err(syntax)?;
        let spans = DeTable::parse(text).map_err(syntax)?.into_inner();
        Ok(SweepFile {
            path,
            text,
            table,
            spans,
        })
    }

    /// The line of top-level `key` or of `key` inside `[section]` (1 when not found, which only
    /// happens for keys the file does not hold).
    fn line(&self, section: Option<&str>, key: &str) -> usize {
        let table = match section {
            None => Some(&self.spans),
            Some(s) => match self.spans.get(s).map(|v| v.get_ref()) {
                Some(DeValue::Table(t)) => Some(t),
                _ => None,
            },
        };
        table
            .and_then(|t| t.get_key_value(key))
            .map_or(1, |(k, _)| config::line_col(self.text, k.span().start).0)
    }

    /// A usage error `FILE: line L: KEY: message`.
    fn error(
        &self,
        section: Option<&str>,
        key: &str,
        message: impl std::fmt::Display,
    ) -> anyhow::Error {
        let line = self.line(section, key);
        let shown = match section {
            None => key.to_string(),
            Some(s) => format!("{s}.{}", quoted(key)),
        };
        anyhow::Error::new(UsageError(format!(
            "{}: line {line}: {shown}: {message}",
            self.path.display()
        )))
    }

    fn plan(&self) -> Result<Plan> {
        for key in self.table.keys() {
            if !TOP_KEYS.contains(&key.as_str()) {
                return Err(self.error(
                    None,
                    key,
                    format!("unknown key: expected one of {}", TOP_KEYS.join(", ")),
                ));
            }
        }
        let (base, base_table) = self.base()?;
        let seeds = self.seeds(&base_table)?;
        // Optional (SPEC, third version): without it, compare's rule once the data is known.
        let metric = match self.table.get("metric") {
            Some(Value::String(m)) if METRICS.contains(&m.as_str()) => Some(m.clone()),
            Some(other) => {
                return Err(self.error(
                    None,
                    "metric",
                    format!(
                        "expected one of {}, found {}",
                        METRICS.join(", "),
                        inline::value(other)
                    ),
                ));
            }
            None => None,
        };
        let grid = self.grid()?;
        let random = self.random()?;
        let prune = self.prune()?;
        if grid.is_empty() && random.is_none() {
            bail_usage!(
                "{}: [grid]: expected at least one axis (or a [random] section), found none",
                self.path.display()
            );
        }
        // Two axes on one path, or one inside the other (`schedule` and `schedule.kind`), would
        // make the later one silently win.
        let keys: Vec<(&str, Option<&str>)> = grid
            .iter()
            .map(|a| (a.key.as_str(), Some("grid")))
            .chain(
                random
                    .iter()
                    .flat_map(|r| r.axes.iter().map(|a| (a.key.as_str(), Some("random")))),
            )
            .collect();
        // Each run's seed comes from `seeds`; an axis on `seed` would be silently overwritten.
        if let Some((_, section)) = keys.iter().find(|(k, _)| *k == "seed") {
            return Err(self.error(
                *section,
                "seed",
                "the runs' seeds come from `seeds`, not an axis",
            ));
        }
        for (i, (a, _)) in keys.iter().enumerate() {
            for (b, section) in &keys[i + 1..] {
                if a == b || b.starts_with(&format!("{a}.")) || a.starts_with(&format!("{b}.")) {
                    return Err(self.error(*section, b, format!("overlaps the axis \"{a}\"")));
                }
            }
        }
        self.check_size(&grid, random.as_ref(), seeds.len())?;
        let trials = expand(&grid, random.as_ref(), &|key, value| {
            self.resolved(key, value)
        });
        let metric_given = metric.is_some();
        let metric = metric.unwrap_or_else(|| "loss".to_string());
        Ok(Plan {
            path: self.path.to_path_buf(),
            base,
            seeds,
            mode: Direction::of(&metric),
            metric,
            metric_given,
            grid,
            random,
            prune,
            trials,
        })
    }

    /// Refuses a sweep of more than [`MAX_TRIALS`] trials or [`crate::compare::plan::MAX_RUNS`]
    /// runs, counted from the axes' lengths before any trial is made.
    fn check_size(&self, grid: &[Axis], random: Option<&Random>, seeds: usize) -> Result<()> {
        // u128 and saturating: 40 axes of 10 values must be refused, not overflow.
        let mut factors: Vec<String> = grid.iter().map(|a| a.values.len().to_string()).collect();
        let mut trials = grid
            .iter()
            .fold(1u128, |n, a| n.saturating_mul(a.values.len() as u128));
        if let Some(r) = random {
            factors.push(format!("{} samples", r.samples));
            trials = trials.saturating_mul(r.samples as u128);
        }
        let (section, what) = if grid.is_empty() {
            ("random", "samples")
        } else {
            ("grid", "axes")
        };
        if trials > MAX_TRIALS as u128 {
            return Err(self.error(
                None,
                section,
                format!(
                    "{} = {trials} trials; expected at most {MAX_TRIALS}: use fewer {what}, or split the sweep into several files",
                    factors.join(" × ")
                ),
            ));
        }
        check_runs(trials.saturating_mul(seeds as u128), || {
            format!("{}: {trials} trials × {seeds} seeds", self.path.display())
        })
    }

    /// `base`: resolved against the sweep file's directory; must be a run config, not this or
    /// another sweep file.
    fn base(&self) -> Result<(PathBuf, toml::Table)> {
        let Some(value) = self.table.get("base") else {
            bail_usage!(
                "{}: base: missing: expected the path of the config every trial starts from",
                self.path.display()
            );
        };
        let Value::String(rel) = value else {
            return Err(self.error(
                None,
                "base",
                format!("expected a path string, found {}", inline::value(value)),
            ));
        };
        let dir = self.path.parent().unwrap_or(Path::new(""));
        let base = if Path::new(rel).is_absolute() {
            PathBuf::from(rel)
        } else {
            dir.join(rel)
        };
        let same = match (base.canonicalize(), self.path.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if same {
            return Err(self.error(
                None,
                "base",
                "is this sweep file itself: expected a run config",
            ));
        }
        let text = std::fs::read_to_string(&base).map_err(|e| {
            self.error(None, "base", format!("cannot read {}: {e}", base.display()))
        })?;
        // A syntax error in the base is reported when its config is loaded, with its own line.
        let table: toml::Table = toml::from_str(&text).unwrap_or_default();
        if table.contains_key("base") || table.contains_key("grid") || table.contains_key("random")
        {
            return Err(self.error(
                None,
                "base",
                format!("{} is a sweep file: expected a run config", base.display()),
            ));
        }
        Ok((base, table))
    }

    /// `seeds = [1, 2, 3]` (distinct, ≥ 0) or `seeds = K` (1..=K); default the base's `seed`.
    fn seeds(&self, base: &toml::Table) -> Result<Vec<u64>> {
        let err = |found: String| {
            self.error(
                None,
                "seeds",
                format!("expected a list of distinct integers >= 0 or a count >= 1, found {found}"),
            )
        };
        match self.table.get("seeds") {
            None => Ok(vec![match base.get("seed") {
                Some(Value::Integer(s)) if *s >= 0 => *s as u64,
                _ => 42,
            }]),
            Some(Value::Integer(k)) if (1..=MAX_SEEDS as i64).contains(k) => {
                Ok((1..=*k as u64).collect())
            }
            Some(Value::Integer(k)) if *k > MAX_SEEDS as i64 => Err(self.error(
                None,
                "seeds",
                format!("expected at most {MAX_SEEDS} seeds, found {k}"),
            )),
            Some(Value::Array(items)) if !items.is_empty() => {
                let mut seeds = Vec::with_capacity(items.len());
                for v in items {
                    match v {
                        Value::Integer(s) if *s >= 0 && !seeds.contains(&(*s as u64)) => {
                            seeds.push(*s as u64)
                        }
                        other => return Err(err(inline::value(other))),
                    }
                }
                Ok(seeds)
            }
            Some(other) => Err(err(inline::value(other))),
        }
    }

    fn grid(&self) -> Result<Vec<Axis>> {
        let Some(value) = self.table.get("grid") else {
            return Ok(Vec::new());
        };
        let Value::Table(grid) = value else {
            return Err(self.error(None, "grid", "expected a table of axes"));
        };
        let mut axes = Vec::new();
        for (key, line) in self.ordered_keys("grid") {
            let value = lookup(grid, &key);
            match value {
                Some(Value::Array(values)) if !values.is_empty() => axes.push(Axis {
                    key,
                    values: values.clone(),
                    line,
                }),
                other => {
                    let found = other.map_or("nothing".to_string(), inline::value);
                    return Err(self.error(
                        Some("grid"),
                        &key,
                        format!("expected a non-empty array of values, found {found}"),
                    ));
                }
            }
        }
        if axes.is_empty() {
            return Err(self.error(None, "grid", "expected at least one axis, found none"));
        }
        Ok(axes)
    }

    fn random(&self) -> Result<Option<Random>> {
        let Some(value) = self.table.get("random") else {
            return Ok(None);
        };
        let Value::Table(random) = value else {
            return Err(self.error(None, "random", "expected a table"));
        };
        let samples = match random.get("samples") {
            Some(Value::Integer(n)) if (1..=MAX_TRIALS as i64).contains(n) => *n as usize,
            Some(other) => {
                return Err(self.error(
                    Some("random"),
                    "samples",
                    format!(
                        "expected an integer in [1, {MAX_TRIALS}], found {}",
                        inline::value(other)
                    ),
                ));
            }
            None => {
                return Err(self.error(
                    None,
                    "random",
                    "samples: missing: expected an integer >= 1",
                ));
            }
        };
        let seed = match random.get("seed") {
            None => 0,
            Some(Value::Integer(s)) if *s >= 0 => *s as u64,
            Some(other) => {
                return Err(self.error(
                    Some("random"),
                    "seed",
                    format!("expected an integer >= 0, found {}", inline::value(other)),
                ));
            }
        };
        let mut axes = Vec::new();
        for (key, line) in self.ordered_keys("random") {
            if key == "samples" || key == "seed" {
                continue;
            }
            let distribution = match lookup(random, &key) {
                Some(Value::Table(t)) => Distribution::parse(t),
                other => Err(format!(
                    "expected a distribution such as {{ uniform = [lo, hi] }}, found {}",
                    other.map_or("nothing".to_string(), inline::value)
                )),
            }
            .map_err(|m| self.error(Some("random"), &key, m))?;
            axes.push(RandomAxis {
                key,
                distribution,
                line,
            });
        }
        if axes.is_empty() {
            return Err(self.error(
                None,
                "random",
                "expected at least one distribution, found none",
            ));
        }
        Ok(Some(Random {
            samples,
            seed,
            axes,
        }))
    }

    fn prune(&self) -> Result<Option<Prune>> {
        let Some(value) = self.table.get("prune") else {
            return Ok(None);
        };
        let Value::Table(t) = value else {
            return Err(self.error(None, "prune", "expected a table"));
        };
        let mut prune = Prune {
            min_epochs: 1,
            eta: 3,
        };
        let mut kind = None;
        for (key, v) in t {
            match (key.as_str(), v) {
                ("kind", Value::String(k)) if k == "halving" => kind = Some(()),
                ("min_epochs", Value::Integer(n)) if *n >= 1 => prune.min_epochs = *n as usize,
                ("eta", Value::Integer(n)) if *n >= 2 => prune.eta = *n as usize,
                ("kind", _) => {
                    return Err(self.error(
                        Some("prune"),
                        key,
                        format!("expected \"halving\", found {}", inline::value(v)),
                    ));
                }
                ("min_epochs", _) | ("eta", _) => {
                    let min = if key == "eta" { 2 } else { 1 };
                    return Err(self.error(
                        Some("prune"),
                        key,
                        format!("expected an integer >= {min}, found {}", inline::value(v)),
                    ));
                }
                _ => {
                    return Err(self.error(
                        Some("prune"),
                        key,
                        "unknown key: expected kind, min_epochs, eta",
                    ));
                }
            }
        }
        if kind.is_none() {
            return Err(self.error(None, "prune", "kind: missing: expected \"halving\""));
        }
        Ok(Some(prune))
    }

    /// The axis keys of `[section]` as dotted paths in file order, with their lines. A quoted
    /// key (`"optimizer.lr" = …`) is one path; an unquoted dotted key (`optimizer.lr = …`) nests
    /// tables in TOML and is flattened back. Inside `[random]` a table whose values hold no
    /// table is a distribution, not a nesting.
    fn ordered_keys(&self, section: &str) -> Vec<(String, usize)> {
        fn walk(table: &DeTable<'_>, prefix: &str, random: bool, out: &mut Vec<(String, usize)>) {
            for (k, v) in table.iter() {
                let key = if prefix.is_empty() {
                    k.get_ref().to_string()
                } else {
                    format!("{prefix}.{}", k.get_ref())
                };
                match v.get_ref() {
                    DeValue::Table(t)
                        if !random
                            || t.values().any(|v| matches!(v.get_ref(), DeValue::Table(_))) =>
                    {
                        walk(t, &key, random, out)
                    }
                    _ => out.push((key, k.span().start)),
                }
            }
        }
        let mut keys = Vec::new();
        if let Some(DeValue::Table(t)) = self.spans.get(section).map(|v| v.get_ref()) {
            walk(t, "", section == "random", &mut keys);
        }
        keys.sort_by_key(|(_, start)| *start);
        keys.into_iter()
            .map(|(k, start)| (k, config::line_col(self.text, start).0))
            .collect()
    }

    /// A path value of axis `key` (`data.path`, `output.dir`, or inside a whole `data` or
    /// `output` table) resolves against the sweep file's directory, as paths in any config file
    /// do; `--set` would resolve it against the current directory instead.
    fn resolved(&self, key: &str, value: &Value) -> Value {
        let mut value = value.clone();
        let dir = self.path.parent().unwrap_or(Path::new(""));
        let is_path = |k: &str| {
            k == "output.dir"
                || k.strip_prefix("data.")
                    .is_some_and(|rest| data::PATH_KEYS.contains(&rest))
        };
        let fix = |v: &mut Value| {
            if let Value::String(s) = v
                && Path::new(s.as_str()).is_relative()
            {
                *s = dir.join(s.as_str()).to_string_lossy().into_owned();
            }
        };
        if is_path(key) {
            fix(&mut value);
        } else if let ("data" | "output", Value::Table(t)) = (key, &mut value) {
            for (inner, v) in t.iter_mut() {
                if is_path(&format!("{key}.{inner}")) {
                    fix(v);
                }
            }
        }
        value
    }
}

/// `grid.schedule` → `schedule`; `grid."optimizer.lr"` shows its quotes.
fn quoted(key: &str) -> String {
    if key.contains('.') {
        format!("\"{key}\"")
    } else {
        key.to_string()
    }
}

/// The value at dotted `key` inside `table`: the quoted key itself, else the nested path.
fn lookup<'t>(table: &'t toml::Table, key: &str) -> Option<&'t Value> {
    if let Some(v) = table.get(key) {
        return Some(v);
    }
    let (head, rest) = key.split_once('.')?;
    match table.get(head)? {
        Value::Table(t) => lookup(t, rest),
        _ => None,
    }
}

/// A trial's name from its `key=value` parts, at most [`MAX_NAME`] bytes (a directory name):
/// the parts joined by commas when that fits; else the longest parts are cut (marked `..`)
/// until it does, and a hash of the whole name is appended (`-h0123456789abcdef`), so every
/// axis stays visible and distinct values stay distinct. The same parts always give the
/// same name.
fn fit_parts(mut parts: Vec<String>) -> String {
    let whole = parts.join(",");
    if whole.len() <= MAX_NAME {
        return whole;
    }
    let hash = format!("-h{:016x}", config::hash::fnv1a(whole.as_bytes()));
    let budget = MAX_NAME - hash.len();
    // A cut part keeps at least this much of its `key=value`.
    const KEEP: usize = 12;
    loop {
        let total = parts.iter().map(String::len).sum::<usize>() + parts.len().saturating_sub(1);
        if total <= budget {
            return format!("{}{hash}", parts.join(","));
        }
        let Some((i, longest)) = parts
            .iter()
            .enumerate()
            .max_by_key(|(i, p)| (p.len(), std::cmp::Reverse(*i)))
        else {
            return fit_name(&whole);
        };
        let mut cut = longest.len().saturating_sub(total - budget + 2).max(KEEP);
        if cut + 2 >= longest.len() {
            // Too many axes for any cut to help: the whole name, cut at its end.
            return fit_name(&whole);
        }
        while !longest.is_char_boundary(cut) {
            cut -= 1;
        }
        let shortened = format!("{}..", &longest[..cut]);
        parts[i] = shortened;
    }
}

/// The trials: grid points in odometer order (last axis fastest), each with every random
/// sample; names made unique by `-2`, `-3`, … in trial order. Names show values as written;
/// overrides hold them as `resolve(key, value)` gives them (paths made absolute).
fn expand(
    grid: &[Axis],
    random: Option<&Random>,
    resolve: &dyn Fn(&str, &Value) -> Value,
) -> Vec<Trial> {
    let points: usize = grid.iter().map(|a| a.values.len()).product();
    let samples = random.map_or(1, |r| r.samples);
    let mut trials = Vec::with_capacity(points * samples);
    let mut seen: HashSet<String> = HashSet::new();
    for point in 0..points {
        // Mixed-radix digits of `point`, the last axis least significant.
        let mut rest = point;
        let mut picks = vec![0; grid.len()];
        for (i, axis) in grid.iter().enumerate().rev() {
            picks[i] = rest % axis.values.len();
            rest /= axis.values.len();
        }
        for sample in 0..samples {
            // (key, value as written, line) of every axis, grid first.
            let mut written: Vec<(&str, Value, usize)> = grid
                .iter()
                .zip(&picks)
                .map(|(axis, &k)| (axis.key.as_str(), axis.values[k].clone(), axis.line))
                .collect();
            if let Some(r) = random {
                for axis in &r.axes {
                    let value = axis.distribution.draw(r.seed, &axis.key, sample);
                    written.push((axis.key.as_str(), value, axis.line));
                }
            }
            let base: Vec<String> = written
                .iter()
                .map(|(key, value, _)| {
                    let last = key.rsplit('.').next().unwrap_or(key);
                    format!("{last}={}", inline::label(value))
                })
                .collect();
            let overrides = written
                .iter()
                .map(|(key, value, _)| Override {
                    path: key.to_string(),
                    value: resolve(key, value),
                })
                .collect();
            let lines = written.iter().map(|(_, _, line)| *line).collect();
            let base = fit_parts(base);
            // Unique also where the file system ignores case (macOS, Windows): `act=ReLU` and
            // `act=relu` would share one directory there.
            let mut name = base.clone();
            let mut n = 1;
            while !seen.insert(name.to_lowercase()) {
                n += 1;
                name = format!("{base}-{n}");
            }
            trials.push(Trial {
                index: trials.len(),
                name,
                overrides,
                lines,
            });
        }
    }
    trials
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::exit_code;

    const BASE: &str = "seed = 7\nthreads = 1\n\n[data]\nkind = \"synthetic_linear\"\n\n[model]\nkind = \"linear\"\n\n[optimizer]\nkind = \"sgd\"\nlr = 0.01\n\n[train]\nepochs = 6\n";

    /// A sweep file `s.toml` beside `base.toml` in a fresh directory.
    fn sweep(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("base.toml"), BASE).unwrap();
        let path = dir.path().join("s.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    /// The plan of a sweep file; the directory lives as long as the plan is used.
    fn plan(text: &str) -> Plan {
        let (dir, path) = sweep(text);
        let plan = Plan::load(&path).unwrap();
        // Kept on disk until the test process ends: validate() reads base.toml.
        std::mem::forget(dir);
        plan
    }

    /// The one-line usage error a bad sweep file gives.
    fn error(text: &str) -> String {
        let (_dir, path) = sweep(text);
        let err = Plan::load(&path)
            .and_then(|p| p.validate().map(|_| p))
            .unwrap_err();
        assert_eq!(exit_code(&err), 2, "{err:#}");
        let msg = format!("{err:#}");
        assert!(msg.starts_with(&path.display().to_string()), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
        msg
    }

    fn names(p: &Plan) -> Vec<&str> {
        p.trials.iter().map(|t| t.name.as_str()).collect()
    }

    const HEAD: &str = "base = \"base.toml\"\nseeds = [1, 2, 3]\nmetric = \"val_loss\"\n";

    #[test]
    fn grid_trials_are_the_cross_product_in_file_order_with_the_last_axis_fastest() {
        let p = plan(&format!(
            "{HEAD}[grid]\n\"optimizer.lr\" = [0.01, 0.03, 0.1]\nschedule = [\n  {{ kind = \"cosine\", unit = \"epoch\", total = 6 }},\n  {{ kind = \"step\", unit = \"epoch\", step_size = 5 }},\n]\n"
        ));
        assert_eq!(
            names(&p),
            vec![
                "lr=0.01,schedule=cosine",
                "lr=0.01,schedule=step",
                "lr=0.03,schedule=cosine",
                "lr=0.03,schedule=step",
                "lr=0.1,schedule=cosine",
                "lr=0.1,schedule=step",
            ]
        );
        assert_eq!(p.trials[3].index, 3);
        assert_eq!(p.grid[0].line, 5);
        assert_eq!(p.grid[1].line, 6);
        // File order, not alphabetical: `schedule` first when written first.
        let p = plan(&format!(
            "{HEAD}[grid]\nschedule = [{{ kind = \"constant\" }}]\n\"optimizer.lr\" = [0.1, 0.2]\n"
        ));
        assert_eq!(
            names(&p),
            vec!["schedule=constant,lr=0.1", "schedule=constant,lr=0.2"]
        );
    }

    #[test]
    fn list_csv_gives_index_name_and_the_overrides_as_one_inline_table() {
        let p = plan(&format!(
            "{HEAD}[grid]\n\"optimizer.lr\" = [0.03, 1.0]\nschedule = [{{ kind = \"cosine\", unit = \"epoch\" }}]\n"
        ));
        assert_eq!(
            p.list_csv(),
            "index,name,overrides\n\
             0,\"lr=0.03,schedule=cosine\",\"{ optimizer.lr = 0.03, schedule = { kind = \"\"cosine\"\", unit = \"\"epoch\"\" } }\"\n\
             1,\"lr=1,schedule=cosine\",\"{ optimizer.lr = 1.0, schedule = { kind = \"\"cosine\"\", unit = \"\"epoch\"\" } }\"\n"
        );
        // The overrides column reads back as TOML: the nested table the overrides describe.
        let o: toml::Table =
            toml::from_str(&format!("o = {}", p.trials[0].overrides_toml())).unwrap();
        assert_eq!(o["o"]["optimizer"]["lr"].as_float(), Some(0.03));
        assert_eq!(o["o"]["schedule"]["unit"].as_str(), Some("epoch"));
    }

    #[test]
    fn seeds_are_a_list_or_a_count_and_default_to_the_base_seed() {
        assert_eq!(
            plan(&format!("{HEAD}[grid]\n\"optimizer.lr\" = [0.1]\n")).seeds,
            vec![1, 2, 3]
        );
        let p = plan(
            "base = \"base.toml\"\nseeds = 4\nmetric = \"loss\"\n[grid]\n\"optimizer.lr\" = [0.1]\n",
        );
        assert_eq!(p.seeds, vec![1, 2, 3, 4]);
        let p = plan("base = \"base.toml\"\nmetric = \"loss\"\n[grid]\n\"optimizer.lr\" = [0.1]\n");
        assert_eq!(p.seeds, vec![7]);
    }

    #[test]
    fn the_metric_decides_the_direction_by_its_name() {
        assert_eq!(
            plan(&format!("{HEAD}[grid]\n\"optimizer.lr\" = [0.1]\n")).mode,
            Direction::Min
        );
        let p = plan(
            "base = \"base.toml\"\nmetric = \"val_accuracy\"\n[grid]\n\"optimizer.lr\" = [0.1]\n",
        );
        assert_eq!(p.mode, Direction::Max);
        assert!(Direction::Min.better(0.1, 0.2) && Direction::Max.better(0.2, 0.1));
        assert!(Direction::Max.better(0.0, f64::NAN) && !Direction::Max.better(f64::NAN, 0.0));
    }

    #[test]
    fn without_a_metric_the_trials_natural_metric_ranks_as_in_compare() {
        let text = "base = \"base.toml\"\n[grid]\n\"optimizer.lr\" = [0.1]\n";
        let mut p = plan(text);
        p.settle_metric(&["val_accuracy", "val_accuracy"]);
        assert_eq!(
            (p.metric.as_str(), p.mode),
            ("val_accuracy", Direction::Max)
        );
        let mut p = plan(text);
        p.settle_metric(&["val_accuracy", "accuracy"]);
        assert_eq!((p.metric.as_str(), p.mode), ("loss", Direction::Min));
        // A metric the file names is kept.
        let mut p = plan(&format!("{HEAD}[grid]\n\"optimizer.lr\" = [0.1]\n"));
        p.settle_metric(&["val_accuracy"]);
        assert_eq!(p.metric, "val_loss");
    }

    #[test]
    fn every_random_sample_meets_every_grid_point_and_the_draws_repeat() {
        let text = format!(
            "{HEAD}[grid]\n\"optimizer.momentum\" = [0.0, 0.9]\n[random]\nsamples = 3\n\"optimizer.lr\" = {{ log_uniform = [1e-4, 1e-1] }}\n\"train.batch_size\" = {{ int_uniform = [8, 64] }}\n"
        );
        let p = plan(&text);
        assert_eq!(p.trials.len(), 6);
        let lr = |t: &Trial| t.overrides[1].value.as_float().unwrap();
        for s in 0..3 {
            // Grid point outer, samples fastest: trial s and trial 3 + s share sample s.
            assert_eq!(lr(&p.trials[s]), lr(&p.trials[3 + s]));
            assert_eq!(p.trials[s].overrides[0].value.as_float(), Some(0.0));
            assert_eq!(p.trials[3 + s].overrides[0].value.as_float(), Some(0.9));
            assert!((1e-4..=1e-1).contains(&lr(&p.trials[s])));
        }
        assert_ne!(lr(&p.trials[0]), lr(&p.trials[1]));
        let name = &p.trials[4].name;
        assert!(name.starts_with("momentum=0.9,lr=0.0"), "{name}");
        assert!(name.contains(",batch_size="), "{name}");
        // Reproducible: the same file lists the same trials.
        assert_eq!(plan(&text).list_csv(), p.list_csv());
        let other_seed = plan(&text.replace("samples = 3\n", "samples = 3\nseed = 1\n"));
        assert_ne!(other_seed.list_csv(), p.list_csv());
        p.validate().unwrap();
    }

    #[test]
    fn a_random_section_alone_makes_the_trials() {
        let p = plan(&format!(
            "{HEAD}[random]\nsamples = 4\n\"optimizer.lr\" = {{ uniform = [0.01, 0.02] }}\n"
        ));
        assert_eq!(p.trials.len(), 4);
        assert!(p.trials.iter().all(|t| t.name.starts_with("lr=0.01")));
    }

    #[test]
    fn a_name_too_long_for_a_directory_is_cut_part_by_part_and_hashed() {
        let wide = format!("[{}]", vec!["1000"; 80].join(", "));
        let p = plan(&format!(
            "{HEAD}[grid]\n\"model.hidden\" = [{wide}, [5]]\n\"train.shuffle\" = [true, false]\n"
        ));
        let n = names(&p);
        assert!(n.iter().all(|n| n.len() <= MAX_NAME), "{n:?}");
        // Every axis stays visible, the cut is marked, and the two long names differ.
        assert!(
            n[0].starts_with("hidden=[1000,1000,") && n[0].contains("..,shuffle=true-h"),
            "{}",
            n[0]
        );
        assert!(n[1].contains("..,shuffle=false-h"), "{}", n[1]);
        assert_eq!(n[2], "hidden=[5],shuffle=true");
        assert_eq!(
            names(&plan(&format!(
                "{HEAD}[grid]\n\"model.hidden\" = [{wide}, [5]]\n\"train.shuffle\" = [true, false]\n"
            ))),
            n,
            "the same file, the same names"
        );
        // The overrides keep the whole value.
        assert_eq!(p.trials[0].overrides[0].value.as_array().unwrap().len(), 80);
        // Names that differ only in case get a suffix: one directory on macOS and Windows.
        let p = plan(&format!("{HEAD}[grid]\n\"data.target\" = [\"Y\", \"y\"]\n"));
        assert_eq!(names(&p), vec!["target=Y", "target=y-2"]);
    }

    #[test]
    fn a_repeated_name_gets_a_numbered_suffix() {
        let p = plan(&format!(
            "{HEAD}[grid]\nschedule = [{{ kind = \"step\", step_size = 2 }}, {{ kind = \"step\", step_size = 3 }}, {{ kind = \"step\", step_size = 4 }}]\n"
        ));
        assert_eq!(
            names(&p),
            vec!["schedule=step", "schedule=step-2", "schedule=step-3"]
        );
    }

    #[test]
    fn unquoted_dotted_keys_are_axes_in_file_order_too() {
        let p = plan(&format!(
            "{HEAD}[grid]\noptimizer.lr = [0.1, 0.2]\nmodel.loss = [\"mse\"]\noptimizer.momentum = [0.5]\n"
        ));
        let keys: Vec<&str> = p.grid.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(
            keys,
            vec!["optimizer.lr", "model.loss", "optimizer.momentum"]
        );
        assert_eq!(p.trials[1].name, "lr=0.2,loss=mse,momentum=0.5");
    }

    #[test]
    fn a_trial_config_is_the_base_with_its_overrides_and_the_run_seed() {
        let p = plan(&format!(
            "{HEAD}[grid]\n\"train.epochs\" = [3]\noptimizer = [{{ kind = \"adam\", lr = 0.2 }}]\n"
        ));
        let c = p.load_trial(&p.trials[0], 2).unwrap().config;
        assert_eq!(c.seed, 2);
        assert_eq!(c.train.epochs, 3);
        assert_eq!(c.optimizer, {
            let mut t: toml::Table = toml::from_str(BASE).unwrap();
            apply(&mut t, &p.trials[0].overrides).unwrap();
            let opt = t["optimizer"].as_table().unwrap();
            // The whole table was replaced: sgd's momentum key is gone with it.
            assert_eq!(opt.len(), 2);
            config::load(&p.base, &["optimizer={ kind = \"adam\", lr = 0.2 }".into()])
                .unwrap()
                .config
                .optimizer
        });
    }

    #[test]
    fn apply_sets_dotted_paths_and_replaces_whole_tables() {
        let mut t: toml::Table = toml::from_str(BASE).unwrap();
        let o = |path: &str, v: &str| Override {
            path: path.into(),
            value: toml::from_str::<toml::Table>(&format!("v = {v}")).unwrap()["v"].clone(),
        };
        apply(
            &mut t,
            &[
                o("optimizer.lr", "0.3"),
                o("schedule.kind", "\"cosine\""),
                o("train", "{ epochs = 2 }"),
            ],
        )
        .unwrap();
        assert_eq!(t["optimizer"]["lr"].as_float(), Some(0.3));
        assert_eq!(t["optimizer"]["kind"].as_str(), Some("sgd"));
        assert_eq!(t["schedule"]["kind"].as_str(), Some("cosine"));
        assert_eq!(t["train"].as_table().unwrap().len(), 1);
        let err = apply(&mut t, &[o("optimizer.lr.x", "1")]).unwrap_err();
        assert_eq!(exit_code(&err), 2);
        assert!(
            err.to_string().contains("optimizer.lr is not a table"),
            "{err}"
        );
    }

    #[test]
    fn relative_path_values_resolve_against_the_sweep_file() {
        let p = plan(&format!(
            "{HEAD}[grid]\n\"data.path\" = [\"a.csv\", \"/abs/b.csv\"]\n\"output.dir\" = [\"runs/x\"]\n"
        ));
        let dir = p.path.parent().unwrap();
        let value = |t: usize, o: usize| p.trials[t].overrides[o].value.as_str().unwrap();
        assert_eq!(value(0, 0), dir.join("a.csv").to_str().unwrap());
        assert_eq!(value(1, 0), "/abs/b.csv");
        assert_eq!(value(0, 1), dir.join("runs/x").to_str().unwrap());
        // Names show the values as written.
        assert_eq!(p.trials[0].name, "path=a.csv,dir=runs_x");
        assert_eq!(p.trials[1].name, "path=_abs_b.csv,dir=runs_x");
    }

    #[test]
    fn an_unknown_axis_key_names_the_axis_its_line_and_the_key() {
        let msg = error(&format!(
            "{HEAD}[grid]\n\"optimizer.lr\" = [0.1]\n\"optimizer.lrr\" = [0.1]\n"
        ));
        assert!(msg.contains("trial lr=0.1,lrr=0.1: line 6: optimizer.lrr = 0.1: optimizer.lrr: unknown field `lrr`"), "{msg}");
        assert!(!msg.contains("--set"), "{msg}");
        assert!(msg.contains("lrr"), "{msg}");
        let msg = error(&format!("{HEAD}[grid]\n\"trainer.epochs\" = [3]\n"));
        assert!(
            msg.contains("line 5: trainer.epochs = 3: trainer: unknown field `trainer`"),
            "{msg}"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_names_the_axis() {
        let msg = error(&format!("{HEAD}[grid]\n\"train.epochs\" = [2, \"many\"]\n"));
        assert!(
            msg.contains(
                "trial epochs=many: line 5: train.epochs = \"many\": train.epochs: invalid type"
            ),
            "{msg}"
        );
        let msg = error(&format!("{HEAD}[grid]\n\"optimizer.lr\" = 0.1\n"));
        assert!(
            msg.contains(
                "line 5: grid.\"optimizer.lr\": expected a non-empty array of values, found 0.1"
            ),
            "{msg}"
        );
        let msg = error(&format!("{HEAD}[grid]\n\"optimizer.lr\" = []\n"));
        assert!(
            msg.contains("line 5: grid.\"optimizer.lr\": expected a non-empty array"),
            "{msg}"
        );
    }

    #[test]
    fn an_empty_grid_or_no_axes_at_all_is_refused() {
        let msg = error(&format!("{HEAD}[grid]\n"));
        assert!(
            msg.contains("line 4: grid: expected at least one axis"),
            "{msg}"
        );
        let msg = error(HEAD);
        assert!(msg.contains("[grid]: expected at least one axis"), "{msg}");
    }

    #[test]
    fn bad_random_sections_name_their_line_and_key() {
        let r = |body: &str| error(&format!("{HEAD}[random]\n{body}"));
        let msg = r("samples = 0\n\"optimizer.lr\" = { uniform = [0.1, 0.2] }\n");
        assert!(
            msg.contains("line 5: random.samples: expected an integer in [1, 10000], found 0"),
            "{msg}"
        );
        let msg = r("samples = 2\n\"optimizer.lr\" = { uniform = [0.2, 0.1] }\n");
        assert!(msg.contains("line 6: random.\"optimizer.lr\": uniform: expected finite lo ≤ hi, found [0.2, 0.1]"), "{msg}");
        let msg = r("samples = 2\n\"optimizer.lr\" = { log_uniform = [0, 0.1] }\n");
        assert!(
            msg.contains("line 6: random.\"optimizer.lr\": log_uniform: expected lo > 0"),
            "{msg}"
        );
        let msg = r("samples = 2\n\"optimizer.lr\" = { normal = [0, 1] }\n");
        assert!(
            msg.contains("line 6: random.\"optimizer.lr\": unknown distribution \"normal\""),
            "{msg}"
        );
        let msg = r("samples = 2\n\"optimizer.lr\" = 0.1\n");
        assert!(
            msg.contains("line 6: random.\"optimizer.lr\": expected a distribution"),
            "{msg}"
        );
        let msg = r("samples = 2\n");
        assert!(
            msg.contains("random: expected at least one distribution"),
            "{msg}"
        );
        let msg = r("\"optimizer.lr\" = { uniform = [0.1, 0.2] }\n");
        assert!(msg.contains("random: samples: missing"), "{msg}");
    }

    #[test]
    fn a_base_that_is_this_or_another_sweep_file_is_refused() {
        let msg = error("base = \"s.toml\"\nmetric = \"loss\"\n[grid]\n\"optimizer.lr\" = [0.1]\n");
        assert!(
            msg.contains("line 1: base: is this sweep file itself"),
            "{msg}"
        );
        let (dir, path) =
            sweep("base = \"other.toml\"\nmetric = \"loss\"\n[grid]\n\"optimizer.lr\" = [0.1]\n");
        std::fs::write(
            dir.path().join("other.toml"),
            "base = \"base.toml\"\n[grid]\n",
        )
        .unwrap();
        let msg = format!("{:#}", Plan::load(&path).unwrap_err());
        assert!(
            msg.contains("line 1: base:") && msg.contains("other.toml is a sweep file"),
            "{msg}"
        );
        let msg =
            error("base = \"missing.toml\"\nmetric = \"loss\"\n[grid]\n\"optimizer.lr\" = [0.1]\n");
        assert!(msg.contains("line 1: base: cannot read"), "{msg}");
    }

    #[test]
    fn bad_top_level_keys_seeds_metric_and_prune_are_refused() {
        let g = "[grid]\n\"optimizer.lr\" = [0.1]\n";
        let msg = error(&format!("{HEAD}sead = 1\n{g}"));
        assert!(msg.contains("line 4: sead: unknown key"), "{msg}");
        let msg = error(&format!(
            "base = \"base.toml\"\nseeds = [1, 1]\nmetric = \"loss\"\n{g}"
        ));
        assert!(
            msg.contains("line 2: seeds: expected a list of distinct integers"),
            "{msg}"
        );
        let msg = error(&format!(
            "base = \"base.toml\"\nseeds = 0\nmetric = \"loss\"\n{g}"
        ));
        assert!(msg.contains("line 2: seeds:"), "{msg}");
        let msg = error(&format!("base = \"base.toml\"\nmetric = \"f1\"\n{g}"));
        assert!(msg.contains("line 2: metric: expected one of val_accuracy, val_loss, accuracy, loss, found \"f1\""), "{msg}");
        // No metric: not an error, and not one that hides the file's real error.
        let p = plan(&format!("base = \"base.toml\"\n{g}"));
        assert!(!p.metric_given);
        let msg = error("base = \"base.toml\"\n[grid]\nseed = [1, 2]\n");
        assert!(
            msg.contains("line 3: grid.seed: the runs' seeds come from `seeds`"),
            "{msg}"
        );
        let msg = error(&format!("{HEAD}{g}[prune]\nkind = \"hyperband\"\n"));
        assert!(
            msg.contains("line 7: prune.kind: expected \"halving\""),
            "{msg}"
        );
        let msg = error(&format!("{HEAD}{g}[prune]\nkind = \"halving\"\neta = 1\n"));
        assert!(
            msg.contains("line 8: prune.eta: expected an integer >= 2, found 1"),
            "{msg}"
        );
        let msg = error(&format!(
            "{HEAD}{g}[prune]\nkind = \"halving\"\nmin_epochs = 7\n"
        ));
        assert!(
            msg.contains("prune.min_epochs: expected at most train.epochs (6), found 7"),
            "{msg}"
        );
        let msg = error(&format!(
            "{HEAD}[grid]\n\"train.epochs\" = [3, 6]\n[prune]\nkind = \"halving\"\n"
        ));
        assert!(
            msg.contains("[prune] needs one train.epochs for every trial"),
            "{msg}"
        );
        let msg = error(&format!(
            "{HEAD}[grid]\nschedule = [{{ kind = \"constant\" }}]\n\"schedule.kind\" = [\"cosine\"]\n"
        ));
        assert!(
            msg.contains("line 6: grid.\"schedule.kind\": overlaps the axis \"schedule\""),
            "{msg}"
        );
        let msg = error(&format!("{HEAD}[grid]\nseed = [1, 2]\n"));
        assert!(
            msg.contains("line 5: grid.seed: the runs' seeds come from `seeds`"),
            "{msg}"
        );
        let msg = error("base = \"base.toml\"\nmetric = \"loss\"\n[grid\n");
        assert!(msg.contains("line 3, column"), "{msg}");
    }

    #[test]
    fn the_shipped_sweeps_plan_validate_and_list_the_expected_trials() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("configs/sweeps");
        let p = Plan::load(&dir.join("schedules.toml")).unwrap();
        assert_eq!(p.trials.len(), 15);
        assert_eq!(p.seeds, vec![1, 2, 3]);
        assert_eq!(p.mode, Direction::Max);
        assert_eq!(p.trials[0].name, "schedule=constant,lr=0.01,epochs=4");
        assert_eq!(p.trials[14].name, "schedule=one_cycle,lr=0.1,epochs=4");
        let kinds: HashSet<&str> = p
            .trials
            .iter()
            .map(|t| t.name.split(',').next().unwrap())
            .collect();
        assert_eq!(kinds.len(), 5);
        let configs = p.validate().unwrap();
        assert!(configs.iter().all(|c| c.config.train.epochs == 4));

        let p = Plan::load(&dir.join("lr_random.toml")).unwrap();
        assert_eq!(p.trials.len(), 9);
        assert_eq!(p.mode, Direction::Min);
        assert_eq!(
            p.prune,
            Some(Prune {
                min_epochs: 1,
                eta: 3
            })
        );
        assert!(
            p.trials
                .iter()
                .all(|t| t.name.starts_with("epochs=9,schedule=cosine,lr="))
        );
        assert_eq!(names(&p).into_iter().collect::<HashSet<_>>().len(), 9);
        p.validate().unwrap();
    }
}
