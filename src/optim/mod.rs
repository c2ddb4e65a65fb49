//! Optimizers: each owns its state, never the rate (the schedule hands it the rate every step).
//!
//! `[optimizer]` is an [`OptimizerConfig`]: the rate `lr`, `clip_norm`, and the kind with its own
//! keys. Each kind lives in its own file (its config struct, its update rule, its tests); adding
//! one is a new file plus one line in the `optimizer_kinds!` list below.
//!
//! Every optimizer sees all parameters as one flat `&mut [f32]` with a gradient of the same length
//! and updates them in a single pass over `i` (as in llm.c), mirroring torch.optim's single-tensor
//! arithmetic in f32 so results agree with PyTorch to f32 rounding.

mod adadelta;
mod adafactor;
mod adagrad;
mod adam;
mod adam_family;
mod adamax;
mod adamw_schedule_free;
mod asgd;
mod clip;
#[cfg(test)]
mod golden;
mod layout;
mod lbfgs;
mod lion;
mod muon;
mod nadam;
mod prodigy;
mod radam;
mod rmsprop;
mod rprop;
mod schedule_free;
mod sgd;
mod sgd_schedule_free;
mod state;

pub use adadelta::{Adadelta, AdadeltaConfig};
pub use adafactor::{Adafactor, AdafactorConfig};
pub use adagrad::{Adagrad, AdagradConfig};
pub use adam::{Adam, AdamConfig, AdamWConfig};
pub use adamax::{Adamax, AdamaxConfig};
pub use adamw_schedule_free::{AdamWScheduleFree, AdamWScheduleFreeConfig};
pub use asgd::{Asgd, AsgdConfig};
pub use clip::{clip_to_norm, global_norm};
pub use layout::{Layout, ParamTensor};
pub use lbfgs::{Lbfgs, LbfgsConfig, LineSearch};
pub use lion::{Lion, LionConfig};
pub use muon::{Muon, MuonConfig};
pub use nadam::{NAdam, NAdamConfig};
pub use prodigy::{Prodigy, ProdigyConfig};
pub use radam::{RAdam, RAdamConfig};
pub use rmsprop::{RmsProp, RmsPropConfig};
pub use rprop::{Rprop, RpropConfig};
pub use sgd::{Sgd, SgdConfig};
pub use sgd_schedule_free::{SgdScheduleFree, SgdScheduleFreeConfig};

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::config::range::{non_negative, positive};

pub trait Optimizer: Send {
    /// One update of `params` from `grads` at rate `lr`. Both slices have the length given to
    /// `build`; nothing is allocated.
    fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f32);

    /// Steps taken so far (PyTorch's `state["step"]`; Adam's bias correction uses it, SGD's
    /// momentum buffer is empty while it is 0).
    fn step_count(&self) -> u64;

    /// Restores the step counter from a checkpoint (together with `state_buffers_mut`).
    fn set_step_count(&mut self, steps: u64);

    /// The per-parameter state in a fixed order that each optimizer documents: buffers as long as
    /// the parameters, or (Adafactor) per row and column of each weight. Empty for a stateless
    /// optimizer.
    fn state_buffers(&self) -> Vec<&[f32]> {
        Vec::new()
    }

    /// The same buffers, writable, in the same order (to restore a checkpoint).
    fn state_buffers_mut(&mut self) -> Vec<&mut [f32]> {
        Vec::new()
    }

    /// Scalar state that is not a function of the step count (ASGD's η and μ, which follow the
    /// rates seen; the schedule-free averaging weights; Prodigy's d), in a documented order, for
    /// checkpoints. Empty for most optimizers.
    fn scalar_state(&self) -> Vec<f64> {
        Vec::new()
    }

    /// Restores [`Optimizer::scalar_state`]; `s` has the length that method returns.
    fn set_scalar_state(&mut self, _s: &[f64]) {}

    /// The point to evaluate when it is not the training iterate (schedule-free methods train at
    /// y and evaluate the average x): writes it into `out` (as long as `params`) and returns
    /// true; false (the default) means "evaluate `params` as they are".
    fn eval_params(&self, _params: &[f32], _out: &mut [f32]) -> bool {
        false
    }

    /// Learning-rate-free optimizers: the rate the last step applied (Prodigy's d · lr), for the
    /// `effective_lr` column. `None` for the others.
    fn effective_lr(&self) -> Option<f64> {
        None
    }

    /// Sets the momentum (SGD, RMSprop) or beta1 (Adam family) for the next steps, as PyTorch's
    /// `OneCycleLR` / `CyclicLR` with `cycle_momentum=True` write it into the param group. Called
    /// once before training (a momentum of 0 then gains its buffer, as it does in PyTorch) and
    /// then before every step, without allocating. False, changing nothing, for an optimizer
    /// with neither (the default: Adagrad, and any optimizer that does not implement it).
    fn set_momentum(&mut self, _momentum: f64) -> bool {
        false
    }

    /// The momentum or beta1 that [`Optimizer::set_momentum`] replaces; `None` without one.
    fn momentum(&self) -> Option<f64> {
        None
    }

    /// True for optimizers that evaluate the loss themselves (L-BFGS): the trainer then calls
    /// [`Optimizer::step_with_closure`] once per epoch instead of `step` per batch.
    fn needs_closure(&self) -> bool {
        false
    }

    /// One `optimizer.step(closure)` as in torch.optim: `closure(p, g)` computes the loss at the
    /// parameters `p` (as long as `params`), writes its gradient into `g` and returns the loss;
    /// the optimizer may call it several times and leaves `params` at its new point. Returns the
    /// first evaluation's loss. The default, for optimizers that need one gradient, evaluates
    /// once and applies [`Optimizer::step`] with a gradient buffer the caller never sees, so it
    /// allocates; the trainer uses it only when [`Optimizer::needs_closure`] is true.
    fn step_with_closure(
        &mut self,
        params: &mut [f32],
        lr: f32,
        closure: &mut dyn FnMut(&[f32], &mut [f32]) -> f64,
    ) -> f64 {
        let mut grads = vec![0.0; params.len()];
        let loss = closure(params, &mut grads);
        self.step(params, &grads, lr);
        loss
    }
}

/// What every kind's config struct provides, so that `OptimizerConfig` never matches on kinds.
pub trait KindConfig {
    /// PyTorch's default `lr` for this optimizer, used when `optimizer.lr` is absent.
    fn default_lr(&self) -> f64;
    /// Range checks of the kind's own keys; errors name the key (`optimizer.beta2: …`).
    fn validate(&self) -> Result<()>;
    /// True for learning-rate-free optimizers, whose runs log `effective_lr`.
    fn learning_rate_free(&self) -> bool {
        false
    }
    /// The optimizer with its state allocated for the parameters `layout` describes (element-wise
    /// rules need only `layout.num_params()`; Adafactor needs each tensor's shape).
    fn build(&self, layout: &Layout) -> Box<dyn Optimizer>;
}

/// Declares `OptimizerKind`, its dispatch to `KindConfig` and [`KIND_NAMES`] from one line per
/// kind (`Variant(Config) = "kind"`), so the tests enumerate every kind and none can skip them.
macro_rules! optimizer_kinds {
    ($($variant:ident($config:ty) = $name:literal,)*) => {
        /// The `kind` key of `[optimizer]` with that kind's own keys.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind")]
        pub enum OptimizerKind {
            $(#[serde(rename = $name)] $variant($config),)*
        }

        /// Every `optimizer.kind`, in the order of the list.
        pub const KIND_NAMES: &[&str] = &[$($name,)*];

        impl OptimizerKind {
            fn config(&self) -> &dyn KindConfig {
                match self {
                    $(OptimizerKind::$variant(c) => c,)*
                }
            }
        }
    };
}

optimizer_kinds! {
    Sgd(SgdConfig) = "sgd",
    Adagrad(AdagradConfig) = "adagrad",
    RmsProp(RmsPropConfig) = "rmsprop",
    Adam(AdamConfig) = "adam",
    AdamW(AdamWConfig) = "adamw",
    NAdam(NAdamConfig) = "nadam",
    RAdam(RAdamConfig) = "radam",
    Adamax(AdamaxConfig) = "adamax",
    Adadelta(AdadeltaConfig) = "adadelta",
    Rprop(RpropConfig) = "rprop",
    Asgd(AsgdConfig) = "asgd",
    Lion(LionConfig) = "lion",
    Adafactor(AdafactorConfig) = "adafactor",
    SgdScheduleFree(SgdScheduleFreeConfig) = "sgd_schedule_free",
    AdamWScheduleFree(AdamWScheduleFreeConfig) = "adamw_schedule_free",
    Prodigy(ProdigyConfig) = "prodigy",
    Muon(MuonConfig) = "muon",
    Lbfgs(LbfgsConfig) = "lbfgs",
}

/// `[optimizer]`.
///
/// `lr` is optional in the file; [`OptimizerConfig::resolve`] fills in the kind's PyTorch default,
/// so a resolved config (as written to `config.toml`) always shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptimizerConfig {
    #[serde(flatten)]
    pub kind: OptimizerKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lr: Option<f64>,
    /// > 0: clip the global gradient L2 norm to this; 0 = off.
    #[serde(default)]
    pub clip_norm: f64,
}

impl Default for OptimizerConfig {
    /// The SPEC's example: Adam at lr 0.001, no clipping.
    fn default() -> Self {
        OptimizerConfig {
            kind: OptimizerKind::Adam(AdamConfig::default()),
            lr: Some(1e-3),
            clip_norm: 0.0,
        }
    }
}

impl OptimizerConfig {
    /// Fills in the kind's default `lr` when absent, then checks every range (`validate`).
    pub fn resolve(&mut self) -> Result<()> {
        if self.lr.is_none() {
            self.lr = Some(self.kind.config().default_lr());
        }
        self.validate()
    }

    /// Range checks, naming the key (`optimizer.lr: expected a finite number > 0, found -0.1`).
    /// An absent `lr` passes (it stands for the kind's default).
    pub fn validate(&self) -> Result<()> {
        positive("optimizer.lr", self.lr0())?;
        non_negative("optimizer.clip_norm", self.clip_norm)?;
        self.kind.config().validate()
    }

    /// The base rate every schedule scales from: `lr`, or the kind's default when absent.
    pub fn lr0(&self) -> f64 {
        self.lr.unwrap_or_else(|| self.kind.config().default_lr())
    }

    /// True when runs log the `effective_lr` column (learning-rate-free optimizers).
    pub fn learning_rate_free(&self) -> bool {
        self.kind.config().learning_rate_free()
    }

    /// The optimizer with its state allocated for the parameters of `layout`. Call after
    /// `resolve`.
    pub fn build(&self, layout: &Layout) -> Box<dyn Optimizer> {
        self.kind.config().build(layout)
    }
}

/// PyTorch's `lerp` (`a + w·(b − a)`, or from the other end when |w| ≥ ½), in its order.
#[inline(always)]
pub(crate) fn lerp(a: f32, b: f32, w: f32) -> f32 {
    if w.abs() < 0.5 {
        a + w * (b - a)
    } else {
        b - (b - a) * (1.0 - w)
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the optimizers' tests.

    use super::{Layout, OptimizerConfig};

    /// Parses an `[optimizer]` table body, as the config loader would.
    pub fn parse(toml_body: &str) -> anyhow::Result<OptimizerConfig> {
        Ok(toml::from_str(toml_body)?)
    }

    /// Builds from TOML and runs the optimizer over the given gradients, returning the parameters
    /// after each step.
    pub fn run(toml_body: &str, p0: &[f32], grads: &[&[f32]]) -> Vec<Vec<f32>> {
        run_with(toml_body, &Layout::flat(p0.len()), p0, grads).0
    }

    /// [`run`] for parameters made of the tensors of `layout`; also returns the evaluation
    /// point after each step (`Optimizer::eval_params`, or the parameters themselves).
    pub fn run_with(
        toml_body: &str,
        layout: &Layout,
        p0: &[f32],
        grads: &[&[f32]],
    ) -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
        let mut cfg = parse(toml_body).unwrap();
        cfg.resolve().unwrap();
        let mut opt = cfg.build(layout);
        let lr = cfg.lr0() as f32;
        let mut p = p0.to_vec();
        let (mut params, mut evals) = (vec![], vec![]);
        for g in grads {
            opt.step(&mut p, g, lr);
            let mut x = p.clone();
            opt.eval_params(&p, &mut x);
            params.push(p.clone());
            evals.push(x);
        }
        (params, evals)
    }

    /// Compares each step's parameters to the reference within `rel` relative error (with an
    /// absolute floor of `rel` for values near 0).
    #[track_caller]
    pub fn assert_close(got: &[Vec<f32>], want: &[&[f64]], rel: f64) {
        assert_eq!(got.len(), want.len(), "number of steps");
        for (step, (g, w)) in got.iter().zip(want).enumerate() {
            assert_eq!(g.len(), w.len(), "step {}: length", step + 1);
            for (i, (&g, &w)) in g.iter().zip(w.iter()).enumerate() {
                // The references are f32 values printed shortest; compare in f32's terms.
                let err = (g as f64 - (w as f32) as f64).abs();
                assert!(
                    err <= rel * w.abs().max(1.0),
                    "step {} param {i}: got {g}, want {w} (error {err:e})",
                    step + 1
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::parse;
    use super::*;
    use crate::error::exit_code;

    fn resolved(body: &str) -> OptimizerConfig {
        let mut c = parse(body).unwrap();
        c.resolve().unwrap();
        c
    }

    fn resolve_error(body: &str) -> String {
        let mut c = parse(body).unwrap();
        let e = c.resolve().unwrap_err();
        assert_eq!(exit_code(&e), 2, "range errors are usage errors");
        format!("{e:#}")
    }

    /// burn's `check_save_load`, for every kind of [`KIND_NAMES`]: build, step N times, save
    /// the state (buffers, scalars, step count), restore it into a fresh optimizer, step both M
    /// more times with the same gradients: the parameters must stay bit-identical.
    #[test]
    fn every_kind_continues_bit_identically_from_saved_and_restored_state() {
        let model: crate::model::ModelConfig =
            toml::from_str("kind = \"mlp\"\nhidden = [5]").unwrap();
        let net = crate::model::Network::new(&model, 4, 3, 2, 1, 11).unwrap();
        let layout = net.layout();
        let n = layout.num_params();
        let grad = |k: usize| -> Vec<f32> {
            (0..n)
                .map(|i| (((i * 7 + k * 13) % 23) as f32 - 11.0) / 17.0)
                .collect()
        };
        for kind in KIND_NAMES {
            let mut cfg = parse(&format!("kind = \"{kind}\"")).unwrap();
            cfg.resolve().unwrap();
            let lr = cfg.lr0() as f32;
            // Closure optimizers (L-BFGS) minimise a quadratic centred on grad(k) instead.
            let advance = |o: &mut Box<dyn Optimizer>, p: &mut [f32], k: usize| {
                let centre = grad(k);
                if o.needs_closure() {
                    o.step_with_closure(p, lr, &mut |x: &[f32], g: &mut [f32]| {
                        let mut loss = 0.0;
                        for i in 0..x.len() {
                            let d = x[i] - centre[i];
                            g[i] = d * (1.0 + (i % 3) as f32);
                            loss += 0.5 * (d * g[i]) as f64;
                        }
                        loss
                    });
                } else {
                    o.step(p, &centre, lr);
                }
            };
            let mut a = cfg.build(&layout);
            let mut pa = net.params().to_vec();
            for k in 0..5 {
                advance(&mut a, &mut pa, k);
            }
            let mut b = cfg.build(&layout);
            let mut pb = pa.clone();
            for (dst, src) in b.state_buffers_mut().into_iter().zip(a.state_buffers()) {
                dst.copy_from_slice(src);
            }
            b.set_scalar_state(&a.scalar_state());
            b.set_step_count(a.step_count());
            for k in 5..9 {
                advance(&mut a, &mut pa, k);
                advance(&mut b, &mut pb, k);
            }
            let bits = |p: &[f32]| p.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&pa), bits(&pb), "{kind}");
            assert_ne!(pa, net.params(), "{kind} did not move the parameters");
        }
    }

    #[test]
    fn the_default_is_adam_at_a_thousandth() {
        let c = OptimizerConfig::default();
        assert_eq!(c.kind, OptimizerKind::Adam(AdamConfig::default()));
        assert_eq!(c.lr0(), 1e-3);
        assert_eq!(c.clip_norm, 0.0);
        assert_eq!(c, resolved("kind = \"adam\""));
    }

    #[test]
    fn an_absent_lr_becomes_pytorchs_default_for_the_kind() {
        for (kind, lr) in [
            ("sgd", 1e-3),
            ("adagrad", 1e-2),
            ("rmsprop", 1e-2),
            ("adam", 1e-3),
            ("adamw", 1e-3),
            ("nadam", 2e-3),
            ("radam", 1e-3),
            ("adamax", 2e-3),
            ("adadelta", 1.0),
            ("rprop", 1e-2),
            ("asgd", 1e-2),
            ("lion", 1e-4),
        ] {
            let raw = parse(&format!("kind = \"{kind}\"")).unwrap();
            assert_eq!(raw.lr, None);
            assert_eq!(raw.lr0(), lr, "{kind}");
            assert_eq!(
                resolved(&format!("kind = \"{kind}\"")).lr,
                Some(lr),
                "{kind}"
            );
        }
    }

    #[test]
    fn a_given_lr_is_kept() {
        assert_eq!(resolved("kind = \"sgd\"\nlr = 0.5").lr, Some(0.5));
        assert_eq!(
            resolved("kind = \"sgd\"\nlr = 1").lr0(),
            1.0,
            "an integer is a number"
        );
    }

    #[test]
    fn the_resolved_config_serializes_with_its_lr_and_reads_back_the_same() {
        let c = resolved("kind = \"adamw\"");
        let text = toml::to_string(&c).unwrap();
        assert!(text.contains("kind = \"adamw\""), "{text}");
        assert!(text.contains("lr = 0.001"), "{text}");
        assert!(text.contains("weight_decay = 0.01"), "{text}");
        assert_eq!(parse(&text).unwrap(), c);
        for kind in [
            "sgd",
            "adagrad",
            "rmsprop",
            "adam",
            "nadam",
            "radam",
            "adamax",
            "adadelta",
            "rprop",
            "asgd",
            "lion",
            "adafactor",
            "sgd_schedule_free",
            "adamw_schedule_free",
            "prodigy",
            "muon",
        ] {
            let c = resolved(&format!("kind = \"{kind}\""));
            assert_eq!(parse(&toml::to_string(&c).unwrap()).unwrap(), c, "{kind}");
        }
    }

    #[test]
    fn an_unknown_key_under_a_kind_is_rejected_naming_it() {
        let e = parse("kind = \"sgd\"\nlr = 0.1\nmomentun = 0.9").unwrap_err();
        assert!(format!("{e:#}").contains("momentun"), "{e:#}");
        let e = parse("kind = \"adam\"\nbeta = 0.9").unwrap_err();
        assert!(format!("{e:#}").contains("`beta`"), "{e:#}");
        // A key of another kind is unknown too.
        let e = parse("kind = \"adam\"\nnesterov = true").unwrap_err();
        assert!(format!("{e:#}").contains("nesterov"), "{e:#}");
    }

    #[test]
    fn an_unknown_kind_is_rejected_naming_it() {
        let e = parse("kind = \"sophia\"").unwrap_err();
        assert!(format!("{e:#}").contains("sophia"), "{e:#}");
    }

    #[test]
    fn a_bad_lr_is_rejected_naming_key_expectation_and_value() {
        assert_eq!(
            resolve_error("kind = \"sgd\"\nlr = -0.1"),
            "optimizer.lr: expected a finite number > 0, found -0.1"
        );
        assert!(resolve_error("kind = \"sgd\"\nlr = 0.0").contains("found 0"));
        assert!(resolve_error("kind = \"sgd\"\nlr = nan").contains("found NaN"));
        assert!(resolve_error("kind = \"sgd\"\nlr = inf").contains("found inf"));
    }

    #[test]
    fn a_bad_clip_norm_is_rejected() {
        assert_eq!(
            resolve_error("kind = \"adam\"\nclip_norm = -1.0"),
            "optimizer.clip_norm: expected a finite number >= 0, found -1"
        );
        assert!(resolve_error("kind = \"adam\"\nclip_norm = inf").contains("optimizer.clip_norm"));
        assert_eq!(resolved("kind = \"adam\"\nclip_norm = 1.5").clip_norm, 1.5);
    }

    #[test]
    fn bad_ranges_of_every_kind_are_rejected_naming_the_key() {
        for (body, message) in [
            (
                "kind = \"adam\"\nbeta2 = 1.2",
                "optimizer.beta2: expected a number in [0, 1), found 1.2",
            ),
            (
                "kind = \"adamw\"\nbeta1 = 1.0",
                "optimizer.beta1: expected a number in [0, 1), found 1",
            ),
            (
                "kind = \"adam\"\neps = 0.0",
                "optimizer.eps: expected a finite number > 0, found 0",
            ),
            (
                "kind = \"adamw\"\nweight_decay = -0.01",
                "optimizer.weight_decay: expected a finite number >= 0, found -0.01",
            ),
            (
                "kind = \"sgd\"\nmomentum = -0.9",
                "optimizer.momentum: expected a finite number >= 0, found -0.9",
            ),
            (
                "kind = \"sgd\"\ndampening = 1.5",
                "optimizer.dampening: expected a number in [0, 1], found 1.5",
            ),
            (
                "kind = \"sgd\"\nweight_decay = -1.0",
                "optimizer.weight_decay: expected a finite number >= 0, found -1",
            ),
            (
                "kind = \"adagrad\"\neps = -1e-10",
                "optimizer.eps: expected a finite number > 0, found -1e-10",
            ),
            (
                "kind = \"adagrad\"\ninitial_accumulator = -0.1",
                "optimizer.initial_accumulator: expected a finite number >= 0, found -0.1",
            ),
            (
                "kind = \"rmsprop\"\nalpha = 1.0",
                "optimizer.alpha: expected a number in [0, 1), found 1",
            ),
            (
                "kind = \"rmsprop\"\nmomentum = -0.5",
                "optimizer.momentum: expected a finite number >= 0, found -0.5",
            ),
            (
                "kind = \"rmsprop\"\neps = 0.0",
                "optimizer.eps: expected a finite number > 0, found 0",
            ),
            (
                "kind = \"nadam\"\nmomentum_decay = -1.0",
                "optimizer.momentum_decay: expected a finite number >= 0, found -1",
            ),
            (
                "kind = \"radam\"\nbeta2 = 1.0",
                "optimizer.beta2: expected a number in [0, 1), found 1",
            ),
            (
                "kind = \"adamax\"\neps = 0.0",
                "optimizer.eps: expected a finite number > 0, found 0",
            ),
            (
                "kind = \"adadelta\"\nrho = 1.5",
                "optimizer.rho: expected a number in [0, 1], found 1.5",
            ),
            (
                "kind = \"rprop\"\neta_plus = 1.0",
                "optimizer.eta_plus: expected a finite number > 1, found 1",
            ),
            (
                "kind = \"asgd\"\nlambd = -0.1",
                "optimizer.lambd: expected a finite number >= 0, found -0.1",
            ),
            (
                "kind = \"lion\"\nbeta1 = 1.0",
                "optimizer.beta1: expected a number in [0, 1), found 1",
            ),
        ] {
            assert_eq!(resolve_error(body), message, "{body}");
        }
    }

    #[test]
    fn nesterov_needs_momentum_and_no_dampening_as_in_pytorch() {
        assert_eq!(
            resolve_error("kind = \"sgd\"\nnesterov = true"),
            "optimizer.nesterov: expected momentum > 0 and dampening = 0, found momentum = 0.0, dampening = 0.0"
        );
        assert!(
            resolve_error("kind = \"sgd\"\nnesterov = true\nmomentum = 0.9\ndampening = 0.1")
                .contains("dampening = 0.1")
        );
        resolved("kind = \"sgd\"\nnesterov = true\nmomentum = 0.9");
    }

    #[test]
    fn build_gives_state_buffers_as_long_as_the_parameters() {
        for (body, buffers) in [
            ("kind = \"sgd\"", 0),
            ("kind = \"sgd\"\nmomentum = 0.9", 1),
            ("kind = \"adagrad\"", 1),
            ("kind = \"rmsprop\"", 1),
            ("kind = \"rmsprop\"\nmomentum = 0.9\ncentered = true", 3),
            ("kind = \"adam\"", 2),
            ("kind = \"adamw\"\namsgrad = true", 3),
            ("kind = \"nadam\"", 2),
            ("kind = \"radam\"", 2),
            ("kind = \"adamax\"", 2),
            ("kind = \"adadelta\"", 2),
            ("kind = \"rprop\"", 2),
            ("kind = \"asgd\"", 1),
            ("kind = \"lion\"", 1),
        ] {
            let mut opt = resolved(body).build(&Layout::flat(5));
            assert_eq!(opt.state_buffers().len(), buffers, "{body}");
            assert!(opt.state_buffers().iter().all(|b| b.len() == 5), "{body}");
            assert_eq!(opt.state_buffers_mut().len(), buffers, "{body}");
            assert_eq!(opt.step_count(), 0, "{body}");
        }
    }

    #[test]
    fn restoring_state_and_step_count_continues_exactly() {
        // Two steps straight through, versus one step, a copy of the state into a fresh
        // optimizer, and one more step there.
        for body in [
            "kind = \"sgd\"\nmomentum = 0.9",
            "kind = \"adagrad\"",
            "kind = \"rmsprop\"\nmomentum = 0.5\ncentered = true",
            "kind = \"adam\"\namsgrad = true",
            "kind = \"adamw\"",
            "kind = \"nadam\"\nweight_decay = 0.1",
            "kind = \"radam\"",
            "kind = \"adamax\"",
            "kind = \"adadelta\"",
            "kind = \"rprop\"",
            "kind = \"asgd\"\nt0 = 0.0\nlambd = 0.5",
            "kind = \"lion\"",
            "kind = \"adafactor\"\nweight_decay = 0.1",
            "kind = \"sgd_schedule_free\"\nwarmup_steps = 3",
            "kind = \"adamw_schedule_free\"\nr = 1.0",
            "kind = \"prodigy\"\nd0 = 0.01",
            "kind = \"muon\"",
        ] {
            let cfg = resolved(body);
            let g1 = [0.5f32, -1.0, 2.0];
            let g2 = [-0.25f32, 0.75, 1.0];
            let mut p = vec![1.0f32, 2.0, -3.0];
            let mut a = cfg.build(&Layout::flat(3));
            a.step(&mut p, &g1, 0.1);
            let mut q = p.clone();
            let mut b = cfg.build(&Layout::flat(3));
            b.set_step_count(a.step_count());
            for (dst, src) in b.state_buffers_mut().into_iter().zip(a.state_buffers()) {
                dst.copy_from_slice(src);
            }
            b.set_scalar_state(&a.scalar_state());
            a.step(&mut p, &g2, 0.1);
            b.step(&mut q, &g2, 0.1);
            assert_eq!(p, q, "{body}");
            assert_eq!(a.step_count(), 2, "{body}");
        }
    }
}
