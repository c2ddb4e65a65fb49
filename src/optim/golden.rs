//! Reference trajectories (`golden/optimizers.json`, written by `scripts/golden_optimizers.py`
//! from torch.optim 2.x and the reference packages) and the check that replays them.
//!
//! Each case is an `[optimizer]` TOML body and the parameters after each of 20 steps over one
//! shared sequence of gradients at the case's constant rate.

use serde::Deserialize;

use super::testing::run_with;
use super::{Layout, ParamTensor};

/// Relative tolerance, ~80 f32 ulps. Most cases agree far closer; the slack covers PyTorch's
/// fused multiply-adds in vectorised kernels, reductions summed in another order (Adafactor's
/// norms, Prodigy's dot product) and what a step carries into the next.
const TOL: f64 = 1e-5;
/// Absolute floor for values that cross zero (|x| < 0.01 here).
const FLOOR: f64 = 1e-7;

/// Every value of every step within `TOL · |want| + FLOOR`, or with a case's own `tol`,
/// `tol · max |want| + FLOOR`.
#[track_caller]
fn assert_close(got: &[Vec<f32>], want: &[&[f64]], tol: Option<f64>) {
    assert_eq!(got.len(), want.len(), "number of steps");
    for (step, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.len(), w.len(), "step {}: length", step + 1);
        let largest = w.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        for (i, (&g, &w)) in g.iter().zip(w.iter()).enumerate() {
            let err = (g as f64 - w).abs();
            let bound = match tol {
                None => TOL * w.abs(),
                Some(tol) => tol * largest,
            };
            assert!(
                err <= bound + FLOOR,
                "step {} param {i}: got {g}, want {w} (relative error {:e})",
                step + 1,
                err / w.abs()
            );
        }
    }
}

#[derive(Deserialize)]
struct Golden {
    p0: Vec<f32>,
    grads: Vec<Vec<f32>>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    toml: String,
    /// Tensors `[offset, rows, cols, row_stride, col_stride, matrix (0|1)]` with their own
    /// parameters and gradients; absent: the shared flat vector.
    #[serde(default)]
    layout: Option<Vec<[usize; 6]>>,
    #[serde(default)]
    p0: Option<Vec<f32>>,
    #[serde(default)]
    grads: Option<Vec<Vec<f32>>>,
    want: Vec<Vec<f64>>,
    /// A looser tolerance for this case, relative to the step's largest |value| rather than to
    /// each value (PyTorch's Muon runs Newton–Schulz in bfloat16: 1e-2 of the vector).
    #[serde(default)]
    tol: Option<f64>,
    /// Schedule-free: the evaluation point x after each step (the reference's `eval()`).
    #[serde(default)]
    want_eval: Option<Vec<Vec<f64>>>,
    /// Closure optimizers (L-BFGS): the function each `step(closure)` evaluates, instead of
    /// the gradient sequence; `want` holds the parameters after each step.
    #[serde(default)]
    problem: Option<Problem>,
}

/// The script's `f(p) = mean_i softplus(−b_i·(A p)_i) + l2·Σ p²` on rows `a` (each as long as
/// the parameters) with labels `b` (±1).
#[derive(Deserialize)]
struct Problem {
    a: Vec<Vec<f32>>,
    b: Vec<f32>,
    l2: f64,
}

impl Problem {
    /// The loss at `p` and its gradient into `g`, in f64 and rounded to f32 (torch's autograd
    /// is f32 throughout: the two agree to f32 rounding).
    fn loss_and_grad(&self, p: &[f32], g: &mut [f32]) -> f64 {
        let m = self.a.len() as f64;
        let mut grad = vec![0.0f64; p.len()];
        let mut loss = 0.0;
        for (row, &b) in self.a.iter().zip(&self.b) {
            let z: f64 = row.iter().zip(p).map(|(&a, &p)| a as f64 * p as f64).sum();
            let u = -(b as f64) * z;
            // softplus(u) = ln(1 + e^u), stably; its derivative is the logistic σ(u).
            loss += u.max(0.0) + (-u.abs()).exp().ln_1p();
            let sigma = 1.0 / (1.0 + (-u).exp());
            for (gi, &a) in grad.iter_mut().zip(row) {
                *gi += sigma * -(b as f64) * a as f64 / m;
            }
        }
        loss /= m;
        for (i, &pi) in p.iter().enumerate() {
            loss += self.l2 * pi as f64 * pi as f64;
            g[i] = (grad[i] + 2.0 * self.l2 * pi as f64) as f32;
        }
        loss
    }

    /// The parameters after each of `steps` `step(closure)` calls from `p0`.
    fn run(&self, toml_body: &str, p0: &[f32], steps: usize) -> Vec<Vec<f32>> {
        let mut cfg = super::testing::parse(toml_body).unwrap();
        cfg.resolve().unwrap();
        let mut opt = cfg.build(&Layout::flat(p0.len()));
        assert!(opt.needs_closure());
        let lr = cfg.lr0() as f32;
        let mut p = p0.to_vec();
        let mut out = Vec::new();
        for _ in 0..steps {
            opt.step_with_closure(&mut p, lr, &mut |x, g| self.loss_and_grad(x, g));
            out.push(p.clone());
        }
        out
    }
}

/// Replays every case named `kind` or `kind/…` and asserts each step within [`TOL`].
#[track_caller]
pub fn check(kind: &str) {
    let golden: Golden =
        serde_json::from_str(include_str!("golden/optimizers.json")).expect("golden file parses");
    let mut checked = 0;
    for case in golden
        .cases
        .iter()
        .filter(|c| c.name == kind || c.name.starts_with(&format!("{kind}/")))
    {
        let p0 = case.p0.as_ref().unwrap_or(&golden.p0);
        let grads: Vec<&[f32]> = case
            .grads
            .as_ref()
            .unwrap_or(&golden.grads)
            .iter()
            .map(Vec::as_slice)
            .collect();
        let layout = match &case.layout {
            Some(ts) => Layout::new(
                ts.iter()
                    .map(
                        |&[offset, rows, cols, row_stride, col_stride, matrix]| ParamTensor {
                            offset,
                            rows,
                            cols,
                            row_stride,
                            col_stride,
                            matrix: matrix == 1,
                        },
                    )
                    .collect(),
            ),
            None => Layout::flat(p0.len()),
        };
        let (got, got_eval) = match &case.problem {
            Some(problem) => (problem.run(&case.toml, p0, case.want.len()), vec![]),
            None => run_with(&case.toml, &layout, p0, &grads),
        };
        let want: Vec<&[f64]> = case.want.iter().map(Vec::as_slice).collect();
        let result = std::panic::catch_unwind(|| {
            assert_close(&got, &want, case.tol);
            if let Some(want_eval) = &case.want_eval {
                let want: Vec<&[f64]> = want_eval.iter().map(Vec::as_slice).collect();
                assert_close(&got_eval, &want, case.tol);
            }
        });
        if let Err(e) = result {
            panic!("case {}: {:?}", case.name, e.downcast_ref::<String>());
        }
        checked += 1;
    }
    assert!(checked > 0, "no golden case for {kind}");
}
