//! Key checks shared by the kinds: each error is one line, `key: expected …, found …`, and a
//! usage error (exit 2); and the lint that reads the whole schedule for rates of 0.

use anyhow::Result;

use super::Unit;

/// Stretches reported one by one before the rest are only counted.
const MAX_STRETCHES: usize = 3;

/// Warnings for the values of t in `0..run` at which `rate(t)` is 0 (or below): one per
/// maximal stretch of such t, naming exactly its first and last t, so a schedule that touches 0
/// and rises again (a warm-up or `linear` from factor 0, piecewise values `[1, 0, 0.5]`) is
/// described as it is. A lone step is not reported: one optimizer step of many is how ramps
/// from 0 are written (the default `warmup_start_factor = 0`) and costs nothing; a lone epoch is.
pub fn idle_stretches(rate: impl Fn(usize) -> f64, run: usize, unit: Unit) -> Vec<String> {
    // The first few stretches, and a count of the rest: a run of millions of steps whose rate
    // touches 0 every other step needs no more memory than one that never does.
    let mut stretches: Vec<(usize, usize)> = Vec::new();
    let (mut more, mut more_len) = (0usize, 0usize);
    let mut found = |a: usize, b: usize| {
        if b == a && unit != Unit::Epoch {
            return;
        }
        if stretches.len() < MAX_STRETCHES {
            stretches.push((a, b));
        } else {
            more += 1;
            more_len += b - a + 1;
        }
    };
    let mut start = None;
    for t in 0..run {
        match (rate(t) <= 0.0, start) {
            (true, None) => start = Some(t),
            (false, Some(s)) => {
                found(s, t - 1);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        found(s, run - 1);
    }
    let (word, words) = match unit {
        Unit::Step => ("step", "steps"),
        Unit::Epoch => ("epoch", "epochs"),
    };
    let last = run.saturating_sub(1);
    let mut out: Vec<String> = stretches
        .iter()
        .map(|&(a, b)| {
            let n = b - a + 1;
            match (a, b) {
                (0, b) if b == last => {
                    format!("schedule: the rate is 0 at every {word} of the run: nothing trains")
                }
                (a, b) if a == b => {
                    format!("schedule: the rate is 0 at {word} {a}: that {word} does not train")
                }
                (a, b) if b == last => format!(
                    "schedule: the rate is 0 from {word} {a} to the end of the run ({word} {b}): the last {n} {words} do not train"
                ),
                (a, b) => format!(
                    "schedule: the rate is 0 from {word} {a} to {word} {b}: those {n} {words} do not train"
                ),
            }
        })
        .collect();
    if more > 0 {
        out.push(format!(
            "schedule: the rate is 0 in {more} more stretches ({more_len} {words} in all) after those"
        ));
    }
    out
}

/// The one "`key: expected …, found …`" form, kept at this path for the schedule kinds and the
/// training loop.
pub use crate::config::range::bad;

/// A strictly increasing list (milestones, boundaries).
pub fn increasing(key: &str, values: &[usize]) -> Result<()> {
    if let Some(i) = (1..values.len()).find(|&i| values[i] <= values[i - 1]) {
        return Err(bad(
            &format!("{key}[{i}]"),
            &format!(
                "a value > {key}[{}] = {} (strictly increasing)",
                i - 1,
                values[i - 1]
            ),
            values[i],
        ));
    }
    Ok(())
}
