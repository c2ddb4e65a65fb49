//! `expr`: the rate is any expression of `t` (in the schedule's unit), `lr0`, `epoch`, `step`
//! (the global step; with unit epoch the epoch's first step), `epochs`, `steps_per_epoch` and
//! `total_steps` (= epochs · steps_per_epoch), with real division, `^`, the functions
//! `exp ln log10 sqrt cos sin min max floor ceil abs` and the constant `pi`. PyTorch `LambdaLR`
//! gives a factor: `expr = "lr0 * …"` is its equivalent.
//!
//! Parsed once by the `exmex` crate (MIT OR Apache-2.0) when the schedule is built, then
//! evaluated for every t of the run into a table, so that a non-finite or negative value is an
//! error naming the first t where it occurs, and the per-step rate is a lookup (no allocation:
//! exmex evaluates on a small stack buffer that long expressions would spill to the heap). The
//! table keeps the first 2^20 rates; later t, and t beyond the run (previews), are evaluated on
//! demand, to the same value.

use std::f64::consts::PI;

use anyhow::Result;
use exmex::{Express, FlatEx, FloatOpsFactory, MakeOperators, MatchLiteral, Operator};
use serde::{Deserialize, Serialize};

use super::{Context, Kind, Schedule, Unit};
use crate::error::UsageError;

/// The variables an expression may use.
pub const VARIABLES: &[&str] = &[
    "t",
    "lr0",
    "epoch",
    "step",
    "epochs",
    "steps_per_epoch",
    "total_steps",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expr {
    pub expr: String,
}

/// exmex's float operators plus the lower-case constant `pi` the SPEC names.
#[derive(Clone, Debug)]
struct Ops;

impl MakeOperators<f64> for Ops {
    fn make<'a>() -> Vec<Operator<'a, f64>> {
        let mut ops = FloatOpsFactory::<f64>::make();
        ops.push(Operator::make_constant("pi", PI));
        ops
    }
}

// Decimal literals with an optional exponent (`1e-3`, `.5`, `2.`), which exmex's default
// matcher would split at the `e`.
exmex::literal_matcher_from_pattern!(Decimal, r"^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?");

type Compiled = FlatEx<f64, Ops, Decimal>;

/// What the expression's variables stand for on this run.
#[derive(Debug, Clone, Copy)]
struct Frame {
    lr0: f64,
    unit: Unit,
    /// The config's t at this schedule's t = 0 (warmup, phase start).
    origin: usize,
    epochs: usize,
    steps_per_epoch: usize,
}

/// Rates looked up rather than evaluated (8 MiB of them).
const MAX_TABLE: usize = 1 << 20;

#[derive(Debug)]
struct ExprRun {
    compiled: Compiled,
    /// For each variable of `compiled.var_names()` (sorted), its index in [`VARIABLES`].
    slots: Vec<usize>,
    frame: Frame,
    /// The rate at the run's first t, up to [`MAX_TABLE`] of them.
    table: Vec<f64>,
}

impl ExprRun {
    /// The expression's value at local `t`; `vars` holds one value per used variable.
    fn eval(&self, lr0: f64, t: usize, vars: &mut [f64; 7]) -> f64 {
        let f = self.frame;
        let global = f.origin.saturating_add(t);
        let (epoch, step) = match f.unit {
            Unit::Step => (global / f.steps_per_epoch.max(1), global),
            Unit::Epoch => (global, global.saturating_mul(f.steps_per_epoch)),
        };
        let all = [
            t as f64,
            lr0,
            epoch as f64,
            step as f64,
            f.epochs as f64,
            f.steps_per_epoch as f64,
            f.epochs.saturating_mul(f.steps_per_epoch) as f64,
        ];
        for (v, &slot) in vars.iter_mut().zip(&self.slots) {
            *v = all[slot];
        }
        // The variable count matches by construction, so eval cannot fail; NaN if it did.
        self.compiled
            .eval(&vars[..self.slots.len()])
            .unwrap_or(f64::NAN)
    }
}

impl Schedule for ExprRun {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        if lr0 == self.frame.lr0
            && let Some(&rate) = self.table.get(t)
        {
            return rate;
        }
        self.eval(lr0, t, &mut [0.0; 7])
    }
}

/// `schedule.expr: …` as a usage error.
fn bad(cx: &Context, what: String) -> anyhow::Error {
    anyhow::Error::new(UsageError(format!("{}: {what}", cx.key("expr"))))
}

/// The 1-based character column of the first whole-word `name` in `text`.
fn column_of(text: &str, name: &str) -> usize {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(i) = text[from..].find(name).map(|i| i + from) {
        let before = text[..i].chars().next_back();
        let after = text[i + name.len()..].chars().next();
        if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
            return text[..i].chars().count() + 1;
        }
        from = i + name.len();
    }
    1
}

/// The 1-based column where `text` stops parsing: the longest prefix that still parses as the
/// start of an expression (closed with parentheses and an operand), plus one.
fn error_column(text: &str) -> usize {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    // The shortest prefix that cannot be completed is where the error is.
    for n in 1..=chars.len() {
        let end = chars.get(n).map_or(text.len(), |&(i, _)| i);
        let prefix = &text[..end];
        if !completable(prefix) {
            return n;
        }
    }
    chars.len() + 1
}

/// True if `prefix` followed by some operand and closing parentheses parses.
fn completable(prefix: &str) -> bool {
    let depth = prefix.chars().fold(0i64, |d, c| match c {
        '(' => d + 1,
        ')' => d - 1,
        _ => d,
    });
    if depth < 0 {
        return false;
    }
    let close = ")".repeat(depth as usize);
    ["", "1", " 1", "(1)", "1,1", ",1"]
        .iter()
        .any(|tail| Compiled::parse(&format!("{prefix}{tail}{close}")).is_ok())
}

impl Kind for Expr {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        let text = self.expr.trim();
        if text.is_empty() {
            return Err(bad(
                cx,
                "expected an expression of t, found an empty string".into(),
            ));
        }
        let compiled = Compiled::parse(text).map_err(|e| {
            let col = error_column(text);
            bad(
                cx,
                format!(
                    "cannot parse \"{text}\" at character {col}: {}",
                    e.msg().lines().next().unwrap_or("syntax error")
                ),
            )
        })?;
        let mut slots = Vec::with_capacity(VARIABLES.len());
        for name in compiled.var_names() {
            match VARIABLES.iter().position(|v| v == name) {
                Some(slot) => slots.push(slot),
                None => {
                    return Err(bad(
                        cx,
                        format!(
                            "unknown name \"{name}\" at character {} of \"{text}\" (variables: {}; functions: exp ln log10 sqrt cos sin min max floor ceil abs; constant: pi)",
                            column_of(text, name),
                            VARIABLES.join(", ")
                        ),
                    ));
                }
            }
        }
        let mut run = ExprRun {
            compiled,
            slots,
            frame: Frame {
                lr0: cx.lr0,
                unit: cx.unit,
                origin: cx.origin,
                epochs: cx.shape.epochs,
                steps_per_epoch: cx.shape.steps_per_epoch,
            },
            table: Vec::new(),
        };
        let mut vars = [0.0; 7];
        // Every t is checked, but only the first MAX_TABLE rates are kept: memory stays bounded
        // for a run of any length, and a later t is evaluated again, to the same bits.
        let mut table = Vec::with_capacity(cx.remaining.min(MAX_TABLE));
        for t in 0..cx.remaining {
            let rate = run.eval(cx.lr0, t, &mut vars);
            if !(rate.is_finite() && rate >= 0.0) {
                return Err(bad(
                    cx,
                    format!(
                        "\"{text}\" is {rate} at t = {t} ({} {}); expected a finite rate >= 0 at every t of the run",
                        cx.unit_word(),
                        cx.origin + t
                    ),
                ));
            }
            if t < MAX_TABLE {
                table.push(rate);
            }
        }
        run.table = table;
        Ok(Box::new(run))
    }
}

#[cfg(test)]
mod tests {
    use super::super::RunShape;
    use super::super::testutil::*;

    #[test]
    fn the_variables_take_the_runs_values() {
        // SHAPE: 10 epochs of 100 steps.
        let s = sched(
            "kind = \"expr\"\nexpr = \"lr0 * (1 - step / total_steps)\"",
            0.5,
        );
        assert_table(&s, &[(0, 0.5), (500, 0.25), (999, 0.5 * 0.001)]);
        let s = sched(
            "kind = \"expr\"\nexpr = \"epoch + steps_per_epoch / 1e3 + epochs / 1E+5 + 0.5e-9 * 0\"",
            0.5,
        );
        assert_table(&s, &[(0, 0.1001), (250, 2.1001)]);
        // With warmup, t is local but step is global.
        let s = sched(
            "kind = \"expr\"\nwarmup = 10\nexpr = \"t + step / 1000\"",
            1.0,
        );
        assert_table(&s, &[(10, 0.01), (20, 10.02)]);
        // Unit epoch: step is the epoch's first step.
        let s = sched(
            "kind = \"expr\"\nunit = \"epoch\"\nexpr = \"t + step / 1000\"",
            1.0,
        );
        assert_table(&s, &[(0, 0.0), (3, 3.3)]);
    }

    #[test]
    fn functions_constants_real_division_and_power() {
        let s = sched(
            "kind = \"expr\"\nexpr = \"1/2 + 2^3 + sqrt(4) + exp(0) + ln(1) + log10(100) + cos(pi) + sin(0) + min(3, 4) + max(3, 4) + floor(1.5) + ceil(1.5) + abs(-1)\"",
            1.0,
        );
        // 0.5 + 8 + 2 + 1 + 0 + 2 − 1 + 0 + 3 + 4 + 1 + 2 + 1
        assert_table(&s, &[(0, 23.5), (7, 23.5)]);
    }

    #[test]
    fn a_parse_error_names_the_key_and_the_position() {
        let e = error("kind = \"expr\"\nexpr = \"lr0 * (1 + \"", 0.1);
        assert!(
            e.starts_with("schedule.expr: cannot parse \"lr0 * (1 +\" at character"),
            "{e}"
        );
        let e = error("kind = \"expr\"\nexpr = \"lr0 * ) 2\"", 0.1);
        assert!(e.contains("at character 7"), "{e}");
        let e = error("kind = \"expr\"\nexpr = \"lr0 * gamma ^ t\"", 0.1);
        assert!(
            e.starts_with("schedule.expr: unknown name \"gamma\" at character 7"),
            "{e}"
        );
    }

    #[test]
    fn a_negative_or_non_finite_value_names_the_first_t() {
        let e = error("kind = \"expr\"\nexpr = \"lr0 * (1 - t / 500)\"", 0.1);
        assert!(e.contains("at t = 501 (step 501)"), "{e}");
        let shape = RunShape { epochs: 3, ..SHAPE };
        let e = error_on(
            "kind = \"expr\"\nunit = \"epoch\"\nwarmup = 1\nexpr = \"ln(t - 1)\"",
            0.1,
            &shape,
        );
        assert!(e.contains("is NaN at t = 0 (epoch 1)"), "{e}");
    }

    #[test]
    fn a_run_longer_than_the_table_is_checked_to_its_end_and_keeps_its_rates() {
        // 1.5 × 2^20 steps: the table holds the first 2^20.
        let shape = RunShape {
            epochs: 3,
            steps_per_epoch: 1 << 19,
            ..SHAPE
        };
        let cfg = parse("kind = \"expr\"\nexpr = \"lr0 * (1 - t / total_steps)\"");
        let s = super::super::LrSchedule::new(&cfg, 0.5, &shape).unwrap();
        for t in [0, (1 << 20) - 1, 1 << 20, (1 << 20) + 7, 3 * (1 << 19) - 1] {
            let want = 0.5 * (1.0 - t as f64 / (3 * (1 << 19)) as f64);
            assert!((s.rate_at(t) - want).abs() <= 1e-15, "t = {t}");
        }
        // A negative rate past the table is still found before anything trains.
        let cfg = parse("kind = \"expr\"\nexpr = \"lr0 * (1200000 - t)\"");
        let e = super::super::LrSchedule::new(&cfg, 0.5, &shape).unwrap_err();
        assert!(format!("{e:#}").contains("at t = 1200001"), "{e:#}");
    }
}
