//! Muon — PyTorch's `torch.optim.Muon` (Jordan et al. 2024) for the 2-D weights, with AdamW for
//! the biases as its documentation advises.
//!
//! Per weight `W [out, in]` (PyTorch's shape, from the parameter [`Layout`]):
//!
//! ```text
//! B   = lerp(B, G, 1 − momentum)
//! U   = lerp(G, B, momentum) if nesterov else B
//! X   = U / max(‖U‖_F, eps)           (transposed first when out > in, so X is wide)
//! 5×: A = X·Xᵀ;  X = ns_a·X + (ns_b·A + ns_c·A·A)·X        (Newton–Schulz, quintic)
//! W   = W · (1 − lr · weight_decay) − lr · √max(1, out/in) · X
//! ```
//!
//! PyTorch runs Newton–Schulz in bfloat16; here it runs in f32 (the SPEC's choice), so results
//! agree with PyTorch's to about 1e-2. `adjust_lr_fn` as PyTorch's: absent or `original` scales
//! by √max(1, out/in), `match_rms_adamw` by 0.2·√max(out, in), `spectral_unclamped` by
//! √(out/in). Biases (vectors): `torch.optim.AdamW` with the same `lr` and `weight_decay` and
//! `adamw_beta1`, `adamw_beta2`, `adamw_eps`.
//! State buffers: `[momentum_buffer (weights) / exp_avg (biases), exp_avg_sq (biases; 0 at
//! weights)]`, each as long as the parameters.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::state::{check_lengths, state_buffers, step_counter};
use super::{KindConfig, Layout, Optimizer, ParamTensor, lerp};
use crate::bail_usage;
use crate::config::range::{finite, in_unit_half_open, non_negative, positive};
use crate::model::matmul::{Operand, Parallel, matmul};

/// `kind = "muon"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MuonConfig {
    #[serde(default = "default_weight_decay")]
    pub weight_decay: f64,
    #[serde(default = "default_momentum")]
    pub momentum: f64,
    #[serde(default = "default_true")]
    pub nesterov: bool,
    /// PyTorch's `ns_coefficients[0]`.
    #[serde(default = "default_ns_a")]
    pub ns_a: f64,
    /// PyTorch's `ns_coefficients[1]`.
    #[serde(default = "default_ns_b")]
    pub ns_b: f64,
    /// PyTorch's `ns_coefficients[2]`.
    #[serde(default = "default_ns_c")]
    pub ns_c: f64,
    #[serde(default = "default_eps")]
    pub eps: f64,
    #[serde(default = "default_ns_steps")]
    pub ns_steps: u32,
    /// `original` (the default) | `match_rms_adamw` | `spectral_unclamped`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjust_lr_fn: Option<String>,
    #[serde(default = "default_adamw_beta1")]
    pub adamw_beta1: f64,
    #[serde(default = "default_adamw_beta2")]
    pub adamw_beta2: f64,
    #[serde(default = "default_adamw_eps")]
    pub adamw_eps: f64,
}

fn default_weight_decay() -> f64 {
    0.1
}
fn default_momentum() -> f64 {
    0.95
}
fn default_true() -> bool {
    true
}
fn default_ns_a() -> f64 {
    3.4445
}
fn default_ns_b() -> f64 {
    -4.7750
}
fn default_ns_c() -> f64 {
    2.0315
}
fn default_eps() -> f64 {
    1e-7
}
fn default_ns_steps() -> u32 {
    5
}
fn default_adamw_beta1() -> f64 {
    0.9
}
fn default_adamw_beta2() -> f64 {
    0.999
}
fn default_adamw_eps() -> f64 {
    1e-8
}

impl Default for MuonConfig {
    fn default() -> Self {
        MuonConfig {
            weight_decay: default_weight_decay(),
            momentum: default_momentum(),
            nesterov: true,
            ns_a: default_ns_a(),
            ns_b: default_ns_b(),
            ns_c: default_ns_c(),
            eps: default_eps(),
            ns_steps: default_ns_steps(),
            adjust_lr_fn: None,
            adamw_beta1: default_adamw_beta1(),
            adamw_beta2: default_adamw_beta2(),
            adamw_eps: default_adamw_eps(),
        }
    }
}

impl KindConfig for MuonConfig {
    fn default_lr(&self) -> f64 {
        1e-3
    }

    fn validate(&self) -> Result<()> {
        non_negative("optimizer.weight_decay", self.weight_decay)?;
        non_negative("optimizer.momentum", self.momentum)?;
        for (key, v) in [
            ("ns_a", self.ns_a),
            ("ns_b", self.ns_b),
            ("ns_c", self.ns_c),
        ] {
            finite(&format!("optimizer.{key}"), v)?;
        }
        positive("optimizer.eps", self.eps)?;
        if self.ns_steps >= 100 {
            bail_usage!(
                "optimizer.ns_steps: expected fewer than 100 (PyTorch's limit), found {}",
                self.ns_steps
            );
        }
        if let Some(f) = &self.adjust_lr_fn
            && !["original", "match_rms_adamw", "spectral_unclamped"].contains(&f.as_str())
        {
            bail_usage!(
                "optimizer.adjust_lr_fn: expected original, match_rms_adamw or spectral_unclamped, found {f:?}"
            );
        }
        in_unit_half_open("optimizer.adamw_beta1", self.adamw_beta1)?;
        in_unit_half_open("optimizer.adamw_beta2", self.adamw_beta2)?;
        positive("optimizer.adamw_eps", self.adamw_eps)?;
        Ok(())
    }

    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        let n = layout.num_params();
        let wide = |t: &ParamTensor| (t.rows.min(t.cols), t.rows.max(t.cols));
        let (mut xs, mut gs) = (0, 0);
        for t in layout.tensors().iter().filter(|t| t.matrix) {
            let (r, c) = wide(t);
            xs = xs.max(r * c);
            gs = gs.max(r * r);
        }
        Box::new(Muon {
            cfg: self.clone(),
            tensors: layout.tensors().to_vec(),
            buf: vec![0.0; n],
            exp_avg_sq: vec![0.0; n],
            x: vec![0.0; xs],
            next: vec![0.0; xs],
            gram: vec![0.0; gs],
            gram2: vec![0.0; gs],
            par: Parallel::new(1).expect("one thread needs no pool"),
            steps: 0,
        })
    }
}

pub struct Muon {
    cfg: MuonConfig,
    tensors: Vec<ParamTensor>,
    buf: Vec<f32>,
    exp_avg_sq: Vec<f32>,
    // Scratch for Newton–Schulz, sized once for the largest weight: X and the next X (r × c),
    // the Gram matrix and its square (r × r), r ≤ c.
    x: Vec<f32>,
    next: Vec<f32>,
    gram: Vec<f32>,
    gram2: Vec<f32>,
    par: Parallel,
    steps: u64,
}

impl Muon {
    /// X ← its Newton–Schulz orthogonalisation, X being `r × c` row-major with r ≤ c.
    fn newton_schulz(&mut self, r: usize, c: usize) {
        let cfg = &self.cfg;
        let (a, b, cc) = (cfg.ns_a as f32, cfg.ns_b as f32, cfg.ns_c as f32);
        let x = &mut self.x[..r * c];
        // `X.div_(X.norm().clamp(min=eps))`
        let norm = x
            .iter()
            .map(|&v| (v as f64) * (v as f64))
            .sum::<f64>()
            .sqrt() as f32;
        let norm = norm.max(cfg.eps as f32);
        for v in x.iter_mut() {
            *v /= norm;
        }
        let (gram, gram2, next) = (
            &mut self.gram[..r * r],
            &mut self.gram2[..r * r],
            &mut self.next[..r * c],
        );
        for _ in 0..cfg.ns_steps {
            // A = X·Xᵀ;  B = b·A + c·A·A;  X = a·X + B·X
            matmul(
                gram,
                Operand::plain(x, r, c),
                Operand::transposed(x, c, r),
                false,
                &self.par,
            );
            matmul(
                gram2,
                Operand::plain(gram, r, r),
                Operand::plain(gram, r, r),
                false,
                &self.par,
            );
            for (g2, &g) in gram2.iter_mut().zip(gram.iter()) {
                *g2 = b * g + cc * *g2;
            }
            matmul(
                next,
                Operand::plain(gram2, r, r),
                Operand::plain(x, r, c),
                false,
                &self.par,
            );
            for (xv, &nv) in x.iter_mut().zip(next.iter()) {
                *xv = a * *xv + nv;
            }
        }
    }
}

impl Optimizer for Muon {
    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        check_lengths(params, grads);
        self.steps += 1;
        let lr64 = lr as f64;
        let scale = (1.0 - lr64 * self.cfg.weight_decay) as f32;
        let momentum = self.cfg.momentum as f32;
        let one_minus_momentum = (1.0 - self.cfg.momentum) as f32;
        let t = self.steps as f64;
        let (b1, b2) = (self.cfg.adamw_beta1, self.cfg.adamw_beta2);
        let bc2_sqrt = (1.0 - b2.powf(t)).sqrt() as f32;
        let neg_step = (-(lr64 / (1.0 - b1.powf(t)))) as f32;
        let (one_minus_b1, b2f, one_minus_b2) = ((1.0 - b1) as f32, b2 as f32, (1.0 - b2) as f32);
        let adam_eps = self.cfg.adamw_eps as f32;
        for ti in 0..self.tensors.len() {
            let tensor = self.tensors[ti];
            if !tensor.matrix {
                // AdamW, torch.optim.AdamW's order (see `adam`).
                for i in tensor.offset..tensor.offset + tensor.len() {
                    let p = params[i] * scale;
                    let g = grads[i];
                    let m = lerp(self.buf[i], g, one_minus_b1);
                    self.buf[i] = m;
                    let v = self.exp_avg_sq[i] * b2f + one_minus_b2 * g * g;
                    self.exp_avg_sq[i] = v;
                    params[i] = p + neg_step * m / (v.sqrt() / bc2_sqrt + adam_eps);
                }
                continue;
            }
            let (out, inp) = (tensor.rows, tensor.cols);
            // X is wide: [out, in] as it is, or its transpose when out > in.
            let transposed = out > inp;
            let (r, c) = if transposed { (inp, out) } else { (out, inp) };
            for o in 0..out {
                for j in 0..inp {
                    let i = tensor.at(o, j);
                    let g = grads[i];
                    let b = lerp(self.buf[i], g, one_minus_momentum);
                    self.buf[i] = b;
                    let u = if self.cfg.nesterov {
                        lerp(g, b, momentum)
                    } else {
                        b
                    };
                    let k = if transposed { j * c + o } else { o * c + j };
                    self.x[k] = u;
                }
            }
            self.newton_schulz(r, c);
            let ratio = match self.cfg.adjust_lr_fn.as_deref() {
                Some("match_rms_adamw") => 0.2 * (out.max(inp) as f64).sqrt(),
                Some("spectral_unclamped") => (out as f64 / inp as f64).sqrt(),
                _ => (out as f64 / inp as f64).max(1.0).sqrt(),
            };
            let neg_lr = (-(lr64 * ratio)) as f32;
            for o in 0..out {
                for j in 0..inp {
                    let i = tensor.at(o, j);
                    let k = if transposed { j * c + o } else { o * c + j };
                    params[i] = params[i] * scale + neg_lr * self.x[k];
                }
            }
        }
    }

    step_counter!();

    state_buffers!(buf, exp_avg_sq);
}

#[cfg(test)]
mod tests {
    use super::super::golden;
    use super::*;

    #[test]
    fn muon_follows_torchs_trajectories_to_bfloat16_precision() {
        golden::check("muon");
    }

    #[test]
    fn newton_schulz_brings_every_singular_value_near_one() {
        // X Xᵀ ≈ I (within the quintic's 0.5–1.5 band) for a random-ish 4 × 9 matrix.
        let mut m = Muon {
            cfg: MuonConfig::default(),
            tensors: vec![],
            buf: vec![],
            exp_avg_sq: vec![],
            x: (0..36)
                .map(|i| ((i * 37 % 11) as f32 - 5.0) / 3.0)
                .collect(),
            next: vec![0.0; 36],
            gram: vec![0.0; 16],
            gram2: vec![0.0; 16],
            par: Parallel::new(1).unwrap(),
            steps: 0,
        };
        m.newton_schulz(4, 9);
        for r in 0..4 {
            let d: f32 = (0..9).map(|c| m.x[r * 9 + c] * m.x[r * 9 + c]).sum();
            assert!((0.25..2.25).contains(&d), "row {r}: ‖x‖² = {d}");
        }
    }

    #[test]
    fn the_defaults_are_pytorchs() {
        let c: MuonConfig = toml::from_str("").unwrap();
        assert_eq!(c, MuonConfig::default());
        assert_eq!(
            (c.weight_decay, c.momentum, c.nesterov, c.eps, c.ns_steps),
            (0.1, 0.95, true, 1e-7, 5)
        );
        assert_eq!((c.ns_a, c.ns_b, c.ns_c), (3.4445, -4.7750, 2.0315));
        assert_eq!(
            (c.adamw_beta1, c.adamw_beta2, c.adamw_eps),
            (0.9, 0.999, 1e-8)
        );
        assert_eq!(c.default_lr(), 1e-3);
    }
}
