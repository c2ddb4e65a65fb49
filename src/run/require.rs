//! `--require "val_accuracy>=0.95"`: a bar a finished run must meet (exit 4 otherwise).

use std::fmt;

use anyhow::Result;

use crate::bail_usage;
use crate::metric::Metric;
use crate::metric::columns::{COLUMNS, OPTIONAL_COLUMNS};
use crate::train::EpochMetrics;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Ge,
    Gt,
    Le,
    Lt,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    pub metric: String,
    pub op: Op,
    pub bound: f64,
}

impl Requirement {
    pub fn parse(text: &str) -> Result<Requirement> {
        // Two-character operators first, so ">=" is not read as ">" followed by "=0.9".
        for (token, op) in [(">=", Op::Ge), ("<=", Op::Le), (">", Op::Gt), ("<", Op::Lt)] {
            if let Some((metric, bound)) = text.split_once(token) {
                let metric = metric.trim();
                // Any column but `epoch`, which is a count, not a result; the optional ones
                // (`val_loss_ema`, …) too: a run that never fills one is refused before training.
                let columns: Vec<&'static str> = COLUMNS[1..]
                    .iter()
                    .chain(&OPTIONAL_COLUMNS)
                    .copied()
                    .collect();
                let Some(metric) = Metric::one_of(metric, &columns) else {
                    bail_usage!(
                        "--require {text}: unknown metric \"{metric}\"; expected one of {}",
                        columns.join(", ")
                    );
                };
                let Ok(bound) = bound.trim().parse::<f64>() else {
                    bail_usage!(
                        "--require {text}: expected a number after {token}, found \"{}\"",
                        bound.trim()
                    );
                };
                return Ok(Requirement {
                    metric: metric.name().to_string(),
                    op,
                    bound,
                });
            }
        }
        bail_usage!(
            "--require {text}: expected METRIC>=X (or <=, >, <), e.g. \"val_accuracy>=0.95\""
        )
    }

    /// `None` when met; otherwise why not.
    pub fn check(&self, m: &EpochMetrics) -> Option<String> {
        let Some(value) = m.get(&self.metric) else {
            return Some(format!(
                "{self}: the run has no {} (empty column)",
                self.metric
            ));
        };
        (!self.met(value)).then(|| format!("{self} missed: final {} = {value}", self.metric))
    }

    /// Whether `value` meets the bar (NaN never does).
    pub fn met(&self, value: f64) -> bool {
        match self.op {
            Op::Ge => value >= self.bound,
            Op::Gt => value > self.bound,
            Op::Le => value <= self.bound,
            Op::Lt => value < self.bound,
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Lt => "<",
        };
        write!(f, "{}{op}{}", self.metric, self.bound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(val_accuracy: f64) -> EpochMetrics {
        EpochMetrics {
            epoch: 0,
            lr: 0.1,
            loss: 0.3,
            accuracy: Some(0.9),
            val_loss: None,
            val_accuracy: Some(val_accuracy),
            grad_norm: 1.0,
            seconds: 0.1,
            effective_lr: None,
            momentum: None,
            val_loss_ema: None,
            val_accuracy_ema: None,
        }
    }

    #[test]
    fn a_bar_is_met_or_missed_by_the_final_value() {
        let r = Requirement::parse("val_accuracy>=0.95").unwrap();
        assert_eq!(r.check(&metrics(0.95)), None);
        assert!(r.check(&metrics(0.9)).unwrap().contains("0.9"));
        let r = Requirement::parse("loss < 0.5").unwrap();
        assert_eq!(r.check(&metrics(0.0)), None);
    }

    #[test]
    fn malformed_bars_are_usage_errors() {
        for bad in ["val_acc>=0.9", "val_accuracy>=x", "val_accuracy=0.9"] {
            let e = Requirement::parse(bad).unwrap_err();
            assert_eq!(crate::error::exit_code(&e), 2, "{bad}");
        }
    }

    #[test]
    fn a_missing_column_misses_the_bar() {
        let mut m = metrics(0.9);
        m.val_accuracy = None;
        assert!(
            Requirement::parse("val_accuracy>=0.5")
                .unwrap()
                .check(&m)
                .is_some()
        );
    }
}
