//! The network against a naive f64 reference kept here, against central finite differences of
//! that reference, and the config's rules.

use super::*;

/// A plain triple-loop network in f64 over the same flat layout: the specification of what the
/// fast path computes.
struct Reference {
    inputs: usize,
    widths: Vec<usize>,
    act: Activation,
    head: Head,
}

impl Reference {
    fn of(net: &Network) -> Self {
        Reference {
            inputs: net.inputs,
            widths: net.widths.clone(),
            act: net.activation,
            head: net.head,
        }
    }

    fn act(&self, z: f64) -> f64 {
        match self.act {
            Activation::Relu => z.max(0.0),
            Activation::Tanh => z.tanh(),
            Activation::Sigmoid => 1.0 / (1.0 + (-z).exp()),
        }
    }

    /// d act / dz, from a = act(z).
    fn act_slope(&self, a: f64) -> f64 {
        match self.act {
            Activation::Relu => f64::from(u8::from(a > 0.0)),
            Activation::Tanh => 1.0 - a * a,
            Activation::Sigmoid => a * (1.0 - a),
        }
    }

    /// Each layer's outputs, starting with the input itself.
    fn forward(&self, p: &[f64], x: &[f32], n: usize) -> Vec<Vec<f64>> {
        let mut acts = vec![x.iter().map(|&v| f64::from(v)).collect::<Vec<_>>()];
        let (mut fan_in, mut off) = (self.inputs, 0);
        for (l, &w) in self.widths.iter().enumerate() {
            let prev = &acts[l];
            let mut out = vec![0.0; n * w];
            for r in 0..n {
                for j in 0..w {
                    let mut s = p[off + fan_in * w + j];
                    for i in 0..fan_in {
                        s += prev[r * fan_in + i] * p[off + i * w + j];
                    }
                    out[r * w + j] = if l + 1 < self.widths.len() {
                        self.act(s)
                    } else {
                        s
                    };
                }
            }
            acts.push(out);
            off += fan_in * w + w;
            fan_in = w;
        }
        acts
    }

    /// Mean loss and dLoss/dlogits.
    fn head(&self, z: &[f64], t: Targets<'_>, n: usize) -> (f64, Vec<f64>) {
        let c = *self.widths.last().unwrap();
        let mut g = vec![0.0; n * c];
        let mut loss = 0.0;
        match (self.head, t) {
            (Head::SoftmaxCrossEntropy, Targets::Classes(y)) => {
                for r in 0..n {
                    let row = &z[r * c..(r + 1) * c];
                    let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                    let s: f64 = row.iter().map(|v| (v - m).exp()).sum();
                    loss += m + s.ln() - row[y[r] as usize];
                    for j in 0..c {
                        let onehot = f64::from(u8::from(j == y[r] as usize));
                        g[r * c + j] = ((row[j] - m).exp() / s - onehot) / n as f64;
                    }
                }
            }
            (Head::Mse | Head::HalfMse, Targets::Values(y)) => {
                let half = self.head == Head::HalfMse;
                for r in 0..n {
                    let d = z[r] - f64::from(y[r]);
                    loss += if half { 0.5 * d * d } else { d * d };
                    g[r] = if half { d } else { 2.0 * d } / n as f64;
                }
            }
            _ => unreachable!(),
        }
        (loss / n as f64, g)
    }

    fn loss(&self, p: &[f64], x: &[f32], t: Targets<'_>, n: usize) -> f64 {
        let acts = self.forward(p, x, n);
        self.head(acts.last().unwrap(), t, n).0
    }

    fn loss_and_grad(&self, p: &[f64], x: &[f32], t: Targets<'_>, n: usize) -> (f64, Vec<f64>) {
        let acts = self.forward(p, x, n);
        let (loss, mut delta) = self.head(acts.last().unwrap(), t, n);
        let mut grads = vec![0.0; p.len()];
        let mut offsets = vec![];
        let (mut fan_in, mut off) = (self.inputs, 0);
        for &w in &self.widths {
            offsets.push((off, fan_in));
            off += fan_in * w + w;
            fan_in = w;
        }
        for l in (0..self.widths.len()).rev() {
            let (off, fan_in) = offsets[l];
            let w = self.widths[l];
            let input = &acts[l];
            for r in 0..n {
                for j in 0..w {
                    let d = delta[r * w + j];
                    grads[off + fan_in * w + j] += d;
                    for i in 0..fan_in {
                        grads[off + i * w + j] += input[r * fan_in + i] * d;
                    }
                }
            }
            let mut prev = vec![0.0; n * fan_in];
            for r in 0..n {
                for i in 0..fan_in {
                    let mut s = 0.0;
                    for j in 0..w {
                        s += delta[r * w + j] * p[off + i * w + j];
                    }
                    prev[r * fan_in + i] = s * self.act_slope(input[r * fan_in + i]);
                }
            }
            delta = prev;
        }
        (loss, grads)
    }
}

/// Deterministic pseudo-random values in [−1, 1).
fn values(len: usize, seed: u64) -> Vec<f32> {
    (0..len as u64)
        .map(|i| {
            (crate::config::seed::splitmix64(seed ^ i.wrapping_mul(0x9e37)) >> 40) as f32
                / (1u64 << 23) as f32
                - 1.0
        })
        .collect()
}

fn classes(n: usize, c: usize, seed: u64) -> Vec<u32> {
    (0..n as u64)
        .map(|i| (crate::config::seed::splitmix64(seed + i) % c as u64) as u32)
        .collect()
}

fn mlp(hidden: &[usize], activation: Activation, init: Init) -> ModelConfig {
    ModelConfig::Mlp(MlpConfig {
        hidden: hidden.to_vec(),
        activation,
        init,
    })
}

fn linear(loss: LinearLoss) -> ModelConfig {
    ModelConfig::Linear(LinearConfig {
        loss,
        init: Init::Default,
    })
}

fn to_f64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

/// Central differences of the f64 reference loss against the fast f32 gradient. h = 1e-6 leaves
/// a truncation error of order h² and a rounding error of order 1e-16/h, both far below the f32
/// gradient's own rounding (≈ 1e-7 relative per term); 1e-4 relative + 1e-6 absolute is the
/// f32 budget. ReLU's kink is at most once crossed by chance: no pre-activation of this data
/// lies within 1e-6 of 0.
fn check_against_finite_differences(cfg: &ModelConfig, inputs: usize, outputs: usize, n: usize) {
    check_task_against_finite_differences(cfg, cfg.task(), inputs, outputs, n)
}

fn check_task_against_finite_differences(
    cfg: &ModelConfig,
    task: TaskKind,
    inputs: usize,
    outputs: usize,
    n: usize,
) {
    let mut net = Network::for_task(cfg, task, inputs, outputs, n, 1, 17).unwrap();
    let x = values(n * inputs, 3);
    let (labels, targets) = (classes(n, outputs, 5), values(n, 8));
    let t = match task {
        TaskKind::Classification => Targets::Classes(&labels),
        TaskKind::Regression => Targets::Values(&targets),
    };
    let mut grads = vec![f32::NAN; net.num_params()];
    let fast = net.loss_and_grad(&x, t, &mut grads);
    let reference = Reference::of(&net);
    let mut p = to_f64(net.params());
    assert!((fast.loss - reference.loss(&p, &x, t, n)).abs() < 1e-5);
    let h = 1e-6;
    for i in 0..p.len() {
        let keep = p[i];
        p[i] = keep + h;
        let up = reference.loss(&p, &x, t, n);
        p[i] = keep - h;
        let down = reference.loss(&p, &x, t, n);
        p[i] = keep;
        let fd = (up - down) / (2.0 * h);
        let g = f64::from(grads[i]);
        assert!(
            (g - fd).abs() <= 1e-4 * fd.abs() + 1e-6,
            "{cfg:?}: parameter {i}: analytic {g}, numeric {fd}"
        );
    }
}

#[test]
fn gradients_of_every_activation_match_finite_differences_through_two_hidden_layers() {
    for act in [Activation::Relu, Activation::Tanh, Activation::Sigmoid] {
        check_against_finite_differences(&mlp(&[6, 5], act, Init::Default), 4, 3, 7);
    }
}

#[test]
fn gradients_of_softmax_regression_match_finite_differences() {
    check_against_finite_differences(&mlp(&[], Activation::Relu, Init::Default), 5, 4, 9);
}

#[test]
fn gradients_of_both_linear_losses_match_finite_differences() {
    check_against_finite_differences(&linear(LinearLoss::Mse), 3, 1, 5);
    check_against_finite_differences(&linear(LinearLoss::HalfMse), 3, 1, 5);
}

/// Fast vs reference: every value within 1e-5 of the reference, relative to the larger of itself
/// and the largest gradient of the batch (a sum's rounding scales with its terms, not with a
/// result that happens to cancel to near 0).
fn assert_close(fast: &[f32], reference: &[f64], what: &str) {
    let scale = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (i, (&f, &r)) in fast.iter().zip(reference).enumerate() {
        let tol = 1e-5 * r.abs().max(scale);
        assert!(
            (f64::from(f) - r).abs() <= tol,
            "{what}: gradient {i}: fast {f}, reference {r}"
        );
    }
}

#[test]
fn the_fast_path_equals_the_reference_on_odd_and_partial_batches_with_one_and_two_threads() {
    // The second network is big enough (101·300·96 > PARALLEL_MIN_WORK) that its first-layer
    // products run on two threads.
    let cases = [
        (
            mlp(&[19, 23], Activation::Tanh, Init::Default),
            37,
            5,
            16,
            [16, 9, 13],
        ),
        (
            mlp(&[96, 33], Activation::Relu, Init::He),
            300,
            10,
            101,
            [101, 37, 77],
        ),
        (
            mlp(&[64], Activation::Sigmoid, Init::Glorot),
            300,
            10,
            100,
            [100, 1, 99],
        ),
        // A second layer with 300 outputs: its input gradient uses the copied-out Wᵀ
        // (transpose::TRANSPOSED_COPY_MIN_OUTPUTS).
        (
            mlp(&[40, 300], Activation::Relu, Init::He),
            30,
            10,
            20,
            [20, 7, 13],
        ),
    ];
    for (cfg, inputs, outputs, max_batch, batches) in cases {
        for threads in [1, 2] {
            let mut net = Network::new(&cfg, inputs, outputs, max_batch, threads, 7).unwrap();
            let reference = Reference::of(&net);
            let p = to_f64(net.params());
            let mut grads = vec![f32::NAN; net.num_params()];
            for (b, n) in batches.into_iter().enumerate() {
                let x = values(n * inputs, 100 + b as u64);
                let y = classes(n, outputs, 200 + b as u64);
                let t = Targets::Classes(&y);
                let fast = net.loss_and_grad(&x, t, &mut grads);
                let (loss, want) = reference.loss_and_grad(&p, &x, t, n);
                let what = format!("{cfg:?}, {threads} threads, batch {b} of {n} rows");
                assert!(
                    (fast.loss - loss).abs() <= 1e-5 * loss.abs(),
                    "{what}: loss {} vs {loss}",
                    fast.loss
                );
                assert_close(&grads, &want, &what);
                let eval = net.evaluate(&x, t);
                assert_eq!(eval, fast, "{what}: evaluate agrees with loss_and_grad");
            }
        }
    }
}

#[test]
fn a_pass_is_identical_from_run_to_run_for_a_given_thread_count() {
    let cfg = mlp(&[128], Activation::Relu, Init::Default);
    let (inputs, n) = (784, 128);
    let x = values(n * inputs, 1);
    let y = classes(n, 10, 2);
    for threads in [1, 2] {
        let run = || {
            let mut net = Network::new(&cfg, inputs, 10, n, threads, 3).unwrap();
            let mut grads = vec![0.0; net.num_params()];
            let r = net.loss_and_grad(&x, Targets::Classes(&y), &mut grads);
            (
                r.loss.to_bits(),
                grads.iter().map(|g| g.to_bits()).collect::<Vec<_>>(),
            )
        };
        let first = run();
        for _ in 0..3 {
            assert!(run() == first, "{threads} threads: two runs differ");
        }
    }
}

#[test]
fn a_linear_model_has_the_hand_computed_gradients() {
    // x = [[1, 2], [3, −1]], y = [1, 0], w = [0.5, −1], b = 0.25
    // predictions: 0.5 − 2 + 0.25 = −1.25 and 1.5 + 1 + 0.25 = 2.75; residuals r = [−2.25, 2.75]
    // mse = (5.0625 + 7.5625)/2 = 6.3125; dL/dp = 2r/2 = r
    //   dw = xᵀr = [−2.25 + 8.25, −4.5 − 2.75] = [6, −7.25], db = Σr = 0.5
    // half_mse = 6.3125/2 = 3.15625, every gradient halved
    let x = [1.0, 2.0, 3.0, -1.0];
    let y = [1.0, 0.0];
    for (loss, value, scale) in [
        (LinearLoss::Mse, 6.3125, 1.0),
        (LinearLoss::HalfMse, 3.15625, 0.5),
    ] {
        let mut net = Network::new(&linear(loss), 2, 1, 2, 1, 0).unwrap();
        net.params_mut().copy_from_slice(&[0.5, -1.0, 0.25]);
        let mut grads = [0.0; 3];
        let r = net.loss_and_grad(&x, Targets::Values(&y), &mut grads);
        assert_eq!(
            r,
            BatchResult {
                loss: value,
                correct: 0
            }
        );
        assert_eq!(grads, [6.0 * scale, -7.25 * scale, 0.5 * scale]);
        assert_eq!(net.linear_coefficients(), Some((vec![0.5, -1.0], 0.25)));
    }
}

#[test]
fn a_linear_model_starts_at_zero_and_an_mlp_has_no_linear_coefficients() {
    let net = Network::new(&ModelConfig::Linear(LinearConfig::default()), 3, 1, 4, 1, 1).unwrap();
    assert_eq!(net.linear_coefficients(), Some((vec![0.0; 3], 0.0)));
    let net = Network::new(&ModelConfig::default(), 3, 2, 4, 1, 1).unwrap();
    assert_eq!(net.linear_coefficients(), None);
}

#[test]
fn the_default_network_is_784_128_10_with_pytorch_parameter_count() {
    let net = Network::new(&ModelConfig::default(), 784, 10, 128, 1, 42).unwrap();
    assert_eq!(net.num_params(), 784 * 128 + 128 + 128 * 10 + 10);
    // forward, dW for both layers, dx for the second: ≈ 24.5 GFLOP per 60,000 rows
    assert_eq!(net.train_flops(1), 2 * (2 * 784 * 128 + 3 * 128 * 10));
    let again = Network::new(&ModelConfig::default(), 784, 10, 128, 2, 42).unwrap();
    assert_eq!(
        net.params(),
        again.params(),
        "the seed alone decides the parameters"
    );
    let other = Network::new(&ModelConfig::default(), 784, 10, 128, 1, 43).unwrap();
    assert_ne!(net.params(), other.params());
}

#[test]
fn the_resolved_config_prints_every_default() {
    let text = toml::to_string(&ModelConfig::default()).unwrap();
    let back: ModelConfig = toml::from_str(&text).unwrap();
    assert_eq!(back, ModelConfig::default());
    for key in [
        "kind = \"mlp\"",
        "hidden = [128]",
        "activation = \"relu\"",
        "init = \"default\"",
    ] {
        assert!(text.contains(key), "{key} missing from\n{text}");
    }
    let linear: ModelConfig = toml::from_str("kind = \"linear\"").unwrap();
    let text = toml::to_string(&linear).unwrap();
    for key in ["kind = \"linear\"", "loss = \"mse\"", "init = \"zeros\""] {
        assert!(text.contains(key), "{key} missing from\n{text}");
    }
    let mlp: ModelConfig =
        toml::from_str("kind = \"mlp\"\nhidden = []\nactivation = \"tanh\"").unwrap();
    assert_eq!(
        mlp,
        ModelConfig::Mlp(MlpConfig {
            hidden: vec![],
            activation: Activation::Tanh,
            init: Init::Default
        })
    );
}

#[test]
fn unknown_keys_are_refused_by_name_in_either_kind() {
    let err = toml::from_str::<ModelConfig>("kind = \"mlp\"\nhiden = [3]").unwrap_err();
    assert!(err.to_string().contains("hiden"), "{err}");
    let err = toml::from_str::<ModelConfig>("kind = \"linear\"\nhidden = [3]").unwrap_err();
    assert!(err.to_string().contains("hidden"), "{err}");
    let err = toml::from_str::<ModelConfig>("kind = \"linear\"\nloss = \"mae\"").unwrap_err();
    assert!(err.to_string().contains("mae"), "{err}");
}

#[test]
fn a_zero_width_is_refused_naming_its_index() {
    let err = mlp(&[64, 0], Activation::Relu, Init::Default)
        .validate()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "model.hidden[1]: expected a width ≥ 1, found 0"
    );
    assert!(err.downcast_ref::<UsageError>().is_some(), "exit code 2");
    assert!(Network::new(&mlp(&[0], Activation::Relu, Init::Default), 3, 2, 4, 1, 0).is_err());
}

#[test]
fn absurd_sizes_are_refused_before_anything_is_allocated() {
    let err = mlp(&[100_000, 100_000], Activation::Relu, Init::Default)
        .validate()
        .unwrap_err();
    assert!(err.to_string().starts_with("model.hidden[1]:"), "{err}");
    let err = Network::new(
        &mlp(&[usize::MAX / 2], Activation::Relu, Init::Default),
        784,
        10,
        1,
        1,
        0,
    );
    assert!(err.is_err());
    let err = Network::new(
        &mlp(&[50_000], Activation::Relu, Init::Default),
        60_000,
        10,
        1,
        1,
        0,
    )
    .err()
    .unwrap();
    assert!(err.to_string().starts_with("model.hidden:"), "{err}");
    let err = Network::new(&ModelConfig::default(), 784, 10, usize::MAX / 4, 1, 0)
        .err()
        .unwrap();
    assert!(err.to_string().starts_with("train.batch_size:"), "{err}");
    let err = Network::new(&ModelConfig::Linear(LinearConfig::default()), 3, 4, 8, 1, 0)
        .err()
        .unwrap();
    assert!(err.to_string().starts_with("model.kind:"), "{err}");
}

#[test]
fn softmax_cross_entropy_of_huge_logits_stays_finite_through_the_network() {
    let mut net = Network::new(&mlp(&[], Activation::Relu, Init::Zeros), 1, 2, 2, 1, 0).unwrap();
    // W = [1e4, −1e4], b = 0: x = 1 gives logits [1e4, −1e4]
    net.params_mut().copy_from_slice(&[1e4, -1e4, 0.0, 0.0]);
    let mut grads = [0.0; 4];
    let r = net.loss_and_grad(&[1.0, 1.0], Targets::Classes(&[0, 1]), &mut grads);
    // row 1: loss 0; row 2: loss 2e4; mean 1e4
    assert_eq!(
        r,
        BatchResult {
            loss: 1e4,
            correct: 1
        }
    );
    assert!(grads.iter().all(|g| g.is_finite()));
}

#[test]
fn a_regression_mlp_has_a_linear_output_and_the_mse_head() {
    // 1 input → 1 ReLU unit → 1 linear output: w1 = 2, b1 = −1, w2 = −3, b2 = 0.5.
    // x = 1: h = relu(1) = 1, p = −2.5; x = 0: h = relu(−1) = 0, p = 0.5 (a negative output, so
    // no activation follows the last layer). y = [0, 1]: mse = (6.25 + 0.25)/2 = 3.25.
    let cfg = mlp(&[1], Activation::Relu, Init::Default);
    let mut net = Network::for_task(&cfg, TaskKind::Regression, 1, 1, 2, 1, 0).unwrap();
    net.params_mut().copy_from_slice(&[2.0, -1.0, -3.0, 0.5]);
    assert_eq!(net.outputs(&[1.0, 0.0]), [-2.5, 0.5]);
    let r = net.evaluate(&[1.0, 0.0], Targets::Values(&[0.0, 1.0]));
    assert_eq!(r.loss, 3.25);
    check_task_against_finite_differences(&cfg, TaskKind::Regression, 3, 1, 4);
    assert!(Network::for_task(&cfg, TaskKind::Regression, 1, 2, 2, 1, 0).is_err());
    let e = Network::for_task(
        &linear(LinearLoss::Mse),
        TaskKind::Classification,
        1,
        2,
        2,
        1,
        0,
    )
    .err()
    .unwrap();
    assert!(
        e.to_string().contains("linear model is always regression"),
        "{e}"
    );
}
