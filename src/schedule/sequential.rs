//! `sequential`: phases = [{ kind, length, … }, …]. Phase i runs its own schedule on
//! t − start_i (start_0 = 0, start_i+1 = start_i + length_i); the last phase runs on past its
//! length. Inside a phase, an omitted `total` (linear, cosine, one_cycle) or polynomial
//! `decay_steps` is the phase's `length` (the last phase: the rest of the run). Every phase but
//! the last needs a length ≥ 1; plateau may only be the last phase (it starts from lr0 and
//! watches the epochs that reach it); phases cannot nest.
//! PyTorch `SequentialLR(schedulers, milestones)` with milestones at the phase starts, except that
//! every phase restarts from lr0 at its own t = 0 (PyTorch's chained quirks at milestones are not
//! reproduced) and a plateau phase is allowed.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Horizon, Kind, OmittedHorizon, Origin, Schedule, ScheduleKind};
use crate::config::range;
use crate::metric::columns::EpochValues;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sequential {
    pub phases: Vec<Phase>,
}

/// One phase: its length (optional on the last) and any kind but sequential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Phase {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<usize>,
    #[serde(flatten)]
    pub kind: ScheduleKind,
}

#[derive(Debug)]
struct SequentialRun {
    /// Ascending; starts[0] = 0.
    starts: Vec<usize>,
    phases: Vec<Box<dyn Schedule>>,
}

impl SequentialRun {
    fn phase(&self, t: usize) -> usize {
        self.starts.partition_point(|&s| s <= t) - 1
    }
}

impl Schedule for SequentialRun {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        let i = self.phase(t);
        self.phases[i].lr(lr0, t - self.starts[i])
    }

    fn observe_step(&mut self, t: usize, grad_norm: f64) {
        let i = self.phase(t);
        self.phases[i].observe_step(t - self.starts[i], grad_norm);
    }

    fn observe_epoch(&mut self, t: usize, metrics: &dyn EpochValues) {
        let i = self.phase(t);
        self.phases[i].observe_epoch(t - self.starts[i], metrics);
    }

    fn needs_feedback(&self) -> bool {
        self.phases.iter().any(|p| p.needs_feedback())
    }

    /// Each phase's state after its length: `[n0, s0…, n1, s1…, …]`.
    fn state(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for p in &self.phases {
            let s = p.state();
            out.push(s.len() as f64);
            out.extend(s);
        }
        out
    }

    fn restore(&mut self, state: &[f64]) -> Result<()> {
        let mut rest = state;
        for p in &mut self.phases {
            let Some((&n, tail)) = rest.split_first() else {
                anyhow::bail!("the checkpoint's schedule state ends before the last phase");
            };
            let n = n as usize;
            if n > tail.len() {
                anyhow::bail!("the checkpoint's schedule state is truncated");
            }
            p.restore(&tail[..n])?;
            rest = &tail[n..];
        }
        super::expect_state_len(rest, 0)
    }
}

impl Sequential {
    /// Checks the phase list and returns each phase's start and context.
    fn phase_contexts<'a>(&self, cx: &Context<'a>) -> Result<Vec<(usize, Context<'a>)>> {
        if self.phases.is_empty() {
            return Err(range::bad(&cx.key("phases"), "at least one phase", "none"));
        }
        let last = self.phases.len() - 1;
        let mut start = 0usize;
        let mut out = Vec::with_capacity(self.phases.len());
        for (i, phase) in self.phases.iter().enumerate() {
            let path = format!("{}[{i}]", cx.key("phases"));
            match phase.kind {
                ScheduleKind::Sequential(_) => {
                    return Err(range::bad(
                        &format!("{path}.kind"),
                        "any kind but \"sequential\" (phases cannot nest)",
                        "\"sequential\"",
                    ));
                }
                ScheduleKind::Plateau(_) if i != last => {
                    return Err(range::bad(
                        &format!("{path}.kind"),
                        "\"plateau\" only in the last phase (it has no end)",
                        format!("\"plateau\" in phase {i} of {}", last + 1),
                    ));
                }
                _ => {}
            }
            let length = match phase.length {
                Some(n) => Some(range::positive_int(&format!("{path}.length"), n)?),
                None if i == last => None,
                None => {
                    return Err(range::bad(
                        &format!("{path}.length"),
                        "an integer >= 1 (every phase but the last needs one)",
                        "nothing",
                    ));
                }
            };
            let remaining = cx.remaining.saturating_sub(start);
            let horizon = match length {
                Some(n) => Horizon {
                    value: n,
                    origin: Origin::Phase,
                },
                None => Horizon {
                    value: remaining,
                    origin: Origin::Rest,
                },
            };
            let phase_cx = Context {
                lr0: cx.lr0,
                shape: cx.shape,
                unit: cx.unit,
                path,
                horizon,
                remaining: if i == last {
                    remaining
                } else {
                    length.unwrap_or(0).min(remaining)
                },
                origin: cx.origin.saturating_add(start),
            };
            out.push((start, phase_cx));
            start = start.saturating_add(length.unwrap_or(0));
        }
        Ok(out)
    }
}

impl Kind for Sequential {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        let mut starts = Vec::with_capacity(self.phases.len());
        let mut phases = Vec::with_capacity(self.phases.len());
        for (phase, (start, phase_cx)) in self.phases.iter().zip(self.phase_contexts(cx)?) {
            phases.push(phase.kind.as_kind().build(&phase_cx)?);
            starts.push(start);
        }
        Ok(Box::new(SequentialRun { starts, phases }))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        let Ok(contexts) = self.phase_contexts(cx) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (phase, (start, phase_cx)) in self.phases.iter().zip(contexts.iter()) {
            let start = *start;
            if start >= cx.remaining && cx.remaining > 0 {
                out.push(format!(
                    "{} starts at {} {start}, after the schedule's {} {}: it never runs",
                    phase_cx.path,
                    cx.unit_word(),
                    cx.remaining,
                    cx.unit.plural()
                ));
                continue;
            }
            // A phase cut short by the run's end is worth a word only for the last one that runs.
            if phase_cx.remaining > 0 {
                out.extend(phase.kind.as_kind().lint(phase_cx));
            }
        }
        out
    }

    fn omitted_horizons(&self, cx: &Context, out: &mut Vec<OmittedHorizon>) {
        if let Ok(contexts) = self.phase_contexts(cx) {
            for (phase, (_, phase_cx)) in self.phases.iter().zip(&contexts) {
                phase.kind.as_kind().omitted_horizons(phase_cx, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    const WARM_THEN_COSINE: &str = "kind = \"sequential\"\nphases = [\n  { kind = \"linear\", length = 4, start_factor = 0.5, end_factor = 1.0 },\n  { kind = \"cosine\", length = 4, min_lr = 0.0 },\n  { kind = \"constant\" },\n]";

    #[test]
    fn each_phase_runs_on_t_minus_its_start_and_the_last_runs_on() {
        // lr0 1. Phase 0, t 0..4: 0.5 + 0.5·t/4 (total = length 4). Phase 1, t 4..8: cosine with
        // total = 4 on t − 4. Phase 2 from t = 8: constant.
        let s = sched(WARM_THEN_COSINE, 1.0);
        let c = |x: f64| (1.0 + (std::f64::consts::PI * x).cos()) / 2.0;
        assert_table(
            &s,
            &[
                (0, 0.5),   // first step of phase 0
                (3, 0.875), // last step of phase 0: 0.5 + 0.5·3/4
                (4, 1.0),   // first step of phase 1: cosine at 0
                (5, c(0.25)),
                (7, c(0.75)), // last step of phase 1
                (8, 1.0),     // phase 2
                (1_000_000, 1.0),
            ],
        );
    }

    #[test]
    fn polynomial_and_one_cycle_take_the_phase_length_as_horizon() {
        // Phase 0: polynomial, decay_steps = 10: 1 − t/10. Phase 1 (from 10): one_cycle, total 10
        // (up end 0.3·10 − 1 = 2): 0.04 at t = 10, lr0 at t = 12, 4e-6 from t = 19 on.
        let s = sched(
            "kind = \"sequential\"\nphases = [{ kind = \"polynomial\", length = 10 }, { kind = \"one_cycle\", length = 10 }]",
            1.0,
        );
        assert_table(
            &s,
            &[
                (0, 1.0),
                (5, 0.5),
                (9, 0.1),
                (10, 0.04),
                (12, 1.0),
                (19, 4e-6),
                (500, 4e-6),
            ],
        );
    }

    #[test]
    fn a_last_phase_without_length_takes_the_rest_of_the_run_as_horizon() {
        // SHAPE: 1000 steps; warmup 100, phase 0 200 steps, so the cosine of the last phase has
        // total = 1000 − 100 − 200 = 700: lr0/2 at its t = 350 (step 650), 0 at its t = 700.
        let s = sched(
            "kind = \"sequential\"\nwarmup = 100\nphases = [{ kind = \"constant\", length = 200 }, { kind = \"cosine\" }]",
            1.0,
        );
        assert_table(&s, &[(299, 1.0), (300, 1.0), (650, 0.5), (1000, 0.0)]);
        assert!(s.rate_at(999) > 0.0);
    }

    #[test]
    fn an_outer_warmup_shifts_the_whole_sequence() {
        // warmup 2 (from 0): 0, 0.5; then WARM_THEN_COSINE at t − 2.
        let src = format!("warmup = 2\n{WARM_THEN_COSINE}");
        let s = sched(&src, 1.0);
        assert_table(
            &s,
            &[
                (0, 0.0),
                (1, 0.5),
                (2, 0.5),
                (5, 0.875),
                (6, 1.0),
                (10, 1.0),
            ],
        );
    }

    #[test]
    fn a_plateau_last_phase_sees_only_the_epochs_that_reach_it() {
        // unit epoch; phase 0 constant for 3 epochs, then plateau with patience 0 on loss.
        // Epochs 0..=2 are phase 0 (not observed); epoch 3 sets best; epoch 4 does not improve →
        // 0.1 from epoch 5.
        let mut s = sched(
            "kind = \"sequential\"\nunit = \"epoch\"\nphases = [{ kind = \"constant\", length = 3 }, { kind = \"plateau\", monitor = \"loss\", patience = 0 }]",
            1.0,
        );
        assert!(s.needs_feedback());
        let mut r = Vec::new();
        for e in 0..6 {
            r.push(s.rate(e * 100, e));
            s.after_epoch(&metrics(e, 1.0));
        }
        assert_eq!(r, [1.0, 1.0, 1.0, 1.0, 1.0, 0.1]);
    }

    #[test]
    fn with_unit_step_a_plateau_phase_sees_the_epochs_that_end_in_it() {
        // 100 steps an epoch; plateau from step 150. Epoch 0 ends at step 99 (not observed),
        // epoch 1 at 199 (best), epoch 2 does not improve → 0.1 from epoch 3 (step 300).
        let mut s = sched(
            "kind = \"sequential\"\nphases = [{ kind = \"constant\", length = 150 }, { kind = \"plateau\", monitor = \"loss\", patience = 0 }]",
            1.0,
        );
        let mut r = Vec::new();
        for e in 0..4 {
            r.push(s.rate(e * 100 + 99, e));
            s.after_epoch(&metrics(e, 1.0));
        }
        assert_eq!(r, [1.0, 1.0, 1.0, 0.1]);
    }

    #[test]
    fn a_grad_norm_phase_starts_its_own_g0() {
        // unit step; phase 0 constant for 2 steps, then grad_norm: G(0) is step 2's norm.
        let mut s = sched(
            "kind = \"sequential\"\nphases = [{ kind = \"constant\", length = 2 }, { kind = \"grad_norm\", max_lr = 1.0 }]",
            0.1,
        );
        for (step, g) in [(0, 50.0), (1, 50.0), (2, 2.0), (3, 4.0)] {
            s.after_step(step, 0, g);
        }
        // step 4 = phase t 2: 0.1 · G(1)/G(0) = 0.1 · 4/2.
        assert_eq!(s.rate(4, 0), 0.2);
    }

    #[test]
    fn phase_errors_name_the_phase() {
        let e = error("kind = \"sequential\"\nphases = []", 0.1);
        assert_eq!(
            e,
            "schedule.phases: expected at least one phase, found none"
        );
        let e = error(
            "kind = \"sequential\"\nphases = [{ kind = \"constant\" }, { kind = \"constant\" }]",
            0.1,
        );
        assert!(
            e.starts_with("schedule.phases[0].length: expected an integer >= 1"),
            "{e}"
        );
        let e = error(
            "kind = \"sequential\"\nphases = [{ kind = \"constant\", length = 2 }, { kind = \"constant\", length = 0 }]",
            0.1,
        );
        assert_eq!(
            e,
            "schedule.phases[1].length: expected an integer >= 1, found 0"
        );
        let e = error(
            "kind = \"sequential\"\nphases = [{ kind = \"plateau\", length = 2 }, { kind = \"constant\" }]",
            0.1,
        );
        assert!(
            e.starts_with("schedule.phases[0].kind: expected \"plateau\" only in the last phase"),
            "{e}"
        );
        let e = error(
            "kind = \"sequential\"\nphases = [{ kind = \"sequential\", phases = [{ kind = \"constant\" }] }]",
            0.1,
        );
        assert!(
            e.starts_with("schedule.phases[0].kind: expected any kind but \"sequential\""),
            "{e}"
        );
        let e = error(
            "kind = \"sequential\"\nphases = [{ kind = \"constant\", length = 2 }, { kind = \"cosine\", total = 0 }]",
            0.1,
        );
        assert_eq!(
            e,
            "schedule.phases[1].total: expected an integer >= 1, found 0"
        );
        let e = error(
            "kind = \"sequential\"\nphases = [{ kind = \"step\", length = 2, step_size = 0 }]",
            0.1,
        );
        assert_eq!(
            e,
            "schedule.phases[0].step_size: expected an integer >= 1, found 0"
        );
    }

    #[test]
    fn an_unknown_key_inside_a_phase_is_rejected_naming_it() {
        let e = error(
            "kind = \"sequential\"\nphases = [{ kind = \"step\", step_size = 2, gama = 0.5 }]",
            0.1,
        );
        assert!(e.contains("gama"), "{e}");
    }

    #[test]
    fn a_phase_after_the_run_is_linted() {
        // SHAPE: 1000 steps.
        let w = lint(
            "kind = \"sequential\"\nphases = [{ kind = \"constant\", length = 1000 }, { kind = \"constant\" }]",
            0.1,
            &SHAPE,
        );
        assert!(
            w.iter()
                .any(|w| w.starts_with("schedule.phases[1] starts at step 1000")),
            "{w:?}"
        );
        let w = lint(
            "kind = \"sequential\"\nphases = [{ kind = \"constant\", length = 500 }, { kind = \"cosine\", total = 500 }]",
            0.1,
            &SHAPE,
        );
        assert!(w.is_empty(), "{w:?}");
    }
}
