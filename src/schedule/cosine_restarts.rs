//! `cosine_restarts`: SGDR. Cycle i covers t in [s_i, s_i + T_i) with T_i = period · period_mult^i
//! and s_0 = 0; within it the rate is min_lr + (lr0 · peak_mult^i − min_lr) · (1 + cos(π · (t −
//! s_i)/T_i)) / 2. PyTorch `CosineAnnealingWarmRestarts(T_0=period, T_mult=period_mult,
//! eta_min=min_lr)` when peak_mult = 1; Keras `CosineDecayRestarts(first_decay_steps=period,
//! t_mul=period_mult, m_mul=peak_mult)` when min_lr = 0. Deliberate difference from PyTorch:
//! period_mult may be any real ≥ 1 (cycle boundaries are then real numbers).

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::cosine::half_cosine;
use super::{Context, Kind, Schedule};
use crate::config::range;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CosineRestarts {
    pub period: usize,
    #[serde(default = "one")]
    pub period_mult: f64,
    #[serde(default = "one")]
    pub peak_mult: f64,
    #[serde(default)]
    pub min_lr: f64,
}

fn one() -> f64 {
    1.0
}

impl CosineRestarts {
    /// Start of cycle i: period · (1 + m + … + m^(i−1)).
    fn start(&self, i: u32) -> f64 {
        let p = self.period as f64;
        if self.period_mult == 1.0 {
            p * f64::from(i)
        } else {
            p * (self.period_mult.powi(i as i32) - 1.0) / (self.period_mult - 1.0)
        }
    }

    /// (cycle index, its start, its length) for t.
    fn cycle(&self, t: usize) -> (u32, f64, f64) {
        let p = self.period as f64;
        let m = self.period_mult;
        if m == 1.0 {
            let i = (t / self.period) as u32;
            return (i, p * f64::from(i), p);
        }
        // The closed form, then corrected by whole cycles where rounding put t on the wrong side
        // of a boundary (integer period_mult keeps every boundary an exact integer).
        let tf = t as f64;
        let mut i = ((1.0 + tf * (m - 1.0) / p).ln() / m.ln()).floor().max(0.0) as u32;
        while i > 0 && tf < self.start(i) {
            i -= 1;
        }
        while tf >= self.start(i + 1) {
            i += 1;
        }
        (i, self.start(i), p * m.powi(i as i32))
    }
}

impl Schedule for CosineRestarts {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        let (i, start, len) = self.cycle(t);
        let peak = lr0 * self.peak_mult.powi(i as i32);
        half_cosine(peak, self.min_lr, (t as f64 - start) / len)
    }
}

impl Kind for CosineRestarts {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        range::positive_int(&cx.key("period"), self.period)?;
        range::at_least(&cx.key("period_mult"), self.period_mult, 1.0)?;
        range::non_negative(&cx.key("peak_mult"), self.peak_mult)?;
        range::non_negative(&cx.key("min_lr"), self.min_lr)?;
        Ok(Box::new(self.clone()))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        let mut out = Vec::new();
        if self.peak_mult > 1.0 {
            out.push(format!(
                "{} = {} > 1: every restart peaks higher",
                cx.key("peak_mult"),
                self.peak_mult
            ));
        }
        if self.min_lr > cx.lr0 {
            out.push(format!(
                "{} = {} > optimizer.lr = {}",
                cx.key("min_lr"),
                self.min_lr,
                cx.lr0
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    fn cos(x: f64) -> f64 {
        (1.0 + (std::f64::consts::PI * x).cos()) / 2.0
    }

    #[test]
    fn equal_periods_restart_at_lr0() {
        // period 4: cycles [0,4), [4,8), …; 0.1 · (1 + cos(π (t mod 4)/4))/2.
        // PyTorch CosineAnnealingWarmRestarts(T_0=4, eta_min=0) matches at every t.
        let s = sched("kind = \"cosine_restarts\"\nperiod = 4", 0.1);
        assert_table(
            &s,
            &[
                (0, 0.1),
                (1, 0.1 * cos(0.25)),
                (3, 0.1 * cos(0.75)),
                (4, 0.1),
                (7, 0.1 * cos(0.75)),
                (8, 0.1),
            ],
        );
    }

    #[test]
    fn period_mult_doubles_each_cycle_and_peak_mult_lowers_each_peak() {
        // period 2, mult 2: cycles [0,2), [2,6), [6,14), [14,30);
        // peaks 1, 0.5, 0.25, 0.125; min_lr 0.01:
        // t = 5: cycle 1, x = 3/4 → 0.01 + 0.49 · cos(0.75); t = 13: cycle 2, x = 7/8.
        let s = sched(
            "kind = \"cosine_restarts\"\nperiod = 2\nperiod_mult = 2.0\npeak_mult = 0.5\nmin_lr = 0.01",
            1.0,
        );
        assert_table(
            &s,
            &[
                (0, 1.0),
                (1, 0.01 + 0.99 * cos(0.5)),
                (2, 0.5),
                (5, 0.01 + 0.49 * cos(0.75)),
                (6, 0.25),
                (13, 0.01 + 0.24 * cos(7.0 / 8.0)),
                (14, 0.125),
                (30, 0.0625),
            ],
        );
    }

    #[test]
    fn cycle_boundaries_are_exact_far_out() {
        // mult 3, period 1: starts (3^i − 1)/2 = 0, 1, 4, 13, 40, …, 3^20 − 1)/2 = 1743392200.
        let s = sched(
            "kind = \"cosine_restarts\"\nperiod = 1\nperiod_mult = 3.0",
            1.0,
        );
        assert_table(&s, &[(40, 1.0), (1_743_392_200, 1.0)]);
        assert!(s.rate_at(1_743_392_199) < 1e-15);
    }

    #[test]
    fn a_real_period_mult_agrees_with_walking_the_cycles() {
        // period 3, mult 1.5: lengths 3, 4.5, 6.75, …; walk them one by one as PyTorch's
        // step-wise form does, and compare the closed form at every t < 20,000.
        let s = sched(
            "kind = \"cosine_restarts\"\nperiod = 3\nperiod_mult = 1.5",
            1.0,
        );
        let (mut start, mut len) = (0.0f64, 3.0f64);
        for t in 0..20_000usize {
            while t as f64 >= start + len {
                start += len;
                len *= 1.5;
            }
            let expected = cos((t as f64 - start) / len);
            assert!((s.rate_at(t) - expected).abs() < 1e-9, "t = {t}");
        }
    }

    #[test]
    fn a_period_mult_below_one_is_an_error() {
        let e = error(
            "kind = \"cosine_restarts\"\nperiod = 5\nperiod_mult = 0.5",
            0.1,
        );
        assert!(
            e.starts_with("schedule.period_mult: expected a finite number >= 1"),
            "{e}"
        );
        let e = error("kind = \"cosine_restarts\"\nperiod = 0", 0.1);
        assert!(e.starts_with("schedule.period:"), "{e}");
    }
}
