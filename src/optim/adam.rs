//! Adam and AdamW, with optional AMSGrad — PyTorch's `torch.optim.Adam` and `torch.optim.AdamW`.
//!
//! ```text
//! t   = t + 1
//! p   = p · (1 − lr · weight_decay)                  (AdamW: decoupled decay)
//! g   = grad + weight_decay · p                      (Adam: L2 decay, if weight_decay ≠ 0)
//! m   = lerp(m, g, 1 − beta1)                        (= beta1 · m + (1 − beta1) · g)
//! v   = beta2 · v + (1 − beta2) · g²
//! v̂   = max(v̂, v) if amsgrad, else v
//! p   = p − lr / (1 − beta1^t) · m / (√v̂ / √(1 − beta2^t) + eps)
//! ```
//!
//! State buffers: `[exp_avg, exp_avg_sq, max_exp_avg_sq (if amsgrad)]`, PyTorch's state order.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::adam_family::{self, WeightDecay};
use super::state::{check_lengths, step_counter};
use super::{KindConfig, Layout, Optimizer, lerp};
use crate::model::team::{self, Disjoint};

/// `kind = "adam"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdamConfig {
    #[serde(default = "default_beta1")]
    pub beta1: f64,
    #[serde(default = "default_beta2")]
    pub beta2: f64,
    #[serde(default = "default_eps")]
    pub eps: f64,
    #[serde(default)]
    pub weight_decay: f64,
    #[serde(default)]
    pub amsgrad: bool,
}

/// `kind = "adamw"`: Adam's keys, decoupled decay, `weight_decay` 0.01 by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdamWConfig {
    #[serde(default = "default_beta1")]
    pub beta1: f64,
    #[serde(default = "default_beta2")]
    pub beta2: f64,
    #[serde(default = "default_eps")]
    pub eps: f64,
    #[serde(default = "default_adamw_weight_decay")]
    pub weight_decay: f64,
    #[serde(default)]
    pub amsgrad: bool,
}

fn default_beta1() -> f64 {
    0.9
}

fn default_beta2() -> f64 {
    0.999
}

fn default_eps() -> f64 {
    1e-8
}

fn default_adamw_weight_decay() -> f64 {
    0.01
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            beta1: default_beta1(),
            beta2: default_beta2(),
            eps: default_eps(),
            weight_decay: 0.0,
            amsgrad: false,
        }
    }
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            beta1: default_beta1(),
            beta2: default_beta2(),
            eps: default_eps(),
            weight_decay: default_adamw_weight_decay(),
            amsgrad: false,
        }
    }
}

/// What Adam and AdamW share once parsed.
#[derive(Debug, Clone, Copy)]
struct Params {
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    amsgrad: bool,
    decoupled: bool,
}

impl Params {
    fn validate(&self) -> Result<()> {
        adam_family::check_keys(self.beta1, self.beta2, self.eps, self.weight_decay)?;
        Ok(())
    }
}

impl AdamConfig {
    fn params(&self) -> Params {
        Params {
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            weight_decay: self.weight_decay,
            amsgrad: self.amsgrad,
            decoupled: false,
        }
    }
}

impl AdamWConfig {
    fn params(&self) -> Params {
        Params {
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            weight_decay: self.weight_decay,
            amsgrad: self.amsgrad,
            decoupled: true,
        }
    }
}

impl KindConfig for AdamConfig {
    fn default_lr(&self) -> f64 {
        1e-3
    }
    fn validate(&self) -> Result<()> {
        self.params().validate()
    }
    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        Box::new(Adam::new(self.params(), layout.num_params()))
    }
}

impl KindConfig for AdamWConfig {
    fn default_lr(&self) -> f64 {
        1e-3
    }
    fn validate(&self) -> Result<()> {
        self.params().validate()
    }
    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        Box::new(Adam::new(self.params(), layout.num_params()))
    }
}

/// Adam, or AdamW when built from an [`AdamWConfig`].
pub struct Adam {
    p: Params,
    exp_avg: Vec<f32>,
    exp_avg_sq: Vec<f32>,
    /// Empty unless amsgrad.
    max_exp_avg_sq: Vec<f32>,
    steps: u64,
}

impl Adam {
    fn new(p: Params, num_params: usize) -> Adam {
        Adam {
            p,
            exp_avg: vec![0.0; num_params],
            exp_avg_sq: vec![0.0; num_params],
            max_exp_avg_sq: if p.amsgrad {
                vec![0.0; num_params]
            } else {
                Vec::new()
            },
            steps: 0,
        }
    }
}

/// Per-step scalars, computed in f64 as PyTorch's Python code does, rounded once to f32.
#[derive(Clone, Copy)]
struct Consts {
    /// AdamW's `1 − lr·weight_decay`; exactly 1 for Adam (p·1 = p).
    scale: f32,
    wd: f32,
    one_minus_beta1: f32,
    beta2: f32,
    one_minus_beta2: f32,
    bc2_sqrt: f32,
    neg_step_size: f32,
    eps: f32,
}

impl Optimizer for Adam {
    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        check_lengths(params, grads);
        self.steps += 1;
        let p = self.p;
        let lr = lr as f64;
        // PyTorch's step is a float; beta ** step is C's pow.
        let t = self.steps as f64;
        let bias_correction1 = 1.0 - p.beta1.powf(t);
        let bias_correction2 = 1.0 - p.beta2.powf(t);
        let decay = WeightDecay::of(p.weight_decay, p.decoupled, lr);
        let k = Consts {
            scale: decay.scale,
            wd: decay.wd,
            one_minus_beta1: (1.0 - p.beta1) as f32,
            beta2: p.beta2 as f32,
            one_minus_beta2: (1.0 - p.beta2) as f32,
            bc2_sqrt: bias_correction2.sqrt() as f32,
            neg_step_size: (-(lr / bias_correction1)) as f32,
            eps: p.eps as f32,
        };
        let coupled = decay.coupled;
        let n = params.len();
        let (m, v) = (&mut self.exp_avg[..n], &mut self.exp_avg_sq[..n]);
        let vmax = &mut self.max_exp_avg_sq[..];
        match (coupled, p.amsgrad) {
            (false, false) => split::<false, false>(params, grads, m, v, vmax, k),
            (false, true) => split::<false, true>(params, grads, m, v, vmax, k),
            (true, false) => split::<true, false>(params, grads, m, v, vmax, k),
            (true, true) => split::<true, true>(params, grads, m, v, vmax, k),
        }
    }

    /// Adam's beta1 (PyTorch's cyclers write `betas[0]`); bias correction then uses the
    /// current beta1, as PyTorch's does.
    fn set_momentum(&mut self, momentum: f64) -> bool {
        self.p.beta1 = momentum;
        true
    }

    fn momentum(&self) -> Option<f64> {
        Some(self.p.beta1)
    }

    step_counter!();

    fn state_buffers(&self) -> Vec<&[f32]> {
        let mut b = vec![self.exp_avg.as_slice(), self.exp_avg_sq.as_slice()];
        if self.p.amsgrad {
            b.push(&self.max_exp_avg_sq);
        }
        b
    }

    fn state_buffers_mut(&mut self) -> Vec<&mut [f32]> {
        let mut b = vec![self.exp_avg.as_mut_slice(), self.exp_avg_sq.as_mut_slice()];
        if self.p.amsgrad {
            b.push(&mut self.max_exp_avg_sq);
        }
        b
    }
}

/// Parameters below which the update stays on one thread (a fork costs a few µs).
const SPLIT_MIN: usize = 32 * 1024;

/// The update is element-wise, so it can be cut anywhere without changing a bit of the result.
/// Inside a team of several threads (the trainer runs each step with the network's team
/// installed) the buffers are cut into one contiguous piece per thread; elsewhere (1 thread) it
/// is one loop. Each piece runs 8 lanes wide with AVX2 when the CPU has it (the baseline build is
/// SSE2, 4 lanes); no FMA is enabled and Rust never contracts `a * b + c`, so both paths round
/// alike.
///
/// Measured on the 101,770 parameters of the 784-128-10 network (`perf record`, 1 thread): the
/// scalar-SSE loop took ≈ 130 µs per step, 5–10 % of an epoch at batch 128.
fn split<const COUPLED: bool, const AMSGRAD: bool>(
    params: &mut [f32],
    grads: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    vmax: &mut [f32],
    k: Consts,
) {
    let n = params.len();
    let threads = team::current_threads();
    if n < SPLIT_MIN || threads == 1 {
        return piece::<COUPLED, AMSGRAD>(params, grads, m, v, vmax, k);
    }
    let chunk = n.div_ceil(threads).next_multiple_of(64);
    let (p, m, v, x) = (
        Disjoint::new(params),
        Disjoint::new(m),
        Disjoint::new(v),
        Disjoint::new(vmax),
    );
    team::split(threads, &|i| {
        let r = i * chunk..(i + 1) * chunk;
        let x = if AMSGRAD {
            // SAFETY: part i alone takes range i of each buffer; the ranges are disjoint.
            unsafe { x.range(r.clone()) }
        } else {
            &mut []
        };
        let g = &grads[r.start.min(n)..r.end.min(n)];
        // SAFETY: as above.
        unsafe {
            piece::<COUPLED, AMSGRAD>(p.range(r.clone()), g, m.range(r.clone()), v.range(r), x, k)
        }
    });
}

/// One thread's piece: the widest loop the CPU runs.
fn piece<const COUPLED: bool, const AMSGRAD: bool>(
    params: &mut [f32],
    grads: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    vmax: &mut [f32],
    k: Consts,
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { update_avx2::<COUPLED, AMSGRAD>(params, grads, m, v, vmax, k) };
    }
    update::<COUPLED, AMSGRAD>(params, grads, m, v, vmax, k)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn update_avx2<const COUPLED: bool, const AMSGRAD: bool>(
    params: &mut [f32],
    grads: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    vmax: &mut [f32],
    k: Consts,
) {
    update::<COUPLED, AMSGRAD>(params, grads, m, v, vmax, k)
}

// PyTorch's order: `param.mul_(1 - lr*wd)`; `grad.add(param, alpha=wd)` = g + wd·p;
// `exp_avg.lerp_(g, 1-beta1)`; `exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1-beta2)`
// = v·β2 + ((1−β2)·g)·g; `torch.maximum` (NaN wins); `denom = sqrt(v)/bc2_sqrt + eps`;
// `param.addcdiv_(exp_avg, denom, value=-step_size)` = p + (−step_size·m)/denom.
#[inline(always)]
fn update<const COUPLED: bool, const AMSGRAD: bool>(
    params: &mut [f32],
    grads: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    vmax: &mut [f32],
    k: Consts,
) {
    // Every slice re-cut to n so the compiler drops the bounds checks; without amsgrad `vmax`
    // is empty and never indexed.
    let n = params.len();
    let (grads, m, v) = (&grads[..n], &mut m[..n], &mut v[..n]);
    let vmax = if AMSGRAD { &mut vmax[..n] } else { vmax };
    for i in 0..n {
        let p = params[i] * k.scale;
        let g = if COUPLED {
            grads[i] + k.wd * p
        } else {
            grads[i]
        };
        let mi = lerp(m[i], g, k.one_minus_beta1);
        m[i] = mi;
        let vi = v[i] * k.beta2 + k.one_minus_beta2 * g * g;
        v[i] = vi;
        let vhat = if AMSGRAD {
            let old = vmax[i];
            let mx = if vi > old || vi.is_nan() { vi } else { old };
            vmax[i] = mx;
            mx
        } else {
            vi
        };
        let denom = vhat.sqrt() / k.bc2_sqrt + k.eps;
        params[i] = p + k.neg_step_size * mi / denom;
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, run};
    use super::*;

    // Expected values are torch.optim.Adam's / AdamW's (PyTorch 2.15, CPU, foreach=False); the
    // comments redo the arithmetic in f64.
    const P0: [f32; 2] = [1.0, -2.0];
    const G: [&[f32]; 3] = [&[0.5, -1.0], &[-0.25, 0.75], &[1.0, 0.5]];
    // 18 of the 20 reference cases (all files) match PyTorch bit for bit; two differ by 1 ulp where its
    // vectorised `add_(x, alpha)` fuses the multiply-add. 2e-7 relative is about 2 ulps.
    const TOL: f64 = 2e-7;

    #[test]
    fn an_update_split_among_two_threads_equals_the_one_loop_bit_for_bit() {
        let n = 100_003;
        let grads: Vec<f32> = (0..n)
            .map(|i| ((i * 7919 % 2001) as f32 - 1000.0) / 997.0)
            .collect();
        for amsgrad in [false, true] {
            let cfg = AdamWConfig {
                amsgrad,
                ..AdamWConfig::default()
            };
            let (mut one, mut two) = (cfg.build(&Layout::flat(n)), cfg.build(&Layout::flat(n)));
            let (mut p1, mut p2) = (vec![0.5f32; n], vec![0.5f32; n]);
            let team = crate::model::team::Team::new(2).unwrap();
            for _ in 0..3 {
                one.step(&mut p1, &grads, 1e-3);
                team.install(|| two.step(&mut p2, &grads, 1e-3));
            }
            assert_eq!(p1, p2, "amsgrad = {amsgrad}");
            assert_eq!(one.state_buffers(), two.state_buffers());
        }
    }
    #[test]
    fn adams_first_step_is_lr_against_the_gradient_sign_then_bias_corrected_moments() {
        // bc1 = 1 − 0.9^t = (0.1, 0.19, 0.271)    bc2 = 1 − 0.999^t = (0.001, 0.001999, 0.002997001)
        // m1 = (0.05, −0.1), v1 = (0.00025, 0.001): m1/bc1 = ±(0.5, 1), √(v1/bc2) = (0.5, 1)
        //   p1 = (1 − 0.1, −2 + 0.1) = (0.9, −1.9)
        // m2 = (0.02, −0.015), v2 = (0.00031225, 0.0015615)
        //   p2 = (0.9 − 0.1·(0.02/0.19)/√(0.00031225/0.001999), …) = (0.873366, −1.891068)
        // m3 = (0.118, 0.0365), v3 = (0.00131194, 0.00180994)   p3 = (0.807555, −1.908399)
        let got = run("kind = \"adam\"\nlr = 0.1", &P0, &G);
        assert_close(
            &got,
            &[
                &[0.90000004, -1.9],
                &[0.87336636, -1.8910675],
                &[0.8075552, -1.908399],
            ],
            TOL,
        );
    }

    #[test]
    fn amsgrad_divides_by_the_largest_second_moment_so_far() {
        // beta2 = 0.5 so that v falls: v1 = (0.125, 0.5), v2 = (0.09375, 0.53125), v3 = (0.546875, 0.390625);
        // v̂2 = (0.125, 0.53125), v̂3 = (0.546875, 0.53125); bc2 = (0.5, 0.75, 0.875).
        //   p2[0] = 0.9 − 0.1·(0.02/0.19)/(√0.125/√0.75) = 0.874216   (Adam: 0.870227)
        //   p3[1] = −1.890620 − 0.1·(0.0365/0.271)/(√0.53125/√0.875) = −1.907905   (Adam: −1.910778)
        let got = run(
            "kind = \"adam\"\nlr = 0.1\nbeta2 = 0.5\namsgrad = true",
            &P0,
            &G,
        );
        assert_close(
            &got,
            &[
                &[0.9, -1.9],
                &[0.8742159, -1.8906196],
                &[0.8191386, -1.907905],
            ],
            TOL,
        );
        let plain = run("kind = \"adam\"\nlr = 0.1\nbeta2 = 0.5", &P0, &G);
        assert_close(
            &plain,
            &[
                &[0.9, -1.9],
                &[0.87022704, -1.8906196],
                &[0.8151497, -1.9107777],
            ],
            TOL,
        );
    }

    #[test]
    fn adams_weight_decay_adds_to_the_gradient() {
        // g1 = (0.6, −1.2): the first step is still ±lr: p1 = (0.9, −1.9)
        // g2 = (−0.25 + 0.09, 0.75 − 0.19) = (−0.16, 0.56), m2 = (0.038, −0.052)   p2 = (0.854441, −1.870767)
        // g3 = (1.085444, 0.312923), m3 = (0.142744, −0.015508)               p3 = (0.781504, −1.863481)
        let got = run("kind = \"adam\"\nlr = 0.1\nweight_decay = 0.1", &P0, &G);
        assert_close(
            &got,
            &[
                &[0.90000004, -1.9],
                &[0.8544414, -1.8707672],
                &[0.78150445, -1.8634806],
            ],
            TOL,
        );
    }

    #[test]
    fn adamw_first_shrinks_the_parameters_then_steps_as_adam() {
        // Default weight_decay 0.01: scale = 1 − 0.1·0.01 = 0.999 every step.
        //   p1 = (0.999 − 0.1, −1.998 + 0.1) = (0.899, −1.898)
        //   p2 = 0.999·p1 − Adam's step 2 = (0.898101 − 0.026634, …) = (0.871467, −1.887170)
        //   p3 = (0.804785, −1.902614)
        let got = run("kind = \"adamw\"\nlr = 0.1", &P0, &G);
        assert_close(
            &got,
            &[
                &[0.89900005, -1.898],
                &[0.87146735, -1.8871696],
                &[0.8047847, -1.9026139],
            ],
            TOL,
        );
        // weight_decay 0.5: scale = 0.95.   p1 = (0.95 − 0.1, −1.9 + 0.1) = (0.85, −1.8)
        //   p2 = (0.8075 − 0.026634, −1.71 + 0.008933) = (0.780866, −1.701068)   p3 = (0.676012, −1.633346)
        let got = run("kind = \"adamw\"\nlr = 0.1\nweight_decay = 0.5", &P0, &G);
        assert_close(
            &got,
            &[
                &[0.85, -1.8],
                &[0.7808663, -1.7010674],
                &[0.67601186, -1.6333455],
            ],
            TOL,
        );
    }

    #[test]
    fn adam_minimises_a_quadratic() {
        // f(p) = ½ Σ c_i (p_i − t_i)², gradient c_i (p_i − t_i); badly scaled on purpose.
        let c = [1.0f32, 100.0, 0.01];
        let t = [3.0f32, -1.0, 0.5];
        let mut opt = AdamConfig::default().build(&Layout::flat(3));
        let mut p = [0.0f32; 3];
        let mut g = [0.0f32; 3];
        let loss = |p: &[f32]| {
            (0..3)
                .map(|i| 0.5 * c[i] * (p[i] - t[i]).powi(2))
                .sum::<f32>()
        };
        let before = loss(&p);
        for step in 0..3000 {
            for i in 0..3 {
                g[i] = c[i] * (p[i] - t[i]);
            }
            // A decaying rate so Adam settles instead of hovering at ±lr.
            opt.step(&mut p, &g, 0.05 / (1.0 + step as f32 / 100.0));
        }
        assert!(
            loss(&p) < 1e-6 * before,
            "loss {} from {before}, p = {p:?}",
            loss(&p)
        );
    }

    #[test]
    fn the_defaults_are_pytorchs() {
        let a: AdamConfig = toml::from_str("").unwrap();
        assert_eq!(a, AdamConfig::default());
        assert_eq!(
            (a.beta1, a.beta2, a.eps, a.weight_decay, a.amsgrad),
            (0.9, 0.999, 1e-8, 0.0, false)
        );
        let w: AdamWConfig = toml::from_str("").unwrap();
        assert_eq!(w, AdamWConfig::default());
        assert_eq!(
            (w.beta1, w.beta2, w.eps, w.weight_decay, w.amsgrad),
            (0.9, 0.999, 1e-8, 0.01, false)
        );
    }
}
