//! RMSprop, plain or centered, with optional momentum — PyTorch's `torch.optim.RMSprop`.
//!
//! ```text
//! g   = grad + weight_decay · p                    (if weight_decay ≠ 0)
//! sq  = alpha · sq + (1 − alpha) · g²
//! ga  = lerp(ga, g, 1 − alpha)                     (centered: running mean of g)
//! avg = √(sq − ga²) + eps   (centered)   or   √sq + eps
//! buf = momentum · buf + g / avg,  p = p − lr · buf    (momentum > 0)
//! p   = p − lr · g / avg                                (otherwise)
//! ```
//!
//! State buffers: `[square_avg, momentum_buffer (if momentum > 0), grad_avg (if centered)]`,
//! PyTorch's state order.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::state::{check_lengths, step_counter};
use super::{KindConfig, Layout, Optimizer, lerp};
use crate::config::range::{in_unit_half_open, non_negative, positive};

/// `kind = "rmsprop"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RmsPropConfig {
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    #[serde(default = "default_eps")]
    pub eps: f64,
    #[serde(default)]
    pub momentum: f64,
    #[serde(default)]
    pub centered: bool,
    #[serde(default)]
    pub weight_decay: f64,
}

fn default_alpha() -> f64 {
    0.99
}

fn default_eps() -> f64 {
    1e-8
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig {
            alpha: default_alpha(),
            eps: default_eps(),
            momentum: 0.0,
            centered: false,
            weight_decay: 0.0,
        }
    }
}

impl KindConfig for RmsPropConfig {
    fn default_lr(&self) -> f64 {
        1e-2
    }

    fn validate(&self) -> Result<()> {
        // PyTorch accepts any alpha ≥ 0, but with alpha ≥ 1 the average never learns the
        // gradient's scale: reject it like a beta.
        in_unit_half_open("optimizer.alpha", self.alpha)?;
        positive("optimizer.eps", self.eps)?;
        non_negative("optimizer.momentum", self.momentum)?;
        non_negative("optimizer.weight_decay", self.weight_decay)?;
        Ok(())
    }

    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        Box::new(RmsProp::new(self, layout.num_params()))
    }
}

pub struct RmsProp {
    k: Consts,
    square_avg: Vec<f32>,
    /// Empty unless momentum > 0.
    momentum_buffer: Vec<f32>,
    /// Empty unless centered.
    grad_avg: Vec<f32>,
    steps: u64,
    /// The number of parameters, to size `momentum_buffer` when a cycled momentum turns it on.
    len: usize,
}

#[derive(Clone, Copy)]
struct Consts {
    alpha: f32,
    /// `1 − alpha`, computed in f64 and then rounded, as Python does.
    one_minus_alpha: f32,
    eps: f32,
    momentum: f32,
    wd: f32,
}

impl RmsProp {
    pub fn new(cfg: &RmsPropConfig, num_params: usize) -> RmsProp {
        let sized = |on: bool| {
            if on {
                vec![0.0; num_params]
            } else {
                Vec::new()
            }
        };
        RmsProp {
            k: Consts {
                alpha: cfg.alpha as f32,
                one_minus_alpha: (1.0 - cfg.alpha) as f32,
                eps: cfg.eps as f32,
                momentum: cfg.momentum as f32,
                wd: cfg.weight_decay as f32,
            },
            square_avg: vec![0.0; num_params],
            momentum_buffer: sized(cfg.momentum > 0.0),
            grad_avg: sized(cfg.centered),
            steps: 0,
            len: num_params,
        }
    }
}

impl Optimizer for RmsProp {
    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        check_lengths(params, grads);
        self.steps += 1;
        let n = params.len();
        let decay = self.k.wd != 0.0;
        let momentum = !self.momentum_buffer.is_empty();
        let centered = !self.grad_avg.is_empty();
        // Absent buffers are passed as the square averages' slice; the loop never reads them.
        let sq = &mut self.square_avg[..n];
        let buf = if momentum {
            &mut self.momentum_buffer[..n]
        } else {
            &mut [][..]
        };
        let ga = if centered {
            &mut self.grad_avg[..n]
        } else {
            &mut [][..]
        };
        let s = State {
            params,
            grads,
            sq,
            buf,
            ga,
            lr,
            k: self.k,
        };
        match (decay, momentum, centered) {
            (false, false, false) => update::<false, false, false>(s),
            (false, false, true) => update::<false, false, true>(s),
            (false, true, false) => update::<false, true, false>(s),
            (false, true, true) => update::<false, true, true>(s),
            (true, false, false) => update::<true, false, false>(s),
            (true, false, true) => update::<true, false, true>(s),
            (true, true, false) => update::<true, true, false>(s),
            (true, true, true) => update::<true, true, true>(s),
        }
    }

    fn set_momentum(&mut self, momentum: f64) -> bool {
        self.k.momentum = momentum as f32;
        if self.momentum_buffer.is_empty() && momentum > 0.0 {
            // Only on the call before training: afterwards the buffer exists.
            self.momentum_buffer = vec![0.0; self.len];
        }
        true
    }

    fn momentum(&self) -> Option<f64> {
        Some(f64::from(self.k.momentum))
    }

    step_counter!();

    fn state_buffers(&self) -> Vec<&[f32]> {
        [&self.square_avg, &self.momentum_buffer, &self.grad_avg]
            .into_iter()
            .filter(|b| !b.is_empty())
            .map(|b| b.as_slice())
            .collect()
    }

    fn state_buffers_mut(&mut self) -> Vec<&mut [f32]> {
        [
            &mut self.square_avg,
            &mut self.momentum_buffer,
            &mut self.grad_avg,
        ]
        .into_iter()
        .filter(|b| !b.is_empty())
        .map(|b| b.as_mut_slice())
        .collect()
    }
}

struct State<'a> {
    params: &'a mut [f32],
    grads: &'a [f32],
    sq: &'a mut [f32],
    buf: &'a mut [f32],
    ga: &'a mut [f32],
    lr: f32,
    k: Consts,
}

// PyTorch's order: `sq.mul_(alpha).addcmul_(g, g, value=1-alpha)` = sq·α + ((1−α)·g)·g;
// `avg = sqrt(sq + (−1·ga)·ga) + eps`; `buf.mul_(μ).addcdiv_(g, avg)` = buf·μ + g/avg;
// `param.add_(buf, alpha=-lr)`, or `param.addcdiv_(g, avg, value=-lr)` = p + (−lr·g)/avg.
fn update<const DECAY: bool, const MOMENTUM: bool, const CENTERED: bool>(s: State) {
    let State {
        params,
        grads,
        sq,
        buf,
        ga,
        lr,
        k,
    } = s;
    // Every slice re-cut to n so the compiler drops the bounds checks; an absent buffer is
    // empty and never indexed (its flag is a compile-time false).
    let n = params.len();
    let (grads, sq) = (&grads[..n], &mut sq[..n]);
    let buf = if MOMENTUM { &mut buf[..n] } else { buf };
    let ga = if CENTERED { &mut ga[..n] } else { ga };
    for i in 0..n {
        let p = params[i];
        let g = if DECAY { grads[i] + k.wd * p } else { grads[i] };
        let s = sq[i] * k.alpha + k.one_minus_alpha * g * g;
        sq[i] = s;
        let avg = if CENTERED {
            let a = lerp(ga[i], g, k.one_minus_alpha);
            ga[i] = a;
            (s - a * a).sqrt() + k.eps
        } else {
            s.sqrt() + k.eps
        };
        params[i] = if MOMENTUM {
            let b = buf[i] * k.momentum + g / avg;
            buf[i] = b;
            p + -lr * b
        } else {
            p + -lr * g / avg
        };
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, run};
    use super::*;

    // Expected values are torch.optim.RMSprop's (PyTorch 2.15, CPU, foreach=False); the
    // comments redo the arithmetic in f64 (eps = 1e-8 shows only in the 8th digit).
    const P0: [f32; 2] = [1.0, -2.0];
    const G: [&[f32]; 3] = [&[0.5, -1.0], &[-0.25, 0.75], &[1.0, 0.5]];
    // 18 of the 20 reference cases (all files) match PyTorch bit for bit; two differ by 1 ulp where its
    // vectorised `add_(x, alpha)` fuses the multiply-add. 2e-7 relative is about 2 ulps.
    const TOL: f64 = 2e-7;

    #[test]
    fn rmsprop_divides_by_the_root_of_the_running_mean_square() {
        // sq1 = 0.01·(0.25, 1) = (0.0025, 0.01)          avg1 = (0.05, 0.1)
        //   p1 = (1 − 0.01·0.5/0.05, −2 + 0.01·1/0.1) = (0.9, −1.9)
        // sq2 = 0.99·sq1 + 0.01·(0.0625, 0.5625) = (0.0031, 0.015525)   avg2 = (0.055678, 0.124599)
        //   p2 = (0.9 + 0.0025/0.055678, −1.9 − 0.0075/0.124599) = (0.944901, −1.960193)
        // sq3 = (0.013069, 0.01786975)                   avg3 = (0.114320, 0.133678)
        //   p3 = (0.944901 − 0.01/0.114320, −1.960193 − 0.005/0.133678) = (0.857427, −1.997596)
        let got = run("kind = \"rmsprop\"", &P0, &G);
        assert_close(
            &got,
            &[
                &[0.90000004, -1.9],
                &[0.94490135, -1.9601929],
                &[0.85742736, -1.9975963],
            ],
            TOL,
        );
    }

    #[test]
    fn momentum_accumulates_the_normalised_gradient() {
        // avg as in the plain case; buf = 0.9·buf + g/avg, p = p − 0.01·buf:
        // buf1 = (10, −10)                                p1 = (0.9, −1.9)
        // buf2 = (9 − 4.490134, −9 + 6.019293) = (4.509866, −2.980707)   p2 = (0.854901, −1.870193)
        // buf3 = (4.058880 + 8.747396, −2.682636 + 3.740337) = (12.806276, 1.057701)
        //                                                 p3 = (0.726839, −1.880770)
        let got = run("kind = \"rmsprop\"\nmomentum = 0.9", &P0, &G);
        assert_close(
            &got,
            &[
                &[0.90000004, -1.9],
                &[0.8549014, -1.8701929],
                &[0.7268386, -1.8807698],
            ],
            TOL,
        );
    }

    #[test]
    fn centered_subtracts_the_squared_running_mean() {
        // ga1 = 0.01·g1 = (0.005, −0.01)     avg1 = (√(0.0025 − 0.000025), √(0.01 − 0.0001)) = (0.049749, 0.099499)
        //   p1 = (1 − 0.005/0.049749, −2 + 0.01/0.099499) = (0.899496, −1.899496)
        // ga2 = 0.99·ga1 + 0.01·g2 = (0.00245, −0.0024)   avg2 = (0.055624, 0.124576)
        //   p2 = (0.899496 + 0.0025/0.055624, −1.899496 − 0.0075/0.124576) = (0.944441, −1.959700)
        // ga3 = (0.0124255, 0.002624)                      avg3 = (0.113642, 0.133652)
        //   p3 = (0.944441 − 0.01/0.113642, −1.959700 − 0.005/0.133652) = (0.856446, −1.997111)
        let got = run("kind = \"rmsprop\"\ncentered = true", &P0, &G);
        assert_close(
            &got,
            &[
                &[0.89949626, -1.8994962],
                &[0.9444411, -1.9597003],
                &[0.8564458, -1.997111],
            ],
            TOL,
        );
    }

    #[test]
    fn centered_with_momentum_combines_both() {
        // avg as in the centered case; buf = 0.9·buf + g/avg:
        // buf1 = (10.050376, −10.050377)    p1 = (0.899496, −1.899496)
        // buf2 = (4.550853, −3.024930)      p2 = (0.853988, −1.869247)
        // buf3 = (12.895296, 1.018621)      p3 = (0.725035, −1.879433)
        let got = run(
            "kind = \"rmsprop\"\nmomentum = 0.9\ncentered = true",
            &P0,
            &G,
        );
        assert_close(
            &got,
            &[
                &[0.89949626, -1.8994962],
                &[0.85398775, -1.8692468],
                &[0.7250348, -1.879433],
            ],
            TOL,
        );
    }

    #[test]
    fn weight_decay_adds_to_the_gradient() {
        // alpha = 0.9: g1 = (0.6, −1.2), sq1 = 0.1·g1² = (0.036, 0.144), avg1 = (0.189737, 0.379473)
        //   p1 = (1 − 0.006/0.189737, −2 + 0.012/0.379473) = (0.968377, −1.968377)
        // g2 = (−0.153162, 0.553162), sq2 = (0.034746, 0.160199)   p2 = (0.976594, −1.982198)
        // g3 = (1.097659, 0.301780), sq3 = (0.151757, 0.153286)    p3 = (0.948417, −1.989906)
        let got = run(
            "kind = \"rmsprop\"\nalpha = 0.9\nweight_decay = 0.1",
            &P0,
            &G,
        );
        assert_close(
            &got,
            &[
                &[0.96837723, -1.9683772],
                &[0.976594, -1.9821978],
                &[0.94841707, -1.9899057],
            ],
            TOL,
        );
    }

    #[test]
    fn the_defaults_are_pytorchs() {
        let c: RmsPropConfig = toml::from_str("").unwrap();
        assert_eq!(c, RmsPropConfig::default());
        assert_eq!(
            (c.alpha, c.eps, c.momentum, c.centered, c.weight_decay),
            (0.99, 1e-8, 0.0, false, 0.0)
        );
    }
}
