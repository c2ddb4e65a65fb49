//! One axis of a panel: its extent in plotting space (log10 of the value on a log axis), the
//! labelled ticks and their text, and the unlabelled ones that only draw a light grid line.
//!
//! Ticks are chosen here rather than by plotters so that tiny learning rates read `1e-5` (not
//! `0.00001`), a log axis is labelled at powers of ten, and caller-given ticks (epoch boundaries)
//! can replace the automatic ones.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

/// Where the ticks go and what they say. It is also the plotters coordinate of its axis, so the
/// mesh draws exactly these ticks with exactly these labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Extent in plotting space, `lo < hi`, both finite.
    pub lo: f64,
    pub hi: f64,
    /// Labelled ticks, in plotting space, each with its text.
    pub major: Vec<(f64, String)>,
    /// Unlabelled grid lines, in plotting space.
    pub minor: Vec<f64>,
}

impl Axis {
    /// Automatic ticks over `[lo, hi]` (plotting space), about `target` labelled ones.
    pub fn auto(lo: f64, hi: f64, log: bool, target: usize) -> Axis {
        let target = target.max(2);
        let (major, minor) = if log {
            log_ticks(lo, hi, target)
        } else {
            (linear_ticks(lo, hi, target, |v| v), Vec::new())
        };
        Axis {
            lo,
            hi,
            major,
            minor,
        }
    }

    /// Caller-given ticks (already in plotting space). Past `max_labels` only every k-th keeps
    /// its text so labels never overlap; the rest still draw a grid line.
    pub fn custom(lo: f64, hi: f64, ticks: Vec<(f64, String)>, max_labels: usize) -> Axis {
        let mut ticks: Vec<_> = ticks
            .into_iter()
            .filter(|(v, _)| v.is_finite() && *v >= lo && *v <= hi)
            .collect();
        ticks.sort_by(|a, b| a.0.total_cmp(&b.0));
        ticks.dedup_by(|a, b| a.0 == b.0);
        let every = ticks.len().div_ceil(max_labels.max(1)).max(1);
        let (mut major, mut minor) = (Vec::new(), Vec::new());
        for (i, (v, text)) in ticks.into_iter().enumerate() {
            if i % every == 0 {
                major.push((v, text));
            } else {
                minor.push(v);
            }
        }
        Axis {
            lo,
            hi,
            major,
            minor,
        }
    }

    /// The text of the labelled tick at `v` (exactly one of `major`'s positions, as plotters
    /// hands them back), or nothing.
    pub fn label(&self, v: f64) -> String {
        self.major
            .iter()
            .find(|(t, _)| t.to_bits() == v.to_bits())
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    }

    pub fn major_positions(&self) -> Vec<f64> {
        self.major.iter().map(|(v, _)| *v).collect()
    }

    /// The longest label, in characters (sizes the label area).
    pub fn widest_label(&self) -> usize {
        self.major
            .iter()
            .map(|(_, s)| s.chars().count())
            .max()
            .unwrap_or(1)
    }
}

impl Ranged for Axis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    /// Linear in plotting space, as plotters' own `f64` coordinate maps.
    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let fraction = (v - self.lo) / (self.hi - self.lo);
        let pixels = (limit.1 - limit.0) as f64 * fraction;
        if !pixels.is_finite() {
            return limit.0;
        }
        // Clamped far outside the drawing so a wild value cannot overflow i32.
        limit.0 + (pixels + 1e-3).floor().clamp(-1e6, 1e6) as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.major_positions()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for Axis {
    fn format_ext(&self, v: &f64) -> String {
        self.label(*v)
    }
}

/// The extent `[lo, hi]` of the finite `values`, or `None` when there are none.
pub fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Widens an extent so it can be drawn: a single value becomes an interval around it (a decade
/// on a log axis, ±10% or ±1 at zero on a linear one), then `pad` of the span is added each side.
pub fn widen(extent: Option<(f64, f64)>, log: bool, pad: f64) -> (f64, f64) {
    let (lo, hi) = extent.unwrap_or((0.0, 1.0));
    // A spread below float noise (1.0 vs 1.0 + 1e-15) is a single value too: its ticks would all
    // read the same.
    let (lo, hi) = if hi - lo > lo.abs().max(hi.abs()) * 1e-9 {
        (lo, hi)
    } else if log {
        (lo - 0.5, hi + 0.5)
    } else if lo == 0.0 {
        (-1.0, 1.0)
    } else {
        (lo - lo.abs() * 0.1, hi + hi.abs() * 0.1)
    };
    let span = hi - lo;
    (lo - pad * span, hi + pad * span)
}

/// "Nice" ticks (1, 2 or 5 × 10^k apart) over `[lo, hi]`; `value` maps a tick position to the
/// number its label shows (the identity, or 10^x for the fallback on a narrow log axis).
fn linear_ticks(lo: f64, hi: f64, target: usize, value: impl Fn(f64) -> f64) -> Vec<(f64, String)> {
    let step = nice_step((hi - lo) / target as f64);
    if !step.is_finite() || step <= 0.0 {
        return Vec::new();
    }
    // The tolerance keeps a tick that sits on an end (0.9e-5 / 5e-7 = 17.999…) from being lost.
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    let positions: Vec<f64> = (first..=last).map(|i| i as f64 * step).collect();
    let values: Vec<f64> = positions.iter().map(|&p| value(p)).collect();
    let sci = wants_scientific(&values);
    positions
        .into_iter()
        .zip(values)
        .map(|(p, v)| (p, format_tick(v, step, sci)))
        .collect()
}

/// The 1, 2 or 5 × 10^k nearest to `raw` by ratio: the tick count lands within about 0.7 to 1.4
/// times the target (always rounding the step up could leave half as many ticks as asked).
fn nice_step(raw: f64) -> f64 {
    if !raw.is_finite() || raw <= 0.0 {
        return f64::NAN;
    }
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .min_by(|a, b| (a / raw).ln().abs().total_cmp(&(b / raw).ln().abs()))
        .unwrap_or(p)
}

/// Ticks of a log axis over `[lo, hi]` (decades). Powers of ten when at least two fit (every
/// k-th if there are too many), with 2..9 × 10^k as grid lines; on a narrower axis 1, 2, 5 × 10^k,
/// then 1..9 × 10^k, and under that plain nice steps of the value.
fn log_ticks(lo: f64, hi: f64, target: usize) -> (Vec<(f64, String)>, Vec<f64>) {
    let (k0, k1) = (lo.ceil() as i64, hi.floor() as i64);
    let decades = if k1 >= k0 { (k1 - k0 + 1) as usize } else { 0 };
    if decades >= 2 {
        let every = decades.div_ceil(target) as i64;
        let (mut major, mut minor) = (Vec::new(), Vec::new());
        for k in k0..=k1 {
            if k.rem_euclid(every) == 0 {
                major.push((k as f64, power_label(1, k)));
            } else {
                minor.push(k as f64);
            }
        }
        if every == 1 && decades <= 8 {
            for k in (k0 - 1)..=k1 {
                minor.extend(
                    (2..=9)
                        .map(|m| k as f64 + (m as f64).log10())
                        .filter(|&p| p >= lo && p <= hi),
                );
            }
        }
        return (major, minor);
    }
    for mantissas in [&[1, 2, 5][..], &[1, 2, 3, 4, 5, 6, 7, 8, 9][..]] {
        let mut major = Vec::new();
        for k in (lo.floor() as i64)..=(hi.ceil() as i64) {
            for &m in mantissas {
                let p = k as f64 + (m as f64).log10();
                if p >= lo && p <= hi {
                    major.push((p, power_label(m, k)));
                }
            }
        }
        if major.len() >= 2 && major.len() <= 2 * target {
            return (major, Vec::new());
        }
    }
    // Less than a factor of two wide: nice steps of the value itself, placed at their log10.
    let (a, b) = (10f64.powf(lo), 10f64.powf(hi));
    let ticks = linear_ticks(a, b, target, |v| v)
        .into_iter()
        .filter(|(v, _)| *v > 0.0)
        .map(|(v, s)| (v.log10(), s))
        .collect();
    (ticks, Vec::new())
}

/// `m × 10^k` written exactly: `1e-5`, `0.02`, `500`, `1e6`.
fn power_label(m: u32, k: i64) -> String {
    if !(-2..6).contains(&k) {
        format!("{m}e{k}")
    } else if k < 0 {
        format!("{:.*}", (-k) as usize, m as f64 * 10f64.powi(k as i32))
    } else {
        (m as u64 * 10u64.pow(k as u32)).to_string()
    }
}

/// An axis reads in scientific notation when its largest tick is tiny (< 0.01, as learning rates
/// often are) or huge (≥ 1e6); all of its labels then use it, so they line up.
fn wants_scientific(values: &[f64]) -> bool {
    let biggest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    biggest > 0.0 && !(1e-2..1e6).contains(&biggest)
}

/// A tick value at the precision its spacing `step` calls for: `0.25`, `3`, `2.5e-4`.
fn format_tick(v: f64, step: f64, sci: bool) -> String {
    // The epsilon keeps log10(0.1) = -0.99999… from counting as a digit more.
    let step_exp = (step.log10() + 1e-9).floor() as i64;
    // i × step lands a hair off zero (or on -0.0); it must read as 0, not -0.0 or 1e-17.
    let v = if v.abs() < step * 1e-6 { 0.0 } else { v };
    if sci {
        if v == 0.0 {
            return "0".to_string();
        }
        let v_exp = (v.abs().log10() + 1e-9).floor() as i64;
        let digits = (v_exp - step_exp).clamp(0, 6) as usize;
        let s = format!("{v:.digits$e}");
        match s.split_once('e') {
            Some((mantissa, exp)) if mantissa.contains('.') => {
                format!(
                    "{}e{exp}",
                    mantissa.trim_end_matches('0').trim_end_matches('.')
                )
            }
            _ => s,
        }
    } else {
        let decimals = (-step_exp).clamp(0, 12) as usize;
        format!("{v:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(a: &Axis) -> Vec<&str> {
        a.major.iter().map(|(_, s)| s.as_str()).collect()
    }

    #[test]
    fn linear_ticks_are_one_two_or_five_apart_with_matching_decimals() {
        assert_eq!(
            labels(&Axis::auto(0.0, 1.0, false, 5)),
            ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]
        );
        assert_eq!(
            labels(&Axis::auto(0.0, 100_000.0, false, 5)),
            ["0", "20000", "40000", "60000", "80000", "100000"]
        );
        assert_eq!(
            labels(&Axis::auto(-2.0, 2.0, false, 4)),
            ["-2", "-1", "0", "1", "2"]
        );
    }

    #[test]
    fn tiny_rates_are_written_in_scientific_notation() {
        assert_eq!(
            labels(&Axis::auto(0.0, 1e-3, false, 5)),
            ["0", "2e-4", "4e-4", "6e-4", "8e-4", "1e-3"]
        );
        assert_eq!(
            labels(&Axis::auto(0.9e-5, 1.1e-5, false, 4)),
            ["9e-6", "9.5e-6", "1e-5", "1.05e-5", "1.1e-5"]
        );
    }

    #[test]
    fn a_log_axis_is_labelled_at_powers_of_ten() {
        let a = Axis::auto(-5.0, -1.0, true, 6);
        assert_eq!(labels(&a), ["1e-5", "1e-4", "1e-3", "0.01", "0.1"]);
        assert!(
            a.minor
                .iter()
                .any(|&m| (m - 2f64.log10() + 5.0).abs() < 1e-12)
        );
        let wide = Axis::auto(-12.0, 3.0, true, 5);
        // 16 decades for 5 labels: every 4th power, the others as grid lines.
        assert_eq!(labels(&wide), ["1e-12", "1e-8", "1e-4", "1"]);
    }

    #[test]
    fn a_narrow_log_axis_falls_back_to_one_two_five_then_plain_steps() {
        let a = Axis::auto(2f64.log10() - 4.0, 9f64.log10() - 3.0, true, 5);
        assert_eq!(labels(&a), ["2e-4", "5e-4", "1e-3", "2e-3", "5e-3"]);
        let b = Axis::auto(1.1f64.log10(), 1.4f64.log10(), true, 4);
        assert_eq!(labels(&b), ["1.1", "1.2", "1.3", "1.4"]);
    }

    #[test]
    fn a_single_value_is_widened_into_an_interval() {
        assert_eq!(widen(Some((0.0, 0.0)), false, 0.0), (-1.0, 1.0));
        assert_eq!(widen(Some((-3.0, -3.0)), true, 0.0), (-3.5, -2.5));
        let (lo, hi) = widen(Some((1e-3, 1e-3)), false, 0.0);
        assert!(lo < 1e-3 && hi > 1e-3 && lo > 0.0);
        assert_eq!(widen(None, false, 0.0), (0.0, 1.0));
        let (lo, hi) = widen(Some((1.0, 1.0 + 1e-15)), false, 0.0);
        assert!(hi - lo > 0.1, "{lo}..{hi}");
        assert_eq!(
            extent([f64::NAN, 2.0, -1.0, f64::INFINITY]),
            Some((-1.0, 2.0))
        );
    }

    #[test]
    fn custom_ticks_are_thinned_to_fit_and_the_rest_become_grid_lines() {
        let ticks = (0..=100)
            .map(|e| (e as f64 * 10.0, e.to_string()))
            .collect();
        let a = Axis::custom(0.0, 1000.0, ticks, 10);
        assert_eq!(a.major.len(), 10);
        assert_eq!(a.major.len() + a.minor.len(), 101);
        assert_eq!(a.label(a.major[1].0), a.major[1].1);
        assert_eq!(a.label(1234.5), "");
    }
}
