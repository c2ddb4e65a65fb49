//! SGD with momentum, dampening, Nesterov and L2 weight decay — PyTorch's `torch.optim.SGD`.
//!
//! ```text
//! g   = grad + weight_decay · p                        (if weight_decay ≠ 0)
//! buf = g                                              (first step)
//! buf = momentum · buf + (1 − dampening) · g           (later steps)
//! g   = g + momentum · buf   (nesterov)   or   g = buf (if momentum ≠ 0)
//! p   = p − lr · g
//! ```
//!
//! State buffers: `[momentum_buffer]` when momentum ≠ 0, else none.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::state::{check_lengths, step_counter};
use super::{KindConfig, Layout, Optimizer};
use crate::bail_usage;
use crate::config::range::{in_unit_closed, non_negative};

/// `kind = "sgd"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SgdConfig {
    #[serde(default)]
    pub momentum: f64,
    #[serde(default)]
    pub dampening: f64,
    #[serde(default)]
    pub nesterov: bool,
    #[serde(default)]
    pub weight_decay: f64,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
        }
    }
}

impl KindConfig for SgdConfig {
    fn default_lr(&self) -> f64 {
        1e-3
    }

    fn validate(&self) -> Result<()> {
        non_negative("optimizer.momentum", self.momentum)?;
        in_unit_closed("optimizer.dampening", self.dampening)?;
        non_negative("optimizer.weight_decay", self.weight_decay)?;
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            bail_usage!(
                "optimizer.nesterov: expected momentum > 0 and dampening = 0, found momentum = {:?}, dampening = {:?}",
                self.momentum,
                self.dampening
            );
        }
        Ok(())
    }

    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        Box::new(Sgd::new(self, layout.num_params()))
    }
}

pub struct Sgd {
    momentum: f32,
    /// PyTorch's `alpha=1 - dampening`, computed in f64 and then rounded, as Python does.
    one_minus_dampening: f32,
    nesterov: bool,
    weight_decay: f32,
    /// Empty when momentum is 0.
    buf: Vec<f32>,
    steps: u64,
    /// The number of parameters, to size `buf` when a cycled momentum turns it on.
    len: usize,
}

impl Sgd {
    pub fn new(cfg: &SgdConfig, num_params: usize) -> Sgd {
        let with_momentum = cfg.momentum != 0.0;
        Sgd {
            momentum: cfg.momentum as f32,
            one_minus_dampening: (1.0 - cfg.dampening) as f32,
            nesterov: cfg.nesterov,
            weight_decay: cfg.weight_decay as f32,
            buf: if with_momentum {
                vec![0.0; num_params]
            } else {
                Vec::new()
            },
            steps: 0,
            len: num_params,
        }
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        check_lengths(params, grads);
        let first = self.steps == 0;
        self.steps += 1;
        let decay = self.weight_decay != 0.0;
        let k = Consts {
            lr,
            wd: self.weight_decay,
            mu: self.momentum,
            damp: self.one_minus_dampening,
        };
        if self.buf.is_empty() {
            match decay {
                false => plain::<false>(params, grads, k),
                true => plain::<true>(params, grads, k),
            }
        } else {
            let buf = &mut self.buf[..params.len()];
            match (decay, self.nesterov) {
                (false, false) => with_momentum::<false, false>(params, grads, buf, first, k),
                (false, true) => with_momentum::<false, true>(params, grads, buf, first, k),
                (true, false) => with_momentum::<true, false>(params, grads, buf, first, k),
                (true, true) => with_momentum::<true, true>(params, grads, buf, first, k),
            }
        }
    }

    fn set_momentum(&mut self, momentum: f64) -> bool {
        self.momentum = momentum as f32;
        if self.buf.is_empty() && momentum != 0.0 {
            // Only on the call before training: afterwards the buffer exists.
            self.buf = vec![0.0; self.len];
        }
        true
    }

    fn momentum(&self) -> Option<f64> {
        Some(f64::from(self.momentum))
    }

    step_counter!();

    fn state_buffers(&self) -> Vec<&[f32]> {
        if self.buf.is_empty() {
            Vec::new()
        } else {
            vec![&self.buf]
        }
    }

    fn state_buffers_mut(&mut self) -> Vec<&mut [f32]> {
        if self.buf.is_empty() {
            Vec::new()
        } else {
            vec![&mut self.buf]
        }
    }
}

#[derive(Clone, Copy)]
struct Consts {
    lr: f32,
    wd: f32,
    mu: f32,
    damp: f32,
}

// The flags are const generics so that every variant is a branch-free loop the compiler
// vectorises; the arithmetic order is PyTorch's (`grad.add(param, alpha=wd)` = g + wd·p,
// `param.add_(grad, alpha=-lr)` = p + (−lr)·g).

#[inline(always)]
fn decayed<const DECAY: bool>(g: f32, p: f32, wd: f32) -> f32 {
    if DECAY { g + wd * p } else { g }
}

fn plain<const DECAY: bool>(params: &mut [f32], grads: &[f32], k: Consts) {
    for (p, &g) in params.iter_mut().zip(grads) {
        let g = decayed::<DECAY>(g, *p, k.wd);
        *p += -k.lr * g;
    }
}

fn with_momentum<const DECAY: bool, const NESTEROV: bool>(
    params: &mut [f32],
    grads: &[f32],
    buf: &mut [f32],
    first: bool,
    k: Consts,
) {
    let update = |p: &mut f32, g: f32, b: f32| {
        let d = if NESTEROV { g + k.mu * b } else { b };
        *p += -k.lr * d;
    };
    if first {
        // PyTorch clones the gradient into the buffer: no dampening on the first step.
        for ((p, &g), b) in params.iter_mut().zip(grads).zip(buf.iter_mut()) {
            let g = decayed::<DECAY>(g, *p, k.wd);
            *b = g;
            update(p, g, *b);
        }
    } else {
        for ((p, &g), b) in params.iter_mut().zip(grads).zip(buf.iter_mut()) {
            let g = decayed::<DECAY>(g, *p, k.wd);
            *b = *b * k.mu + k.damp * g;
            update(p, g, *b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, run};
    use super::*;

    // Two parameters, three fixed gradients; the expected values are torch.optim.SGD's
    // (PyTorch 2.15, CPU, foreach=False), and the comments redo the arithmetic in f64.
    const P0: [f32; 2] = [1.0, -2.0];
    const G: [&[f32]; 3] = [&[0.5, -1.0], &[-0.25, 0.75], &[1.0, 0.5]];
    // 18 of the 20 reference cases (all files) match PyTorch bit for bit; two differ by 1 ulp where its
    // vectorised `add_(x, alpha)` fuses the multiply-add. 2e-7 relative is about 2 ulps.
    const TOL: f64 = 2e-7;

    #[test]
    fn plain_sgd_steps_against_the_gradient() {
        // p1 = 1 − 0.1·0.5 = 0.95          −2 − 0.1·(−1) = −1.9
        // p2 = 0.95 + 0.1·0.25 = 0.975     −1.9 − 0.1·0.75 = −1.975
        // p3 = 0.975 − 0.1·1 = 0.875       −1.975 − 0.1·0.5 = −2.025
        let got = run("kind = \"sgd\"\nlr = 0.1", &P0, &G);
        assert_close(
            &got,
            &[&[0.95, -1.9], &[0.97499996, -1.975], &[0.87499994, -2.025]],
            TOL,
        );
    }

    #[test]
    fn momentum_starts_its_buffer_at_the_first_gradient() {
        // buf1 = g1 = (0.5, −1)                        p1 = (0.95, −1.9)
        // buf2 = 0.9·buf1 + g2 = (0.2, −0.15)          p2 = (0.95 − 0.02, −1.9 + 0.015) = (0.93, −1.885)
        // buf3 = 0.9·buf2 + g3 = (1.18, 0.365)         p3 = (0.93 − 0.118, −1.885 − 0.0365) = (0.812, −1.9215)
        let got = run("kind = \"sgd\"\nlr = 0.1\nmomentum = 0.9", &P0, &G);
        assert_close(
            &got,
            &[&[0.95, -1.9], &[0.93, -1.885], &[0.81200004, -1.9215]],
            TOL,
        );
    }

    #[test]
    fn dampening_scales_the_new_gradient_from_the_second_step_on() {
        // buf1 = g1 = (0.5, −1), undamped              p1 = (0.95, −1.9)
        // buf2 = 0.9·buf1 + 0.5·g2 = (0.325, −0.525)   p2 = (0.9175, −1.8475)
        // buf3 = 0.9·buf2 + 0.5·g3 = (0.7925, −0.2225) p3 = (0.83825, −1.82525)
        let got = run(
            "kind = \"sgd\"\nlr = 0.1\nmomentum = 0.9\ndampening = 0.5",
            &P0,
            &G,
        );
        assert_close(
            &got,
            &[
                &[0.95, -1.9],
                &[0.91749996, -1.8475],
                &[0.83825, -1.8252499],
            ],
            TOL,
        );
    }

    #[test]
    fn nesterov_looks_ahead_along_the_buffer() {
        // Buffers as with plain momentum; the step is g + 0.9·buf:
        // d1 = (0.5 + 0.45, −1 − 0.9) = (0.95, −1.9)          p1 = (0.905, −1.81)
        // d2 = (−0.25 + 0.18, 0.75 − 0.135) = (−0.07, 0.615)  p2 = (0.912, −1.8715)
        // d3 = (1 + 1.062, 0.5 + 0.3285) = (2.062, 0.8285)    p3 = (0.7058, −1.95435)
        let got = run(
            "kind = \"sgd\"\nlr = 0.1\nmomentum = 0.9\nnesterov = true",
            &P0,
            &G,
        );
        assert_close(
            &got,
            &[&[0.905, -1.81], &[0.912, -1.8714999], &[0.7058, -1.9543499]],
            TOL,
        );
    }

    #[test]
    fn weight_decay_adds_to_the_gradient() {
        // g1 = (0.5 + 0.1·1, −1 + 0.1·(−2)) = (0.6, −1.2)           p1 = (0.94, −1.88)
        // g2 = (−0.25 + 0.094, 0.75 − 0.188) = (−0.156, 0.562)      p2 = (0.9556, −1.9362)
        // g3 = (1 + 0.09556, 0.5 − 0.19362) = (1.09556, 0.30638)    p3 = (0.846044, −1.966838)
        let got = run("kind = \"sgd\"\nlr = 0.1\nweight_decay = 0.1", &P0, &G);
        assert_close(
            &got,
            &[&[0.94, -1.88], &[0.9556, -1.9362], &[0.846044, -1.966838]],
            TOL,
        );
    }

    #[test]
    fn weight_decay_enters_the_momentum_buffer() {
        // g1 = (0.6, −1.2) = buf1                                   p1 = (0.94, −1.88)
        // g2 = (−0.156, 0.562), buf2 = 0.9·buf1 + g2 = (0.384, −0.518)   p2 = (0.9016, −1.8282)
        // g3 = (1.09016, 0.31718), buf3 = (1.43576, −0.14902)        p3 = (0.758024, −1.813298)
        let got = run(
            "kind = \"sgd\"\nlr = 0.1\nmomentum = 0.9\nweight_decay = 0.1",
            &P0,
            &G,
        );
        assert_close(
            &got,
            &[&[0.94, -1.88], &[0.9016, -1.8282], &[0.758024, -1.813298]],
            TOL,
        );
    }

    #[test]
    fn sgd_with_momentum_converges_on_a_quadratic() {
        // f(p) = ½ Σ c_i (p_i − t_i)², gradient c_i (p_i − t_i).
        let c = [1.0f32, 4.0, 0.25];
        let t = [3.0f32, -1.0, 0.5];
        let cfg = SgdConfig {
            momentum: 0.9,
            ..SgdConfig::default()
        };
        let mut opt = cfg.build(&Layout::flat(3));
        let mut p = [0.0f32; 3];
        let mut g = [0.0f32; 3];
        for _ in 0..500 {
            for i in 0..3 {
                g[i] = c[i] * (p[i] - t[i]);
            }
            opt.step(&mut p, &g, 0.05);
        }
        for i in 0..3 {
            assert!((p[i] - t[i]).abs() < 1e-4, "p = {p:?}");
        }
    }

    #[test]
    fn the_defaults_are_pytorchs() {
        let c: SgdConfig = toml::from_str("").unwrap();
        assert_eq!(c, SgdConfig::default());
        assert_eq!(
            (c.momentum, c.dampening, c.nesterov, c.weight_decay),
            (0.0, 0.0, false, 0.0)
        );
    }
}
