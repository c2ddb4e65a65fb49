//! Learning-rate schedules: pure functions of t (like optax), except the feedback kinds.
//!
//! `[schedule]` parses into [`ScheduleConfig`]: the `unit` and warmup keys, applied here once for
//! every kind, plus a [`ScheduleKind`], whose variants each wrap one file's config struct.
//! [`LrSchedule::new`] validates the keys (errors name them: `schedule.step_size: …`) and builds
//! the runnable [`Schedule`]; [`LrSchedule::rate`] is then called once per optimizer step.
//!
//! Warmup (every kind but plateau): for t < warmup the rate is
//! lr0 · (warmup_start_factor + (1 − warmup_start_factor) · t / warmup); from then on the kind is
//! evaluated at t − warmup. This *shifts* the schedule (unlike PyTorch's SequentialLR +
//! LinearLR, where a warmup overlaps the start of the main schedule, or a ChainedScheduler,
//! which multiplies them).
//!
//! Adding a kind: one new file with its config struct implementing [`Kind`], one line in the
//! `schedule_kinds!` list below (which declares the enum, the only dispatch over kinds and the
//! [`KIND_NAMES`] the tests enumerate), an example `configs/schedules/<kind>.toml` and a row
//! of the table in `docs/schedules.md`.

mod chain;
pub(crate) mod check;
mod constant;
mod constant_factor;
mod cosine;
mod cosine_restarts;
mod cyclic;
mod exponential;
mod expr;
mod grad_norm;
mod horizon;
mod inverse_power;
mod inverse_time;
mod linear;
mod multiplicative;
mod multistep;
mod one_cycle;
mod piecewise;
mod plateau;
mod polynomial;
mod random;
mod sequential;
mod step;
mod wsd;

pub use chain::Chain;
pub use constant::Constant;
pub use constant_factor::ConstantFactor;
pub use cosine::Cosine;
pub use cosine_restarts::CosineRestarts;
pub use cyclic::{Cyclic, CyclicMode};
pub use exponential::Exponential;
pub use expr::Expr;
pub use grad_norm::GradNorm;
pub use horizon::{Horizon, OmittedHorizon, Origin, annotate, omitted as omitted_horizons};
pub use inverse_power::InversePower;
pub use inverse_time::InverseTime;
pub use linear::Linear;
pub use multiplicative::Multiplicative;
pub use multistep::MultiStep;
pub use one_cycle::{Anneal, OneCycle};
pub use piecewise::Piecewise;
pub use plateau::{Plateau, PlateauMode, ThresholdMode};
pub use polynomial::Polynomial;
pub use random::Random;
pub use sequential::{Phase, Sequential};
pub use step::Step;
pub use wsd::{Wsd, WsdDecay};

use std::fmt;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::config::range;
use crate::metric::columns::EpochValues;

/// What the schedule may know about the run before it starts.
#[derive(Debug, Clone, Copy)]
pub struct RunShape {
    pub seed: u64,
    pub epochs: usize,
    pub steps_per_epoch: usize,
    pub has_validation: bool,
    pub classification: bool,
}

impl RunShape {
    /// The run's length in `unit`: how many values of t it uses.
    pub fn len_in(&self, unit: Unit) -> usize {
        match unit {
            Unit::Step => self.epochs.saturating_mul(self.steps_per_epoch),
            Unit::Epoch => self.epochs,
        }
    }
}

/// What t counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// The 0-based global optimizer step.
    #[default]
    Step,
    /// The 0-based epoch: one rate for all of an epoch's steps.
    Epoch,
}

impl Unit {
    /// The plural noun for messages: "steps" or "epochs".
    pub fn plural(self) -> &'static str {
        match self {
            Unit::Step => "steps",
            Unit::Epoch => "epochs",
        }
    }
}

/// `[schedule]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleConfig {
    #[serde(default)]
    pub unit: Unit,
    /// Linear warmup length, in units of t.
    #[serde(default)]
    pub warmup: usize,
    #[serde(default)]
    pub warmup_start_factor: f64,
    #[serde(flatten)]
    pub kind: ScheduleKind,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            unit: Unit::Step,
            warmup: 0,
            warmup_start_factor: 0.0,
            kind: ScheduleKind::Constant(Constant {}),
        }
    }
}

/// Declares [`ScheduleKind`], its dispatch to [`Kind`] and [`KIND_NAMES`] from one line per kind,
/// so a new kind is one file plus one line in the `schedule_kinds!` list below (and nothing can be
/// left out of the list the tests enumerate).
macro_rules! schedule_kinds {
    ($($variant:ident($config:ty) = $name:literal,)*) => {
        /// Every kind of the SPEC's table; `kind = "…"` is the snake_case variant name.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind")]
        pub enum ScheduleKind {
            $(#[serde(rename = $name)] $variant($config),)*
        }

        impl ScheduleKind {
            /// The registry: the one place that dispatches over kinds.
            pub fn as_kind(&self) -> &dyn Kind {
                match self {
                    $(ScheduleKind::$variant(k) => k,)*
                }
            }

            /// The `kind = "…"` name of this kind.
            pub fn name(&self) -> &'static str {
                match self {
                    $(ScheduleKind::$variant(_) => $name,)*
                }
            }
        }

        /// Every kind's `kind = "…"` name, in the order of the SPEC's table.
        pub const KIND_NAMES: &[&str] = &[$($name,)*];
    };
}

schedule_kinds! {
    Constant(Constant) = "constant",
    Step(Step) = "step",
    Multistep(MultiStep) = "multistep",
    Piecewise(Piecewise) = "piecewise",
    Exponential(Exponential) = "exponential",
    InverseTime(InverseTime) = "inverse_time",
    Polynomial(Polynomial) = "polynomial",
    InversePower(InversePower) = "inverse_power",
    Linear(Linear) = "linear",
    Cosine(Cosine) = "cosine",
    CosineRestarts(CosineRestarts) = "cosine_restarts",
    Cyclic(Cyclic) = "cyclic",
    OneCycle(OneCycle) = "one_cycle",
    Random(Random) = "random",
    Plateau(Plateau) = "plateau",
    GradNorm(GradNorm) = "grad_norm",
    Sequential(Sequential) = "sequential",
    Wsd(Wsd) = "wsd",
    ConstantFactor(ConstantFactor) = "constant_factor",
    Multiplicative(Multiplicative) = "multiplicative",
    Expr(Expr) = "expr",
    Chain(Chain) = "chain",
}

/// A runnable schedule. Pure kinds implement only `lr`; feedback kinds (plateau, grad_norm, and a
/// sequential holding one) also observe the run. `t` is local: warmup and phase starts removed.
pub trait Schedule: fmt::Debug + Send {
    /// The rate at t. Called every optimizer step: no allocation.
    fn lr(&self, lr0: f64, t: usize) -> f64;
    /// The momentum (or Adam's beta1) at t for the kinds that cycle it (`one_cycle`, `cyclic`
    /// with `cycle_momentum = true`); `None` leaves the optimizer's own. Called every step.
    fn momentum(&self, _t: usize) -> Option<f64> {
        None
    }
    /// After each optimizer step in unit `t`, with that step's global gradient norm.
    fn observe_step(&mut self, _t: usize, _grad_norm: f64) {}
    /// After each epoch whose last step fell in unit `t` (so `t` is the epoch for unit = epoch).
    fn observe_epoch(&mut self, _t: usize, _metrics: &dyn EpochValues) {}
    fn needs_feedback(&self) -> bool {
        false
    }
    /// What a feedback kind has learned so far, for a checkpoint; empty for a pure kind (its rate
    /// is a function of t alone, so restoring the step counter restores it).
    fn state(&self) -> Vec<f64> {
        Vec::new()
    }
    /// Restores what `state` returned for a schedule built from the same config.
    fn restore(&mut self, state: &[f64]) -> Result<()> {
        expect_state_len(state, 0)
    }
}

/// Refuses a saved schedule state of the wrong length (a checkpoint of another config).
pub(crate) fn expect_state_len(state: &[f64], len: usize) -> Result<()> {
    if state.len() != len {
        anyhow::bail!(
            "the checkpoint's schedule state has {} values; this schedule expects {len}",
            state.len()
        );
    }
    Ok(())
}

/// What every kind's config does: check its keys and build the schedule it describes.
pub trait Kind {
    /// Validates the keys (errors name `cx.key(…)`) and returns the runnable schedule.
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>>;
    /// Warnings for legal but suspicious settings of this kind's own keys.
    fn lint(&self, _cx: &Context) -> Vec<String> {
        Vec::new()
    }
    /// Appends the horizon keys (`total`, `decay_steps`) this kind leaves to the run, with the
    /// values they stand for (see `horizon.rs`). Kinds without a horizon add nothing.
    fn omitted_horizons(&self, _cx: &Context, _out: &mut Vec<OmittedHorizon>) {}
}

/// What a kind may know while it is built or linted.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// `optimizer.lr`.
    pub lr0: f64,
    pub shape: &'a RunShape,
    pub unit: Unit,
    /// The key path of the kind's table: `schedule` or `schedule.phases[2]`.
    pub path: String,
    /// What an omitted `total` / `decay_steps` stands for: the run's length after warmup, or
    /// inside a sequential the phase's `length` (the last phase: the rest of the run).
    pub horizon: Horizon,
    /// How many values of t the run gives this schedule (after warmup and earlier phases).
    pub remaining: usize,
    /// The config's t at this schedule's t = 0: `warmup`, plus the start of its sequential phase.
    /// Lets `expr` recover the global `step` and `epoch` from its local t.
    pub origin: usize,
}

impl Context<'_> {
    /// The full key path of `key`: `schedule.step_size`.
    pub fn key(&self, key: &str) -> String {
        format!("{}.{}", self.path, key)
    }
    /// The word for t in messages: "step" or "epoch".
    pub fn unit_word(&self) -> &'static str {
        match self.unit {
            Unit::Step => "step",
            Unit::Epoch => "epoch",
        }
    }
}

/// A schedule ready to run: kind, unit and warmup resolved once.
#[derive(Debug)]
pub struct LrSchedule {
    lr0: f64,
    unit: Unit,
    warmup: usize,
    warmup_start_factor: f64,
    steps_per_epoch: usize,
    inner: Box<dyn Schedule>,
}

impl LrSchedule {
    /// Validates the keys (errors name them: `schedule.step_size: …`; they are usage errors, exit 2).
    pub fn new(cfg: &ScheduleConfig, lr0: f64, shape: &RunShape) -> Result<LrSchedule> {
        let (cx, unit) = root_context(cfg, lr0, shape)?;
        let inner = cfg.kind.as_kind().build(&cx)?;
        Ok(LrSchedule {
            lr0,
            unit,
            warmup: cfg.warmup,
            warmup_start_factor: cfg.warmup_start_factor,
            steps_per_epoch: shape.steps_per_epoch,
            inner,
        })
    }

    /// Warnings for legal but suspicious settings (printed on stderr by the caller). Empty when
    /// the config is invalid: `new` reports that.
    pub fn lint(cfg: &ScheduleConfig, lr0: f64, shape: &RunShape) -> Vec<String> {
        let Ok(sched) = LrSchedule::new(cfg, lr0, shape) else {
            return Vec::new();
        };
        let Ok((cx, unit)) = root_context(cfg, lr0, shape) else {
            return Vec::new();
        };
        let run = shape.len_in(unit);
        let mut out = Vec::new();
        if cfg.warmup > 0 && cfg.warmup >= run {
            out.push(format!(
                "schedule.warmup = {} is not shorter than the run ({run} {}): the rate never leaves warmup",
                cfg.warmup,
                unit.plural()
            ));
        }
        out.extend(cfg.kind.as_kind().lint(&cx));
        if !sched.needs_feedback() {
            out.extend(check::idle_stretches(|t| sched.rate_at(t), run, unit));
        }
        out
    }

    /// The rate for global 0-based optimizer `step`, which lies in 0-based `epoch`.
    pub fn rate(&self, step: usize, epoch: usize) -> f64 {
        self.rate_at(self.t(step, epoch))
    }

    /// The rate at t (in the config's unit), warmup included.
    pub fn rate_at(&self, t: usize) -> f64 {
        if t < self.warmup {
            let wsf = self.warmup_start_factor;
            self.lr0 * (wsf + (1.0 - wsf) * t as f64 / self.warmup as f64)
        } else {
            self.inner.lr(self.lr0, t - self.warmup)
        }
    }

    /// The momentum / beta1 for global `step` in `epoch` when the schedule cycles it (during
    /// warmup, its value at the schedule's t = 0); `None` when it does not.
    pub fn momentum(&self, step: usize, epoch: usize) -> Option<f64> {
        let t = self.t(step, epoch);
        self.inner.momentum(t.saturating_sub(self.warmup))
    }

    /// What t counts.
    pub fn unit(&self) -> Unit {
        self.unit
    }

    /// Called after every optimizer step with that step's global gradient norm (before clipping).
    pub fn after_step(&mut self, step: usize, epoch: usize, grad_norm: f64) {
        let t = self.t(step, epoch);
        if t >= self.warmup {
            self.inner.observe_step(t - self.warmup, grad_norm);
        }
    }

    /// Called after every epoch, once its metrics (validation included) are known.
    pub fn after_epoch(&mut self, metrics: &dyn EpochValues) {
        let last = match self.unit {
            Unit::Epoch => metrics.epoch(),
            Unit::Step => ((metrics.epoch() + 1) * self.steps_per_epoch).saturating_sub(1),
        };
        if last >= self.warmup {
            self.inner.observe_epoch(last - self.warmup, metrics);
        }
    }

    /// The feedback state (plateau counters, grad_norm history) for a checkpoint.
    pub fn state(&self) -> Vec<f64> {
        self.inner.state()
    }

    /// Restores what [`LrSchedule::state`] returned.
    pub fn restore(&mut self, state: &[f64]) -> Result<()> {
        self.inner.restore(state)
    }

    /// True for kinds that need a training signal (plateau, grad_norm, a sequential holding one):
    /// `lrtrain schedule` refuses them.
    pub fn needs_feedback(&self) -> bool {
        self.inner.needs_feedback()
    }

    fn t(&self, step: usize, epoch: usize) -> usize {
        match self.unit {
            Unit::Step => step,
            Unit::Epoch => epoch,
        }
    }
}

/// The warning for a horizon key (`total`, `decay_steps`) that differs from how long the
/// schedule actually runs (`cx.remaining`).
pub(crate) fn horizon_lint(cx: &Context, key: &str, value: usize) -> Option<String> {
    let runs = cx.remaining;
    if value == runs || runs == 0 {
        return None;
    }
    let units = cx.unit.plural();
    let effect = if value < runs {
        format!("the last {} {units} stay at its final rate", runs - value)
    } else {
        format!("it is cut off {} {units} before its end", value - runs)
    };
    Some(format!(
        "{} = {value} but the schedule runs for {runs} {units} (the run in the chosen unit, after warmup and earlier phases): {effect}",
        cx.key(key)
    ))
}

/// Checks the keys shared by every kind and returns the top-level context and the unit in force.
fn root_context<'a>(
    cfg: &ScheduleConfig,
    lr0: f64,
    shape: &'a RunShape,
) -> Result<(Context<'a>, Unit)> {
    range::non_negative("optimizer.lr", lr0)?;
    range::in_unit_closed("schedule.warmup_start_factor", cfg.warmup_start_factor)?;
    // Plateau reacts only between epochs, so its unit is epoch whatever the config says.
    let unit = match cfg.kind {
        ScheduleKind::Plateau(_) => Unit::Epoch,
        _ => cfg.unit,
    };
    if cfg.warmup > 0 && matches!(cfg.kind, ScheduleKind::Plateau(_)) {
        return Err(range::bad(
            "schedule.warmup",
            "0 for kind = \"plateau\" (use kind = \"sequential\" with a linear phase before the plateau)",
            cfg.warmup,
        ));
    }
    let remaining = shape.len_in(unit).saturating_sub(cfg.warmup);
    let cx = Context {
        lr0,
        shape,
        unit,
        path: "schedule".to_string(),
        horizon: Horizon {
            value: remaining,
            origin: Origin::Run,
        },
        remaining,
        origin: cfg.warmup,
    };
    Ok((cx, unit))
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;
    use crate::train::EpochMetrics;

    pub const SHAPE: RunShape = RunShape {
        seed: 42,
        epochs: 10,
        steps_per_epoch: 100,
        has_validation: true,
        classification: true,
    };

    pub fn parse(toml_src: &str) -> ScheduleConfig {
        toml::from_str(toml_src).unwrap_or_else(|e| panic!("{toml_src}: {e}"))
    }

    /// The schedule of `toml_src` with lr0 = `lr0` on [`SHAPE`].
    pub fn sched(toml_src: &str, lr0: f64) -> LrSchedule {
        LrSchedule::new(&parse(toml_src), lr0, &SHAPE).unwrap_or_else(|e| panic!("{toml_src}: {e}"))
    }

    /// The error of `toml_src`, parsed or built.
    pub fn error(toml_src: &str, lr0: f64) -> String {
        error_on(toml_src, lr0, &SHAPE)
    }

    pub fn error_on(toml_src: &str, lr0: f64, shape: &RunShape) -> String {
        match toml::from_str::<ScheduleConfig>(toml_src) {
            Err(e) => e.to_string(),
            Ok(cfg) => match LrSchedule::new(&cfg, lr0, shape) {
                Ok(_) => panic!("{toml_src}: expected an error"),
                Err(e) => {
                    assert_eq!(crate::error::exit_code(&e), 2, "{e}");
                    format!("{e:#}")
                }
            },
        }
    }

    pub fn lint(toml_src: &str, lr0: f64, shape: &RunShape) -> Vec<String> {
        LrSchedule::lint(&parse(toml_src), lr0, shape)
    }

    /// Asserts `rate_at(t) == expected` within 1e-12 relative, for each row.
    pub fn assert_table(s: &LrSchedule, table: &[(usize, f64)]) {
        for &(t, expected) in table {
            let got = s.rate_at(t);
            let tol = 1e-12 * expected.abs().max(1e-300);
            assert!(
                (got - expected).abs() <= tol,
                "t = {t}: expected {expected}, got {got}"
            );
        }
    }

    pub fn metrics(epoch: usize, val_loss: f64) -> EpochMetrics {
        EpochMetrics {
            epoch,
            lr: 0.0,
            loss: val_loss,
            accuracy: Some(0.5),
            val_loss: Some(val_loss),
            val_accuracy: Some(0.5),
            grad_norm: 1.0,
            seconds: 0.0,
            effective_lr: None,
            momentum: None,
            val_loss_ema: None,
            val_accuracy_ema: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;

    #[test]
    fn an_absent_schedule_is_constant() {
        let s = LrSchedule::new(&ScheduleConfig::default(), 0.1, &SHAPE).unwrap();
        assert_table(&s, &[(0, 0.1), (999, 0.1), (1_000_000, 0.1)]);
        assert!(!s.needs_feedback());
    }

    #[test]
    fn a_misspelt_key_is_rejected_naming_it() {
        let e = error("kind = \"step\"\nstep_size = 3\ngama = 0.5", 0.1);
        assert!(e.contains("gama"), "{e}");
    }

    #[test]
    fn an_unknown_kind_lists_the_known_kinds() {
        let e = error("kind = \"cosnie\"", 0.1);
        for k in ["constant", "cosine", "one_cycle", "plateau", "sequential"] {
            assert!(e.contains(k), "{e}");
        }
    }

    #[test]
    fn a_missing_required_key_is_named() {
        let e = error("kind = \"step\"", 0.1);
        assert!(e.contains("step_size"), "{e}");
        let e = error("kind = \"cosine\"\ntotal = 0", 0.1);
        assert!(e.starts_with("schedule.total:"), "{e}");
    }

    #[test]
    fn the_resolved_config_round_trips_through_toml() {
        for src in [
            "kind = \"constant\"",
            "kind = \"step\"\nstep_size = 3\nunit = \"epoch\"\nwarmup = 2\nwarmup_start_factor = 0.1",
            "kind = \"multistep\"\nmilestones = [3, 7]",
            "kind = \"piecewise\"\nboundaries = [10, 20]\nvalues = [0.1, 0.01, 0.001]",
            "kind = \"exponential\"\ndecay_rate = 0.9",
            "kind = \"exponential\"\nk = 0.01\nstaircase = true\ndecay_steps = 10",
            "kind = \"inverse_time\"\ndecay_rate = 0.5",
            "kind = \"polynomial\"\ndecay_steps = 100\npower = 2.0",
            "kind = \"inverse_power\"",
            "kind = \"linear\"\ntotal = 100",
            "kind = \"cosine\"\ntotal = 100\nmin_lr = 1e-5",
            "kind = \"cosine_restarts\"\nperiod = 10\nperiod_mult = 2.0",
            "kind = \"cyclic\"\nmax_lr = 1.0\nstep_size_up = 4\nmode = \"exp_range\"\ngamma = 0.99",
            "kind = \"one_cycle\"\ntotal = 100\nanneal = \"linear\"\nthree_phase = true",
            "kind = \"random\"\nmin_lr = 0.01\nmax_lr = 0.1",
            "kind = \"plateau\"\nmonitor = \"val_accuracy\"\nmode = \"max\"\nthreshold_mode = \"abs\"",
            "kind = \"grad_norm\"\nmax_lr = 1.0",
            "kind = \"sequential\"\nphases = [{ kind = \"linear\", length = 5, start_factor = 0.1, end_factor = 1.0 }, { kind = \"cosine\", length = 50 }, { kind = \"plateau\", patience = 2 }]",
        ] {
            let cfg = parse(src);
            let text = toml::to_string(&cfg).unwrap_or_else(|e| panic!("{src}: {e}"));
            let back: ScheduleConfig =
                toml::from_str(&text).unwrap_or_else(|e| panic!("{src}\n->\n{text}\n: {e}"));
            assert_eq!(back, cfg, "{text}");
        }
    }

    #[test]
    fn warmup_ramps_from_the_start_factor_then_shifts_the_schedule() {
        // warmup = 4, wsf = 0.2, lr0 = 1: t < 4 → 0.2 + 0.8·t/4; then step_size 2, gamma 0.5 at t − 4.
        let s = sched(
            "kind = \"step\"\nstep_size = 2\ngamma = 0.5\nwarmup = 4\nwarmup_start_factor = 0.2",
            1.0,
        );
        assert_table(
            &s,
            &[
                (0, 0.2),
                (1, 0.4),
                (3, 0.8),
                (4, 1.0),
                (5, 1.0),
                (6, 0.5),
                (8, 0.25),
            ],
        );
    }

    #[test]
    fn unit_epoch_uses_the_epoch_for_every_step_of_it() {
        let s = sched(
            "kind = \"step\"\nstep_size = 1\ngamma = 0.5\nunit = \"epoch\"",
            1.0,
        );
        assert_eq!(s.rate(0, 0), 1.0);
        assert_eq!(s.rate(99, 0), 1.0);
        assert_eq!(s.rate(100, 1), 0.5);
        assert_eq!(s.rate(250, 2), 0.25);
    }

    #[test]
    fn warmup_is_refused_for_plateau() {
        let e = error("kind = \"plateau\"\nwarmup = 3", 0.1);
        assert!(e.starts_with("schedule.warmup:"), "{e}");
    }

    #[test]
    fn a_warmup_start_factor_outside_0_1_is_an_error() {
        let e = error(
            "warmup = 3\nwarmup_start_factor = 1.5\nkind = \"constant\"",
            0.1,
        );
        assert!(e.starts_with("schedule.warmup_start_factor:"), "{e}");
    }

    #[test]
    fn lint_flags_a_warmup_longer_than_the_run() {
        let w = lint("kind = \"constant\"\nwarmup = 1000", 0.1, &SHAPE);
        assert!(w.iter().any(|w| w.starts_with("schedule.warmup")), "{w:?}");
        assert!(lint("kind = \"constant\"\nwarmup = 999", 0.1, &SHAPE).is_empty());
    }

    #[test]
    fn lint_names_exactly_the_steps_at_which_the_rate_is_0() {
        // 1000 steps; the linear reaches 0 at t = 500 and stays there.
        let w = lint("kind = \"linear\"\ntotal = 500", 0.1, &SHAPE);
        assert_eq!(
            w.last().unwrap(),
            "schedule: the rate is 0 from step 500 to the end of the run (step 999): the last 500 steps do not train"
        );
        // Reaching 0 exactly after the last step is the usual intent.
        assert!(lint("kind = \"linear\"\ntotal = 1000", 0.1, &SHAPE).is_empty());
        // A ramp from 0 (warmup or linear start_factor 0) idles one step of 1000: not worth a word.
        assert!(lint("kind = \"linear\"\ntotal = 990\nwarmup = 10", 0.1, &SHAPE).is_empty());
        let ramp = "kind = \"linear\"\ntotal = 1000\nstart_factor = 0.0\nend_factor = 1.0";
        assert!(lint(ramp, 0.1, &SHAPE).is_empty());
        // Piecewise 0.1, 0, 0.05: idle from the step after boundary 99 to boundary 199, then trains.
        let w = lint(
            "kind = \"piecewise\"\nboundaries = [99, 199]\nvalues = [0.1, 0.0, 0.05]",
            0.1,
            &SHAPE,
        );
        assert_eq!(
            w,
            ["schedule: the rate is 0 from step 100 to step 199: those 100 steps do not train"]
        );
    }

    #[test]
    fn lint_names_a_lone_idle_epoch_at_the_start() {
        let w = lint(
            "kind = \"linear\"\nunit = \"epoch\"\ntotal = 10\nstart_factor = 0.0\nend_factor = 1.0",
            0.1,
            &SHAPE,
        );
        assert_eq!(
            w,
            ["schedule: the rate is 0 at epoch 0: that epoch does not train"]
        );
        let w = lint(
            "kind = \"constant\"\nunit = \"epoch\"\nwarmup = 2",
            0.1,
            &SHAPE,
        );
        assert_eq!(
            w,
            ["schedule: the rate is 0 at epoch 0: that epoch does not train"]
        );
    }

    /// The `[schedule]` table of every kind's example, `configs/schedules/<kind>.toml`, as TOML
    /// text, enumerated from [`KIND_NAMES`] so a new kind cannot be left out.
    fn examples() -> Vec<(&'static str, String)> {
        KIND_NAMES
            .iter()
            .map(|&name| {
                let path = format!(
                    "{}/configs/schedules/{name}.toml",
                    env!("CARGO_MANIFEST_DIR")
                );
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("every kind has an example: {path}: {e}"));
                let table: toml::Table =
                    toml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
                let schedule = table
                    .get("schedule")
                    .unwrap_or_else(|| panic!("{path}: no [schedule]"));
                (name, toml::to_string(schedule).unwrap())
            })
            .collect()
    }

    /// One config per kind (its example) for the properties below, plus a sequential holding
    /// both feedback kinds.
    fn every_kind() -> Vec<(&'static str, String)> {
        let mut out = examples();
        out.push(("sequential", "kind = \"sequential\"\nwarmup = 100\nphases = [{ kind = \"cosine\", length = 1000 }, { kind = \"cyclic\", max_lr = 0.5, step_size_up = 10, length = 2000 }, { kind = \"grad_norm\", length = 3000 }, { kind = \"plateau\", monitor = \"loss\", patience = 0 }]".to_string()));
        out
    }

    #[test]
    fn every_kind_has_an_example_of_that_kind_which_builds_and_previews() {
        for (name, src) in examples() {
            let cfg = parse(&src);
            assert_eq!(cfg.kind.name(), name, "{src}");
            let text = toml::to_string(&cfg).unwrap();
            assert!(text.contains(&format!("kind = \"{name}\"")), "{text}");
            let s = LrSchedule::new(&cfg, 0.1, &SHAPE).unwrap_or_else(|e| panic!("{name}: {e}"));
            if !matches!(name, "plateau" | "grad_norm") {
                // A preview: every rate of the run finite and ≥ 0.
                assert!((0..1000).all(|t| s.rate_at(t).is_finite() && s.rate_at(t) >= 0.0));
            }
        }
    }

    /// Runs `src` for 100,000 steps (1,000 epochs of 100), with scripted feedback, and returns
    /// every rate.
    fn run_100k(src: &str) -> Vec<f64> {
        let shape = RunShape {
            epochs: 1000,
            ..SHAPE
        };
        let mut s = LrSchedule::new(&parse(src), 0.1, &shape).unwrap();
        let mut rates = Vec::with_capacity(100_000);
        let mut noise = 7u64;
        for epoch in 0..1000 {
            for k in 0..100 {
                let step = epoch * 100 + k;
                rates.push(s.rate(step, epoch));
                noise = crate::config::seed::splitmix64(noise);
                s.after_step(step, epoch, 1.0 + (noise % 1000) as f64 / 100.0);
            }
            let loss = 1.0 / (1.0 + (epoch / 7) as f64);
            s.after_epoch(&metrics(epoch, loss));
        }
        rates
    }

    #[test]
    fn every_kind_is_finite_non_negative_and_deterministic_over_100k_steps() {
        for (_, src) in every_kind() {
            let src = src.as_str();
            let a = run_100k(src);
            assert!(
                a.iter().all(|r| r.is_finite() && *r >= 0.0),
                "{src}: {:?}",
                a.iter().find(|r| !(r.is_finite() && **r >= 0.0))
            );
            let b = run_100k(src);
            assert!(
                a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()),
                "{src}"
            );
        }
    }

    /// burn's `check_save_load`, for every kind of [`KIND_NAMES`] (each example, and a
    /// sequential holding both feedback kinds): run 30 epochs with scripted feedback, save the
    /// state, restore it into a fresh schedule, run both 30 more: the rates stay bit-identical.
    #[test]
    fn every_kind_continues_bit_identically_from_saved_and_restored_state() {
        let shape = RunShape {
            epochs: 60,
            steps_per_epoch: 10,
            ..SHAPE
        };
        let feed = |s: &mut LrSchedule, epoch: usize, out: &mut Vec<u64>| {
            for k in 0..10 {
                let step = epoch * 10 + k;
                out.push(s.rate(step, epoch).to_bits());
                s.after_step(step, epoch, 1.0 + ((step * 37) % 11) as f64 / 3.0);
            }
            s.after_epoch(&metrics(epoch, 1.0 / (1.0 + (epoch / 4) as f64)));
        };
        for (name, src) in every_kind() {
            let cfg = parse(&src);
            let mut a = LrSchedule::new(&cfg, 0.1, &shape).unwrap();
            let mut before = Vec::new();
            for epoch in 0..30 {
                feed(&mut a, epoch, &mut before);
            }
            let mut b = LrSchedule::new(&cfg, 0.1, &shape).unwrap();
            b.restore(&a.state())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let (mut ra, mut rb) = (Vec::new(), Vec::new());
            for epoch in 30..60 {
                feed(&mut a, epoch, &mut ra);
                feed(&mut b, epoch, &mut rb);
            }
            assert_eq!(ra, rb, "{name}: {src}");
        }
    }

    #[test]
    fn feedback_kinds_say_so() {
        let kinds = every_kind();
        for (i, (name, src)) in kinds.iter().enumerate() {
            // The last is the sequential holding plateau and grad_norm.
            let fb = matches!(*name, "plateau" | "grad_norm") || i == kinds.len() - 1;
            assert_eq!(sched(src, 0.1).needs_feedback(), fb, "{src}");
        }
    }
}
