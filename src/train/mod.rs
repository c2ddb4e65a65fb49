//! The epoch/batch loop. Per batch: rate from the schedule → loss and gradient → global norm →
//! clip → optimizer step. Per epoch: evaluate, let the schedule observe, hand the row on.
//!
//! What runs inside the loop has a file here: [`early_stopping`], [`ema`] (the averaged
//! weights), the row it hands on ([`epoch_row`], one row of metrics.csv), whoever it hands it to
//! ([`Observer`]; [`observe`] has the library's), and its state at an epoch boundary
//! ([`state`], what a checkpoint stores).

pub mod early_stopping;
pub mod ema;
pub mod epoch_row;
pub mod observe;
pub mod state;

use std::time::Instant;

use anyhow::Result;
use rand::seq::SliceRandom;

use crate::config::RunConfig;
use crate::config::seed;
use crate::data::{Batch, Dataset, Splits};
use crate::error::interrupt;
use crate::model::{Network, TaskKind};
use crate::optim::{self, Optimizer};
use crate::schedule::{LrSchedule, RunShape};
use early_stopping::EarlyStopper;
use ema::Ema;
pub use epoch_row::EpochMetrics;
pub use state::TrainState;

/// Rows per forward pass when evaluating: larger than most training batches so the matrix
/// products run efficiently, small enough that the workspace stays a few MB.
const EVAL_ROWS: usize = 1024;

/// What the loop reports while it runs.
pub trait Observer {
    /// After every optimizer step (cheap; for a progress bar).
    fn on_step(&mut self, _epoch: usize, _step_in_epoch: usize) {}
    /// After every finished epoch (row written by the callee). An error stops training.
    fn on_epoch(&mut self, metrics: &EpochMetrics) -> Result<()>;
    /// Polled between steps: true to stop after the current step (SIGINT/SIGTERM). An epoch cut
    /// short is abandoned: no row, and the run ends with [`Outcome::Interrupted`].
    fn should_stop(&self) -> bool {
        false
    }
    /// After `on_epoch` of an epoch that did not diverge, with the trainer at that epoch's end
    /// (to write a checkpoint from [`Trainer::state`]).
    fn on_epoch_end(&mut self, _trainer: &Trainer<'_>) -> Result<()> {
        Ok(())
    }
}

/// What one optimizer step saw.
#[derive(Debug, Clone, Copy)]
pub struct StepResult {
    /// Mean loss over the batch.
    pub loss: f64,
    pub correct: usize,
    pub rows: usize,
    /// Global gradient L2 norm before clipping.
    pub grad_norm: f64,
}

/// How [`Trainer::run`] ended. The run's status (summary.json) and the command's exit code are
/// both decided from this, the exit code once, in `main`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Every epoch up to the requested number was trained.
    Completed,
    /// The training loss became NaN or infinite in `epoch` (0-based, as in metrics.csv; its
    /// row was handed on); `loss` is that epoch's mean training loss.
    Diverged { epoch: usize, loss: f64 },
    /// A stop was requested (SIGINT or SIGTERM): `signal` is its number (2 or 15). The last
    /// complete epoch is kept; an epoch cut short is abandoned.
    Interrupted { signal: i32 },
    /// Early stopping ended the run after `epoch` (0-based, the last epoch trained); the run
    /// counts as completed.
    StoppedEarly { epoch: usize },
}

impl Outcome {
    /// `Interrupted` with the signal that asked for it (SIGINT when none arrived).
    fn interrupted() -> Outcome {
        Outcome::Interrupted {
            signal: interrupt::signal(),
        }
    }

    /// True when the run trained all it was meant to (completed, or stopped early on purpose).
    pub fn is_completed(&self) -> bool {
        matches!(self, Outcome::Completed | Outcome::StoppedEarly { .. })
    }
}

/// What [`Trainer::train`] hands back: how training ended and the trained network.
pub struct Trained {
    pub outcome: Outcome,
    pub network: Network,
}

/// The training loop over one training set and an optional validation set, borrowed for its
/// lifetime `'a`: builds the network, optimizer and schedule from a config, and trains epoch by
/// epoch (see [`Trainer::run`] and [`Trainer::train`]).
pub struct Trainer<'a> {
    train: &'a Dataset,
    validation: Option<&'a Dataset>,
    task: TaskKind,
    net: Network,
    optimizer: Box<dyn Optimizer>,
    schedule: LrSchedule,
    grads: Vec<f32>,
    /// Where the optimizer's evaluation point (schedule-free: x) is swapped in for validation;
    /// empty unless the optimizer has one.
    eval_swap: Vec<f32>,
    batch: Batch,
    order: Vec<usize>,
    eval_order: Vec<usize>,
    batch_rows: usize,
    shuffle: bool,
    seed: u64,
    clip_norm: f64,
    /// Global 0-based optimizer step.
    step: usize,
    /// Epochs finished (where `run` starts: > 0 after `restore`).
    epochs_done: usize,
    /// `[train] early_stopping`, when set.
    stopper: Option<EarlyStopper>,
    /// `[train] ema`, when set: the average of the parameters, updated after every step.
    ema: Option<Ema>,
    /// The config's `train.epochs` (what [`Trainer::train`] runs to).
    epochs: usize,
}

/// The run's shape as the schedule needs it, from the config and the data.
pub fn run_shape(cfg: &RunConfig, train_rows: usize, has_validation: bool) -> RunShape {
    let batch_rows = cfg.train.batch_size.rows(train_rows);
    RunShape {
        seed: cfg.seed,
        epochs: cfg.train.epochs,
        steps_per_epoch: train_rows.div_ceil(batch_rows).max(1),
        has_validation,
        classification: cfg.model.task() == TaskKind::Classification,
    }
}

impl<'a> Trainer<'a> {
    /// A trainer for a config and its loaded data ([`crate::data::load`]); `threads` ≥ 1.
    ///
    /// # Errors
    /// A usage error when the model or schedule does not fit the data (e.g. a linear model on
    /// classes, a schedule horizon beyond the run).
    pub fn new(cfg: &RunConfig, splits: &'a Splits, threads: usize) -> Result<Trainer<'a>> {
        Trainer::build(
            cfg,
            &splits.train,
            splits.validation.as_ref(),
            splits.task,
            splits.outputs,
            threads,
        )
    }

    /// A trainer on datasets made in memory ([`Dataset::classification`],
    /// [`Dataset::regression`]); `cfg.data` is not read. The task follows the targets (an MLP
    /// on regression targets gets the MSE head); classes are the largest label over both sets
    /// plus one. `threads`: 0 for every core, as the config's `threads`.
    ///
    /// # Errors
    /// A usage error when the two sets differ in features or target kind, or as [`Trainer::new`].
    pub fn with_datasets(
        cfg: &RunConfig,
        train: &'a Dataset,
        validation: Option<&'a Dataset>,
        threads: usize,
    ) -> Result<Trainer<'a>> {
        let task = match train.max_class() {
            Some(_) => TaskKind::Classification,
            None => TaskKind::Regression,
        };
        if let Some(v) = validation {
            if v.cols != train.cols {
                crate::bail_usage!(
                    "validation: {} features, but the training set has {}",
                    v.cols,
                    train.cols
                );
            }
            if v.max_class().is_some() != (task == TaskKind::Classification) {
                crate::bail_usage!(
                    "validation: its targets are not of the training set's kind (classes or values)"
                );
            }
        }
        let outputs = train.outputs().max(validation.map_or(0, Dataset::outputs));
        let threads = crate::config::resolve_threads(threads);
        Trainer::build(cfg, train, validation, task, outputs, threads)
    }

    fn build(
        cfg: &RunConfig,
        train: &'a Dataset,
        validation: Option<&'a Dataset>,
        task: TaskKind,
        outputs: usize,
        threads: usize,
    ) -> Result<Trainer<'a>> {
        let batch_rows = cfg.train.batch_size.rows(train.rows);
        let largest = validation.map_or(0, |v| v.rows).max(train.rows).max(1);
        let net = Network::for_task(
            &cfg.model,
            task,
            train.cols,
            outputs,
            batch_rows.max(EVAL_ROWS.min(largest)),
            threads,
            seed::derive(cfg.seed, "init"),
        )?;
        let mut shape = run_shape(cfg, train.rows, validation.is_some());
        shape.classification = task == TaskKind::Classification;
        let schedule = LrSchedule::new(&cfg.schedule, cfg.optimizer.lr0(), &shape)?;
        let optimizer = cfg.optimizer.build(&net.layout());
        let mut optimizer = optimizer;
        if let Some(m) = schedule.momentum(0, 0)
            && !optimizer.set_momentum(m)
        {
            return Err(cycle_refused(cfg));
        }
        let stopper = match &cfg.train.early_stopping {
            Some(es) => Some(es.build(&shape, net.num_params())?),
            None => None,
        };
        let ema = match cfg.train.ema {
            Some(decay) => Some(Ema::new(decay, net.num_params())?),
            None => None,
        };
        let eval_rows = validation.map_or(0, |v| v.rows).max(train.rows);
        Ok(Trainer {
            train,
            validation,
            task,
            grads: vec![0.0; net.num_params()],
            eval_swap: vec![0.0; net.num_params()],
            net,
            optimizer,
            schedule,
            batch: Batch::default(),
            order: (0..train.rows).collect(),
            eval_order: (0..eval_rows).collect(),
            batch_rows,
            shuffle: cfg.train.shuffle,
            seed: cfg.seed,
            clip_norm: cfg.optimizer.clip_norm,
            step: 0,
            epochs_done: 0,
            stopper,
            ema,
            epochs: cfg.train.epochs,
        })
    }

    /// Trains the config's `train.epochs` (see [`Trainer::run`]) and hands back the trained
    /// network, holding the optimizer's evaluation point (schedule-free: the average x), as
    /// params.bin does.
    ///
    /// # Errors
    /// Only what `observer` returns; a diverged or interrupted run is an [`Outcome`].
    pub fn train(mut self, observer: &mut dyn Observer) -> Result<Trained> {
        let outcome = self.run(self.epochs, observer)?;
        let params = self.eval_params();
        self.net.params_mut().copy_from_slice(&params);
        Ok(Trained {
            outcome,
            network: self.net,
        })
    }

    pub fn network(&self) -> &Network {
        &self.net
    }

    pub fn steps_done(&self) -> usize {
        self.step
    }

    pub fn epochs_done(&self) -> usize {
        self.epochs_done
    }

    /// The 0-based last epoch trained when early stopping ended the run.
    pub fn stopped_epoch(&self) -> Option<usize> {
        self.stopper.as_ref().and_then(EarlyStopper::stopped_epoch)
    }

    /// True when the schedule cycles the optimizer's momentum / beta1 (the `momentum` column).
    pub fn cycles_momentum(&self) -> bool {
        self.schedule.momentum(0, 0).is_some()
    }

    /// True when the config has `[train] early_stopping`.
    pub fn early_stopping(&self) -> bool {
        self.stopper.is_some()
    }

    /// Everything that changes while training, at an epoch boundary (for a checkpoint).
    pub fn state(&self) -> TrainState {
        TrainState {
            epochs_done: self.epochs_done as u64,
            step: self.step as u64,
            optimizer_steps: self.optimizer.step_count(),
            params: self.net.params().to_vec(),
            optimizer_buffers: self
                .optimizer
                .state_buffers()
                .into_iter()
                .map(<[f32]>::to_vec)
                .collect(),
            schedule: self.schedule.state(),
            optimizer_scalars: self.optimizer.scalar_state(),
            early_stopping: self
                .stopper
                .as_ref()
                .map_or(Vec::new(), EarlyStopper::state),
            best_params: self
                .stopper
                .as_ref()
                .map_or(Vec::new(), |s| s.best_params().to_vec()),
            ema: self
                .ema
                .as_ref()
                .map_or(Vec::new(), |e| e.average().to_vec()),
            ema_updates: self.ema.as_ref().map_or(0, Ema::updates),
        }
    }

    /// The parameters to evaluate and to keep in params.bin: the optimizer's evaluation point
    /// (schedule-free: the average x) when it has one, else the trained parameters.
    pub fn eval_params(&self) -> Vec<f32> {
        let mut out = vec![0.0; self.net.num_params()];
        if !self.optimizer.eval_params(self.net.params(), &mut out) {
            out.copy_from_slice(self.net.params());
        }
        out
    }

    /// Puts back a [`Trainer::state`] taken from a trainer built from the same config; `run`
    /// then goes on with epoch `epochs_done`.
    pub fn restore(&mut self, s: &TrainState) -> Result<()> {
        if s.params.len() != self.net.num_params() {
            anyhow::bail!(
                "the checkpoint holds {} parameters; this model has {}",
                s.params.len(),
                self.net.num_params()
            );
        }
        let mut buffers = self.optimizer.state_buffers_mut();
        if buffers.len() != s.optimizer_buffers.len()
            || buffers
                .iter()
                .zip(&s.optimizer_buffers)
                .any(|(b, saved)| b.len() != saved.len())
        {
            anyhow::bail!("the checkpoint's optimizer state does not fit this optimizer");
        }
        for (b, saved) in buffers.iter_mut().zip(&s.optimizer_buffers) {
            b.copy_from_slice(saved);
        }
        if s.optimizer_scalars.len() != self.optimizer.scalar_state().len() {
            anyhow::bail!("the checkpoint's optimizer state does not fit this optimizer");
        }
        self.optimizer.set_scalar_state(&s.optimizer_scalars);
        self.schedule.restore(&s.schedule)?;
        match &mut self.stopper {
            Some(stopper) => stopper.restore(&s.early_stopping, &s.best_params)?,
            None if !s.early_stopping.is_empty() => {
                anyhow::bail!("the checkpoint holds early-stopping state; this config has none")
            }
            None => {}
        }
        match &mut self.ema {
            Some(ema) => ema.restore(&s.ema, s.ema_updates)?,
            None if !s.ema.is_empty() => {
                anyhow::bail!(
                    "the checkpoint holds an EMA of the weights; this config has no train.ema"
                )
            }
            None => {}
        }
        self.optimizer.set_step_count(s.optimizer_steps);
        self.net.params_mut().copy_from_slice(&s.params);
        self.step = s.step as usize;
        self.epochs_done = s.epochs_done as usize;
        Ok(())
    }

    /// Trains epochs `epochs_done..epochs` (from 0 unless restored), handing each finished
    /// epoch to `observer`, and says how training ended: [`Outcome::Diverged`] when the loss
    /// became NaN or infinite (that epoch's row is still handed on, so the CSV shows where it
    /// happened), [`Outcome::Interrupted`] when the observer asked to stop.
    ///
    /// # Errors
    /// Only what the observer's `on_epoch` / `on_epoch_end` return (writing a row or a
    /// checkpoint failed): how training went is never an error.
    pub fn run(&mut self, epochs: usize, observer: &mut dyn Observer) -> Result<Outcome> {
        for epoch in self.epochs_done..epochs {
            if self.stopped_epoch().is_some() {
                break;
            }
            let Some(metrics) = self.train_epoch(epoch, observer)? else {
                return Ok(Outcome::interrupted());
            };
            let diverged = !metrics.loss.is_finite();
            observer.on_epoch(&metrics)?;
            if diverged {
                return Ok(Outcome::Diverged {
                    epoch,
                    loss: metrics.loss,
                });
            }
            if let Some(stopper) = &mut self.stopper {
                // With restore_best, a stop puts the best epoch's parameters back here.
                stopper.after_epoch(&metrics, self.net.params_mut());
            }
            self.epochs_done = epoch + 1;
            observer.on_epoch_end(self)?;
            if let Some(epoch) = self.stopped_epoch() {
                return Ok(Outcome::StoppedEarly { epoch });
            }
            if observer.should_stop() {
                return Ok(Outcome::interrupted());
            }
        }
        Ok(Outcome::Completed)
    }

    /// Puts the training order for `epoch` in place: a seeded shuffle, or the file order.
    pub fn prepare_epoch(&mut self, epoch: usize) {
        for (i, slot) in self.order.iter_mut().enumerate() {
            *slot = i;
        }
        if self.shuffle {
            // A fresh generator per epoch, so epoch k's order never depends on how earlier
            // epochs went (and a resumed run sees the same order).
            let mut rng = seed::rng(self.seed, &format!("shuffle/{epoch}"));
            self.order.shuffle(&mut rng);
        }
    }

    /// Optimizer steps in one epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.train.rows.div_ceil(self.batch_rows)
    }

    /// One optimizer step on batch `index` of the current epoch's order, at rate `lr`:
    /// loss and gradient → global norm → clip → update. Nothing is allocated.
    pub fn train_batch(&mut self, index: usize, lr: f64) -> StepResult {
        // The whole step in the network's threads: the fill and the update split their loops
        // among them too, with no extra entry into the pool (see `model::matmul::Pool`).
        let pool = self.net.pool();
        pool.run(|| self.step_here(index, lr))
    }

    fn step_here(&mut self, index: usize, lr: f64) -> StepResult {
        let start = index * self.batch_rows;
        let end = (start + self.batch_rows).min(self.train.rows);
        let rows = &self.order[start..end];
        self.train.fill_batch(rows, &mut self.batch);
        if self.optimizer.needs_closure() {
            return self.closure_step(end - start, lr);
        }
        let r = self
            .net
            .loss_and_grad(&self.batch.x, self.batch.targets(), &mut self.grads);
        let norm = optim::global_norm(&self.grads);
        if self.clip_norm > 0.0 {
            optim::clip_to_norm(&mut self.grads, norm, self.clip_norm);
        }
        self.optimizer
            .step(self.net.params_mut(), &self.grads, lr as f32);
        if let Some(ema) = &mut self.ema {
            ema.update(self.net.params());
        }
        self.step += 1;
        StepResult {
            loss: r.loss,
            correct: r.correct,
            rows: end - start,
            grad_norm: norm,
        }
    }

    /// One `optimizer.step(closure)` on the filled batch (L-BFGS; full batch, so one per epoch).
    /// The closure evaluates loss and gradient at the point the optimizer asks for; torch's
    /// L-BFGS sees the raw gradient, so nothing is clipped (`clip_norm` is refused with it). The
    /// optimizer works on `eval_swap` (scratch outside evaluation) and the result is copied back.
    /// `loss`, `correct` and `grad_norm` are those of the first evaluation, as the SPEC says.
    fn closure_step(&mut self, rows: usize, lr: f64) -> StepResult {
        let Trainer {
            net,
            batch,
            optimizer,
            eval_swap,
            ..
        } = self;
        eval_swap.copy_from_slice(net.params());
        let mut first: Option<(usize, f64)> = None;
        let loss = optimizer.step_with_closure(eval_swap, lr as f32, &mut |p, g| {
            net.params_mut().copy_from_slice(p);
            let r = net.loss_and_grad(&batch.x, batch.targets(), g);
            first.get_or_insert((r.correct, optim::global_norm(g)));
            r.loss
        });
        net.params_mut().copy_from_slice(eval_swap);
        let (correct, grad_norm) = first.unwrap_or((0, 0.0));
        if let Some(ema) = &mut self.ema {
            ema.update(self.net.params());
        }
        self.step += 1;
        StepResult {
            loss,
            correct,
            rows,
            grad_norm,
        }
    }

    /// One pass over the training set, then evaluation; `None` when a stop request cut it short.
    fn train_epoch(
        &mut self,
        epoch: usize,
        observer: &mut dyn Observer,
    ) -> Result<Option<EpochMetrics>> {
        self.prepare_epoch(epoch);
        let mut seen = 0usize;
        let mut loss_sum = 0.0;
        let mut correct = 0usize;
        let mut norm_sum = 0.0;
        let mut effective_lr_sum = 0.0;
        let mut steps = 0usize;
        let mut first_lr = None;
        let mut first_momentum = None;
        let started = Instant::now();
        for i in 0..self.steps_per_epoch() {
            let step = self.step;
            let lr = self.schedule.rate(step, epoch);
            first_lr.get_or_insert(lr);
            if let Some(m) = self.schedule.momentum(step, epoch) {
                self.optimizer.set_momentum(m);
                first_momentum.get_or_insert(m);
            }
            let r = self.train_batch(i, lr);
            self.schedule.after_step(step, epoch, r.grad_norm);
            steps += 1;
            seen += r.rows;
            loss_sum += r.loss * r.rows as f64;
            correct += r.correct;
            norm_sum += r.grad_norm;
            effective_lr_sum += self.optimizer.effective_lr().unwrap_or(0.0);
            observer.on_step(epoch, i);
            if !r.loss.is_finite() {
                break;
            }
            if observer.should_stop() && i + 1 < self.steps_per_epoch() {
                return Ok(None);
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let seen = seen.max(1) as f64;
        let classification = self.task == TaskKind::Classification;
        let (val_loss, val_accuracy) = match self.validation {
            Some(v) => {
                let (l, a) = self.evaluate_at_eval_point(v);
                (Some(l), classification.then_some(a))
            }
            None => (None, None),
        };
        let (val_loss_ema, val_accuracy_ema) = match self.validation {
            Some(v) if self.ema.is_some() => {
                let (l, a) = self.evaluate_ema(v);
                (Some(l), classification.then_some(a))
            }
            _ => (None, None),
        };
        let metrics = EpochMetrics {
            epoch,
            lr: first_lr.unwrap_or(0.0),
            loss: loss_sum / seen,
            accuracy: classification.then_some(correct as f64 / seen),
            val_loss,
            val_accuracy,
            grad_norm: norm_sum / steps.max(1) as f64,
            seconds,
            effective_lr: self
                .optimizer
                .effective_lr()
                .map(|_| effective_lr_sum / steps.max(1) as f64),
            momentum: first_momentum,
            val_loss_ema,
            val_accuracy_ema,
        };
        self.schedule.after_epoch(&metrics);
        Ok(Some(metrics))
    }

    /// [`Trainer::evaluate`] at the optimizer's evaluation point (schedule-free: x), swapped into
    /// the network and back, so training goes on from exactly the same parameters.
    fn evaluate_at_eval_point(&mut self, data: &Dataset) -> (f64, f64) {
        if !self
            .optimizer
            .eval_params(self.net.params(), &mut self.eval_swap)
        {
            return self.evaluate(data);
        }
        self.net.params_mut().swap_with_slice(&mut self.eval_swap);
        let result = self.evaluate(data);
        self.net.params_mut().swap_with_slice(&mut self.eval_swap);
        result
    }

    /// [`Trainer::evaluate`] with the averaged weights swapped in for the raw ones (and back: a
    /// swap of equal-length slices, no allocation). `data`'s loss and accuracy under the EMA.
    fn evaluate_ema(&mut self, data: &Dataset) -> (f64, f64) {
        let Some(mut ema) = self.ema.take() else {
            return self.evaluate(data);
        };
        self.net.params_mut().swap_with_slice(ema.average_mut());
        let out = self.evaluate(data);
        self.net.params_mut().swap_with_slice(ema.average_mut());
        self.ema = Some(ema);
        out
    }

    /// The averaged weights of `[train] ema` (for params_ema.bin); `None` without it.
    pub fn ema_params(&self) -> Option<&[f32]> {
        self.ema.as_ref().map(Ema::average)
    }

    /// Mean loss and accuracy over a whole dataset, in chunks the workspace holds.
    pub fn evaluate(&mut self, data: &Dataset) -> (f64, f64) {
        let pool = self.net.pool();
        pool.run(|| self.evaluate_here(data))
    }

    fn evaluate_here(&mut self, data: &Dataset) -> (f64, f64) {
        let chunk = self.net.max_batch();
        let mut loss_sum = 0.0;
        let mut correct = 0usize;
        for rows in self.eval_order[..data.rows].chunks(chunk) {
            data.fill_batch(rows, &mut self.batch);
            let r = self.net.evaluate(&self.batch.x, self.batch.targets());
            loss_sum += r.loss * rows.len() as f64;
            correct += r.correct;
        }
        let n = data.rows.max(1) as f64;
        (loss_sum / n, correct as f64 / n)
    }
}

/// The error for a schedule that cycles momentum on an optimizer without one (Adagrad, or any
/// whose `set_momentum` refuses): it names the key that turns cycling off.
pub fn cycle_refused(cfg: &RunConfig) -> anyhow::Error {
    // The `kind = "…"` name, as serde writes it.
    let kind = serde_json::to_value(&cfg.optimizer.kind)
        .ok()
        .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(String::from))
        .unwrap_or_default();
    crate::schedule::check::bad(
        "schedule.cycle_momentum",
        &format!(
            "false for optimizer.kind = \"{kind}\", which has neither momentum nor beta1 to cycle"
        ),
        true,
    )
}
