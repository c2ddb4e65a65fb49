//! What `sgd_schedule_free` and `adamw_schedule_free` share (Defazio et al. 2024, "The Road Less
//! Scheduled", as the reference `schedulefree` package implements it): the warmup of the rate,
//! the averaging weight `c_{k+1}` of each step, and the evaluation point x.
//!
//! ```text
//! lr_k     = lr · min(1, (k + 1) / warmup_steps)
//! lr_max   = max(lr_max, lr_k)
//! w_k      = (k + 1)^r · lr_max^weight_lr_power,   W = W + w_k,   c = w_k / W  (0 when W = 0)
//! y        = lerp(y, z, c) + lr_k · (β(1 − c) − 1) · g'      (g' the step's direction)
//! z        = z − lr_k · g'
//! x        = lerp(y, z, 1 − 1/β)                              (the reference's `eval()`)
//! ```
//!
//! The parameters the trainer holds are y (where the gradient is taken); z is state, and x is
//! recovered from y and z exactly as the reference's `eval()` does, so nothing else is stored.

use super::lerp;

/// The averaging weights' running state: PyTorch keeps `weight_sum` and `lr_max` as Python
/// floats in the parameter group, so they are f64 here and go into checkpoints as scalars.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Averaging {
    pub warmup_steps: u64,
    pub r: f64,
    pub weight_lr_power: f64,
    pub weight_sum: f64,
    pub lr_max: f64,
}

impl Averaging {
    pub fn new(warmup_steps: u64, r: f64, weight_lr_power: f64) -> Averaging {
        Averaging {
            warmup_steps,
            r,
            weight_lr_power,
            weight_sum: 0.0,
            lr_max: -1.0,
        }
    }

    /// For step `k` (0-based) at rate `lr`: the warmed-up rate and the weight `c` of the step.
    pub fn next(&mut self, k: u64, lr: f64) -> (f64, f64) {
        let sched = if k < self.warmup_steps {
            (k + 1) as f64 / self.warmup_steps as f64
        } else {
            1.0
        };
        let lr = lr * sched;
        self.lr_max = self.lr_max.max(lr);
        let weight = ((k + 1) as f64).powf(self.r) * self.lr_max.powf(self.weight_lr_power);
        self.weight_sum += weight;
        let ckp1 = if self.weight_sum == 0.0 {
            0.0
        } else {
            weight / self.weight_sum
        };
        (lr, ckp1)
    }

    pub fn scalars(&self) -> Vec<f64> {
        vec![self.weight_sum, self.lr_max]
    }

    pub fn set_scalars(&mut self, s: &[f64]) {
        self.weight_sum = s[0];
        self.lr_max = s[1];
    }
}

/// x = lerp(y, z, 1 − 1/β) into `out` (the reference's `p.lerp_(end=z, weight=1-1/β)`).
pub(crate) fn average(y: &[f32], z: &[f32], beta: f64, out: &mut [f32]) {
    let w = (1.0 - 1.0 / beta) as f32;
    for ((o, &y), &z) in out.iter_mut().zip(y).zip(z) {
        *o = lerp(y, z, w);
    }
}

/// The checkpoint scalars ([`Averaging::scalars`]) and the evaluation point x of a schedule-free
/// optimizer, the same for both: `scalar_state`, `set_scalar_state` and `eval_params` of
/// [`Optimizer`](super::Optimizer) over the fields `steps`, `avg` and `z`, with β the field path
/// given (`cfg.momentum`, `cfg.beta1`). Before the first step x = y, so `params` are evaluated as
/// they are. Written inside an `impl Optimizer for …` block.
macro_rules! averaged_point {
    ($($beta:ident).+) => {
        fn scalar_state(&self) -> Vec<f64> {
            self.avg.scalars()
        }

        fn set_scalar_state(&mut self, s: &[f64]) {
            self.avg.set_scalars(s);
        }

        fn eval_params(&self, params: &[f32], out: &mut [f32]) -> bool {
            if self.steps == 0 {
                return false;
            }
            super::schedule_free::average(params, &self.z, self.$($beta).+, out);
            true
        }
    };
}
pub(crate) use averaged_point;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_r_0_every_step_weighs_the_same_so_c_is_1_over_k_plus_1() {
        let mut a = Averaging::new(0, 0.0, 2.0);
        for k in 0..5 {
            let (lr, c) = a.next(k, 0.5);
            assert_eq!(lr, 0.5);
            assert!((c - 1.0 / (k + 1) as f64).abs() < 1e-15, "k = {k}: c = {c}");
        }
    }

    #[test]
    fn warmup_raises_the_rate_linearly_and_weighs_by_the_largest_rate_so_far() {
        // warmup 4: rates 0.25, 0.5, 0.75, 1, 1 (× lr 1); w_k = lr_max² = 1/16, 1/4, 9/16, 1, 1.
        let mut a = Averaging::new(4, 0.0, 2.0);
        let want = [
            (0.25, 1.0),
            (0.5, 0.8),
            (0.75, 9.0 / 14.0),
            (1.0, 16.0 / 30.0),
        ];
        for (k, &(lr, c)) in want.iter().enumerate() {
            let got = a.next(k as u64, 1.0);
            assert!(
                (got.0 - lr).abs() < 1e-15 && (got.1 - c).abs() < 1e-12,
                "{k}: {got:?}"
            );
        }
    }
}
