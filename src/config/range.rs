//! Range checks of config numbers, one message form for all of them:
//! `KEY: expected <range>, found V`, V in Rust's shortest round-trip form without a trailing
//! `.0` (`-1`, `0.5`, `1e-10`, `NaN`, `inf`), as a usage error (exit 2). The config loader
//! prefixes the file and the key's line.
//!
//! Every check returns the value it accepted, so a caller can check and use in one expression.

use std::fmt::Display;

use anyhow::Result;

use crate::error::UsageError;

/// `KEY: expected <expected>, found <found>` as a usage error: the one form every range check
/// (and every other "expected …, found …" check of a key) reports with.
pub fn bad(key: &str, expected: &str, found: impl Display) -> anyhow::Error {
    anyhow::Error::new(UsageError(format!(
        "{key}: expected {expected}, found {found}"
    )))
}

/// A float as a message shows it: Rust's shortest round-trip form (`1e-10`, not
/// `0.0000000001`), without the `.0` of a whole number (`-1`, as a user writes it).
pub struct Found(pub f64);

impl Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = format!("{:?}", self.0);
        f.write_str(text.strip_suffix(".0").unwrap_or(&text))
    }
}

/// Any finite number.
pub(crate) fn finite(key: &str, v: f64) -> Result<f64> {
    if !v.is_finite() {
        return Err(bad(key, "a finite number", Found(v)));
    }
    Ok(v)
}

/// A finite number > 0 (a rate, an epsilon, a tolerance).
pub(crate) fn positive(key: &str, v: f64) -> Result<f64> {
    if !(v.is_finite() && v > 0.0) {
        return Err(bad(key, "a finite number > 0", Found(v)));
    }
    Ok(v)
}

/// A finite number >= 0 (a weight decay, a minimum rate, a factor that may be 0).
pub(crate) fn non_negative(key: &str, v: f64) -> Result<f64> {
    at_least(key, v, 0.0)
}

/// A finite number >= `min`.
pub(crate) fn at_least(key: &str, v: f64, min: f64) -> Result<f64> {
    if !(v.is_finite() && v >= min) {
        return Err(bad(
            key,
            &format!("a finite number >= {}", Found(min)),
            Found(v),
        ));
    }
    Ok(v)
}

/// A finite number > `min` (Rprop's `eta_plus` > 1).
pub(crate) fn above(key: &str, v: f64, min: f64) -> Result<f64> {
    if !(v.is_finite() && v > min) {
        return Err(bad(
            key,
            &format!("a finite number > {}", Found(min)),
            Found(v),
        ));
    }
    Ok(v)
}

/// A finite number <= `max` (Adafactor's `beta2_decay` <= 0).
pub(crate) fn at_most(key: &str, v: f64, max: f64) -> Result<f64> {
    if !(v.is_finite() && v <= max) {
        return Err(bad(
            key,
            &format!("a finite number <= {}", Found(max)),
            Found(v),
        ));
    }
    Ok(v)
}

/// `(0, 1)`: a momentum or beta that must neither vanish nor reach 1 (schedule-free's, Rprop's
/// `eta_minus`).
pub(crate) fn in_unit_open(key: &str, v: f64) -> Result<f64> {
    if !(v > 0.0 && v < 1.0) {
        return Err(bad(key, "a number in (0, 1)", Found(v)));
    }
    Ok(v)
}

/// `[0, 1)`: betas, RMSprop's alpha, an EMA decay, a validation fraction.
pub(crate) fn in_unit_half_open(key: &str, v: f64) -> Result<f64> {
    if !(0.0..1.0).contains(&v) {
        return Err(bad(key, "a number in [0, 1)", Found(v)));
    }
    Ok(v)
}

/// `[0, 1]`: SGD's dampening, a fraction of a horizon, a start factor.
pub(crate) fn in_unit_closed(key: &str, v: f64) -> Result<f64> {
    if !(0.0..=1.0).contains(&v) {
        return Err(bad(key, "a number in [0, 1]", Found(v)));
    }
    Ok(v)
}

/// An integer >= 1 (a length, a period, a number of steps or samples); `usize` or `u64`.
pub(crate) fn positive_int<T: Copy + PartialOrd + Display + From<u8>>(
    key: &str,
    n: T,
) -> Result<T> {
    if n < T::from(1) {
        return Err(bad(key, "an integer >= 1", n));
    }
    Ok(n)
}

/// An integer in `[min, max]`; `usize` or `u64`.
pub(crate) fn int_in<T: Copy + PartialOrd + Display>(key: &str, n: T, min: T, max: T) -> Result<T> {
    if !(min <= n && n <= max) {
        return Err(bad(key, &format!("an integer in [{min}, {max}]"), n));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::exit_code;

    fn message(r: Result<impl std::fmt::Debug>) -> String {
        let e = r.unwrap_err();
        assert_eq!(exit_code(&e), 2, "a range error is a usage error");
        e.to_string()
    }

    #[test]
    fn every_check_names_the_key_the_range_and_the_value_found() {
        let k = "optimizer.eps";
        assert_eq!(
            message(positive(k, 0.0)),
            "optimizer.eps: expected a finite number > 0, found 0"
        );
        assert_eq!(
            message(non_negative(k, -1.0)),
            "optimizer.eps: expected a finite number >= 0, found -1"
        );
        assert_eq!(
            message(at_least(k, 0.5, 1.0)),
            "optimizer.eps: expected a finite number >= 1, found 0.5"
        );
        assert_eq!(
            message(above(k, 1.0, 1.0)),
            "optimizer.eps: expected a finite number > 1, found 1"
        );
        assert_eq!(
            message(at_most(k, 0.5, 0.0)),
            "optimizer.eps: expected a finite number <= 0, found 0.5"
        );
        assert_eq!(
            message(in_unit_open(k, 1.0)),
            "optimizer.eps: expected a number in (0, 1), found 1"
        );
        assert_eq!(
            message(in_unit_half_open(k, 1.0)),
            "optimizer.eps: expected a number in [0, 1), found 1"
        );
        assert_eq!(
            message(in_unit_closed(k, -0.5)),
            "optimizer.eps: expected a number in [0, 1], found -0.5"
        );
        assert_eq!(
            message(positive_int(k, 0)),
            "optimizer.eps: expected an integer >= 1, found 0"
        );
        assert_eq!(
            message(int_in(k, 101, 1, 100)),
            "optimizer.eps: expected an integer in [1, 100], found 101"
        );
        assert_eq!(
            message(finite(k, f64::INFINITY)),
            "optimizer.eps: expected a finite number, found inf"
        );
    }

    #[test]
    fn nan_and_infinity_fail_every_float_check() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(positive("k", v).is_err() && non_negative("k", v).is_err());
            assert!(at_least("k", v, -1e300).is_err() && at_most("k", v, 1e300).is_err());
            assert!(above("k", v, -1e300).is_err() && finite("k", v).is_err());
            assert!(in_unit_open("k", v).is_err() && in_unit_half_open("k", v).is_err());
            assert!(in_unit_closed("k", v).is_err());
        }
        assert!(message(positive("k", f64::NAN)).ends_with("found NaN"));
        assert!(message(positive("k", -1e-10)).ends_with("found -1e-10"));
        assert!(message(positive("k", -1e20)).ends_with("found -1e20"));
        assert!(message(non_negative("k", -2.5)).ends_with("found -2.5"));
    }

    #[test]
    fn the_bounds_are_where_the_names_say() {
        assert_eq!(positive("k", 1e-300).unwrap(), 1e-300);
        assert_eq!(non_negative("k", 0.0).unwrap(), 0.0);
        assert_eq!(at_least("k", 1.0, 1.0).unwrap(), 1.0);
        assert!(above("k", 1.0 + f64::EPSILON, 1.0).is_ok());
        assert_eq!(at_most("k", 0.0, 0.0).unwrap(), 0.0);
        assert!(in_unit_open("k", 0.0).is_err() && in_unit_open("k", 0.5).is_ok());
        assert!(in_unit_half_open("k", 0.0).is_ok() && in_unit_half_open("k", 0.999).is_ok());
        assert!(in_unit_closed("k", 0.0).is_ok() && in_unit_closed("k", 1.0).is_ok());
        assert_eq!(positive_int("k", 1).unwrap(), 1);
        assert!(int_in("k", 1, 1, 100).is_ok() && int_in("k", 100, 1, 100).is_ok());
        assert!(int_in("k", 0, 1, 100).is_err());
    }
}
