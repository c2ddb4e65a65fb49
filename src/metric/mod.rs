//! A metric of a run (a column of `metrics.csv`) and the one rule for which of two values is
//! better, used by `compare`, `sweep`, early stopping, the plateau schedule and `summary.json`.
//!
//! The direction follows the SPEC ("mode from the name: *loss → min, else max"): a name ending
//! in `loss` is minimised, every other one maximised. Which names a command accepts is that
//! command's choice ([`RANKED`] for rankings and early stopping, every column for `--require`
//! and `plateau`); the direction of a name is the same everywhere.

pub mod columns;

use std::cmp::Ordering;
use std::fmt;

use anyhow::Result;

use crate::bail_usage;
use columns::{COLUMNS, OPTIONAL_COLUMNS};

/// The metrics that rank runs (`compare --metric`, a sweep's `metric`) and that early stopping
/// monitors: those every run of a task has, in `compare`'s order of preference.
pub const RANKED: [&str; 4] = ["val_accuracy", "val_loss", "accuracy", "loss"];

/// Which way a metric is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Higher is better (accuracies, and every name not ending in `loss`).
    Max,
    /// Lower is better (`loss`, `val_loss`, `val_loss_ema`).
    Min,
}

impl Direction {
    /// The SPEC's rule: a name ending in `loss` is minimised, any other maximised. The EMA
    /// columns (`val_loss_ema`) are read by the name of what they average.
    pub fn of(name: &str) -> Direction {
        if base(name).ends_with("loss") {
            Direction::Min
        } else {
            Direction::Max
        }
    }

    /// `a` is strictly better than `b`. NaN is never better than anything and anything else is
    /// better than NaN, so a diverged run ranks last.
    pub fn better(self, a: f64, b: f64) -> bool {
        match (a.is_nan(), b.is_nan()) {
            (true, _) => false,
            (false, true) => true,
            _ => match self {
                Direction::Max => a > b,
                Direction::Min => a < b,
            },
        }
    }

    /// How much better `a` is than `b`: a − b when higher is better, b − a when lower is.
    pub fn gain(self, a: f64, b: f64) -> f64 {
        match self {
            Direction::Max => a - b,
            Direction::Min => b - a,
        }
    }

    /// `value` has reached `target`: ≥ when higher is better, ≤ when lower is (NaN never has).
    pub fn reached(self, value: f64, target: f64) -> bool {
        match self {
            Direction::Max => value >= target,
            Direction::Min => value <= target,
        }
    }

    /// The best finite value of `items` with what it came with; the first on a tie; `None`
    /// when no value is finite.
    pub fn best_of<T>(self, items: impl IntoIterator<Item = (f64, T)>) -> Option<(f64, T)> {
        let mut best: Option<(f64, T)> = None;
        for (v, item) in items {
            if !v.is_finite() {
                continue;
            }
            if best.as_ref().is_none_or(|(b, _)| self.better(v, *b)) {
                best = Some((v, item));
            }
        }
        best
    }

    /// Better first, then worse; a missing or non-finite value after every finite one.
    pub fn order(self, a: Option<f64>, b: Option<f64>) -> Ordering {
        let finite = |v: Option<f64>| v.filter(|v| v.is_finite());
        match (finite(a), finite(b)) {
            (Some(a), Some(b)) => {
                let o = a.partial_cmp(&b).unwrap_or(Ordering::Equal);
                match self {
                    Direction::Max => o.reverse(),
                    Direction::Min => o,
                }
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    }
}

/// The quantity a column measures: `val_loss_ema` is `val_loss` on the averaged weights.
fn base(name: &str) -> &str {
    name.strip_suffix("_ema").unwrap_or(name)
}

/// A column of `metrics.csv` with its [`Direction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    name: &'static str,
    direction: Direction,
}

impl Metric {
    /// Any column of `metrics.csv` (SPEC "Outputs of a run"), `epoch` and the optional columns
    /// included. Errors (usage, exit 2): `unknown metric "NAME": expected a column of
    /// metrics.csv (epoch, lr, …)`.
    pub fn parse(name: &str) -> Result<Metric> {
        match Metric::one_of(name, &COLUMNS).or_else(|| Metric::one_of(name, &OPTIONAL_COLUMNS)) {
            Some(m) => Ok(m),
            None => bail_usage!(
                "unknown metric \"{name}\": expected a column of metrics.csv ({})",
                COLUMNS
                    .iter()
                    .chain(&OPTIONAL_COLUMNS)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// `name` as a metric when it is one of `allowed`, so each command keeps its own set of
    /// names and its own message for the rest.
    pub fn one_of(name: &str, allowed: &[&'static str]) -> Option<Metric> {
        allowed.iter().find(|a| **a == name).map(|&name| Metric {
            name,
            direction: Direction::of(name),
        })
    }

    /// The metric a run of this kind is ranked by (`summary.json`'s `best`, `compare`'s
    /// default): `val_accuracy` for classification with a validation set, `accuracy` without,
    /// `val_loss` for regression with one, else `loss`.
    pub fn natural(classification: bool, validation: bool) -> Metric {
        let name = match (classification, validation) {
            (true, true) => "val_accuracy",
            (true, false) => "accuracy",
            (false, true) => "val_loss",
            (false, false) => "loss",
        };
        Metric {
            name,
            direction: Direction::of(name),
        }
    }

    /// The column name (`val_loss`).
    pub fn name(self) -> &'static str {
        self.name
    }

    pub fn direction(self) -> Direction {
        self.direction
    }

    /// Higher is better.
    pub fn is_max(self) -> bool {
        self.direction == Direction::Max
    }

    /// An accuracy (`accuracy`, `val_accuracy`, `val_accuracy_ema`): only classification has it.
    pub fn is_accuracy(self) -> bool {
        base(self.name).ends_with("accuracy")
    }

    /// A loss (`loss`, `val_loss`, `val_loss_ema`).
    pub fn is_loss(self) -> bool {
        base(self.name).ends_with("loss")
    }

    /// Measured on the validation set: only a run with one has it.
    pub fn is_validation(self) -> bool {
        self.name.starts_with("val_")
    }

    /// `a` is strictly better than `b` ([`Direction::better`]).
    pub fn better(self, a: f64, b: f64) -> bool {
        self.direction.better(a, b)
    }

    /// The best finite value of `items` with what it came with ([`Direction::best_of`]).
    pub fn best_of<T>(self, items: impl IntoIterator<Item = (f64, T)>) -> Option<(f64, T)> {
        self.direction.best_of(items)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::exit_code;

    #[test]
    fn a_name_ending_in_loss_is_minimised_and_every_other_maximised() {
        for (name, dir) in [
            ("loss", Direction::Min),
            ("val_loss", Direction::Min),
            ("val_loss_ema", Direction::Min),
            ("accuracy", Direction::Max),
            ("val_accuracy", Direction::Max),
            ("val_accuracy_ema", Direction::Max),
            // The SPEC's rule, not a judgement of the quantity: ranking by these maximises.
            ("grad_norm", Direction::Max),
            ("lr", Direction::Max),
        ] {
            assert_eq!(Metric::parse(name).unwrap().direction(), dir, "{name}");
        }
    }

    #[test]
    fn better_is_strict_and_puts_nan_last() {
        let loss = Metric::parse("val_loss").unwrap();
        let acc = Metric::parse("val_accuracy").unwrap();
        assert!(loss.better(0.1, 0.2) && !loss.better(0.2, 0.1) && !loss.better(0.2, 0.2));
        assert!(acc.better(0.9, 0.8) && !acc.better(0.8, 0.9) && !acc.better(0.9, 0.9));
        assert!(acc.better(0.0, f64::NAN) && !acc.better(f64::NAN, 0.0));
        assert!(loss.better(1e9, f64::NAN) && !loss.better(f64::NAN, f64::NAN));
    }

    #[test]
    fn best_of_skips_non_finite_values_and_keeps_the_first_on_a_tie() {
        let loss = Metric::parse("loss").unwrap();
        let items = [
            (f64::NAN, 0),
            (0.5, 1),
            (0.3, 2),
            (f64::NEG_INFINITY, 3),
            (0.3, 4),
        ];
        assert_eq!(loss.best_of(items), Some((0.3, 2)));
        let acc = Metric::parse("accuracy").unwrap();
        assert_eq!(
            acc.best_of([(0.7, 'a'), (0.9, 'b'), (0.9, 'c')]),
            Some((0.9, 'b'))
        );
        assert_eq!(acc.best_of([(f64::NAN, 'a')]), None);
    }

    #[test]
    fn reached_is_at_least_for_max_and_at_most_for_min() {
        assert!(Direction::Max.reached(0.9, 0.9) && !Direction::Max.reached(0.89, 0.9));
        assert!(Direction::Min.reached(0.1, 0.1) && !Direction::Min.reached(0.11, 0.1));
        assert!(!Direction::Min.reached(f64::NAN, 0.1));
    }

    #[test]
    fn order_puts_the_better_value_first_and_missing_ones_last() {
        use Ordering::*;
        assert_eq!(Direction::Max.order(Some(0.9), Some(0.8)), Less);
        assert_eq!(Direction::Min.order(Some(0.9), Some(0.8)), Greater);
        assert_eq!(Direction::Min.order(Some(f64::NAN), Some(0.8)), Greater);
        assert_eq!(Direction::Max.order(None, Some(0.8)), Greater);
        assert_eq!(Direction::Max.order(None, None), Equal);
    }

    #[test]
    fn gain_is_positive_when_the_first_is_better() {
        assert_eq!(Direction::Max.gain(0.9, 0.5), 0.9 - 0.5);
        assert_eq!(Direction::Min.gain(0.5, 0.9), 0.9 - 0.5);
    }

    #[test]
    fn an_unknown_name_is_a_usage_error_listing_every_column() {
        let e = Metric::parse("val_acc").unwrap_err();
        assert_eq!(exit_code(&e), 2);
        assert_eq!(
            e.to_string(),
            "unknown metric \"val_acc\": expected a column of metrics.csv (epoch, lr, loss, accuracy, val_loss, val_accuracy, grad_norm, seconds, momentum, effective_lr, val_loss_ema, val_accuracy_ema)"
        );
    }

    #[test]
    fn one_of_accepts_only_the_names_a_command_allows() {
        assert_eq!(Metric::one_of("loss", &RANKED).unwrap().name(), "loss");
        assert!(Metric::one_of("grad_norm", &RANKED).is_none());
        let m = Metric::one_of("val_accuracy", &RANKED).unwrap();
        assert!(m.is_accuracy() && m.is_validation() && m.is_max() && !m.is_loss());
        let ema = Metric::parse("val_accuracy_ema").unwrap();
        assert!(ema.is_accuracy() && ema.is_validation() && !ema.is_loss());
        assert!(Metric::parse("val_loss_ema").unwrap().is_loss());
        assert!(!Metric::parse("grad_norm").unwrap().is_loss());
    }
}
