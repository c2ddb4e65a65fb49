//! Key checks shared by the kinds: each error is one line, `key: expected …, found …`, and a
//! usage error (exit 2).

use std::fmt::Display;

use anyhow::Result;

use crate::error::UsageError;

/// `key: expected <expected>, found <found>` as a usage error.
pub fn bad(key: &str, expected: &str, found: impl Display) -> anyhow::Error {
    anyhow::Error::new(UsageError(format!(
        "{key}: expected {expected}, found {found}"
    )))
}

/// An integer ≥ 1 (a length, a period, a number of steps).
pub fn positive(key: &str, value: usize) -> Result<usize> {
    if value == 0 {
        return Err(bad(key, "an integer ≥ 1", 0));
    }
    Ok(value)
}

/// A finite number ≥ 0 (a rate, a factor).
pub fn finite_non_negative(key: &str, value: f64) -> Result<f64> {
    if !(value.is_finite() && value >= 0.0) {
        return Err(bad(key, "a finite number ≥ 0", value));
    }
    Ok(value)
}

/// A finite number > 0.
pub fn finite_positive(key: &str, value: f64) -> Result<f64> {
    if !(value.is_finite() && value > 0.0) {
        return Err(bad(key, "a finite number > 0", value));
    }
    Ok(value)
}

/// Any finite number.
pub fn finite(key: &str, value: f64) -> Result<f64> {
    if !value.is_finite() {
        return Err(bad(key, "a finite number", value));
    }
    Ok(value)
}

/// A number in [0, 1].
pub fn fraction(key: &str, value: f64) -> Result<f64> {
    if !(0.0..=1.0).contains(&value) {
        return Err(bad(key, "a number in [0, 1]", value));
    }
    Ok(value)
}

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
