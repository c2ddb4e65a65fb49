//! `grad_norm`: lr0 · G(t−1)/G(0) clamped to [min_lr, max_lr], and lr0 at t = 0; G(t) is the mean
//! global gradient L2 norm (before clipping) over the optimizer steps of unit t, so with
//! unit = step it is that step's norm. The rate rises while gradients grow and falls as they
//! shrink. No PyTorch or Keras counterpart. Under warmup, G(0) is the first unit after warmup.
//! Until a norm is known (or if G(0) is 0 or either norm is not finite) the rate is lr0.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, Schedule};
use crate::config::range;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradNorm {
    #[serde(default)]
    pub min_lr: f64,
    /// Defaults to `optimizer.lr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_lr: Option<f64>,
}

/// The running sum of the unit being observed.
#[derive(Debug, Clone, Copy)]
struct Acc {
    t: usize,
    sum: f64,
    n: usize,
}

impl Acc {
    fn mean(&self) -> f64 {
        self.sum / self.n as f64
    }
}

#[derive(Debug, Clone)]
struct GradNormRun {
    min_lr: f64,
    max_lr: f64,
    /// G(0), once unit 0 is over.
    g0: Option<f64>,
    /// The mean of the last finished unit.
    prev: Option<f64>,
    cur: Option<Acc>,
}

impl Schedule for GradNormRun {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        if t == 0 {
            return lr0;
        }
        // G(0): finished, or still accumulating when t is the first step after unit 0.
        let g0 = self.g0.or(self.cur.filter(|c| c.t == 0).map(|c| c.mean()));
        // G(t − 1): the latest unit before t (the current one once t has moved past it).
        let g_prev = match self.cur {
            Some(c) if c.t < t => Some(c.mean()),
            _ => self.prev,
        };
        match (g0, g_prev) {
            (Some(g0), Some(g)) if g0 > 0.0 && g0.is_finite() && g.is_finite() => {
                (lr0 * g / g0).clamp(self.min_lr, self.max_lr)
            }
            _ => lr0,
        }
    }

    fn observe_step(&mut self, t: usize, grad_norm: f64) {
        match &mut self.cur {
            Some(c) if c.t == t => {
                c.sum += grad_norm;
                c.n += 1;
            }
            _ => {
                if let Some(done) = self.cur {
                    let mean = done.mean();
                    if done.t == 0 {
                        self.g0 = Some(mean);
                    }
                    self.prev = Some(mean);
                }
                self.cur = Some(Acc {
                    t,
                    sum: grad_norm,
                    n: 1,
                });
            }
        }
    }

    fn needs_feedback(&self) -> bool {
        true
    }

    /// `[has g0, g0, has prev, prev, has cur, cur.t, cur.sum, cur.n]`, absent values as 0.
    fn state(&self) -> Vec<f64> {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let c = self.cur.unwrap_or(Acc {
            t: 0,
            sum: 0.0,
            n: 0,
        });
        vec![
            flag(self.g0.is_some()),
            self.g0.unwrap_or(0.0),
            flag(self.prev.is_some()),
            self.prev.unwrap_or(0.0),
            flag(self.cur.is_some()),
            c.t as f64,
            c.sum,
            c.n as f64,
        ]
    }

    fn restore(&mut self, s: &[f64]) -> Result<()> {
        super::expect_state_len(s, 8)?;
        self.g0 = (s[0] != 0.0).then_some(s[1]);
        self.prev = (s[2] != 0.0).then_some(s[3]);
        self.cur = (s[4] != 0.0).then_some(Acc {
            t: s[5] as usize,
            sum: s[6],
            n: s[7] as usize,
        });
        Ok(())
    }
}

impl Kind for GradNorm {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        let min_lr = range::non_negative(&cx.key("min_lr"), self.min_lr)?;
        let max_lr = range::finite(&cx.key("max_lr"), self.max_lr.unwrap_or(cx.lr0))?;
        if max_lr < min_lr {
            return Err(range::bad(
                &cx.key("max_lr"),
                &format!("a rate >= min_lr = {min_lr}"),
                max_lr,
            ));
        }
        Ok(Box::new(GradNormRun {
            min_lr,
            max_lr,
            g0: None,
            prev: None,
            cur: None,
        }))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        let max_lr = self.max_lr.unwrap_or(cx.lr0);
        if cx.lr0 < self.min_lr || cx.lr0 > max_lr {
            vec![format!(
                "optimizer.lr = {} lies outside [{}, {}] = [{}, {max_lr}]: only the first {} uses it",
                cx.lr0,
                cx.key("min_lr"),
                cx.key("max_lr"),
                self.min_lr,
                cx.unit_word()
            )]
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn with_unit_step_the_rate_follows_the_previous_steps_norm() {
        // lr0 0.1, max_lr 1, norms of steps 0..=3: 2, 4, 1, 100. rate(0) = lr0;
        // rate(1) = 0.1·2/2; rate(2) = 0.1·4/2; rate(3) = 0.1·1/2; rate(4) = 0.1·100/2 = 5 → 1.
        let mut s = sched("kind = \"grad_norm\"\nmax_lr = 1.0", 0.1);
        let mut r = Vec::new();
        for (step, g) in [2.0, 4.0, 1.0, 100.0].into_iter().enumerate() {
            r.push(s.rate(step, 0));
            s.after_step(step, 0, g);
        }
        r.push(s.rate(4, 0));
        assert_eq!(r, [0.1, 0.1, 0.2, 0.05, 1.0]);
    }

    #[test]
    fn with_unit_epoch_g_is_the_mean_over_the_epochs_steps() {
        // Epoch 0 norms 1, 3 (G0 = 2); epoch 1 norms 2, 2, 5 (G1 = 3); epoch 2 uses 0.1·3/2 at
        // every step, even after its own first norm arrives. min_lr 0.08: epoch 3 after G2 = 1
        // would be 0.05 → 0.08. max_lr 1 lets the rate rise above lr0.
        let mut s = sched(
            "kind = \"grad_norm\"\nunit = \"epoch\"\nmin_lr = 0.08\nmax_lr = 1.0",
            0.1,
        );
        let epochs: [&[f64]; 3] = [&[1.0, 3.0], &[2.0, 2.0, 5.0], &[1.0, 1.0]];
        let mut step = 0;
        let mut firsts = Vec::new();
        for (e, norms) in epochs.iter().enumerate() {
            for &g in norms.iter() {
                let r = s.rate(step, e);
                if firsts.len() == e {
                    firsts.push(r);
                } else {
                    assert_eq!(
                        r, firsts[e],
                        "the rate is the same for every step of epoch {e}"
                    );
                }
                s.after_step(step, e, g);
                step += 1;
            }
        }
        firsts.push(s.rate(step, 3));
        assert_eq!(firsts[0], 0.1);
        assert_eq!(firsts[1], 0.1); // G0/G0
        assert!((firsts[2] - 0.15).abs() < 1e-15); // 0.1 · 3/2
        assert_eq!(firsts[3], 0.08); // 0.1 · 1/2 = 0.05 → min_lr
    }

    #[test]
    fn without_feedback_or_with_a_zero_first_norm_the_rate_is_lr0() {
        let mut s = sched("kind = \"grad_norm\"", 0.1);
        assert_eq!(s.rate_at(5), 0.1);
        s.after_step(0, 0, 0.0);
        s.after_step(1, 0, 3.0);
        assert_eq!(s.rate(2, 0), 0.1);
    }

    #[test]
    fn max_lr_defaults_to_lr0_and_must_not_be_below_min_lr() {
        // G rises 1 → 10: 0.1 · 10 = 1 clamped to lr0 = 0.1.
        let mut s = sched("kind = \"grad_norm\"", 0.1);
        s.after_step(0, 0, 1.0);
        s.after_step(1, 0, 10.0);
        assert_eq!(s.rate(2, 0), 0.1);
        let e = error("kind = \"grad_norm\"\nmin_lr = 0.5\nmax_lr = 0.2", 0.1);
        assert!(
            e.starts_with("schedule.max_lr: expected a rate >= min_lr = 0.5"),
            "{e}"
        );
    }
}
