//! L-BFGS — PyTorch's `torch.optim.LBFGS` (Nocedal & Wright 2006, Algorithm 7.4 for the two-loop
//! recursion, Algorithms 3.5/3.6 for the strong-Wolfe line search), transcribed from
//! torch/optim/lbfgs.py (2.x) with its defaults: `max_iter` 20, `max_eval` = `max_iter`·5/4,
//! `tolerance_grad` 1e-7, `tolerance_change` 1e-9, `history_size` 100, no line search unless
//! `line_search_fn = "strong_wolfe"`.
//!
//! One [`Optimizer::step_with_closure`] is one `optimizer.step(closure)`: up to `max_iter` inner
//! iterations, each a quasi-Newton direction `d` from the two-loop recursion over the last
//! `history_size` pairs `(y, s)` and a step `t` (fixed, or from the line search). Vectors are f32
//! like torch's; the dot products are f32 results (accumulated in f64 here, torch's BLAS sums in
//! f32 in its own order — the difference is within f32 rounding of each sum); `ys`, `ro`,
//! `H_diag`, the `al`/`be` coefficients are f32 as torch's 0-d tensors are; losses and the line
//! search's step lengths are f64 as torch's Python floats are.
//!
//! Full batch only: torch's L-BFGS assumes the closure evaluates one fixed function.
//!
//! State buffers (for checkpoints, in this order): `[d, prev_flat_grad, old_dirs, old_stps]`,
//! where `old_dirs` / `old_stps` are `history_size + 1` slots of `num_params` each, a ring whose
//! oldest of `num_old` pairs is at slot `start` (the spare slot takes a candidate pair before
//! the curvature test). Scalar state: `[n_iter, func_evals, t, h_diag, prev_loss, num_old, start,
//! ro_0 … ro_{history_size}]`.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::state::{state_buffers, step_counter};
use super::{KindConfig, Layout, Optimizer};
use crate::config::range::{int_in, positive, positive_int};

/// `line_search_fn`: torch's `None` or `"strong_wolfe"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LineSearch {
    /// No line search: the step is `lr` (the first iteration of a run: `min(1, 1/‖g‖₁)·lr`).
    #[default]
    None,
    /// torch's `_strong_wolfe` (c1 1e-4, c2 0.9, at most 25 evaluations).
    StrongWolfe,
}

/// `kind = "lbfgs"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LbfgsConfig {
    /// Inner iterations per step.
    #[serde(default = "default_max_iter")]
    pub max_iter: u64,
    /// Closure evaluations per step; absent = `max_iter`·5/4 (integer division, as torch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_eval: Option<u64>,
    /// Stop when the largest |gradient| is at most this.
    #[serde(default = "default_tolerance_grad")]
    pub tolerance_grad: f64,
    /// Stop when the step or the loss changes by less than this.
    #[serde(default = "default_tolerance_change")]
    pub tolerance_change: f64,
    /// Pairs `(y, s)` kept for the two-loop recursion.
    #[serde(default = "default_history_size")]
    pub history_size: u64,
    #[serde(default)]
    pub line_search_fn: LineSearch,
}

fn default_max_iter() -> u64 {
    20
}
fn default_tolerance_grad() -> f64 {
    1e-7
}
fn default_tolerance_change() -> f64 {
    1e-9
}
fn default_history_size() -> u64 {
    100
}

impl Default for LbfgsConfig {
    fn default() -> Self {
        LbfgsConfig {
            max_iter: default_max_iter(),
            max_eval: None,
            tolerance_grad: default_tolerance_grad(),
            tolerance_change: default_tolerance_change(),
            history_size: default_history_size(),
            line_search_fn: LineSearch::None,
        }
    }
}

impl LbfgsConfig {
    /// torch: `max_eval = max_iter * 5 // 4` when not given.
    pub fn max_eval(&self) -> u64 {
        self.max_eval.unwrap_or(self.max_iter * 5 / 4)
    }
}

/// The history is allocated up front (`history_size` × parameters, twice); beyond this many
/// slots a config is refused rather than exhausting memory.
const MAX_HISTORY: u64 = 10_000;

impl KindConfig for LbfgsConfig {
    fn default_lr(&self) -> f64 {
        1.0
    }

    fn validate(&self) -> Result<()> {
        positive_int("optimizer.max_iter", self.max_iter)?;
        if let Some(max_eval) = self.max_eval {
            positive_int("optimizer.max_eval", max_eval)?;
        }
        int_in("optimizer.history_size", self.history_size, 1, MAX_HISTORY)?;
        positive("optimizer.tolerance_grad", self.tolerance_grad)?;
        positive("optimizer.tolerance_change", self.tolerance_change)?;
        Ok(())
    }

    fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        let n = layout.num_params();
        let h = self.history_size as usize;
        Box::new(Lbfgs {
            cfg: self.clone(),
            n,
            d: vec![0.0; n],
            prev_flat_grad: vec![0.0; n],
            old_dirs: vec![0.0; (h + 1) * n],
            old_stps: vec![0.0; (h + 1) * n],
            ro: vec![0.0; h + 1],
            al: vec![0.0; h],
            flat_grad: vec![0.0; n],
            x_init: vec![0.0; n],
            ls_bufs: [vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]],
            n_iter: 0,
            func_evals: 0,
            t: 0.0,
            h_diag: 1.0,
            prev_loss: 0.0,
            num_old: 0,
            start: 0,
            steps: 0,
        })
    }
}

pub struct Lbfgs {
    cfg: LbfgsConfig,
    n: usize,
    /// The last direction (torch's `state["d"]`).
    d: Vec<f32>,
    prev_flat_grad: Vec<f32>,
    /// Ring of `history_size` gradient differences y, each `n` long.
    old_dirs: Vec<f32>,
    /// Ring of `history_size` steps s = t·d.
    old_stps: Vec<f32>,
    /// 1 / (y·s) per slot, f32 as torch's.
    ro: Vec<f32>,
    /// Scratch of the two-loop recursion (torch's `state["al"]`, rewritten before each read).
    al: Vec<f32>,
    /// The gradient at the current point (scratch; rebuilt from the closure every step).
    flat_grad: Vec<f32>,
    /// The line search's starting point.
    x_init: Vec<f32>,
    /// The line search's gradients: the start, the bracket's two ends and the newest evaluation.
    ls_bufs: [Vec<f32>; 4],
    /// torch's `state["n_iter"]`: inner iterations over the whole run.
    n_iter: u64,
    func_evals: u64,
    t: f64,
    h_diag: f32,
    prev_loss: f64,
    num_old: usize,
    start: usize,
    /// `step(closure)` calls.
    steps: u64,
}

/// Σ a·b accumulated in f64 and rounded to f32, as torch's `dot` returns an f32.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| x as f64 * y as f64)
        .sum::<f64>() as f32
}

fn abs_max(a: &[f32]) -> f32 {
    a.iter().fold(0.0f32, |m, &x| {
        if x.is_nan() || m.is_nan() {
            f32::NAN
        } else {
            m.max(x.abs())
        }
    })
}

/// torch's `_cubic_interpolate`: the minimiser of the cubic through (x1, f1, g1), (x2, f2, g2),
/// clamped to `bounds` (default: between x1 and x2); their midpoint when it has none.
fn cubic_interpolate(
    x1: f64,
    f1: f64,
    g1: f64,
    x2: f64,
    f2: f64,
    g2: f64,
    bounds: Option<(f64, f64)>,
) -> f64 {
    let (xmin_bound, xmax_bound) = bounds.unwrap_or(if x1 <= x2 { (x1, x2) } else { (x2, x1) });
    let d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
    let d2_square = d1 * d1 - g1 * g2;
    if d2_square >= 0.0 {
        let d2 = d2_square.sqrt();
        let min_pos = if x1 <= x2 {
            x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
        } else {
            x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2))
        };
        // Python's min(max(min_pos, lo), hi): a NaN min_pos stays NaN only if compared first.
        let m = if min_pos > xmin_bound || min_pos.is_nan() {
            min_pos
        } else {
            xmin_bound
        };
        if xmax_bound < m { xmax_bound } else { m }
    } else {
        (xmin_bound + xmax_bound) / 2.0
    }
}

/// `params = x + t·d` (torch's `_add_grad` from `x`: `p.add_(d, alpha=t)` in f32).
fn add_step(params: &mut [f32], x: &[f32], t: f64, d: &[f32]) {
    let t = t as f32;
    for ((p, &x), &d) in params.iter_mut().zip(x).zip(d) {
        *p = x + t * d;
    }
}

impl Lbfgs {
    fn slot(&self, logical: usize) -> std::ops::Range<usize> {
        let slots = self.cfg.history_size as usize + 1;
        let s = (self.start + logical) % slots;
        s * self.n..(s + 1) * self.n
    }

    /// Appends the pair (y, s) = (flat_grad − prev_flat_grad, t·d) when y·s > 1e-10, dropping
    /// the oldest at `history_size`; then the direction `d` from the two-loop recursion.
    fn update_direction(&mut self) {
        let n = self.n;
        let h = self.cfg.history_size as usize;
        // The ring has one spare slot, so the new pair is computed in place after the newest
        // without touching the oldest, and kept only if the curvature condition holds.
        let write = (self.start + self.num_old) % (h + 1);
        let t = self.t as f32;
        {
            let (y, s) = (
                &mut self.old_dirs[write * n..(write + 1) * n],
                &mut self.old_stps[write * n..(write + 1) * n],
            );
            for i in 0..n {
                y[i] = self.flat_grad[i] - self.prev_flat_grad[i];
                s[i] = self.d[i] * t;
            }
        }
        let (y, s) = (
            &self.old_dirs[write * n..(write + 1) * n],
            &self.old_stps[write * n..(write + 1) * n],
        );
        let ys = dot(y, s);
        if ys > 1e-10 {
            let yy = dot(y, y);
            if self.num_old == h {
                self.start = (self.start + 1) % (h + 1);
            } else {
                self.num_old += 1;
            }
            self.ro[write] = 1.0 / ys;
            self.h_diag = ys / yy;
        }
        // q = −g; backwards: al_i = (s_i·q)·ro_i, q −= al_i·y_i.
        let d = &mut self.d;
        for (di, &g) in d.iter_mut().zip(&self.flat_grad) {
            *di = -g;
        }
        for i in (0..self.num_old).rev() {
            let r = self.slot(i);
            let slot = r.start / n;
            let al = dot(&self.old_stps[r.clone()], &self.d) * self.ro[slot];
            self.al[i] = al;
            let neg = -al;
            for (q, &y) in self.d.iter_mut().zip(&self.old_dirs[r]) {
                *q += neg * y;
            }
        }
        // r = q·H_diag; forwards: be_i = (y_i·r)·ro_i, r += (al_i − be_i)·s_i.
        let hd = self.h_diag;
        for q in self.d.iter_mut() {
            *q *= hd;
        }
        for i in 0..self.num_old {
            let r = self.slot(i);
            let slot = r.start / n;
            let be = dot(&self.old_dirs[r.clone()], &self.d) * self.ro[slot];
            let a = self.al[i] - be;
            for (q, &s) in self.d.iter_mut().zip(&self.old_stps[r]) {
                *q += a * s;
            }
        }
    }
}

/// torch's `_strong_wolfe` constants (not the group's `tolerance_change`: torch calls it with its
/// defaults).
const C1: f64 = 1e-4;
const C2: f64 = 0.9;
const LS_TOLERANCE_CHANGE: f64 = 1e-9;
const MAX_LS: usize = 25;

/// A line-search gradient buffer index into `Lbfgs::ls_bufs`; slot 0 holds the start's gradient.
type Buf = usize;

impl Lbfgs {
    /// torch's `_directional_evaluate`: the loss and gradient (into `ls_bufs[out]`) at
    /// `x_init + t·d`; `params` is left at that point (the caller sets it afterwards).
    fn directional_evaluate(
        &mut self,
        params: &mut [f32],
        t: f64,
        out: Buf,
        closure: &mut dyn FnMut(&[f32], &mut [f32]) -> f64,
    ) -> f64 {
        add_step(params, &self.x_init, t, &self.d);
        closure(params, &mut self.ls_bufs[out])
    }

    /// A buffer none of `used` refers to (there are four and at most three are live).
    fn free_buf(used: &[Buf]) -> Buf {
        (0..4)
            .find(|b| !used.contains(b))
            .expect("the line search keeps at most three gradients live")
    }

    /// torch's `_strong_wolfe` from `x_init` along `d` with initial step `t`, loss `f`, gradient
    /// `flat_grad` (copied to buffer 0) and slope `gtd`. Returns (loss, t, evaluations) and
    /// leaves the chosen point's gradient in `flat_grad`.
    fn strong_wolfe(
        &mut self,
        params: &mut [f32],
        mut t: f64,
        f: f64,
        gtd: f64,
        closure: &mut dyn FnMut(&[f32], &mut [f32]) -> f64,
    ) -> (f64, f64, u64) {
        let d_norm = abs_max(&self.d) as f64;
        self.ls_bufs[0].copy_from_slice(&self.flat_grad);
        let g: Buf = 0;
        let mut g_new: Buf = 1;
        let mut f_new = self.directional_evaluate(params, t, g_new, closure);
        let mut ls_func_evals = 1u64;
        let mut gtd_new = dot(&self.ls_bufs[g_new], &self.d) as f64;
        let (mut t_prev, mut f_prev, mut g_prev, mut gtd_prev) = (0.0f64, f, g, gtd);
        let mut done = false;
        let mut ls_iter = 0usize;
        // bracket, its losses, gradients (buffers) and slopes; one entry when `done` at once.
        let mut bracket = [0.0f64; 2];
        let mut bracket_f = [0.0f64; 2];
        let mut bracket_g: [Buf; 2] = [0, 0];
        let mut bracket_gtd = [0.0f64; 2];
        let mut single = false;
        while ls_iter < MAX_LS {
            // torch's three exits in its order: sufficient decrease fails (or no progress) →
            // bracket; strong Wolfe holds → done; the slope turned → bracket.
            if f_new > f + C1 * t * gtd || (ls_iter > 1 && f_new >= f_prev) {
                bracket = [t_prev, t];
                bracket_f = [f_prev, f_new];
                bracket_g = [g_prev, g_new];
                bracket_gtd = [gtd_prev, gtd_new];
                break;
            }
            if gtd_new.abs() <= -C2 * gtd {
                bracket[0] = t;
                bracket_f[0] = f_new;
                bracket_g[0] = g_new;
                single = true;
                done = true;
                break;
            }
            if gtd_new >= 0.0 {
                bracket = [t_prev, t];
                bracket_f = [f_prev, f_new];
                bracket_g = [g_prev, g_new];
                bracket_gtd = [gtd_prev, gtd_new];
                break;
            }
            // Interpolate within [t + 0.01·(t − t_prev), 10·t].
            let min_step = t + 0.01 * (t - t_prev);
            let max_step = t * 10.0;
            let tmp = t;
            t = cubic_interpolate(
                t_prev,
                f_prev,
                gtd_prev,
                t,
                f_new,
                gtd_new,
                Some((min_step, max_step)),
            );
            t_prev = tmp;
            f_prev = f_new;
            g_prev = g_new;
            gtd_prev = gtd_new;
            g_new = Self::free_buf(&[g, g_prev]);
            f_new = self.directional_evaluate(params, t, g_new, closure);
            ls_func_evals += 1;
            gtd_new = dot(&self.ls_bufs[g_new], &self.d) as f64;
            ls_iter += 1;
        }
        if ls_iter == MAX_LS {
            bracket = [0.0, t];
            bracket_f = [f, f_new];
            bracket_g = [g, g_new];
            single = false;
        }
        // Zoom.
        let mut insuf_progress = false;
        let (mut low_pos, mut high_pos) = if single || bracket_f[0] <= bracket_f[1] {
            (0, 1)
        } else {
            (1, 0)
        };
        while !done && ls_iter < MAX_LS {
            if (bracket[1] - bracket[0]).abs() * d_norm < LS_TOLERANCE_CHANGE {
                break;
            }
            t = cubic_interpolate(
                bracket[0],
                bracket_f[0],
                bracket_gtd[0],
                bracket[1],
                bracket_f[1],
                bracket_gtd[1],
                None,
            );
            let (bmax, bmin) = (bracket[0].max(bracket[1]), bracket[0].min(bracket[1]));
            let eps = 0.1 * (bmax - bmin);
            if (bmax - t).min(t - bmin) < eps {
                if insuf_progress || t >= bmax || t <= bmin {
                    t = if (t - bmax).abs() < (t - bmin).abs() {
                        bmax - eps
                    } else {
                        bmin + eps
                    };
                    insuf_progress = false;
                } else {
                    insuf_progress = true;
                }
            } else {
                insuf_progress = false;
            }
            g_new = Self::free_buf(&[g, bracket_g[0], bracket_g[1]]);
            f_new = self.directional_evaluate(params, t, g_new, closure);
            ls_func_evals += 1;
            gtd_new = dot(&self.ls_bufs[g_new], &self.d) as f64;
            ls_iter += 1;
            if f_new > f + C1 * t * gtd || f_new >= bracket_f[low_pos] {
                bracket[high_pos] = t;
                bracket_f[high_pos] = f_new;
                bracket_g[high_pos] = g_new;
                bracket_gtd[high_pos] = gtd_new;
                (low_pos, high_pos) = if bracket_f[0] <= bracket_f[1] {
                    (0, 1)
                } else {
                    (1, 0)
                };
            } else {
                if gtd_new.abs() <= -C2 * gtd {
                    done = true;
                } else if gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0.0 {
                    bracket[high_pos] = bracket[low_pos];
                    bracket_f[high_pos] = bracket_f[low_pos];
                    bracket_g[high_pos] = bracket_g[low_pos];
                    bracket_gtd[high_pos] = bracket_gtd[low_pos];
                }
                bracket[low_pos] = t;
                bracket_f[low_pos] = f_new;
                bracket_g[low_pos] = g_new;
                bracket_gtd[low_pos] = gtd_new;
            }
        }
        let (t, f_new, g_new) = (bracket[low_pos], bracket_f[low_pos], bracket_g[low_pos]);
        let [a, b, c, e] = &mut self.ls_bufs;
        let src: &[f32] = match g_new {
            0 => a,
            1 => b,
            2 => c,
            _ => e,
        };
        self.flat_grad.copy_from_slice(src);
        (f_new, t, ls_func_evals)
    }
}

impl Optimizer for Lbfgs {
    fn needs_closure(&self) -> bool {
        true
    }

    /// L-BFGS cannot step from one gradient: the trainer calls `step_with_closure`.
    fn step(&mut self, _params: &mut [f32], _grads: &[f32], _lr: f32) {
        panic!("lbfgs steps only through step_with_closure (it evaluates the loss itself)");
    }

    fn step_with_closure(
        &mut self,
        params: &mut [f32],
        lr: f32,
        closure: &mut dyn FnMut(&[f32], &mut [f32]) -> f64,
    ) -> f64 {
        assert_eq!(params.len(), self.n, "parameters differ in length");
        self.steps += 1;
        let lr = lr as f64;
        let c = self.cfg.clone();
        let max_eval = c.max_eval();
        let orig_loss = closure(params, &mut self.flat_grad);
        let mut loss = orig_loss;
        let mut current_evals = 1u64;
        self.func_evals += 1;
        if abs_max(&self.flat_grad) as f64 <= c.tolerance_grad {
            return orig_loss;
        }
        let mut n_iter = 0u64;
        while n_iter < c.max_iter {
            n_iter += 1;
            self.n_iter += 1;
            if self.n_iter == 1 {
                for (d, &g) in self.d.iter_mut().zip(&self.flat_grad) {
                    *d = -g;
                }
                self.num_old = 0;
                self.start = 0;
                self.h_diag = 1.0;
            } else {
                self.update_direction();
            }
            self.prev_flat_grad.copy_from_slice(&self.flat_grad);
            self.prev_loss = loss;
            // torch: t = min(1., 1./|g|₁)·lr on the run's first iteration (an f32 tensor when
            // 1/|g|₁ < 1), else lr.
            self.t = if self.n_iter == 1 {
                let sum = self.flat_grad.iter().map(|g| g.abs() as f64).sum::<f64>() as f32;
                let inv = 1.0f32 / sum;
                if 1.0 <= inv as f64 {
                    lr
                } else {
                    (inv * lr as f32) as f64
                }
            } else {
                lr
            };
            let gtd = dot(&self.flat_grad, &self.d) as f64;
            if gtd > -c.tolerance_change {
                break;
            }
            let mut ls_func_evals = 0;
            let opt_cond;
            match c.line_search_fn {
                LineSearch::StrongWolfe => {
                    self.x_init.copy_from_slice(params);
                    let (l, t, evals) = self.strong_wolfe(params, self.t, loss, gtd, closure);
                    loss = l;
                    self.t = t;
                    ls_func_evals = evals;
                    add_step(params, &self.x_init, self.t, &self.d);
                    opt_cond = abs_max(&self.flat_grad) as f64 <= c.tolerance_grad;
                }
                LineSearch::None => {
                    let t = self.t as f32;
                    for (p, &d) in params.iter_mut().zip(&self.d) {
                        *p += t * d;
                    }
                    if n_iter != c.max_iter {
                        loss = closure(params, &mut self.flat_grad);
                        opt_cond = abs_max(&self.flat_grad) as f64 <= c.tolerance_grad;
                        ls_func_evals = 1;
                    } else {
                        opt_cond = false;
                    }
                }
            }
            current_evals += ls_func_evals;
            self.func_evals += ls_func_evals;
            if n_iter == c.max_iter || current_evals >= max_eval || opt_cond {
                break;
            }
            let t = self.t as f32;
            let step_max = self.d.iter().fold(0.0f32, |m, &d| m.max((d * t).abs()));
            if step_max as f64 <= c.tolerance_change {
                break;
            }
            if (loss - self.prev_loss).abs() < c.tolerance_change {
                break;
            }
        }
        orig_loss
    }

    step_counter!();

    state_buffers!(d, prev_flat_grad, old_dirs, old_stps);

    fn scalar_state(&self) -> Vec<f64> {
        let mut s = vec![
            self.n_iter as f64,
            self.func_evals as f64,
            self.t,
            self.h_diag as f64,
            self.prev_loss,
            self.num_old as f64,
            self.start as f64,
        ];
        s.extend(self.ro.iter().map(|&r| r as f64));
        s
    }

    fn set_scalar_state(&mut self, s: &[f64]) {
        self.n_iter = s[0] as u64;
        self.func_evals = s[1] as u64;
        self.t = s[2];
        self.h_diag = s[3] as f32;
        self.prev_loss = s[4];
        self.num_old = s[5] as usize;
        self.start = s[6] as usize;
        for (r, &v) in self.ro.iter_mut().zip(&s[7..]) {
            *r = v as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::exit_code;
    use crate::optim::testing::parse;

    #[test]
    fn lbfgs_matches_pytorch() {
        crate::optim::golden::check("lbfgs");
    }

    #[test]
    fn the_defaults_are_pytorchs() {
        let mut c = parse("kind = \"lbfgs\"").unwrap();
        c.resolve().unwrap();
        assert_eq!(c.lr, Some(1.0));
        let crate::optim::OptimizerKind::Lbfgs(l) = &c.kind else {
            panic!("not lbfgs")
        };
        assert_eq!(l, &LbfgsConfig::default());
        assert_eq!(l.max_eval(), 25);
        assert_eq!((l.tolerance_grad, l.tolerance_change), (1e-7, 1e-9));
        assert_eq!(l.history_size, 100);
        assert_eq!(l.line_search_fn, LineSearch::None);
    }

    #[test]
    fn bad_keys_are_named() {
        for (body, key) in [
            ("max_iter = 0", "optimizer.max_iter"),
            ("max_eval = 0", "optimizer.max_eval"),
            ("history_size = 0", "optimizer.history_size"),
            ("tolerance_grad = -1.0", "optimizer.tolerance_grad"),
            ("tolerance_change = 0.0", "optimizer.tolerance_change"),
        ] {
            let mut c = parse(&format!("kind = \"lbfgs\"\n{body}")).unwrap();
            let e = c.resolve().unwrap_err();
            assert_eq!(exit_code(&e), 2);
            assert!(format!("{e:#}").starts_with(key), "{body}: {e:#}");
        }
        let e = parse("kind = \"lbfgs\"\nline_search_fn = \"backtracking\"").unwrap_err();
        assert!(e.to_string().contains("strong_wolfe"), "{e}");
    }

    #[test]
    fn the_cubic_minimiser_of_a_cubic_is_exact() {
        // f(x) = (x − 1)³ − 3(x − 1) + … has its local minimum at x = 2: f' = 3(x−1)² − 3.
        let f = |x: f64| (x - 1.0).powi(3) - 3.0 * (x - 1.0);
        let g = |x: f64| 3.0 * (x - 1.0).powi(2) - 3.0;
        let m = cubic_interpolate(1.5, f(1.5), g(1.5), 3.0, f(3.0), g(3.0), None);
        assert!((m - 2.0).abs() < 1e-12, "{m}");
        // No real minimiser (d1 = 0, d1² − g1·g2 < 0): the midpoint of the bounds.
        let mid = cubic_interpolate(0.0, 0.0, 1.0, 1.0, 2.0 / 3.0, 1.0, Some((0.0, 4.0)));
        assert_eq!(mid, 2.0);
    }

    #[test]
    fn a_resumed_optimizer_continues_bit_for_bit() {
        // f(p) = Σ (i+1)·(p_i − 1)⁴ / 4: not quadratic, so the history matters at every step.
        let mut f = |p: &[f32], g: &mut [f32]| {
            let mut l = 0.0f64;
            for (i, (&x, gi)) in p.iter().zip(g.iter_mut()).enumerate() {
                let w = (i + 1) as f32;
                let d = x - 1.0;
                *gi = w * d * d * d;
                l += (w * d * d * d * d / 4.0) as f64;
            }
            l
        };
        let body = "kind = \"lbfgs\"\nmax_iter = 3\nhistory_size = 2";
        let mut c = parse(body).unwrap();
        c.resolve().unwrap();
        let layout = Layout::flat(4);
        let (mut a, mut b) = (c.build(&layout), c.build(&layout));
        let mut pa = vec![0.0f32, 3.0, -1.0, 2.0];
        for _ in 0..3 {
            a.step_with_closure(&mut pa, 1.0, &mut f);
        }
        let mut pb = pa.clone();
        b.set_step_count(a.step_count());
        for (dst, src) in b.state_buffers_mut().into_iter().zip(a.state_buffers()) {
            dst.copy_from_slice(src);
        }
        b.set_scalar_state(&a.scalar_state());
        for _ in 0..4 {
            a.step_with_closure(&mut pa, 1.0, &mut f);
            b.step_with_closure(&mut pb, 1.0, &mut f);
        }
        assert_eq!(pa, pb);
        assert!(pa.iter().all(|&x| (x - 1.0).abs() < 0.2), "{pa:?}");
    }
}
