//! Adafactor — PyTorch's `torch.optim.Adafactor` (Shazeer & Stern 2018, with PyTorch's choices:
//! no first moment, relative step size, update clipping by RMS).
//!
//! Per parameter tensor, at step t:
//!
//! ```text
//! β̂    = t^beta2_decay                          (the weight of the new second moment)
//! ρ    = min(lr, 1/√t)
//! α    = max(eps2, RMS(p)) · ρ
//! p    = p · (1 − lr · weight_decay)
//! weight [rows, cols] (factored):
//!   R_r = lerp(R_r, mean_c g², β̂)      C_c = lerp(C_c, mean_r g², β̂)
//!   v̂   = R_r · C_c / max(mean_r R_r, eps1)
//! vector:
//!   V   = lerp(V, g², β̂),   v̂ = V
//! u    = g / √max(v̂, eps1²)
//! p    = p − α / max(1, RMS(u) / d) · u
//! ```
//!
//! `eps1` absent = f32's machine epsilon, as PyTorch's `eps = (None, 1e-3)`. Weights are taken in
//! PyTorch's `[out, in]` sense from the parameter [`Layout`], so "rows" are output units.
//! State buffers: `[row_var, col_var, variance]`, each the concatenation over the tensors in
//! layout order (row_var and col_var of the weights, variance of the vectors).

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::state::{check_lengths, state_buffers, step_counter};
use super::{KindConfig, Layout, Optimizer, ParamTensor};
use crate::config::range::{at_least, at_most, non_negative};

/// `kind = "adafactor"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdafactorConfig {
    /// The second moment's weight at step t is `t^beta2_decay` (≤ 0).
    #[serde(default = "default_beta2_decay")]
    pub beta2_decay: f64,
    /// PyTorch's `eps[0]`: floor of the variance estimate; absent = f32's machine epsilon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eps1: Option<f64>,
    /// PyTorch's `eps[1]`: floor of a parameter tensor's RMS in the step size.
    #[serde(default = "default_eps2")]
    pub eps2: f64,
    /// The update-clipping threshold (RMS of the update, ≥ 1).
    #[serde(default = "default_d")]
    pub d: f64,
    #[serde(default)]
    pub weight_decay: f64,
}

fn default_beta2_decay() -> f64 {
    -0.8
}
fn default_eps2() -> f64 {
    1e-3
}
fn default_d() -> f64 {
    1.0
}

impl Default for AdafactorConfig {
    fn default() -> Self {
        AdafactorConfig {
            beta2_decay: default_beta2_decay(),
            eps1: None,
            eps2: default_eps2(),
            d: default_d(),
            weight_decay: 0.0,
        }
    }
}

impl KindConfig for AdafactorConfig {
    fn default_lr(&self) -> f64 {
        1e-2
    }

    fn validate(&self) -> Result<()> {
        at_most("optimizer.beta2_decay", self.beta2_decay, 0.0)?;
        if let Some(eps1) = self.eps1 {
            non_negative("optimizer.eps1", eps1)?;
        }
        non_negative("optimizer.eps2", self.eps2)?;
        at_least("optimizer.d", self.d, 1.0)?;
        non_negative("optimizer.weight_decay", self.weight_decay)?;
        Ok(())
    }

    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        let t = layout.tensors();
        let sum = |f: fn(&ParamTensor) -> usize| t.iter().map(f).sum::<usize>();
        Box::new(Adafactor {
            cfg: self.clone(),
            tensors: t.to_vec(),
            row_var: vec![0.0; sum(|t| if t.matrix { t.rows } else { 0 })],
            col_var: vec![0.0; sum(|t| if t.matrix { t.cols } else { 0 })],
            variance: vec![0.0; sum(|t| if t.matrix { 0 } else { t.len() })],
            update: vec![0.0; t.iter().map(ParamTensor::len).max().unwrap_or(0)],
            row_sums: vec![0.0; t.iter().map(|t| t.rows).max().unwrap_or(0)],
            steps: 0,
        })
    }
}

pub struct Adafactor {
    cfg: AdafactorConfig,
    tensors: Vec<ParamTensor>,
    row_var: Vec<f32>,
    col_var: Vec<f32>,
    variance: Vec<f32>,
    /// Scratch: one tensor's update `u`, in PyTorch's row-major `(r, c)` order.
    update: Vec<f32>,
    /// Scratch: a weight's per-row sums of g² (f64 so the order of summation hardly matters).
    row_sums: Vec<f64>,
    steps: u64,
}

/// Per-step scalars shared by every tensor.
#[derive(Clone, Copy)]
struct Consts {
    beta2_t: f32,
    rho: f64,
    eps1: f32,
    eps1_sq: f32,
    eps2: f64,
    d: f64,
    scale: f32,
}

impl Optimizer for Adafactor {
    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32) {
        check_lengths(params, grads);
        self.steps += 1;
        let c = &self.cfg;
        let t = self.steps as f64;
        let lr = lr as f64;
        let eps1 = c.eps1.unwrap_or(f32::EPSILON as f64);
        let k = Consts {
            beta2_t: t.powf(c.beta2_decay) as f32,
            rho: lr.min(1.0 / t.powf(0.5)),
            eps1: eps1 as f32,
            eps1_sq: (eps1 * eps1) as f32,
            eps2: c.eps2,
            d: c.d,
            scale: (1.0 - lr * c.weight_decay) as f32,
        };
        let decay = c.weight_decay != 0.0;
        let (mut rows_at, mut cols_at, mut var_at) = (0, 0, 0);
        for tensor in &self.tensors {
            let n = tensor.len();
            // α from the parameters before decay: `param.norm(2).item() / numel**0.5`.
            let norm = sum_sq(tensor, params).sqrt() as f32 as f64;
            let alpha = k.eps2.max(norm / (n as f64).powf(0.5)) * k.rho;
            if decay {
                for r in 0..tensor.rows {
                    for col in 0..tensor.cols {
                        params[tensor.at(r, col)] *= k.scale;
                    }
                }
            }
            let u = &mut self.update[..n];
            if tensor.matrix {
                let (rows, cols) = (tensor.rows, tensor.cols);
                let row_var = &mut self.row_var[rows_at..rows_at + rows];
                let col_var = &mut self.col_var[cols_at..cols_at + cols];
                rows_at += rows;
                cols_at += cols;
                factored_update(tensor, grads, row_var, col_var, &mut self.row_sums, u, k);
            } else {
                let var = &mut self.variance[var_at..var_at + n];
                var_at += n;
                for (i, (v, u)) in var.iter_mut().zip(u.iter_mut()).enumerate() {
                    let g = grads[tensor.offset + i];
                    *v = super::lerp(*v, g * g, k.beta2_t);
                    *u = (1.0 / v.max(k.eps1_sq).sqrt()) * g;
                }
            }
            // `denom = max(1, update.norm(2).item() / (numel**0.5 · d))`
            let u_norm = u
                .iter()
                .map(|&x| (x as f64) * (x as f64))
                .sum::<f64>()
                .sqrt() as f32;
            let denom = 1.0f64.max(u_norm as f64 / ((n as f64).powf(0.5) * k.d));
            let coef = (-alpha / denom) as f32;
            for r in 0..tensor.rows {
                for col in 0..tensor.cols {
                    params[tensor.at(r, col)] += coef * u[r * tensor.cols + col];
                }
            }
        }
    }

    step_counter!();

    state_buffers!(row_var, col_var, variance);
}

/// Σ x² over one tensor of `buf`, in f64.
fn sum_sq(t: &ParamTensor, buf: &[f32]) -> f64 {
    let mut s = 0.0;
    for r in 0..t.rows {
        for c in 0..t.cols {
            let x = buf[t.at(r, c)] as f64;
            s += x * x;
        }
    }
    s
}

/// The factored second moment of one weight and its update `u` (row-major `(r, c)`).
///
/// PyTorch's order: `row_mean = vector_norm(g, dim=-1)².div_(cols)`, `row_var.lerp_(row_mean,
/// β̂)`, the same over columns; `var = (row_var @ col_var).div_(row_var.mean().clamp_(eps1))`;
/// `u = var.clamp_(eps1²).rsqrt_().mul_(g)`.
fn factored_update(
    t: &ParamTensor,
    grads: &[f32],
    row_var: &mut [f32],
    col_var: &mut [f32],
    row_sums: &mut [f64],
    u: &mut [f32],
    k: Consts,
) {
    let (rows, cols) = (t.rows, t.cols);
    let row_sums = &mut row_sums[..rows];
    row_sums.fill(0.0);
    for (c, cv) in col_var.iter_mut().enumerate() {
        let mut col_sum = 0.0f64;
        for (r, rs) in row_sums.iter_mut().enumerate() {
            let g = grads[t.at(r, c)] as f64;
            *rs += g * g;
            col_sum += g * g;
        }
        let norm = col_sum.sqrt() as f32;
        *cv = super::lerp(*cv, norm * norm / rows as f32, k.beta2_t);
    }
    for (rv, &s) in row_var.iter_mut().zip(row_sums.iter()) {
        let norm = s.sqrt() as f32;
        *rv = super::lerp(*rv, norm * norm / cols as f32, k.beta2_t);
    }
    let mean = (row_var.iter().map(|&x| x as f64).sum::<f64>() / rows as f64) as f32;
    let mean = mean.max(k.eps1);
    for r in 0..rows {
        for c in 0..cols {
            let v = (row_var[r] * col_var[c] / mean).max(k.eps1_sq);
            u[r * cols + c] = (1.0 / v.sqrt()) * grads[t.at(r, c)];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::golden;
    use super::super::testing::parse;
    use super::*;

    #[test]
    fn adafactor_follows_torchs_trajectories_step_by_step() {
        golden::check("adafactor");
    }

    #[test]
    fn state_is_a_row_and_a_column_per_weight_and_an_element_per_bias() {
        // 784-128-10: weights [128, 784] and [10, 128], biases [128] and [10].
        let layout = Layout::new(vec![
            ParamTensor {
                offset: 0,
                rows: 128,
                cols: 784,
                row_stride: 1,
                col_stride: 128,
                matrix: true,
            },
            ParamTensor::vector(100_352, 128),
            ParamTensor {
                offset: 100_480,
                rows: 10,
                cols: 128,
                row_stride: 1,
                col_stride: 10,
                matrix: true,
            },
            ParamTensor::vector(101_760, 10),
        ]);
        let opt = AdafactorConfig::default().build(&layout);
        let lens: Vec<usize> = opt.state_buffers().iter().map(|b| b.len()).collect();
        assert_eq!(lens, [128 + 10, 784 + 128, 128 + 10]);
    }

    #[test]
    fn bad_keys_are_refused_naming_them() {
        for (body, message) in [
            (
                "beta2_decay = 0.5",
                "optimizer.beta2_decay: expected a finite number <= 0, found 0.5",
            ),
            (
                "d = 0.5",
                "optimizer.d: expected a finite number >= 1, found 0.5",
            ),
            (
                "eps1 = -1.0",
                "optimizer.eps1: expected a finite number >= 0, found -1",
            ),
            (
                "eps2 = -1.0",
                "optimizer.eps2: expected a finite number >= 0, found -1",
            ),
        ] {
            let mut c = parse(&format!("kind = \"adafactor\"\n{body}")).unwrap();
            assert_eq!(format!("{:#}", c.resolve().unwrap_err()), message);
        }
    }

    #[test]
    fn the_defaults_are_pytorchs() {
        let c: AdafactorConfig = toml::from_str("").unwrap();
        assert_eq!(c, AdafactorConfig::default());
        assert_eq!(
            (c.beta2_decay, c.eps1, c.eps2, c.d, c.weight_decay),
            (-0.8, None, 1e-3, 1.0, 0.0)
        );
        assert_eq!(c.default_lr(), 1e-2);
    }
}
