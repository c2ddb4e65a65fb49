//! The run config: the TOML tree as data, loaded once (file → `--set` overrides → typed →
//! validated), then used everywhere as `RunConfig`.
//!
//! Relative data paths inside a config file are resolved against that file's directory (as Cargo
//! does); paths given with `--set` are resolved against the current directory. `output.dir` is a
//! path like any other: relative to the config file when written there.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::bail_usage;
use crate::data::{self, DataConfig};
use crate::error::UsageError;
use crate::model::ModelConfig;
use crate::optim::{OptimizerConfig, OptimizerKind};
use crate::schedule::{self, RunShape, ScheduleConfig};

pub mod hash;
mod locate;
pub mod paths;
pub mod range;
mod resolved;
pub mod seed;
mod set;

pub use locate::{describe_toml_error, line_col};
use locate::{line_of, locate_error};
pub use set::{Applied, Override};

/// Upper bounds that keep a typo (`epochs = 10000000000`) from running for a lifetime or
/// allocating the machine away before anything useful happens.
const MAX_EPOCHS: usize = 10_000_000;
const MAX_BATCH: usize = 1 << 24;
const MAX_THREADS: usize = 1024;
/// The largest seed a config file holds: TOML integers are 64-bit signed, so a run's
/// config.toml with a larger `seed` could not be read back.
pub const MAX_SEED: u64 = i64::MAX as u64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Every random choice derives from it.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// 0 = all cores.
    #[serde(default)]
    pub threads: usize,
    pub data: DataConfig,
    #[serde(default)]
    pub model: ModelConfig,
    #[serde(default)]
    pub optimizer: OptimizerConfig,
    #[serde(default)]
    pub schedule: ScheduleConfig,
    #[serde(default)]
    pub train: TrainConfig,
    #[serde(default)]
    pub output: OutputConfig,
}

fn default_seed() -> u64 {
    42
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    #[serde(default)]
    pub batch_size: BatchSize,
    #[serde(default = "default_true")]
    pub shuffle: bool,
    /// Keras-style early stopping (see `train/early_stopping.rs`); absent = train every epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_stopping: Option<EarlyStopping>,
    /// The decay of an exponential moving average of the weights (see `train/ema.rs`); absent =
    /// none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ema: Option<f64>,
}

fn default_epochs() -> usize {
    20
}
fn default_true() -> bool {
    true
}

/// `[train] early_stopping`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlyStopping {
    /// A column of metrics.csv: `val_loss` (default), `val_accuracy`, `loss` or `accuracy`.
    #[serde(default = "default_monitor")]
    pub monitor: String,
    /// Epochs without an improvement tolerated before stopping.
    #[serde(default)]
    pub patience: usize,
    /// The least change that counts as an improvement, ≥ 0.
    #[serde(default)]
    pub min_delta: f64,
    /// On stopping, put the best epoch's parameters back (into params.bin).
    #[serde(default)]
    pub restore_best: bool,
}

fn default_monitor() -> String {
    "val_loss".to_string()
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: default_epochs(),
            batch_size: BatchSize::default(),
            shuffle: true,
            early_stopping: None,
            ema: None,
        }
    }
}

/// `batch_size = 128` or `batch_size = "full"` (full-batch gradient descent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchSize {
    Rows(usize),
    Full,
}

impl Default for BatchSize {
    fn default() -> Self {
        BatchSize::Rows(128)
    }
}

impl BatchSize {
    /// Rows per batch for a training set of `n` rows.
    pub fn rows(self, n: usize) -> usize {
        match self {
            BatchSize::Rows(b) => b.min(n).max(1),
            BatchSize::Full => n.max(1),
        }
    }
}

impl Serialize for BatchSize {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            BatchSize::Rows(b) => s.serialize_u64(*b as u64),
            BatchSize::Full => s.serialize_str("full"),
        }
    }
}

impl<'de> Deserialize<'de> for BatchSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct BatchVisitor;
        impl Visitor<'_> for BatchVisitor {
            type Value = BatchSize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer >= 1 or \"full\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<BatchSize, E> {
                if v < 1 {
                    return Err(E::custom(format!(
                        "train.batch_size: expected an integer >= 1 or \"full\", found {v}"
                    )));
                }
                Ok(BatchSize::Rows(v as usize))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<BatchSize, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<BatchSize, E> {
                if v == "full" {
                    Ok(BatchSize::Full)
                } else {
                    Err(E::custom(format!(
                        "train.batch_size: expected an integer >= 1 or \"full\", found \"{v}\""
                    )))
                }
            }
        }
        d.deserialize_any(BatchVisitor)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// The run directory (`--out` wins; default `runs/<config file stem>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// When `checkpoint.bin` is written: see [`CheckpointPolicy`]. Unset (the default) stays
    /// unset in the resolved config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_every: Option<usize>,
}

/// How often a run writes `checkpoint.bin` (`[output] checkpoint_every`). Every policy also
/// writes one after the last epoch, and on an interrupt the last complete epoch's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointPolicy {
    /// Unset: whenever at least this long has passed since the last checkpoint (or the start).
    /// A run of thousands of tiny epochs otherwise spends nearly all its time syncing files,
    /// while a slow epoch still gets its checkpoint as soon as it ends.
    Every(std::time::Duration),
    /// `checkpoint_every = N > 0`: every N epochs.
    Epochs(usize),
    /// `checkpoint_every = 0`: never.
    Never,
}

/// The time-based default of [`CheckpointPolicy`] (SPEC "Checkpoints").
pub const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

impl OutputConfig {
    pub fn checkpoint_policy(&self) -> CheckpointPolicy {
        match self.checkpoint_every {
            None => CheckpointPolicy::Every(CHECKPOINT_INTERVAL),
            Some(0) => CheckpointPolicy::Never,
            Some(n) => CheckpointPolicy::Epochs(n),
        }
    }
}

/// A config as loaded: the typed tree plus where it came from.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub config: RunConfig,
    pub path: PathBuf,
    /// For a run directory written by lrtrain 0.1 with relative paths (see [`load_run`]): the
    /// config hash its checkpoint.bin and params.bin carry, accepted beside the current one.
    pub legacy_hash: Option<u64>,
    /// What each command-line override set, in order (to blame errors on it).
    pub overrides: Vec<Applied>,
    /// Notes for stderr: kind switches that dropped keys.
    pub notes: Vec<String>,
}

impl LoadedConfig {
    /// `--out` (against the current directory), else `output.dir` (against the config's
    /// directory, resolved when loading), else `runs/<config file stem>` (against the current
    /// directory); always absolute.
    pub fn run_dir(&self, out: Option<&Path>) -> PathBuf {
        if let Some(out) = out {
            return paths::absolute(out);
        }
        if let Some(dir) = &self.config.output.dir {
            return paths::absolute(dir);
        }
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned());
        paths::absolute(&Path::new("runs").join(stem.unwrap_or_else(|| "run".into())))
    }

    /// The config file's absolute path, for what is written into files (lrfind.json,
    /// `--write-config`'s header); messages keep the path as the user gave it.
    pub fn absolute_path(&self) -> PathBuf {
        paths::absolute(&self.path)
    }

    /// A usage error (exit 2) for errors found after loading (data files, schedule keys that
    /// need the run's shape): it names the command-line argument that set the key the message
    /// starts with, else this config file.
    pub fn usage(&self, err: anyhow::Error) -> anyhow::Error {
        anyhow::Error::new(UsageError(self.blame(&format!("{err:#}"))))
    }

    /// `message` prefixed with the override to blame for it, or with this config file.
    fn blame(&self, message: &str) -> String {
        let by = set::leading_path(message)
            .and_then(|p| set::blame(&self.overrides, p))
            .or_else(|| set::blame_file(&self.overrides, message));
        match by {
            Some(arg) => format!("{arg}: {message}"),
            None => format!("{}: {message}", self.path.display()),
        }
    }

    /// The resolved config as TOML: every key the config accepts, every default filled in,
    /// paths absolute; an omitted schedule horizon stays omitted (so it follows `train.epochs`)
    /// with its value on a `shape` run shown in a comment, and so does every other optional key
    /// left unset (see `resolved.rs`). Read back, the text is the same config.
    pub fn to_toml(&self, shape: &RunShape) -> Result<String> {
        let text = toml::to_string(&self.config).context("writing the resolved config as TOML")?;
        let lr0 = self.config.optimizer.lr0();
        let horizons = schedule::omitted_horizons(&self.config.schedule, lr0, shape);
        let text = schedule::annotate(&text, &horizons);
        Ok(resolved::complete(&text, &self.config))
    }
}

/// Reads `path`, applies `overrides` (`--set key.path=value`, TOML value syntax; a bare word is
/// taken as a string), and validates. Every error is a `UsageError` naming the file and, where it
/// can, the line and the key path; or, for a key an override set, that `--set` argument.
pub fn load(path: &Path, overrides: &[String]) -> Result<LoadedConfig> {
    let overrides: Vec<Override> = overrides.iter().map(|o| Override::set(o)).collect();
    load_with(path, &overrides)
}

/// [`load`] with overrides that may come from flags standing for a key (`--epochs 30`).
pub fn load_with(path: &Path, overrides: &[Override]) -> Result<LoadedConfig> {
    // Absolute, so that what the config names does not depend on where lrtrain runs from and
    // the run's config.toml (and every hash of it) is the same from any working directory.
    let base = paths::absolute(path.parent().unwrap_or(Path::new("")));
    load_from(path, overrides, Some(&base))
}

/// Loads the `config.toml` of the run directory `dir` (`resume`, `eval`). lrtrain 0.1 wrote
/// paths there as they were resolved at training time, which were relative to the directory it
/// was trained from when the config was given by a relative path; its checkpoint.bin and
/// params.bin carry the hash of those relative strings. Such a run is read with its relative
/// paths taken against the current directory, as 0.1 did, and its old hash accepted
/// ([`LoadedConfig::legacy_hash`]); when a file it names is not found from here, one line says
/// to run from the directory it was trained in. Runs written since hold absolute paths only.
pub fn load_run(dir: &Path, overrides: &[Override]) -> Result<LoadedConfig> {
    let path = dir.join("config.toml");
    if !path.is_file() {
        // Say what is wrong with the path as typed: a typo is not "not a run directory".
        if !dir.exists() {
            bail_usage!(
                "{}: does not exist (expected a run directory, holding config.toml)",
                dir.display()
            );
        }
        if !dir.is_dir() {
            bail_usage!(
                "{}: is a file, not a run directory (expected a directory holding config.toml)",
                dir.display()
            );
        }
        bail_usage!(
            "{}: not a run directory (no config.toml in it)",
            dir.display()
        );
    }
    let relative = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| toml::from_str::<toml::Table>(&text).ok())
        .map(|table| relative_paths(&table))
        .unwrap_or_default();
    if relative.is_empty() {
        return load_with(&path, overrides);
    }
    let cwd = paths::absolute(Path::new(""));
    if let Some((key, value)) = relative
        .iter()
        .find(|(key, value)| key.starts_with("data.") && !cwd.join(value).exists())
    {
        bail_usage!(
            "{}: written by lrtrain 0.1 with paths relative to the directory it was trained in ({key} = \"{value}\" is not found from {}); run this command from that directory",
            path.display(),
            cwd.display()
        );
    }
    let legacy = load_from(&path, &[], None)?;
    let mut loaded = load_from(&path, overrides, Some(&cwd))?;
    loaded.legacy_hash = Some(hash::config_hash(&legacy.config));
    Ok(loaded)
}

/// `(key path, value)` of every relative path a config table holds.
fn relative_paths(table: &toml::Table) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut check = |section: &str, key: &str| {
        if let Some(toml::Value::Table(t)) = table.get(section)
            && let Some(toml::Value::String(s)) = t.get(key)
            && Path::new(s).is_relative()
        {
            found.push((format!("{section}.{key}"), s.clone()));
        }
    };
    for key in data::PATH_KEYS {
        check("data", key);
    }
    check("output", "dir");
    found
}

/// Loads `path`; `base`: the directory relative paths in the file resolve against (`None`:
/// leave them as written).
fn load_from(path: &Path, overrides: &[Override], base: Option<&Path>) -> Result<LoadedConfig> {
    let raw = std::fs::read(path)
        .map_err(|e| UsageError(format!("{}: cannot read the config: {e}", path.display())))?;
    let text = String::from_utf8(raw)
        .map_err(|_| UsageError(format!("{}: the config is not UTF-8 text", path.display())))?;
    load_text(path, &text, overrides, base)
}

/// [`load_from`] on text already read; `path` names it in messages.
fn load_text(
    path: &Path,
    text: &str,
    overrides: &[Override],
    base: Option<&Path>,
) -> Result<LoadedConfig> {
    let text = text.to_string();
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| {
        UsageError(format!(
            "{}: {}",
            path.display(),
            describe_toml_error(&e, &text)
        ))
    })?;

    if let Some(base) = base {
        resolve_paths(&mut table, base);
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut applied = Vec::with_capacity(overrides.len());
    for ov in overrides {
        let a = set::apply(&mut table, ov, &cwd)
            .map_err(|e| UsageError(format!("{}: {e:#}", ov.arg)))?;
        applied.push(a);
    }
    fill_default_kinds(&mut table);

    let config: RunConfig =
        toml::Value::Table(table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| {
                let message = e.message().trim().replace('\n', " ");
                let key = locate_error(&message, &table);
                let message = match key.as_deref() {
                    Some(key) => locate::every_key(&message, key),
                    None => message,
                };
                let located = match key.as_deref() {
                    Some(key) => match set::blame(&applied, key) {
                        Some(arg) => format!("{arg}: {key}: {message}"),
                        None => match line_of(&text, key) {
                            Some(line) => {
                                format!("{}: line {line}: {key}: {message}", path.display())
                            }
                            None => format!("{}: {key}: {message}", path.display()),
                        },
                    },
                    // Our own deserializers' messages start with their key (`train.batch_size: …`).
                    None => match set::leading_path(&message).and_then(|p| set::blame(&applied, p))
                    {
                        Some(arg) => format!("{arg}: {message}"),
                        None => format!("{}: {message}", path.display()),
                    },
                };
                UsageError(located)
            })?;
    let notes = applied.iter().filter_map(|a| a.note.clone()).collect();
    let mut loaded = LoadedConfig {
        config,
        path: path.to_path_buf(),
        legacy_hash: None,
        overrides: applied,
        notes,
    };
    validate(&mut loaded.config).map_err(|e| UsageError(loaded.blame(&format!("{e:#}"))))?;
    Ok(loaded)
}

impl RunConfig {
    /// Parses and validates a config given as TOML text (the library's way in, without a file):
    /// relative data and output paths resolve against the current directory; defaults and range
    /// checks are those of a config file. `[data]` may be left out when the data come from
    /// memory ([`crate::Dataset::classification`], [`crate::Trainer::with_datasets`]).
    ///
    /// # Errors
    /// A usage error (exit 2 in the CLI) naming `<string>`, the line and the key, as for a file.
    ///
    /// ```
    /// let cfg = lrtrain::RunConfig::from_toml_str(
    ///     "[model]\nkind = \"mlp\"\nhidden = [8]\n[optimizer]\nkind = \"sgd\"\nlr = 0.1\n[train]\nepochs = 2",
    /// )
    /// .unwrap();
    /// assert_eq!(cfg.train.epochs, 2);
    /// ```
    pub fn from_toml_str(text: &str) -> Result<RunConfig> {
        let cwd = std::env::current_dir().context("reading the current directory")?;
        let table: toml::Table = toml::from_str(text)
            .map_err(|e| UsageError(format!("<string>: {}", describe_toml_error(&e, text))))?;
        // The data of a library run come from the `Dataset`s given to the trainer: a config
        // without `[data]` gets the synthetic source, which such a run never reads. Appended
        // at the end, so every line number in a message stays the user's.
        let text = match table.contains_key("data") {
            true => text.to_string(),
            false => format!("{text}\n[data]\nkind = \"synthetic_linear\"\n"),
        };
        load_text(Path::new("<string>"), &text, &[], Some(&cwd)).map(|l| l.config)
    }
}

/// Range checks of every section; fills per-kind defaults so the resolved config shows them.
fn validate(cfg: &mut RunConfig) -> Result<()> {
    if cfg.threads > MAX_THREADS {
        return Err(range::bad(
            "threads",
            &format!("0 (all cores) to {MAX_THREADS}"),
            cfg.threads,
        ));
    }
    range::int_in("train.epochs", cfg.train.epochs, 1, MAX_EPOCHS)?;
    if let BatchSize::Rows(b) = cfg.train.batch_size
        && b > MAX_BATCH
    {
        return Err(range::bad(
            "train.batch_size",
            &format!("at most {MAX_BATCH} or \"full\""),
            b,
        ));
    }
    cfg.model.validate()?;
    cfg.optimizer.resolve()?;
    if let OptimizerKind::Lbfgs(_) = cfg.optimizer.kind {
        // torch's L-BFGS assumes the closure evaluates one fixed function, and clips nothing.
        if let BatchSize::Rows(b) = cfg.train.batch_size {
            bail_usage!(
                "train.batch_size: optimizer.kind = \"lbfgs\" trains full batch only: expected \"full\", found {b}"
            );
        }
        if cfg.optimizer.clip_norm != 0.0 {
            bail_usage!(
                "optimizer.clip_norm: expected 0 with kind = \"lbfgs\" (torch's L-BFGS sees the raw gradient), found {:?}",
                cfg.optimizer.clip_norm
            );
        }
    }
    Ok(())
}

/// Threads to use: the config's, or every core for 0.
pub fn resolve_threads(threads: usize) -> usize {
    if threads > 0 {
        threads
    } else {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    }
}

/// A section written without `kind` gets the default kind, so `[optimizer]` with only
/// `lr = 0.01` (or `--set optimizer.lr=0.01` on a config without `[optimizer]`) means Adam.
fn fill_default_kinds(table: &mut toml::Table) {
    for (section, kind) in [
        ("model", "mlp"),
        ("optimizer", "adam"),
        ("schedule", "constant"),
    ] {
        if let Some(toml::Value::Table(t)) = table.get_mut(section) {
            t.entry("kind")
                .or_insert_with(|| toml::Value::String(kind.into()));
        }
    }
}

fn resolve_paths(table: &mut toml::Table, base: &Path) {
    let Some(toml::Value::Table(data)) = table.get_mut("data") else {
        return;
    };
    for key in data::PATH_KEYS {
        absolutize(data.get_mut(key), base);
    }
    if let Some(toml::Value::Table(output)) = table.get_mut("output") {
        absolutize(output.get_mut("dir"), base);
    }
}

fn absolutize(value: Option<&mut toml::Value>, base: &Path) {
    if let Some(toml::Value::String(s)) = value {
        let p = Path::new(s.as_str());
        if p.is_relative() {
            *s = paths::normalize(&base.join(p))
                .to_string_lossy()
                .into_owned();
        }
    }
}
