//! Tabular data: from a CSV [`Table`] of text cells to the model's f32 inputs and targets.
//!
//! Fit once on the training rows ([`load`]), apply anywhere ([`Preprocessing::encode`]): the
//! fitted [`Preprocessing`] (task, class names, each input column's category levels or mean and
//! standard deviation) is saved beside the parameters as `preprocessing.json`, so `eval`,
//! `predict` and `export` apply exactly what training applied.
//!
//! The rules are the SPEC's "Tabular data" section:
//! - a cell `""`, `NA`, `N/A`, `NaN`, `nan`, `null` or `?` is missing ([`MISSING_CELLS`]);
//!   `missing = "error"` names the first (line, column), `"drop"` removes those rows;
//! - `task = "auto"`: a target with any non-numeric cell, or only integers with at most
//!   [`AUTO_MAX_CLASSES`] distinct values, holds class labels; else it is a regression target;
//! - classes and category levels are sorted (numerically when every value is a number, else by
//!   bytes); a categorical column becomes one 0/1 input per level, in its place in the column
//!   order, never standardised; a level unseen in training is an all-zero row;
//! - `standardize = true`: (x − mean) / std with the mean and population standard deviation of
//!   the training rows only (scikit-learn's `StandardScaler`; a constant column — a variance no
//!   more than the round-off of its mean, [`is_constant`] — gets std 1, so it becomes 0);
//! - numbers are read with `data.decimal`'s mark ([`Decimal`]); a column (or target) of numbers
//!   written another way is refused with a hint, never one-hot encoded; keys that name the target
//!   or a column twice are refused by [`validate`], repeated or empty header names by
//!   [`csv::read_table`].

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::csv::{self, Table};
use super::number::Decimal;
use super::{CsvSource, Dataset, Features, Labels, split};
use crate::config::range;
use crate::model::TaskKind;

/// Cells that mean "no value" (the spellings of pandas, R and the UCI repository).
pub const MISSING_CELLS: [&str; 7] = ["", "NA", "N/A", "NaN", "nan", "null", "?"];

/// `task = "auto"`: integer targets with at most this many distinct values are class labels.
pub const AUTO_MAX_CLASSES: usize = 100;

/// The default of `data.max_levels`.
pub const DEFAULT_MAX_LEVELS: usize = 1000;

/// Feature scales (standard deviations) further apart than this draw a warning without
/// `standardize` (SPEC: "`check` warns when an MLP's feature scales differ > 100×").
pub const SCALE_RATIO_WARNING: f64 = 100.0;

/// The name of the fitted preprocessing in a run directory.
pub const PREPROCESSING_FILE: &str = "preprocessing.json";

/// `data.task`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskChoice {
    #[default]
    Auto,
    Classification,
    Regression,
}

/// `data.missing`: what a row with a missing cell (in a used column) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingPolicy {
    #[default]
    Error,
    Drop,
}

pub fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}
pub fn default_delimiter() -> String {
    ",".into()
}
pub fn is_default_delimiter(d: &str) -> bool {
    d == ","
}
pub fn default_max_levels() -> usize {
    DEFAULT_MAX_LEVELS
}
pub fn is_default_max_levels(n: &usize) -> bool {
    *n == DEFAULT_MAX_LEVELS
}

/// Whether a cell is one of the [`MISSING_CELLS`] spellings (cells come trimmed).
pub fn is_missing(cell: &str) -> bool {
    MISSING_CELLS.contains(&cell)
}

/// A categorical column with more than this many levels, and more than half as many levels as
/// training rows, draws a warning: most of its levels are too rare to learn from.
pub const MANY_LEVELS: usize = 10;

/// Whether a column's variance is round-off of a constant column rather than spread
/// (scikit-learn's `_is_constant_feature`, scikit-learn issue #19527): the naive mean of n equal
/// values is off by up to about n·eps·|mean|, which leaves a variance of that square instead of 0.
fn is_constant(var: f64, mean: f64, n: usize) -> bool {
    let n = n as f64;
    let eps = f64::EPSILON;
    var <= n * eps * var + (n * mean * eps).powi(2)
}

/// Checks the CSV keys without reading the file.
pub fn validate(src: &CsvSource) -> Result<()> {
    if src.delimiter.len() != 1 || matches!(src.delimiter.as_str(), "\"" | "\n" | "\r") {
        bail!(
            "data.delimiter: expected one ASCII character other than a quote or newline, found {:?}",
            src.delimiter
        );
    }
    range::positive_int("data.max_levels", src.max_levels)?;
    if src.decimal == Decimal::Comma && src.delimiter == "," {
        bail!(
            "data.decimal: \",\" is also the field delimiter (data.delimiter = \",\"); expected another delimiter with a decimal comma, e.g. data.delimiter = \";\""
        );
    }
    let target = src.target.trim();
    let lists = [
        ("features", &src.features),
        ("ignore", &src.ignore),
        ("categorical", &src.categorical),
    ];
    for (key, list) in lists {
        for (i, c) in list.iter().enumerate() {
            if c.trim().is_empty() {
                bail!("data.{key}: expected column names, found {c:?}");
            }
            if c == target {
                bail!(
                    "data.{key}: lists the target column {target:?}; expected feature columns only"
                );
            }
            if list[..i].contains(c) {
                bail!("data.{key}: lists column {c:?} twice; expected each column once");
            }
        }
    }
    // A column both used and left out: which one was meant is a guess.
    for (key, other) in [
        ("features", &src.features),
        ("categorical", &src.categorical),
    ] {
        if let Some(c) = src.ignore.iter().find(|&c| other.contains(c)) {
            bail!(
                "data.ignore: lists column {c:?}, which data.{key} also lists; expected a column in one of them"
            );
        }
    }
    Ok(())
}

/// One input column of the model as fitted on the training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// The CSV column's name (its 0-based index as text without a header).
    pub name: String,
    #[serde(flatten)]
    pub kind: ColumnKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ColumnKind {
    /// Mean and population standard deviation of the training rows (std 1 for a constant
    /// column); used only when `standardize` is on.
    Numeric { mean: f64, std: f64 },
    /// Sorted levels seen in the training rows; one 0/1 input per level.
    Categorical { levels: Vec<String> },
}

/// Row counts of the training file, for the record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RowCounts {
    pub file: usize,
    pub dropped: usize,
    pub train: usize,
    pub validation: usize,
}

/// What training fitted: enough to turn any CSV with the same feature columns into inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocessing {
    #[serde(with = "task_name")]
    pub task: TaskKind,
    pub target: String,
    pub header: bool,
    pub delimiter: String,
    /// The decimal mark numbers are read with (absent in 0.2's files: a point).
    #[serde(default, skip_serializing_if = "is_default")]
    pub decimal: Decimal,
    pub missing: MissingPolicy,
    pub standardize: bool,
    /// The source columns, in the order their inputs take.
    pub columns: Vec<Column>,
    /// Class names in output order (classification), else `None`.
    pub classes: Option<Vec<String>>,
    pub rows: RowCounts,
    /// The file lines of the validation rows (so another tool can use the same split).
    pub validation_lines: Vec<u64>,
}

mod task_name {
    use super::TaskKind;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &TaskKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(super::task_str(*t))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TaskKind, D::Error> {
        match String::deserialize(d)?.as_str() {
            "classification" => Ok(TaskKind::Classification),
            "regression" => Ok(TaskKind::Regression),
            other => Err(serde::de::Error::custom(format!(
                "expected \"classification\" or \"regression\", found {other:?}"
            ))),
        }
    }
}

/// `"classification"` or `"regression"`.
pub fn task_str(t: TaskKind) -> &'static str {
    match t {
        TaskKind::Classification => "classification",
        TaskKind::Regression => "regression",
    }
}

/// The training and validation sets of a CSV source and what was fitted to make them.
#[derive(Debug)]
pub struct Loaded {
    pub train: Dataset,
    pub validation: Option<Dataset>,
    pub preprocessing: Preprocessing,
    /// For the user: rows dropped, feature scales far apart.
    pub notes: Vec<String>,
}

/// A file encoded with a fitted [`Preprocessing`].
#[derive(Debug)]
pub struct Encoded {
    /// `(rows, width)` row-major; zeros in rows with a missing cell.
    pub x: Vec<f32>,
    pub rows: usize,
    /// Present when the target column was asked for and found.
    pub labels: Option<Labels>,
    /// Per row: whether a used cell was missing (its inputs and label are meaningless).
    pub missing: Vec<bool>,
    /// The first missing cell: (line, column).
    pub first_missing: Option<(u64, String)>,
    /// Columns of the file the model does not use (the target excepted).
    pub extra: Vec<String>,
}

impl Encoded {
    /// The rows without missing cells as a dataset (labels required).
    pub fn complete_rows(&self) -> Dataset {
        let keep: Vec<usize> = (0..self.rows).filter(|&r| !self.missing[r]).collect();
        let width = self.x.len().checked_div(self.rows).unwrap_or(0);
        let all = Dataset {
            features: Features::Floats(self.x.clone()),
            labels: self
                .labels
                .clone()
                .unwrap_or(Labels::Values(vec![0.0; self.rows])),
            rows: self.rows,
            cols: width,
        };
        all.select(&keep)
    }
}

impl Preprocessing {
    /// The model's input columns in order: a numeric column's name, `name=level` per level of
    /// a categorical column.
    pub fn inputs(&self) -> Vec<String> {
        let mut out = Vec::new();
        for c in &self.columns {
            match &c.kind {
                ColumnKind::Numeric { .. } => out.push(c.name.clone()),
                ColumnKind::Categorical { levels } => {
                    out.extend(levels.iter().map(|l| format!("{}={l}", c.name)))
                }
            }
        }
        out
    }

    /// The number of model inputs.
    pub fn width(&self) -> usize {
        self.columns
            .iter()
            .map(|c| match &c.kind {
                ColumnKind::Numeric { .. } => 1,
                ColumnKind::Categorical { levels } => levels.len(),
            })
            .sum()
    }

    /// The model's output width: the number of classes, or 1.
    pub fn outputs(&self) -> usize {
        self.classes.as_ref().map_or(1, Vec::len)
    }

    /// Per input: the (mean, std) applied, `None` without `standardize` (one-hot inputs: 0, 1).
    pub fn mean_std(&self) -> Option<(Vec<f64>, Vec<f64>)> {
        if !self.standardize {
            return None;
        }
        let (mut mean, mut std) = (Vec::new(), Vec::new());
        for c in &self.columns {
            match &c.kind {
                ColumnKind::Numeric { mean: m, std: s } => {
                    mean.push(*m);
                    std.push(*s);
                }
                ColumnKind::Categorical { levels } => {
                    mean.extend(std::iter::repeat_n(0.0, levels.len()));
                    std.extend(std::iter::repeat_n(1.0, levels.len()));
                }
            }
        }
        Some((mean, std))
    }

    /// Categorical columns and their levels.
    pub fn categorical(&self) -> Vec<(&str, &[String])> {
        self.columns
            .iter()
            .filter_map(|c| match &c.kind {
                ColumnKind::Categorical { levels } => Some((c.name.as_str(), levels.as_slice())),
                ColumnKind::Numeric { .. } => None,
            })
            .collect()
    }

    /// Reads a run's `preprocessing.json`.
    pub fn read(path: &Path) -> Result<Preprocessing> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| {
            anyhow::Error::new(crate::error::UsageError(format!(
                "{}: not a preprocessing file of this lrtrain ({e}); train the run again",
                path.display()
            )))
        })
    }

    /// Encodes the rows of a file with what was fitted. `target`: also read the labels from
    /// this column (an error if absent). A feature column missing from the file is an error
    /// naming it; other columns are listed in [`Encoded::extra`]. Cells that are not numbers in
    /// a numeric column, and unknown class names, are errors naming line and column.
    pub fn encode(&self, table: &Table, target: Option<&str>) -> Result<Encoded> {
        let plan = Plan::new(self, table, target)?;
        let rows: Vec<usize> = (0..table.rows()).collect();
        plan.encode(self, table, &rows)
    }
}

/// Where each fitted column sits in a given table, and lookups built once per file.
struct Plan<'a> {
    source: Vec<usize>,
    levels: Vec<Option<HashMap<&'a str, usize>>>,
    target: Option<usize>,
    classes: Option<HashMap<&'a str, u32>>,
    extra: Vec<String>,
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl<'a> Plan<'a> {
    fn new(p: &'a Preprocessing, table: &Table, target: Option<&str>) -> Result<Plan<'a>> {
        let mut source = Vec::with_capacity(p.columns.len());
        for c in &p.columns {
            match table.column(&c.name) {
                Some(i) => source.push(i),
                None => bail!(
                    "line 1, column {:?}: the run's model needs this feature column; found columns {}",
                    c.name,
                    quoted(&table.names)
                ),
            }
        }
        let target = match target {
            None => None,
            Some(t) => Some(table.column(t).ok_or_else(|| {
                anyhow::anyhow!(
                    "line 1, column {t:?}: expected the target column, found columns {}",
                    quoted(&table.names)
                )
            })?),
        };
        let extra = (0..table.cols())
            .filter(|i| !source.contains(i) && Some(*i) != target && table.names[*i] != p.target)
            .map(|i| table.names[i].clone())
            .collect();
        let levels = p
            .columns
            .iter()
            .map(|c| match &c.kind {
                ColumnKind::Categorical { levels } => Some(
                    levels
                        .iter()
                        .enumerate()
                        .map(|(i, l)| (l.as_str(), i))
                        .collect(),
                ),
                ColumnKind::Numeric { .. } => None,
            })
            .collect();
        let classes = p.classes.as_ref().map(|cs| {
            cs.iter()
                .enumerate()
                .map(|(i, c)| (c.as_str(), i as u32))
                .collect()
        });
        Ok(Plan {
            source,
            levels,
            target,
            classes,
            extra,
        })
    }

    fn encode(&self, p: &Preprocessing, table: &Table, rows: &[usize]) -> Result<Encoded> {
        let width = p.width();
        // A categorical column is one input per level: the matrix is bounded before it is made.
        let Some(values) = rows
            .len()
            .checked_mul(width)
            .filter(|&n| n <= crate::model::MAX_ELEMENTS)
        else {
            bail!(
                "{} rows × {width} inputs = {} values; expected at most {} (each level of a categorical column is one input: lower data.max_levels, or leave an identifier column out with data.ignore)",
                rows.len(),
                rows.len() as u128 * width as u128,
                crate::model::MAX_ELEMENTS
            );
        };
        let mut x = vec![0.0f32; values];
        let mut missing = vec![false; rows.len()];
        let mut first_missing = None;
        let mut classes = Vec::new();
        let mut values = Vec::new();
        for (i, &r) in rows.iter().enumerate() {
            let line = table.lines[r];
            let gap = self
                .source
                .iter()
                .chain(self.target.as_ref())
                .find(|&&c| is_missing(table.cell(r, c)));
            if let Some(&c) = gap {
                missing[i] = true;
                first_missing.get_or_insert((line, table.names[c].clone()));
                classes.push(0);
                values.push(0.0);
                continue;
            }
            let out = &mut x[i * width..(i + 1) * width];
            let mut k = 0;
            for (j, (col, &src)) in p.columns.iter().zip(&self.source).enumerate() {
                let cell = table.cell(r, src);
                match (&col.kind, &self.levels[j]) {
                    (ColumnKind::Numeric { mean, std }, _) => {
                        let v = numeric_cell(cell, line, &col.name, p.decimal)?;
                        out[k] = if p.standardize {
                            ((v - mean) / std) as f32
                        } else {
                            v as f32
                        };
                        k += 1;
                    }
                    (ColumnKind::Categorical { levels }, Some(map)) => {
                        // An unseen level leaves the row's one-hot block all zero.
                        if let Some(&l) = map.get(cell) {
                            out[k + l] = 1.0;
                        }
                        k += levels.len();
                    }
                    (ColumnKind::Categorical { .. }, None) => {
                        unreachable!("levels built per column")
                    }
                }
            }
            if let Some(t) = self.target {
                let cell = table.cell(r, t);
                match &self.classes {
                    Some(map) => classes.push(*map.get(cell).ok_or_else(|| {
                        anyhow::anyhow!(
                            "line {line}, column {:?}: class {cell:?} is not one the run was trained on ({})",
                            table.names[t],
                            quoted(p.classes.as_deref().unwrap_or_default())
                        )
                    })?),
                    None => values
                        .push(numeric_cell(cell, line, &table.names[t], p.decimal)? as f32),
                }
            }
        }
        let labels = self.target.map(|_| match &self.classes {
            Some(_) => Labels::Classes(classes),
            None => Labels::Values(values),
        });
        Ok(Encoded {
            x,
            rows: rows.len(),
            labels,
            missing,
            first_missing,
            extra: self.extra.clone(),
        })
    }
}

fn numeric_cell(cell: &str, line: u64, column: &str, decimal: Decimal) -> Result<f64> {
    match decimal.parse(cell) {
        Some(v) if v.is_finite() => Ok(v),
        Some(_) => {
            bail!("line {line}, column {column:?}: expected a finite number, found {cell:?}")
        }
        None => match decimal.hint(cell) {
            Some(hint) => bail!("line {line}, column {column:?}: expected a number: {hint}"),
            None => bail!(
                "line {line}, column {column:?}: expected a number, found {cell:?} (a column of text is one-hot encoded when listed in data.categorical)"
            ),
        },
    }
}

/// A warning when the numeric features' scales (standard deviations over the training rows,
/// constant columns left out) differ by more than [`SCALE_RATIO_WARNING`].
fn scale_warning(stds: &[(&str, f64)]) -> Option<String> {
    let big = stds.iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
    let small = stds.iter().min_by(|a, b| a.1.total_cmp(&b.1))?;
    let ratio = big.1 / small.1;
    (ratio > SCALE_RATIO_WARNING).then(|| {
        format!(
            "data.standardize: feature scales differ {ratio:.0}× (standard deviation of column {:?} {:.4}, of {:?} {:.4}); an MLP trains badly on such inputs; expected data.standardize = true",
            big.0, big.1, small.0, small.1
        )
    })
}

/// Sorts distinct values: numerically when every one is a number, else by bytes.
fn sorted(values: BTreeSet<&str>, decimal: Decimal) -> Vec<String> {
    let mut v: Vec<&str> = values.into_iter().collect();
    let number = |s: &str| decimal.number(s);
    if v.iter().all(|s| number(s).is_some()) {
        v.sort_by(|a, b| {
            let (x, y) = (number(a).unwrap_or(0.0), number(b).unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal).then(a.cmp(b))
        });
    }
    v.into_iter().map(str::to_owned).collect()
}

/// Reads the CSV source, fits the preprocessing on its training rows and encodes both sets.
/// `model_task` is the model's: [`TaskKind::Regression`] (a linear model) forces regression;
/// [`TaskKind::Classification`] (an MLP) follows `data.task`.
pub fn load(src: &CsvSource, model_task: TaskKind, fraction: f64, seed: u64) -> Result<Loaded> {
    validate(src)?;
    let table = csv::read_table(&src.path, src.header, src.delimiter.as_bytes()[0])?;
    fit(src, &table, model_task, fraction, seed)
        .with_context(|| format!("reading {}", src.path.display()))
}

/// The whole dataset of `src` without a validation split, as training would see it with
/// `task` (the model's task; see [`super::load`]).
pub fn read(src: &CsvSource, task: TaskKind) -> Result<Dataset> {
    Ok(load(src, task, 0.0, 0)?.train)
}

fn fit(
    src: &CsvSource,
    table: &Table,
    model_task: TaskKind,
    fraction: f64,
    seed: u64,
) -> Result<Loaded> {
    let target_name = src.target.trim();
    let Some(target) = table.column(target_name) else {
        if src.header {
            bail!(
                "line 1: data.target: expected a column named {target_name:?} in the header, found columns {}",
                quoted(&table.names)
            );
        }
        bail!(
            "data.target: expected a 0-based column index below {} (the file has no header), found {target_name:?}",
            table.cols()
        );
    };
    let named = |key: &str, name: &str| -> Result<usize> {
        table.column(name).ok_or_else(|| {
            anyhow::anyhow!(
                "data.{key}: expected a column named {name:?}, found columns {}",
                quoted(&table.names)
            )
        })
    };
    let mut features: Vec<usize> = if src.features.is_empty() {
        (0..table.cols()).filter(|&c| c != target).collect()
    } else {
        src.features
            .iter()
            .map(|f| named("features", f))
            .collect::<Result<_>>()?
    };
    for name in &src.ignore {
        let c = named("ignore", name)?;
        features.retain(|&f| f != c);
    }
    let listed: Vec<usize> = src
        .categorical
        .iter()
        .map(|name| named("categorical", name))
        .collect::<Result<_>>()?;
    if let Some(c) = listed.iter().find(|c| !features.contains(c)) {
        bail!(
            "data.categorical: column {:?} is not among the features",
            table.names[*c]
        );
    }
    if features.is_empty() {
        let key = if src.ignore.is_empty() {
            "features"
        } else {
            "ignore"
        };
        bail!(
            "data.{key}: expected at least one feature column besides the target {target_name:?}, found none left"
        );
    }

    // A column with no value at all cannot be fitted (and "drop" would drop every row).
    for &c in std::iter::once(&target).chain(&features) {
        if (0..table.rows()).all(|r| is_missing(table.cell(r, c))) {
            bail!(
                "line {}, column {:?}: every cell of the column is missing (lines {} to {}); expected some values, or leave it out with data.ignore",
                table.lines[0],
                table.names[c],
                table.lines[0],
                table.lines[table.rows() - 1]
            );
        }
    }

    let mut kept = Vec::with_capacity(table.rows());
    for r in 0..table.rows() {
        let gap = std::iter::once(&target)
            .chain(&features)
            .find(|&&c| is_missing(table.cell(r, c)));
        match (gap, src.missing) {
            (None, _) => kept.push(r),
            (Some(&c), MissingPolicy::Error) => bail!(
                "line {}, column {:?}: missing cell {:?}; expected a value (or data.missing = \"drop\")",
                table.lines[r],
                table.names[c],
                table.cell(r, c)
            ),
            (Some(_), MissingPolicy::Drop) => {}
        }
    }
    let dropped = table.rows() - kept.len();
    let mut notes = Vec::new();
    if dropped > 0 {
        notes.push(format!(
            "{}: dropped {dropped} of {} rows with a missing cell (data.missing = \"drop\"); {} rows left",
            src.path.display(),
            table.rows(),
            kept.len()
        ));
    }

    let decimal = src.decimal;
    let number = |cell: &str| decimal.number(cell);
    let task = decide_task(src, table, target, &kept, model_task)?;
    let classes = match task {
        TaskKind::Classification => {
            let classes = sorted(
                kept.iter().map(|&r| table.cell(r, target)).collect(),
                decimal,
            );
            same_number_twice(&classes, decimal, target_name)?;
            if classes.len() < 2 {
                bail!(
                    "column {target_name:?}: expected at least 2 classes, found {} ({})",
                    classes.len(),
                    quoted(&classes)
                );
            }
            Some(classes)
        }
        TaskKind::Regression => None,
    };

    let (train_idx, val_idx) = split::split_rows(kept.len(), fraction, seed)?;
    let train_rows: Vec<usize> = train_idx.iter().map(|&i| kept[i]).collect();
    let val_rows: Vec<usize> = val_idx.iter().map(|&i| kept[i]).collect();

    let mut columns = Vec::with_capacity(features.len());
    let mut scales: Vec<(&str, f64)> = Vec::new();
    for &c in &features {
        let name = &table.names[c];
        let categorical =
            listed.contains(&c) || kept.iter().all(|&r| number(table.cell(r, c)).is_none());
        // Numbers written with another decimal mark or thousands separators are not text:
        // one-hot encoding them would give a level per value, silently.
        if categorical
            && !listed.contains(&c)
            && let Some(hint) = all_foreign(table, c, &kept, decimal)
        {
            bail!("{hint} (or list the column in data.categorical to one-hot encode it as text)");
        }
        let kind = if categorical {
            let mut levels = BTreeSet::new();
            for &r in &train_rows {
                if levels.insert(table.cell(r, c)) && levels.len() > src.max_levels {
                    let total: BTreeSet<&str> =
                        train_rows.iter().map(|&r| table.cell(r, c)).collect();
                    bail!(
                        "line {}, column {name:?}: {} distinct levels in the training rows; expected at most {} (data.max_levels; one input per level); a column of identifiers is better left out with data.ignore",
                        table.lines[r],
                        total.len(),
                        src.max_levels
                    );
                }
            }
            let levels = sorted(levels, decimal);
            if listed.contains(&c) {
                same_number_twice(&levels, decimal, name)?;
            }
            if levels.len() > MANY_LEVELS && 2 * levels.len() > train_rows.len() {
                notes.push(format!(
                    "warning: column {name:?}: {} levels in {} training rows, one input each; most levels are too rare to learn from (a column of identifiers is better left out with data.ignore)",
                    levels.len(),
                    train_rows.len()
                ));
            }
            ColumnKind::Categorical { levels }
        } else {
            let mut sum = 0.0;
            for &r in &train_rows {
                sum += numeric_cell(table.cell(r, c), table.lines[r], name, decimal)?;
            }
            // Every kept row is checked, validation rows included, so a bad cell fails training.
            for &r in &val_rows {
                numeric_cell(table.cell(r, c), table.lines[r], name, decimal)?;
            }
            let n = train_rows.len() as f64;
            let mut mean = sum / n;
            let var = train_rows
                .iter()
                .map(|&r| {
                    let d = number(table.cell(r, c)).unwrap_or(mean) - mean;
                    d * d
                })
                .sum::<f64>()
                / n;
            // A variance that is only the round-off of the mean is a constant column: std 1,
            // and, when every value is the same, that value as the mean, so it becomes exactly 0.
            let std = if is_constant(var, mean, train_rows.len()) {
                let first = train_rows.first().and_then(|&r| number(table.cell(r, c)));
                if let Some(v) = first
                    && train_rows
                        .iter()
                        .all(|&r| number(table.cell(r, c)) == Some(v))
                {
                    mean = v;
                }
                1.0
            } else {
                scales.push((name, var.sqrt()));
                var.sqrt()
            };
            ColumnKind::Numeric { mean, std }
        };
        columns.push(Column {
            name: name.clone(),
            kind,
        });
    }

    let preprocessing = Preprocessing {
        task,
        target: table.names[target].clone(),
        header: src.header,
        delimiter: src.delimiter.clone(),
        decimal,
        missing: src.missing,
        standardize: src.standardize,
        columns,
        classes,
        rows: RowCounts {
            file: table.rows(),
            dropped,
            train: train_rows.len(),
            validation: val_rows.len(),
        },
        validation_lines: val_rows.iter().map(|&r| table.lines[r]).collect(),
    };
    if model_task == TaskKind::Classification
        && !src.standardize
        && let Some(w) = scale_warning(&scales)
    {
        notes.push(format!("warning: {w}"));
    }
    let plan = Plan::new(&preprocessing, table, Some(&table.names[target]))?;
    let dataset = |rows: &[usize]| -> Result<Dataset> {
        let e = plan.encode(&preprocessing, table, rows)?;
        Ok(Dataset {
            features: Features::Floats(e.x),
            labels: e.labels.expect("the target was asked for"),
            rows: e.rows,
            cols: preprocessing.width(),
        })
    };
    let train = dataset(&train_rows)?;
    let validation = if val_rows.is_empty() {
        None
    } else {
        Some(dataset(&val_rows)?)
    };
    Ok(Loaded {
        train,
        validation,
        preprocessing,
        notes,
    })
}

/// When every kept cell of column `c` is a number written another way than `decimal` reads
/// (a decimal comma, thousands separators): `line L, column NAME: <hint>` for the first.
fn all_foreign(table: &Table, c: usize, kept: &[usize], decimal: Decimal) -> Option<String> {
    let first = *kept.first()?;
    if !kept
        .iter()
        .all(|&r| decimal.foreign(table.cell(r, c)).is_some())
    {
        return None;
    }
    Some(format!(
        "line {}, column {:?}: {}",
        table.lines[first],
        table.names[c],
        decimal.hint(table.cell(first, c))?
    ))
}

/// Refuses two spellings of one number among sorted numeric class names or levels (`1` and
/// `1.0`), which would otherwise be two classes.
fn same_number_twice(values: &[String], decimal: Decimal, column: &str) -> Result<()> {
    let numbers: Option<Vec<f64>> = values.iter().map(|v| decimal.number(v)).collect();
    let Some(numbers) = numbers else {
        return Ok(());
    };
    for i in 1..values.len() {
        if numbers[i] == numbers[i - 1] {
            bail!(
                "column {column:?}: {:?} and {:?} are the same number written two ways, which would be two classes or levels; expected one spelling",
                values[i - 1],
                values[i]
            );
        }
    }
    Ok(())
}

/// Classification or regression, per `data.task` and the model (see [`load`]).
fn decide_task(
    src: &CsvSource,
    table: &Table,
    target: usize,
    kept: &[usize],
    model_task: TaskKind,
) -> Result<TaskKind> {
    let name = &table.names[target];
    let number = |cell: &str| src.decimal.number(cell);
    let first_text = kept
        .iter()
        .find(|&&r| number(table.cell(r, target)).is_none());
    let regression_ok = || -> Result<TaskKind> {
        if let Some(&r) = first_text {
            let cell = table.cell(r, target);
            match src.decimal.hint(cell) {
                Some(hint) => bail!(
                    "line {}, column {name:?}: a regression target must be a number: {hint}",
                    table.lines[r]
                ),
                None => bail!(
                    "line {}, column {name:?}: a regression target must be a finite number, found {cell:?}",
                    table.lines[r]
                ),
            }
        }
        Ok(TaskKind::Regression)
    };
    match (model_task, src.task) {
        (TaskKind::Regression, TaskChoice::Classification) => bail!(
            "data.task: \"classification\" needs model.kind = \"mlp\"; a linear model is always regression"
        ),
        (TaskKind::Regression, _) | (_, TaskChoice::Regression) => regression_ok(),
        (_, TaskChoice::Classification) => Ok(TaskKind::Classification),
        (_, TaskChoice::Auto) => {
            if first_text.is_some() {
                // Numbers written another way are no class names: say so rather than guess.
                if let Some(hint) = all_foreign(table, target, kept, src.decimal) {
                    bail!(
                        "{hint} (or data.task = \"classification\" to read the cells as class names)"
                    );
                }
                return Ok(TaskKind::Classification);
            }
            let mut distinct = BTreeSet::new();
            for &r in kept {
                let v = number(table.cell(r, target)).unwrap_or(0.5);
                if v.fract() != 0.0 {
                    return Ok(TaskKind::Regression);
                }
                distinct.insert(v as i64);
                if distinct.len() > AUTO_MAX_CLASSES {
                    return Ok(TaskKind::Regression);
                }
            }
            Ok(TaskKind::Classification)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn source(text: &str, target: &str) -> (tempfile::TempDir, CsvSource) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        std::fs::write(&p, text).unwrap();
        (dir, CsvSource::new(p, target.into(), true))
    }

    fn fitted(text: &str, target: &str, edit: impl FnOnce(&mut CsvSource)) -> Result<Loaded> {
        let (_d, mut s) = source(text, target);
        edit(&mut s);
        load(&s, TaskKind::Classification, 0.0, 0)
    }

    fn floats(d: &Dataset) -> &[f32] {
        match &d.features {
            Features::Floats(x) => x,
            Features::Bytes(_) => panic!("floats expected"),
        }
    }

    #[test]
    fn class_names_are_sorted_by_bytes_and_labels_index_them() {
        let l = fitted("x,y\n1,b\n2,a\n3,C\n4,b\n", "y", |_| {}).unwrap();
        assert_eq!(l.preprocessing.classes.as_deref().unwrap(), ["C", "a", "b"]);
        assert!(matches!(&l.train.labels, Labels::Classes(c) if c == &[2, 1, 0, 2]));
    }

    #[test]
    fn numeric_labels_sort_as_numbers() {
        let l = fitted("x,y\n1,10\n2,9\n3,100\n", "y", |_| {}).unwrap();
        assert_eq!(
            l.preprocessing.classes.as_deref().unwrap(),
            ["9", "10", "100"]
        );
    }

    #[test]
    fn a_text_column_is_one_hot_in_its_place_with_sorted_levels() {
        let l = fitted("a,c,b,y\n1,z,5,0\n2,x,6,1\n", "y", |_| {}).unwrap();
        assert_eq!(l.preprocessing.inputs(), ["a", "c=x", "c=z", "b"]);
        assert_eq!(floats(&l.train), &[1.0, 0.0, 1.0, 5.0, 2.0, 1.0, 0.0, 6.0]);
    }

    #[test]
    fn standardisation_uses_the_population_std_and_leaves_a_constant_column_at_zero() {
        let l = fitted("a,k,y\n1,7,0\n3,7,1\n", "y", |s| s.standardize = true).unwrap();
        // a: mean 2, population std 1 → -1, 1; k: constant → 0.
        assert_eq!(floats(&l.train), &[-1.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn auto_calls_many_integer_values_regression_and_one_text_cell_classification() {
        let many: String = (0..101).map(|i| format!("{i},{i}\n")).collect();
        let l = fitted(&format!("x,y\n{many}"), "y", |_| {}).unwrap();
        assert_eq!(l.preprocessing.task, TaskKind::Regression);
        let l = fitted("x,y\n1,1.5\n2,2\n", "y", |_| {}).unwrap();
        assert_eq!(l.preprocessing.task, TaskKind::Regression);
        let l = fitted(&format!("x,y\n{many}5,five\n"), "y", |_| {}).unwrap();
        assert_eq!(l.preprocessing.task, TaskKind::Classification);
        assert_eq!(l.preprocessing.outputs(), 102);
    }

    #[test]
    fn a_linear_model_makes_the_target_regression_and_refuses_text_targets() {
        let (_d, s) = source("x,y\n1,0\n2,1\n", "y");
        let l = load(&s, TaskKind::Regression, 0.0, 0).unwrap();
        assert_eq!(l.preprocessing.task, TaskKind::Regression);
        let (_d, s) = source("x,y\n1,a\n2,b\n", "y");
        let e = format!("{:#}", load(&s, TaskKind::Regression, 0.0, 0).unwrap_err());
        assert!(
            e.contains("line 2, column \"y\": a regression target must be a finite number"),
            "{e}"
        );
    }

    #[test]
    fn missing_cells_error_naming_line_and_column_or_are_dropped_and_counted() {
        let text = "x,y\n1,a\nNA,b\n3,?\n4,a\n5,b\n";
        let e = format!("{:#}", fitted(text, "y", |_| {}).unwrap_err());
        assert!(
            e.contains("line 3, column \"x\": missing cell \"NA\""),
            "{e}"
        );
        let l = fitted(text, "y", |s| s.missing = MissingPolicy::Drop).unwrap();
        assert_eq!((l.train.rows, l.preprocessing.rows.dropped), (3, 2));
        assert!(l.notes[0].contains("dropped 2 of 5 rows"), "{:?}", l.notes);
    }

    #[test]
    fn an_unseen_level_encodes_as_zeros_and_a_missing_column_is_named() {
        let l = fitted("c,y\nx,0\nz,1\n", "y", |_| {}).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("new.csv");
        std::fs::write(&p, "c,extra\nq,1\nz,2\n").unwrap();
        let t = csv::read_table(&p, true, b',').unwrap();
        let e = l.preprocessing.encode(&t, None).unwrap();
        assert_eq!(e.x, [0.0, 0.0, 0.0, 1.0]);
        assert_eq!(e.extra, ["extra"]);
        std::fs::write(&p, "d\n1\n").unwrap();
        let t = csv::read_table(&p, true, b',').unwrap();
        let err = format!("{:#}", l.preprocessing.encode(&t, None).unwrap_err());
        assert!(
            err.contains("line 1, column \"c\": the run's model needs"),
            "{err}"
        );
    }

    #[test]
    fn the_preprocessing_round_trips_through_json() {
        let l = fitted("a,c,y\n1,x,p\n2,z,q\n", "y", |s| s.standardize = true).unwrap();
        let text = serde_json::to_string(&l.preprocessing).unwrap();
        let back: Preprocessing = serde_json::from_str(&text).unwrap();
        assert_eq!(back, l.preprocessing);
    }

    #[test]
    fn feature_scales_a_thousand_times_apart_draw_a_warning_unless_standardised() {
        let text = "a,b,y\n1,1000,0\n2,3000,1\n";
        let l = fitted(text, "y", |_| {}).unwrap();
        assert!(
            l.notes
                .iter()
                .any(|n| n.contains("feature scales differ 2000×")),
            "{:?}",
            l.notes
        );
        let l = fitted(text, "y", |s| s.standardize = true).unwrap();
        assert!(l.notes.is_empty());
    }

    #[test]
    fn a_bad_delimiter_is_refused() {
        let (_d, mut s) = source("x,y\n", "y");
        s.delimiter = "ab".into();
        assert!(
            validate(&s)
                .unwrap_err()
                .to_string()
                .contains("data.delimiter")
        );
        let _ = PathBuf::new();
    }
}
