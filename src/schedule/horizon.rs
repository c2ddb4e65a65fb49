//! Horizons that follow the run (SPEC "Horizons follow the run"): `total` (linear, cosine,
//! one_cycle) and polynomial's `decay_steps` may be omitted. They then default to the run's
//! length in the schedule's unit (`train.epochs`, or `train.epochs × steps per epoch`) minus
//! `warmup`, so `--epochs 30` stretches the schedule; inside a sequential, to the phase's `length`
//! (the last phase: the rest of the run).
//!
//! A resolved config keeps an omitted horizon omitted, so a run's `config.toml` still follows a
//! later `resume --epochs N`; [`annotate`] shows the value it stands for in a comment.

use super::{Context, RunShape, ScheduleConfig, Unit, root_context};

/// Where an omitted horizon takes its value from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The top-level schedule: the run's length in its unit, minus warmup.
    Run,
    /// A sequential phase with a `length`.
    Phase,
    /// The last sequential phase without a `length`: what the earlier phases leave of the run.
    Rest,
}

/// The value an omitted horizon stands for in a [`Context`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Horizon {
    /// In units of t; 0 when the schedule never runs (warmup as long as the run, a phase that
    /// starts after its end): see [`Horizon::resolve`].
    pub value: usize,
    pub origin: Origin,
}

impl Horizon {
    /// The horizon in force: the one written, else this default. A default of 0 (the schedule
    /// never runs past warmup or never reaches this phase) becomes 1, a horizon that is never
    /// reached, rather than an error: the lints already say that the schedule never runs.
    pub fn resolve(&self, given: Option<usize>) -> usize {
        given.unwrap_or(self.value.max(1))
    }
}

/// One omitted horizon of a config and the value it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OmittedHorizon {
    /// The key path of the kind's table: `schedule` or `schedule.phases[2]`.
    pub table: String,
    /// `total` or `decay_steps`.
    pub key: &'static str,
    /// In units of t.
    pub value: usize,
    /// Why it has this value, for people: `the run's length: train.epochs = 20`.
    pub why: String,
}

impl OmittedHorizon {
    /// `schedule.total = 20 (the run's length: train.epochs = 20)`.
    pub fn describe(&self) -> String {
        format!(
            "{}.{} = {} ({})",
            self.table, self.key, self.value, self.why
        )
    }
}

/// Every omitted horizon of `cfg` on a run of `shape`, with its value (empty for a config that
/// does not build: `LrSchedule::new` reports that).
pub fn omitted(cfg: &ScheduleConfig, lr0: f64, shape: &RunShape) -> Vec<OmittedHorizon> {
    let Ok((cx, _)) = root_context(cfg, lr0, shape) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    cfg.kind.as_kind().omitted_horizons(&cx, &mut out);
    out
}

/// The entry for a kind whose horizon `key` was written as `given` (nothing when it was written).
pub(crate) fn note(
    cx: &Context,
    key: &'static str,
    given: Option<usize>,
) -> Option<OmittedHorizon> {
    if given.is_some() {
        return None;
    }
    let value = cx.horizon.value.max(1);
    let why = match cx.horizon.origin {
        Origin::Run => {
            let run = match cx.unit {
                Unit::Epoch => format!("train.epochs = {}", cx.shape.epochs),
                Unit::Step => format!(
                    "{} epochs × {} steps",
                    cx.shape.epochs, cx.shape.steps_per_epoch
                ),
            };
            let warmup = cx.shape.len_in(cx.unit).saturating_sub(cx.remaining);
            if warmup > 0 {
                format!("the run's length minus warmup: {run} − {warmup}")
            } else {
                format!("the run's length: {run}")
            }
        }
        Origin::Phase => "the phase's length".to_string(),
        Origin::Rest => "the rest of the run after the earlier phases".to_string(),
    };
    Some(OmittedHorizon {
        table: cx.path.clone(),
        key,
        value,
        why,
    })
}

/// `toml` (a resolved config as written by the `toml` crate) with a comment
/// `# total = 20 (the run's length: train.epochs = 20)` after the `kind` line of every table
/// whose horizon was omitted. Tables are found by their headers: `[schedule]` and, for phases,
/// the n-th `[[schedule.phases]]`.
pub fn annotate(toml: &str, horizons: &[OmittedHorizon]) -> String {
    let mut out = String::with_capacity(toml.len() + 80 * horizons.len());
    let mut table = String::new();
    let mut phase = 0usize;
    for line in toml.lines() {
        let trimmed = line.trim();
        if trimmed == "[[schedule.phases]]" {
            table = format!("schedule.phases[{phase}]");
            phase += 1;
        } else if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            table = name.trim_matches(['[', ']']).to_string();
        }
        out.push_str(line);
        out.push('\n');
        if trimmed.starts_with("kind =") {
            for h in horizons.iter().filter(|h| h.table == table) {
                out.push_str(&format!("# {} = {} ({})\n", h.key, h.value, h.why));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;

    #[test]
    fn an_omitted_total_is_the_run_after_warmup() {
        // SHAPE: 10 epochs of 100 steps; unit step, warmup 100 → 900.
        let cfg = parse("kind = \"cosine\"\nwarmup = 100");
        let h = omitted(&cfg, 0.1, &SHAPE);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].table, "schedule");
        assert_eq!(h[0].key, "total");
        assert_eq!(h[0].value, 900);
        assert_eq!(
            h[0].why,
            "the run's length minus warmup: 10 epochs × 100 steps − 100"
        );
        let cfg = parse("kind = \"polynomial\"\nunit = \"epoch\"");
        let h = omitted(&cfg, 0.1, &SHAPE);
        assert_eq!(
            h[0].describe(),
            "schedule.decay_steps = 10 (the run's length: train.epochs = 10)"
        );
    }

    #[test]
    fn a_written_horizon_is_not_listed() {
        assert!(omitted(&parse("kind = \"linear\"\ntotal = 50"), 0.1, &SHAPE).is_empty());
        assert!(omitted(&parse("kind = \"step\"\nstep_size = 5"), 0.1, &SHAPE).is_empty());
    }

    #[test]
    fn phases_take_their_length_and_the_last_the_rest() {
        // 1000 steps: phase 0 has 200, phase 1 (one_cycle, total written) 300, phase 2 the rest.
        let cfg = parse(
            "kind = \"sequential\"\nphases = [{ kind = \"linear\", length = 200 }, { kind = \"one_cycle\", length = 300, total = 300 }, { kind = \"cosine\" }]",
        );
        let h: Vec<String> = omitted(&cfg, 0.1, &SHAPE)
            .iter()
            .map(OmittedHorizon::describe)
            .collect();
        assert_eq!(
            h,
            [
                "schedule.phases[0].total = 200 (the phase's length)",
                "schedule.phases[2].total = 500 (the rest of the run after the earlier phases)"
            ]
        );
    }

    #[test]
    fn annotate_puts_each_comment_after_its_tables_kind() {
        let toml = "seed = 1\n\n[schedule]\nkind = \"sequential\"\nunit = \"step\"\n\n[[schedule.phases]]\nkind = \"linear\"\nlength = 2\n\n[[schedule.phases]]\nkind = \"cosine\"\n\n[train]\nkind = \"x\"\n";
        let h = |table: &str, value| OmittedHorizon {
            table: table.into(),
            key: "total",
            value,
            why: "w".into(),
        };
        let got = annotate(
            toml,
            &[h("schedule.phases[1]", 7), h("schedule.phases[0]", 2)],
        );
        assert_eq!(
            got,
            "seed = 1\n\n[schedule]\nkind = \"sequential\"\nunit = \"step\"\n\n[[schedule.phases]]\nkind = \"linear\"\n# total = 2 (w)\nlength = 2\n\n[[schedule.phases]]\nkind = \"cosine\"\n# total = 7 (w)\n\n[train]\nkind = \"x\"\n"
        );
    }
}
