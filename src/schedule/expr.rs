//! `expr`: the rate is any expression of `t` (in the schedule's unit), `lr0`, `epoch`, `step`
//! (the global step; with unit epoch the epoch's first step), `epochs`, `steps_per_epoch` and
//! `total_steps` (= epochs · steps_per_epoch), with real division, `^`, the functions
//! `exp ln log10 sqrt cos sin min max floor ceil abs` and the constant `pi`. PyTorch `LambdaLR`
//! gives a factor: `expr = "lr0 * …"` is its equivalent.
//!
//! Calls nest: any function may take any expression as an argument, other calls included
//! (`lr0 * min(1, max(0.1, 1 - t / 10))`, a clamp). exmex's own reading of `f(a, b)` breaks
//! on nested calls, so the two-argument calls are rewritten into its infix form first
//! ([`infix_calls`]).
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
    ["", "1", " 1", "(1)", "(1,1)", "1,1", ",1"]
        .iter()
        .any(|tail| {
            infix_calls(&format!("{prefix}{tail}{close}"))
                .is_ok_and(|text| Compiled::parse(&text).is_ok())
        })
}

/// The names exmex reads as functions: its operators spelled as words (`min`, `log10`),
/// with their argument count (2 for `min`, `max`, `atan2`; 1 for the others).
fn functions() -> Vec<(&'static str, usize)> {
    Ops::make()
        .iter()
        .filter(|op| op.constant().is_none())
        .filter(|op| op.repr().chars().all(|c| c.is_alphanumeric() || c == '_'))
        .map(|op| (op.repr(), if op.has_bin() { 2 } else { 1 }))
        .collect()
}

/// The text handed to exmex: every two-argument call `f(a, b)` written as `((a)f(b))`.
///
/// exmex reads `f(a, b)` by moving `f` to the comma, with one flag and one parenthesis count
/// for the whole expression, so a call inside the arguments of another one (a clamp,
/// `min(1, max(0.1, 1 - t / 10))`) lost its parentheses: "parentheses mismatch". The infix form
/// `((a)f(b))` is exmex's own reading of a call and parses at any depth, so every call is
/// rewritten here, innermost first, and no comma reaches exmex. Text with unbalanced
/// parentheses is returned as written, for exmex to report. Errors: the 1-based character of
/// a comma outside any call, or of a call's argument count that does not fit its function.
fn infix_calls(text: &str) -> std::result::Result<String, (usize, String)> {
    let mut depth = 0i64;
    for c in text.chars() {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        if depth < 0 {
            return Ok(text.to_string());
        }
    }
    if depth != 0 {
        return Ok(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    let functions = functions();
    let mut at = 0;
    let args = arguments(&chars, &mut at, &functions)?;
    match args.as_slice() {
        [only] => Ok(only.text.clone()),
        [_, second, ..] => Err((second.comma, NO_CALL.into())),
        [] => unreachable!("arguments returns at least one"),
    }
}

const NO_CALL: &str = "a comma outside the arguments of min, max or another two-argument function";

/// One argument of a call, rewritten.
struct Argument {
    text: String,
    /// The 1-based character of the comma before it (0 for the first).
    comma: usize,
}

/// The arguments from `chars[*at]` up to the `)` that closes this level (not consumed) or the
/// end, split at this level's commas, each with its calls rewritten.
fn arguments(
    chars: &[char],
    at: &mut usize,
    functions: &[(&str, usize)],
) -> std::result::Result<Vec<Argument>, (usize, String)> {
    let mut args = vec![Argument {
        text: String::new(),
        comma: 0,
    }];
    while let Some(&c) = chars.get(*at) {
        match c {
            ')' => break,
            ',' => {
                *at += 1;
                args.push(Argument {
                    text: String::new(),
                    comma: *at,
                });
            }
            '(' => {
                *at += 1;
                let inner = arguments(chars, at, functions)?;
                // The parentheses balance, so this is the `)` closing the group.
                *at += 1;
                let close = *at;
                let text = &mut args.last_mut().expect("at least one argument").text;
                call(text, inner, close, functions)?;
            }
            _ => {
                args.last_mut().expect("at least one argument").text.push(c);
                *at += 1;
            }
        }
    }
    Ok(args)
}

/// Appends the parenthesised group `inner` (closed at character `close`) to `text`, which ends
/// with the function's name when the group is a call's arguments.
fn call(
    text: &mut String,
    inner: Vec<Argument>,
    close: usize,
    functions: &[(&str, usize)],
) -> std::result::Result<(), (usize, String)> {
    let head = text.trim_end();
    let name_len = head
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .map(char::len_utf8)
        .sum::<usize>();
    let name = &head[head.len() - name_len..];
    let arity = functions.iter().find(|(f, _)| *f == name).map(|&(_, n)| n);
    let given = if inner.len() == 1 && inner[0].text.trim().is_empty() {
        0
    } else {
        inner.len()
    };
    match arity {
        None if inner.len() > 1 => Err((inner[1].comma, NO_CALL.into())),
        None => {
            text.push('(');
            text.push_str(&inner[0].text);
            text.push(')');
            Ok(())
        }
        Some(n) if given != n => {
            let plural = if n == 1 { "" } else { "s" };
            let at = inner.get(n).map_or(close, |a| a.comma);
            Err((
                at,
                format!("{name} takes {n} argument{plural}, found {given}"),
            ))
        }
        Some(n) if inner.iter().any(|a| a.text.trim().is_empty()) => {
            let empty = inner
                .iter()
                .position(|a| a.text.trim().is_empty())
                .unwrap_or(0);
            // Where the empty argument ends: the comma after it, or the `)`.
            let at = inner.get(empty + 1).map_or(close, |a| a.comma);
            Err((
                at,
                format!("{name}: argument {} of {n} is empty", empty + 1),
            ))
        }
        Some(1) => {
            text.push('(');
            text.push_str(&inner[0].text);
            text.push(')');
            Ok(())
        }
        Some(_) => {
            let name = name.to_string();
            let keep = head.len() - name_len;
            text.truncate(keep);
            text.push_str(&format!("(({}){name}({}))", inner[0].text, inner[1].text));
            Ok(())
        }
    }
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
        let infix = infix_calls(text).map_err(|(col, why)| {
            bad(
                cx,
                format!("cannot parse \"{text}\" at character {col}: {why}"),
            )
        })?;
        let compiled = Compiled::parse(&infix).map_err(|e| {
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
    fn calls_nest_in_every_argument_to_any_depth() {
        // SHAPE: 10 epochs of 100 steps; the clamp of issue 21 and its mirror image.
        let clamp = |t: f64| 0.5 * 1f64.min(0.1f64.max(1.0 - t / 10.0));
        for expr in [
            "lr0 * min(1, max(0.1, 1 - t / 10))",
            "lr0 * min(max(1 - t / 10, 0.1), 1)",
            "lr0*min (max( 0.1 ,1-t/10) , 1)",
        ] {
            let s = sched(&format!("kind = \"expr\"\nexpr = \"{expr}\""), 0.5);
            assert_table(&s, &[(0, clamp(0.0)), (5, clamp(5.0)), (20, clamp(20.0))]);
        }
        let s = sched(
            "kind = \"expr\"\nexpr = \"max(min(max(0, min(1, 2)), sqrt(min(4, max(9, 16)))), abs(min(-1, max(-2, -3))))\"",
            1.0,
        );
        // max(min(1, sqrt(4)), abs(-2))
        assert_table(&s, &[(0, 2.0)]);
    }

    #[test]
    fn a_call_with_the_wrong_number_of_arguments_names_the_character() {
        let e = error("kind = \"expr\"\nexpr = \"min(1, 2, 3)\"", 0.1);
        assert_eq!(
            e,
            "schedule.expr: cannot parse \"min(1, 2, 3)\" at character 9: min takes 2 arguments, found 3"
        );
        let e = error("kind = \"expr\"\nexpr = \"lr0 * max(t)\"", 0.1);
        assert!(
            e.ends_with("at character 12: max takes 2 arguments, found 1"),
            "{e}"
        );
        let e = error("kind = \"expr\"\nexpr = \"sqrt(1, t)\"", 0.1);
        assert!(
            e.ends_with("at character 7: sqrt takes 1 argument, found 2"),
            "{e}"
        );
        let e = error("kind = \"expr\"\nexpr = \"(1, t)\"", 0.1);
        assert!(
            e.contains("at character 3: a comma outside the arguments"),
            "{e}"
        );
        // A syntax error inside nested calls is placed where it is, not at the call's name.
        let e = error(
            "kind = \"expr\"\nexpr = \"lr0 * min(1, max(0.1, 1 - t / 10)\"",
            0.1,
        );
        assert!(e.contains("at character 34: parentheses mismatch"), "{e}");
        let e = error(
            "kind = \"expr\"\nexpr = \"lr0 * min(1, max(0.1, 1 - t / ))\"",
            0.1,
        );
        assert!(e.contains("at character 31: "), "{e}");
        let e = error("kind = \"expr\"\nexpr = \"min(, 1)\"", 0.1);
        assert!(
            e.ends_with("at character 5: min: argument 1 of 2 is empty"),
            "{e}"
        );
        let e = error("kind = \"expr\"\nexpr = \"max(t,)\"", 0.1);
        assert!(
            e.ends_with("at character 7: max: argument 2 of 2 is empty"),
            "{e}"
        );
        let e = error("kind = \"expr\"\nexpr = \"min(1, 2), 3\"", 0.1);
        assert!(
            e.contains("at character 10: a comma outside the arguments"),
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
