//! `[random]` distributions and their seeded draws.
//!
//! Each draw is a pure function of (`[random] seed`, axis key, sample index), as the project's
//! other random choices are (see [`crate::config::seed`]): `--list` is reproducible, and adding or
//! removing one axis never changes what another axis draws.

use toml::Value;

use crate::config::seed;

/// Where a `[random]` axis draws its values from.
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// `{ log_uniform = [lo, hi] }`: exp of a uniform draw in [ln lo, ln hi); 0 < lo ≤ hi.
    LogUniform { lo: f64, hi: f64 },
    /// `{ uniform = [lo, hi] }`: uniform in [lo, hi); lo ≤ hi.
    Uniform { lo: f64, hi: f64 },
    /// `{ int_uniform = [lo, hi] }`: every integer in [lo, hi] (both included) equally likely.
    IntUniform { lo: i64, hi: i64 },
    /// `{ choice = [a, b, …] }`: one of the listed TOML values, equally likely.
    Choice(Vec<Value>),
}

/// The distribution names a `[random]` axis may use, as written in the file.
pub const NAMES: [&str; 4] = ["log_uniform", "uniform", "int_uniform", "choice"];

impl Distribution {
    /// Reads `{ NAME = ARGS }`. The error (without file or line: the caller adds them) says
    /// what was expected and what was found.
    pub fn parse(table: &toml::Table) -> Result<Distribution, String> {
        let expected = format!("a table with one of {}", NAMES.join(", "));
        let mut entries = table.iter();
        let (Some((name, args)), None) = (entries.next(), entries.next()) else {
            return Err(format!("expected {expected}, found {} keys", table.len()));
        };
        let pair = |ints: bool| -> Result<(Value, Value), String> {
            let what = if ints { "integers" } else { "numbers" };
            match args {
                Value::Array(a)
                    if a.len() == 2
                        && a.iter().all(|v| {
                            matches!(v, Value::Integer(_))
                                || (!ints && matches!(v, Value::Float(_)))
                        }) =>
                {
                    Ok((a[0].clone(), a[1].clone()))
                }
                other => Err(format!(
                    "{name}: expected [lo, hi] with two {what}, found {}",
                    super::inline::value(other)
                )),
            }
        };
        let float = |v: &Value| match v {
            Value::Integer(i) => *i as f64,
            Value::Float(x) => *x,
            _ => f64::NAN,
        };
        match name.as_str() {
            "log_uniform" | "uniform" => {
                let (lo, hi) = pair(false)?;
                let (lo, hi) = (float(&lo), float(&hi));
                if !lo.is_finite() || !hi.is_finite() || lo > hi {
                    return Err(format!(
                        "{name}: expected finite lo ≤ hi, found [{lo}, {hi}]"
                    ));
                }
                if name == "log_uniform" {
                    if lo <= 0.0 {
                        return Err(format!("log_uniform: expected lo > 0, found {lo}"));
                    }
                    Ok(Distribution::LogUniform { lo, hi })
                } else {
                    Ok(Distribution::Uniform { lo, hi })
                }
            }
            "int_uniform" => {
                let (Value::Integer(lo), Value::Integer(hi)) = pair(true)? else {
                    unreachable!("pair(true) only accepts integers")
                };
                if lo > hi {
                    return Err(format!("int_uniform: expected lo ≤ hi, found [{lo}, {hi}]"));
                }
                Ok(Distribution::IntUniform { lo, hi })
            }
            "choice" => match args {
                Value::Array(a) if !a.is_empty() => Ok(Distribution::Choice(a.clone())),
                other => Err(format!(
                    "choice: expected a non-empty array of values, found {}",
                    super::inline::value(other)
                )),
            },
            other => Err(format!(
                "unknown distribution \"{other}\": expected one of {}",
                NAMES.join(", ")
            )),
        }
    }

    /// The value of sample `sample` for the axis `key` under `[random] seed`.
    pub fn draw(&self, seed: u64, key: &str, sample: usize) -> Value {
        let u = unit(seed, key, sample);
        match self {
            Distribution::LogUniform { lo, hi } => {
                Value::Float((lo.ln() + u * (hi.ln() - lo.ln())).exp().clamp(*lo, *hi))
            }
            Distribution::Uniform { lo, hi } => Value::Float((lo + u * (hi - lo)).clamp(*lo, *hi)),
            Distribution::IntUniform { lo, hi } => {
                // i128: `hi − lo + 1` overflows i64 for the full range.
                let span = (*hi as i128 - *lo as i128 + 1) as f64;
                let k = ((u * span) as i128).min(*hi as i128 - *lo as i128);
                Value::Integer((*lo as i128 + k) as i64)
            }
            Distribution::Choice(items) => {
                let k = ((u * items.len() as f64) as usize).min(items.len() - 1);
                items[k].clone()
            }
        }
    }
}

/// A uniform number in [0, 1) from the top 53 bits of a splitmix64 hash.
fn unit(seed: u64, key: &str, sample: usize) -> f64 {
    let h = seed::splitmix64(seed::derive(seed, &format!("sweep/{key}")) ^ sample as u64);
    (h >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist(text: &str) -> Result<Distribution, String> {
        let t: toml::Table = toml::from_str(&format!("d = {text}")).unwrap();
        Distribution::parse(t["d"].as_table().unwrap())
    }

    #[test]
    fn draws_stay_in_range_and_repeat_for_the_same_seed() {
        let d = dist("{ log_uniform = [1e-4, 1e-1] }").unwrap();
        let draws: Vec<f64> = (0..200)
            .map(|s| d.draw(0, "optimizer.lr", s).as_float().unwrap())
            .collect();
        assert!(draws.iter().all(|&x| (1e-4..=1e-1).contains(&x)));
        let again: Vec<f64> = (0..200)
            .map(|s| d.draw(0, "optimizer.lr", s).as_float().unwrap())
            .collect();
        assert_eq!(draws, again);
        assert_ne!(d.draw(0, "optimizer.lr", 0), d.draw(1, "optimizer.lr", 0));
        // Log-uniform: about half the draws below the geometric mean 10^-2.5.
        let below = draws.iter().filter(|&&x| x < 10f64.powf(-2.5)).count();
        assert!(
            (70..130).contains(&below),
            "{below} of 200 below the geometric mean"
        );
    }

    #[test]
    fn int_uniform_reaches_both_ends_and_nothing_outside() {
        let d = dist("{ int_uniform = [2, 4] }").unwrap();
        let mut seen = [0usize; 3];
        for s in 0..300 {
            let v = d.draw(7, "train.batch_size", s).as_integer().unwrap();
            seen[(v - 2) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| n > 60), "{seen:?}");
    }

    #[test]
    fn choice_returns_the_listed_values() {
        let d = dist("{ choice = [[64], [128]] }").unwrap();
        for s in 0..20 {
            let v = d.draw(0, "model.hidden", s);
            assert!(
                v == toml::Value::Array(vec![64.into()])
                    || v == toml::Value::Array(vec![128.into()])
            );
        }
    }

    #[test]
    fn bad_ranges_and_unknown_names_are_refused_with_what_was_found() {
        assert!(
            dist("{ uniform = [0.9, 0.8] }")
                .unwrap_err()
                .contains("lo ≤ hi")
        );
        assert!(
            dist("{ log_uniform = [0.0, 0.1] }")
                .unwrap_err()
                .contains("lo > 0")
        );
        assert!(
            dist("{ int_uniform = [1.5, 3] }")
                .unwrap_err()
                .contains("two integers")
        );
        assert!(
            dist("{ normal = [0, 1] }")
                .unwrap_err()
                .contains("unknown distribution \"normal\"")
        );
        assert!(dist("{ choice = [] }").unwrap_err().contains("non-empty"));
        assert!(
            dist("{ uniform = [0, 1], choice = [1] }")
                .unwrap_err()
                .contains("found 2 keys")
        );
    }
}
