//! `chain`: schedules = [{ kind, … }, …]; the rate is lr0 times the product of every schedule's
//! factor rate_i(t)/lr0, all run on the same t — PyTorch `ChainedScheduler`, which steps each
//! scheduler in turn so their multiplicative factors compound. An omitted horizon of a chained
//! kind is the chain's own horizon. `plateau` cannot be chained (it steps on epochs, not on t, as
//! in PyTorch, whose ChainedScheduler cannot hold a ReduceLROnPlateau either).

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, OmittedHorizon, Schedule, ScheduleKind};
use crate::config::range;
use crate::metric::columns::EpochValues;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chain {
    pub schedules: Vec<ScheduleKind>,
}

#[derive(Debug)]
struct ChainRun {
    links: Vec<Box<dyn Schedule>>,
}

impl Schedule for ChainRun {
    fn lr(&self, lr0: f64, t: usize) -> f64 {
        if lr0 == 0.0 {
            return 0.0;
        }
        self.links
            .iter()
            .fold(lr0, |rate, s| rate * (s.lr(lr0, t) / lr0))
    }

    fn observe_step(&mut self, t: usize, grad_norm: f64) {
        for s in &mut self.links {
            s.observe_step(t, grad_norm);
        }
    }

    fn observe_epoch(&mut self, t: usize, metrics: &dyn EpochValues) {
        for s in &mut self.links {
            s.observe_epoch(t, metrics);
        }
    }

    fn needs_feedback(&self) -> bool {
        self.links.iter().any(|s| s.needs_feedback())
    }

    /// Each link's state after its length: `[n0, s0…, n1, s1…, …]`.
    fn state(&self) -> Vec<f64> {
        let mut out = Vec::new();
        for s in &self.links {
            let state = s.state();
            out.push(state.len() as f64);
            out.extend(state);
        }
        out
    }

    fn restore(&mut self, state: &[f64]) -> Result<()> {
        let mut rest = state;
        for s in &mut self.links {
            let Some((&n, tail)) = rest.split_first() else {
                anyhow::bail!(
                    "the checkpoint's schedule state ends before the last chained schedule"
                );
            };
            let n = n as usize;
            if n > tail.len() {
                anyhow::bail!("the checkpoint's schedule state is truncated");
            }
            s.restore(&tail[..n])?;
            rest = &tail[n..];
        }
        super::expect_state_len(rest, 0)
    }
}

impl Chain {
    /// Checks the list and returns each link's context (`schedule.schedules[i]`).
    fn link_contexts<'a>(&self, cx: &Context<'a>) -> Result<Vec<Context<'a>>> {
        if self.schedules.is_empty() {
            return Err(range::bad(
                &cx.key("schedules"),
                "at least one schedule",
                "none",
            ));
        }
        let mut out = Vec::with_capacity(self.schedules.len());
        for (i, kind) in self.schedules.iter().enumerate() {
            let path = format!("{}[{i}]", cx.key("schedules"));
            if let ScheduleKind::Plateau(_) = kind {
                return Err(range::bad(
                    &format!("{path}.kind"),
                    "any kind but \"plateau\" (it steps on epochs; use kind = \"sequential\")",
                    "\"plateau\"",
                ));
            }
            out.push(Context { path, ..cx.clone() });
        }
        Ok(out)
    }
}

impl Kind for Chain {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        let mut links = Vec::with_capacity(self.schedules.len());
        for (kind, link_cx) in self.schedules.iter().zip(self.link_contexts(cx)?) {
            links.push(kind.as_kind().build(&link_cx)?);
        }
        Ok(Box::new(ChainRun { links }))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        let Ok(contexts) = self.link_contexts(cx) else {
            return Vec::new();
        };
        self.schedules
            .iter()
            .zip(&contexts)
            .flat_map(|(kind, link_cx)| kind.as_kind().lint(link_cx))
            .collect()
    }

    fn omitted_horizons(&self, cx: &Context, out: &mut Vec<OmittedHorizon>) {
        if let Ok(contexts) = self.link_contexts(cx) {
            for (kind, link_cx) in self.schedules.iter().zip(&contexts) {
                kind.as_kind().omitted_horizons(link_cx, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn the_rate_is_lr0_times_the_product_of_the_factors() {
        // ConstantLR(1/2, 3) · ExponentialLR(0.9), lr0 = 2.
        let s = sched(
            "kind = \"chain\"\nschedules = [{ kind = \"constant_factor\", factor = 0.5, total = 3 }, { kind = \"exponential\", decay_rate = 0.9 }]",
            2.0,
        );
        assert_table(
            &s,
            &[
                (0, 1.0),
                (1, 0.9),
                (2, 0.81),
                (3, 2.0 * 0.729),
                (4, 2.0 * 0.6561),
            ],
        );
    }

    #[test]
    fn an_empty_chain_or_a_chained_plateau_is_named() {
        let e = error("kind = \"chain\"\nschedules = []", 0.1);
        assert!(
            e.starts_with("schedule.schedules: expected at least one"),
            "{e}"
        );
        let e = error(
            "kind = \"chain\"\nschedules = [{ kind = \"constant\" }, { kind = \"plateau\" }]",
            0.1,
        );
        assert!(e.starts_with("schedule.schedules[1].kind:"), "{e}");
    }

    #[test]
    fn a_bad_key_inside_a_link_names_its_path() {
        let e = error(
            "kind = \"chain\"\nschedules = [{ kind = \"cosine\", total = 0 }]",
            0.1,
        );
        assert_eq!(
            e,
            "schedule.schedules[0].total: expected an integer >= 1, found 0"
        );
    }
}
