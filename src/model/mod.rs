//! The network: dense layers over one flat parameter buffer, a loss head, preallocated workspace.
//!
//! - `kind = "mlp"`: `hidden` layers with `activation`, then a softmax cross-entropy head
//!   (classification; `hidden = []` is softmax regression), or, when the data's task is
//!   regression (a CSV target of real values), a linear output with `nn.MSELoss`.
//! - `kind = "linear"`: one dense layer to a single output with an `mse` or `half_mse` head
//!   (regression).
//!
//! Parameters live in one `Vec<f32>`, layer after layer, each `W (inputs, outputs)` row-major then
//! `b (outputs)` (see `dense`); gradients go to a caller-owned slice of the same layout, which
//! optimizers walk as one flat loop. Each pass slices the workspace to the batch's rows and
//! allocates nothing itself (no `Vec`, `collect` or `format!` on the pass's path; messages are
//! formatted only when an assert fails). The `gemm` crate does allocate small packing buffers
//! inside its calls: `examples/network_bench.rs` counts 8 allocations per `loss_and_grad` of the
//! 784-128-10 network on one thread and 10 on two (AVX-512 kernels; 9 and 12 with AVX2), all
//! inside gemm (≈ 1 µs of a 0.1–3 ms pass).

mod activation;
mod dense;
mod init;
mod loss;
pub mod matmul;
mod predict;
pub mod team;
pub mod transpose;
mod workspace;

use anyhow::Result;
use serde::{Deserialize, Serialize};

pub use activation::Activation;
pub use init::Init;

use crate::error::UsageError;
use crate::optim::{Layout, ParamTensor};
use dense::Dense;
use loss::Head;
use matmul::Parallel;
use workspace::Workspace;

/// Parameters, and activations of one pass, beyond which a config is refused as absurd before
/// anything is allocated (2^31 f32 = 8 GiB).
pub const MAX_ELEMENTS: usize = 1 << 31;

/// `[model]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModelConfig {
    Mlp(MlpConfig),
    Linear(LinearConfig),
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig::Mlp(MlpConfig::default())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpConfig {
    /// Hidden layer widths; `[]` = softmax regression.
    #[serde(default = "default_hidden")]
    pub hidden: Vec<usize>,
    #[serde(default)]
    pub activation: Activation,
    #[serde(default = "default_mlp_init")]
    pub init: Init,
}

fn default_hidden() -> Vec<usize> {
    vec![128]
}
fn default_mlp_init() -> Init {
    Init::Default
}

impl Default for MlpConfig {
    fn default() -> Self {
        MlpConfig {
            hidden: default_hidden(),
            activation: Activation::default(),
            init: default_mlp_init(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearConfig {
    #[serde(default)]
    pub loss: LinearLoss,
    #[serde(default = "default_linear_init")]
    pub init: Init,
}

fn default_linear_init() -> Init {
    Init::Zeros
}

impl Default for LinearConfig {
    fn default() -> Self {
        LinearConfig {
            loss: LinearLoss::default(),
            init: default_linear_init(),
        }
    }
}

/// `model.loss` of a linear model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinearLoss {
    /// (1/n) Σ (p − y)², PyTorch's `nn.MSELoss`.
    #[default]
    Mse,
    /// (1/2n) Σ (p − y)².
    HalfMse,
}

/// What the model predicts, which decides how data labels are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Classification,
    Regression,
}

/// One batch's targets.
#[derive(Debug, Clone, Copy)]
pub enum Targets<'a> {
    /// Class index per row.
    Classes(&'a [u32]),
    /// One value per row (regression).
    Values(&'a [f32]),
}

impl Targets<'_> {
    fn len(&self) -> usize {
        match self {
            Targets::Classes(y) => y.len(),
            Targets::Values(y) => y.len(),
        }
    }
}

/// Loss (mean over the batch) and number of correct predictions (classification only).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BatchResult {
    pub loss: f64,
    pub correct: usize,
}

fn usage(msg: String) -> anyhow::Error {
    anyhow::Error::new(UsageError(msg))
}

impl ModelConfig {
    pub fn task(&self) -> TaskKind {
        match self {
            ModelConfig::Mlp(_) => TaskKind::Classification,
            ModelConfig::Linear(_) => TaskKind::Regression,
        }
    }

    /// Checks what can be checked without the data: widths ≥ 1, and no pair of adjacent hidden
    /// layers needing more than [`MAX_ELEMENTS`] weights.
    pub fn validate(&self) -> Result<()> {
        let ModelConfig::Mlp(cfg) = self else {
            return Ok(());
        };
        for (i, &w) in cfg.hidden.iter().enumerate() {
            if w == 0 {
                return Err(usage(format!(
                    "model.hidden[{i}]: expected a width ≥ 1, found 0"
                )));
            }
            if w > MAX_ELEMENTS {
                return Err(usage(format!(
                    "model.hidden[{i}]: expected a width of at most {MAX_ELEMENTS}, found {w}"
                )));
            }
        }
        for (i, pair) in cfg.hidden.windows(2).enumerate() {
            if pair[0]
                .checked_mul(pair[1])
                .is_none_or(|p| p > MAX_ELEMENTS)
            {
                return Err(usage(format!(
                    "model.hidden[{}]: {} × {} weights between two layers; expected at most {MAX_ELEMENTS} \
                     parameters in all",
                    i + 1,
                    pair[0],
                    pair[1]
                )));
            }
        }
        Ok(())
    }

    /// Output width of each layer, the last being `outputs`.
    pub fn widths(&self, outputs: usize) -> Vec<usize> {
        match self {
            ModelConfig::Mlp(cfg) => cfg.hidden.iter().copied().chain([outputs]).collect(),
            ModelConfig::Linear(_) => vec![outputs],
        }
    }
}

/// One dense layer's parameters, borrowed from the flat buffer.
pub struct LayerView<'a> {
    pub inputs: usize,
    pub outputs: usize,
    /// `(inputs, outputs)` row-major: the transpose of PyTorch's `Linear.weight`.
    pub weights: &'a [f32],
    /// `(outputs)`.
    pub bias: &'a [f32],
}

pub struct Network {
    params: Vec<f32>,
    layers: Vec<Dense>,
    /// Output width of each layer.
    widths: Vec<usize>,
    /// Applied after every layer but the last.
    activation: Activation,
    head: Head,
    work: Workspace,
    /// `Wᵀ` of the layer being differentiated, for wide layers (see `transpose.rs`); empty when
    /// no layer is that wide.
    transposed: Vec<f32>,
    par: Parallel,
    inputs: usize,
    max_batch: usize,
    linear: bool,
}

impl Network {
    /// `max_batch`: the largest batch `loss_and_grad` will see; `threads` ≥ 1. The task is the
    /// model's own ([`ModelConfig::task`]); see [`Network::for_task`].
    pub fn new(
        cfg: &ModelConfig,
        inputs: usize,
        outputs: usize,
        max_batch: usize,
        threads: usize,
        seed: u64,
    ) -> Result<Network> {
        Network::for_task(cfg, cfg.task(), inputs, outputs, max_batch, threads, seed)
    }

    /// As [`Network::new`] for the data's task: an MLP on a regression task gets a linear
    /// output layer and the MSE head (`nn.MSELoss`), as a PyTorch user would build it. A linear
    /// model cannot classify (a usage error).
    pub fn for_task(
        cfg: &ModelConfig,
        task: TaskKind,
        inputs: usize,
        outputs: usize,
        max_batch: usize,
        threads: usize,
        seed: u64,
    ) -> Result<Network> {
        cfg.validate()?;
        if inputs == 0 {
            return Err(usage(
                "model: the data has no input features; expected at least one".into(),
            ));
        }
        if outputs == 0 {
            return Err(usage(
                "model: the data has no classes or targets; expected at least one".into(),
            ));
        }
        if max_batch == 0 {
            return Err(usage(
                "train.batch_size: expected at least one row, found 0".into(),
            ));
        }
        let (activation, head, init) = match cfg {
            ModelConfig::Mlp(c) if task == TaskKind::Classification => {
                (c.activation, Head::SoftmaxCrossEntropy, c.init)
            }
            ModelConfig::Mlp(c) => {
                if outputs != 1 {
                    return Err(usage(format!(
                        "model: a regression MLP predicts 1 value per row, but the data has {outputs} targets"
                    )));
                }
                (c.activation, Head::Mse, c.init)
            }
            ModelConfig::Linear(_) if task == TaskKind::Classification => {
                return Err(usage(
                    "model.kind: a linear model is always regression; expected \"mlp\" for class labels"
                        .into(),
                ));
            }
            ModelConfig::Linear(c) => {
                if outputs != 1 {
                    return Err(usage(format!(
                        "model.kind: a linear model predicts 1 value per row, but the data has {outputs} targets"
                    )));
                }
                let head = match c.loss {
                    LinearLoss::Mse => Head::Mse,
                    LinearLoss::HalfMse => Head::HalfMse,
                };
                (Activation::default(), head, c.init)
            }
        };
        let widths = cfg.widths(outputs);

        // Count in u128 so that no product can overflow, then refuse before allocating.
        let mut fan_in = inputs as u128;
        let (mut num_params, mut activations) = (0u128, 0u128);
        for &w in &widths {
            num_params += fan_in * w as u128 + w as u128;
            activations += 2 * w as u128 * max_batch as u128;
            fan_in = w as u128;
        }
        if num_params > MAX_ELEMENTS as u128 {
            return Err(usage(format!(
                "model.hidden: {inputs} inputs, hidden {widths:?} outputs need {num_params} parameters; \
                 expected at most {MAX_ELEMENTS}"
            )));
        }
        if activations > MAX_ELEMENTS as u128 {
            return Err(usage(format!(
                "train.batch_size: batches of {max_batch} rows need {activations} activation values for \
                 layer widths {widths:?}; expected at most {MAX_ELEMENTS} (use smaller batches)"
            )));
        }

        let mut layers = Vec::with_capacity(widths.len());
        let mut offset = 0;
        let mut fan_in = inputs;
        for &w in &widths {
            let layer = Dense {
                inputs: fan_in,
                outputs: w,
                offset,
            };
            offset += layer.num_params();
            layers.push(layer);
            fan_in = w;
        }
        let mut params = vec![0.0f32; offset];
        let mut rng = init::rng(seed);
        for layer in &layers {
            let (w, b) = params[layer.offset..layer.offset + layer.num_params()]
                .split_at_mut(layer.inputs * layer.outputs);
            init.fill(w, b, layer.inputs, layer.outputs, &mut rng);
        }
        Ok(Network {
            params,
            work: Workspace::new(&widths, max_batch),
            transposed: vec![0.0; transposed_len(&layers)],
            layers,
            widths,
            activation,
            head,
            par: Parallel::new(threads)?,
            inputs,
            max_batch,
            linear: matches!(cfg, ModelConfig::Linear(_)),
        })
    }

    pub fn max_batch(&self) -> usize {
        self.max_batch
    }
    pub fn num_params(&self) -> usize {
        self.params.len()
    }
    pub fn params(&self) -> &[f32] {
        &self.params
    }
    pub fn params_mut(&mut self) -> &mut [f32] {
        &mut self.params
    }

    /// The parameter tensors in PyTorch's terms, for optimizers that need shapes: per layer the
    /// weight `[out, in]` (stored `(in, out)` row-major here, so PyTorch's `(r, c)` is at
    /// `offset + c·out + r`), then the bias `[out]`.
    pub fn layout(&self) -> Layout {
        let mut tensors = Vec::with_capacity(2 * self.layers.len());
        for l in &self.layers {
            tensors.push(ParamTensor {
                offset: l.offset,
                rows: l.outputs,
                cols: l.inputs,
                row_stride: 1,
                col_stride: l.outputs,
                matrix: true,
            });
            tensors.push(ParamTensor::vector(l.bias().start, l.outputs));
        }
        Layout::new(tensors)
    }
    pub fn threads(&self) -> usize {
        self.par.threads()
    }
    /// The network's worker threads, to run a whole step (fill, pass, update) in them.
    pub fn pool(&self) -> matmul::Pool {
        self.par.pool()
    }

    /// For benchmarks: how products are shared among threads (see `matmul`).
    #[doc(hidden)]
    pub fn tune_matmul(&mut self, strategy: matmul::Strategy, min_work: usize) {
        self.par.tune(strategy, min_work);
    }

    /// Floating-point operations (2·m·n·k over every product) of one `loss_and_grad` on `n` rows.
    pub fn train_flops(&self, n: usize) -> u64 {
        let per_row: usize = self
            .layers
            .iter()
            .enumerate()
            .map(|(l, d)| {
                let products = if l == 0 { 2 } else { 3 }; // forward, dW, and dx past the first
                products * d.inputs * d.outputs
            })
            .sum();
        2 * (per_row * n) as u64
    }

    /// Rows in the batch, checking the caller kept to the contract.
    fn rows(&self, x: &[f32], t: Targets<'_>) -> usize {
        let n = x.len() / self.inputs;
        assert_eq!(
            x.len(),
            n * self.inputs,
            "x is not (n, {}) row-major",
            self.inputs
        );
        assert!(
            n >= 1 && n <= self.max_batch,
            "batch of {n} rows; expected 1..={}",
            self.max_batch
        );
        assert_eq!(t.len(), n, "{n} rows but {} targets", t.len());
        n
    }

    /// x: (n, inputs) row-major. Overwrites `grads` with d(mean loss)/d(params).
    pub fn loss_and_grad(&mut self, x: &[f32], t: Targets<'_>, grads: &mut [f32]) -> BatchResult {
        let n = self.rows(x, t);
        assert_eq!(
            grads.len(),
            self.params.len(),
            "grads must have the parameters' layout"
        );
        let Network {
            params,
            layers,
            widths,
            activation,
            head,
            work,
            transposed,
            par,
            ..
        } = self;
        let last = layers.len() - 1;
        par.run(|| {
            forward(layers, widths, *activation, params, x, work, par);
            let result = head.loss(work.output(last, n, widths[last]), widths[last], t, true);
            for l in (0..=last).rev() {
                let (input, delta, dx) = work.backward_views(l, n, widths);
                layers[l].backward(
                    params,
                    input.unwrap_or(x),
                    delta,
                    grads,
                    dx,
                    transposed,
                    par,
                );
                if l > 0 {
                    work.activation_backward(l - 1, n, widths[l - 1], *activation);
                }
            }
            result
        })
    }

    /// Loss (mean) and correct count of a forward pass only; n ≤ `max_batch`.
    pub fn evaluate(&mut self, x: &[f32], t: Targets<'_>) -> BatchResult {
        let n = self.rows(x, t);
        let Network {
            params,
            layers,
            widths,
            activation,
            head,
            work,
            par,
            ..
        } = self;
        let last = layers.len() - 1;
        par.run(|| {
            forward(layers, widths, *activation, params, x, work, par);
            head.loss(work.output(last, n, widths[last]), widths[last], t, false)
        })
    }

    /// The output layer's values for `x: (n, inputs)` row-major, n ≤ `max_batch`: logits
    /// (classification) or predictions (regression), `(n, outputs)` row-major.
    pub fn outputs(&mut self, x: &[f32]) -> &[f32] {
        let n = x.len() / self.inputs;
        assert!(
            n * self.inputs == x.len() && n >= 1 && n <= self.max_batch,
            "x is not (n, {}) with 1 ≤ n ≤ {}",
            self.inputs,
            self.max_batch
        );
        let Network {
            params,
            layers,
            widths,
            activation,
            work,
            par,
            ..
        } = self;
        let last = layers.len() - 1;
        par.run(|| forward(layers, widths, *activation, params, x, work, par));
        work.output(last, n, widths[last])
    }

    /// Each layer's shape and parameters, first to last.
    pub fn layers(&self) -> Vec<LayerView<'_>> {
        self.layers
            .iter()
            .map(|l| LayerView {
                inputs: l.inputs,
                outputs: l.outputs,
                weights: &self.params[l.weights()],
                bias: &self.params[l.bias()],
            })
            .collect()
    }

    /// The activation between layers.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// A linear model's learned (weights, bias); `None` for an MLP.
    pub fn linear_coefficients(&self) -> Option<(Vec<f32>, f32)> {
        self.linear_coefficients_at(&self.params)
    }

    /// [`Network::linear_coefficients`] read from `params` (same layout as this network's), e.g.
    /// a schedule-free optimizer's averaged point.
    pub fn linear_coefficients_at(&self, params: &[f32]) -> Option<(Vec<f32>, f32)> {
        let layer = self.layers.first().filter(|_| self.linear)?;
        Some((params[layer.weights()].to_vec(), params[layer.bias()][0]))
    }
}

/// Floats of the `Wᵀ` scratch: the largest weight matrix among layers past the first (the first
/// needs no input gradient) with [`transpose::TRANSPOSED_COPY_MIN_OUTPUTS`] outputs or more.
fn transposed_len(layers: &[Dense]) -> usize {
    layers
        .iter()
        .skip(1)
        .filter(|d| d.outputs >= transpose::TRANSPOSED_COPY_MIN_OUTPUTS)
        .map(|d| d.inputs * d.outputs)
        .max()
        .unwrap_or(0)
}

/// Every layer's outputs into the workspace; the last layer's are the logits (or predictions).
// x: (n, inputs)  layer l: (n, widths[l-1]) → (n, widths[l])
fn forward(
    layers: &[Dense],
    widths: &[usize],
    act: Activation,
    params: &[f32],
    x: &[f32],
    work: &mut Workspace,
    par: &Parallel,
) {
    let n = x.len() / layers[0].inputs;
    let last = layers.len() - 1;
    for (l, layer) in layers.iter().enumerate() {
        let act = (l < last).then_some(act);
        if l == 0 {
            layer.forward(params, x, work.output(0, n, widths[0]), act, par);
        } else {
            let (input, out) = work.input_and_output(l, n, widths);
            layer.forward(params, input, out, act, par);
        }
    }
}

#[cfg(test)]
mod tests;
