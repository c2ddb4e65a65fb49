//! `lrtrain compare`: finished runs, grouped by config (one run per seed), ranked by a metric.
//!
//! Everything here is a pure function of runs as read back from their directories
//! ([`load`]), so `compare --from DIR` prints the same table as the `compare` that trained them.
//! The exports (`export/`) turn the ranked [`Table`] into bytes, one format per file.

pub mod comparable;
pub mod export;
pub mod load;
pub mod plan;
pub mod stats;

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use crate::bail_usage;
use crate::metric::{Direction, Metric, RANKED};
use crate::train::EpochMetrics;

/// The metrics a comparison can rank by.
pub const METRICS: [&str; 4] = RANKED;

/// One finished (or stopped) run, as read from its directory.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub dir: PathBuf,
    pub seed: u64,
    /// `optimizer.kind` and `schedule.kind` of the resolved config.
    pub optimizer: String,
    pub schedule: String,
    /// `completed`, `diverged`, `interrupted` or `running` (summary.json's `status`).
    pub status: String,
    /// summary.json's `total_seconds`.
    pub seconds: f64,
    pub rows: Vec<EpochMetrics>,
}

impl RunRecord {
    /// A seed with no run yet (`pending`, or `running` when another process holds its
    /// directory and has written nothing yet): no rows, so it counts as a seed without a value.
    pub fn not_run(dir: PathBuf, seed: u64, status: &str) -> RunRecord {
        RunRecord {
            dir,
            seed,
            optimizer: String::new(),
            schedule: String::new(),
            status: status.into(),
            seconds: f64::NAN,
            rows: Vec::new(),
        }
    }
}

/// The runs of one config: one per seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    pub runs: Vec<RunRecord>,
}

/// `--metric NAME` must be one of [`METRICS`] (exit 2 otherwise).
pub fn check_metric(metric: &str) -> Result<Metric> {
    match Metric::one_of(metric, &METRICS) {
        Some(m) => Ok(m),
        None => bail_usage!("--metric {metric}: expected one of {}", METRICS.join(", ")),
    }
}

/// The metric a run of this kind is ranked by, the rule of `summary.json`'s `best`:
/// val_accuracy for classification with validation, accuracy without, val_loss for regression
/// with validation, else loss.
pub fn natural_metric(classification: bool, validation: bool) -> &'static str {
    Metric::natural(classification, validation).name()
}

/// Every run's natural metric when they agree; the training loss, which every run has, when not.
pub fn default_metric(groups: &[Group]) -> &'static str {
    let mut kinds = groups
        .iter()
        .flat_map(|g| &g.runs)
        .filter_map(|r| r.rows.first())
        .map(|m| natural_metric(m.accuracy.is_some(), m.val_loss.is_some()));
    let Some(first) = kinds.next() else {
        return "loss";
    };
    if kinds.all(|k| k == first) {
        first
    } else {
        "loss"
    }
}

/// Mean and sample standard deviation (n − 1, as pandas and R report it) of one number over a
/// config's seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stat {
    /// `None` when no seed has a value; NaN or infinite when a seed's value is (a diverged run).
    pub mean: Option<f64>,
    /// `None` with fewer than two values.
    pub std: Option<f64>,
    /// One per seed, in seed order.
    pub values: Vec<Option<f64>>,
}

impl Stat {
    pub fn of(values: Vec<Option<f64>>) -> Stat {
        let present: Vec<f64> = values.iter().flatten().copied().collect();
        let n = present.len();
        let mean = (n > 0).then(|| present.iter().sum::<f64>() / n as f64);
        let std = match mean {
            Some(mean) if n >= 2 => {
                let ss: f64 = present.iter().map(|v| (v - mean).powi(2)).sum();
                Some((ss / (n - 1) as f64).sqrt())
            }
            _ => None,
        };
        Stat { mean, std, values }
    }
}

/// One row of the table: a config over its seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// 1-based; the winner is 1.
    pub rank: usize,
    pub run: String,
    pub optimizer: String,
    pub schedule: String,
    /// The row's [`Standing`] as one word: `completed` only when every seed completed with a
    /// value, else `diverged`, `pruned`, `running`, `interrupted` or `pending` (a seed not yet
    /// trained), as [`Standing::status`] names it.
    pub status: String,
    /// What decides whether the row can lead or be tested ([`Standing::of`]).
    #[serde(skip)]
    pub standing: Standing,
    pub seeds: Vec<u64>,
    /// How many seeds diverged.
    pub diverged: usize,
    /// Each seed's best value of the metric over its epochs (non-finite values skipped).
    pub best: Stat,
    /// Each seed's epoch of its best value, 0-based as in metrics.csv (the first on a tie).
    pub best_epoch: Vec<Option<usize>>,
    /// The metric in each seed's last epoch.
    #[serde(rename = "final")]
    pub final_value: Stat,
    /// The training loss in each seed's last epoch.
    pub final_loss: Stat,
    /// Each seed's first epoch (0-based, as in metrics.csv) whose metric reached the target;
    /// `None` when it never did or there is no target.
    pub target_epoch: Vec<Option<usize>>,
    /// Each seed's wall time (summary.json `total_seconds`).
    pub seconds: Stat,
    /// The statistics against the leader ([`add_stats`]); written into JSON by
    /// `export::json` as `best` (with `ci95`) and `vs_leader`.
    #[serde(skip)]
    pub stats: Option<stats::RowStats>,
}

impl Row {
    /// Ranked among the rows that can win, lead and be tested: [`Standing::contends`].
    pub fn contends(&self) -> bool {
        self.standing.contends()
    }
}

/// Where a row (a config over its seeds) stands: the one rule that decides, for the table's
/// order, the winner, the statistics' leader and tests, the verdicts, the summary line and the
/// charts, whether a row can lead and how it is labelled when it cannot.
///
/// Only a row whose every seed completed with a value of the metric can lead or be tested; any
/// other row is ranked after those and labelled with what it is. When several apply, the first
/// of: a diverged seed (it can never win), pruning, a seed still running, missing seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Every seed completed with a value: `completed`.
    Complete,
    /// `diverged` of its `of` seeds diverged: `diverged 4/6` (`diverged` with one seed).
    Diverged { diverged: usize, of: usize },
    /// Stopped by successive halving after `epochs` epochs: `pruned at epoch 3`.
    Pruned { epochs: usize },
    /// A seed is being trained now (by this or another process): `running`.
    Running,
    /// Only `completed` of its `of` seeds completed with a value (the others interrupted, not
    /// yet trained, or without a value): `2 of 3 seeds`.
    Partial {
        completed: usize,
        of: usize,
        /// The first other seed's status (`interrupted`, `pending`, `completed` for a run
        /// without a value of the metric).
        status: &'static str,
    },
}

impl Standing {
    /// The standing of `g` ranked by `metric`: from its runs' statuses and values alone.
    pub fn of(g: &Group, metric: &str) -> Standing {
        let of = g.runs.len();
        let count = |s: &str| g.runs.iter().filter(|r| r.status == s).count();
        let with_value = g
            .runs
            .iter()
            .filter(|r| r.status == "completed" && best(&r.rows, metric).is_some())
            .count();
        let diverged = count("diverged");
        if diverged > 0 {
            return Standing::Diverged { diverged, of };
        }
        if count("pruned") > 0 {
            let epochs = g.runs.iter().map(|r| r.rows.len()).max().unwrap_or(0);
            return Standing::Pruned { epochs };
        }
        if count("running") > 0 {
            return Standing::Running;
        }
        if of > 0 && with_value == of {
            return Standing::Complete;
        }
        let status = g
            .runs
            .iter()
            .map(|r| r.status.as_str())
            .find(|s| *s != "completed")
            .map_or("completed", |s| match s {
                "interrupted" => "interrupted",
                _ => "pending",
            });
        Standing::Partial {
            completed: with_value,
            of,
            status,
        }
    }

    /// Whether the row can win, lead and be tested.
    pub fn contends(self) -> bool {
        self == Standing::Complete
    }

    /// The row's status as one word (`compare.csv`'s and the JSON's `status`).
    pub fn status(self) -> &'static str {
        match self {
            Standing::Complete => "completed",
            Standing::Diverged { .. } => "diverged",
            Standing::Pruned { .. } => "pruned",
            Standing::Running => "running",
            Standing::Partial { status, .. } => status,
        }
    }

    /// What the row is, for a person: `completed`, `diverged 4/6`, `pruned at epoch 3`,
    /// `running`, `2 of 3 seeds`.
    pub fn label(self) -> String {
        match self {
            Standing::Complete => "completed".into(),
            Standing::Diverged { diverged, of } if of > 1 => format!("diverged {diverged}/{of}"),
            Standing::Diverged { .. } => "diverged".into(),
            Standing::Pruned { epochs } => format!("pruned at epoch {epochs}"),
            Standing::Running => "running".into(),
            Standing::Partial { completed, of, .. } => {
                format!("{completed} of {of} seed{}", if of == 1 { "" } else { "s" })
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Winner {
    pub run: String,
    /// Its mean best value.
    pub value: f64,
    pub runner_up: Option<String>,
    /// Winner minus runner-up (positive for accuracies, negative for losses).
    pub margin: Option<f64>,
    /// With seeds: whether the margin exceeds the larger of the two standard deviations.
    pub beyond_std: Option<bool>,
}

/// The ranked comparison: what every format prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub metric: String,
    pub higher_is_better: bool,
    pub target: Option<f64>,
    /// The most seeds any config has.
    pub seeds: usize,
    pub rows: Vec<Row>,
    pub winner: Option<Winner>,
    /// With statistics ([`add_stats`]): the summary line ("X is best" only when every other row
    /// is `worse`, else the rows tied with it) and the Wilcoxon note, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The config keys the compared runs differ in (`optimizer.kind`, `schedule`), for the
    /// header line; empty when unknown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differ_in: Vec<String>,
}

/// Seeds the bootstrap of [`add_stats`], so a table's intervals are the same on every run.
pub const BOOTSTRAP_SEED: u64 = 0;

/// Attaches the statistics of SPEC "Statistics in `compare` and `sweep`" to `table` when a row
/// has two or more seeds (`groups` in the table's order, as [`rank`] returns them); with one
/// seed per row nothing is computed.
pub fn add_stats(table: &mut Table, groups: &[Group], test: stats::PairedTest) {
    if table.seeds < 2 {
        return;
    }
    let c = stats::of_groups(groups, &table.metric, test, BOOTSTRAP_SEED);
    for (row, s) in table.rows.iter_mut().zip(c.rows) {
        row.stats = Some(s);
    }
    table.summary = Some(c.summary);
    table.note = c.note;
}

/// Ranks `groups` by their mean best `metric` (default: [`default_metric`]); returns the table
/// and the groups in the table's order. Configs that diverged, stopped or have no value come
/// after the others; ties go by name, so the order never depends on the order of the input.
pub fn rank(
    mut groups: Vec<Group>,
    metric: Option<&str>,
    target: Option<f64>,
) -> (Table, Vec<Group>) {
    let metric = metric
        .unwrap_or_else(|| default_metric(&groups))
        .to_string();
    let direction = Direction::of(&metric);
    let mut rows: Vec<(Row, Group)> = groups
        .drain(..)
        .map(|g| (row(&g, &metric, target), g))
        .collect();
    rows.sort_by(|(a, _), (b, _)| {
        (!a.contends())
            .cmp(&!b.contends())
            .then_with(|| direction.order(a.best.mean, b.best.mean))
            .then_with(|| a.run.cmp(&b.run))
    });
    let (mut rows, groups): (Vec<Row>, Vec<Group>) = rows.into_iter().unzip();
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    let winner = winner(&rows);
    let table = Table {
        higher_is_better: direction == Direction::Max,
        metric,
        target,
        seeds: groups.iter().map(|g| g.runs.len()).max().unwrap_or(0),
        rows,
        winner,
        summary: None,
        note: None,
        differ_in: Vec::new(),
    };
    (table, groups)
}

fn winner(rows: &[Row]) -> Option<Winner> {
    let first = rows.first().filter(|r| r.contends())?;
    let value = first.best.mean?;
    let second = rows.get(1).filter(|r| r.contends());
    let margin = second.and_then(|s| s.best.mean).map(|v| value - v);
    let beyond_std = match (second, margin) {
        (Some(s), Some(m)) if first.best.std.is_some() || s.best.std.is_some() => {
            let spread = first.best.std.unwrap_or(0.0).max(s.best.std.unwrap_or(0.0));
            Some(m.abs() > spread)
        }
        _ => None,
    };
    Some(Winner {
        run: first.run.clone(),
        value,
        runner_up: second.map(|s| s.run.clone()),
        margin,
        beyond_std,
    })
}

/// A run's best finite value of `metric` and its epoch; the first epoch on a tie.
pub fn best(rows: &[EpochMetrics], metric: &str) -> Option<(f64, usize)> {
    Direction::of(metric).best_of(
        rows.iter()
            .filter_map(|m| m.get(metric).map(|v| (v, m.epoch))),
    )
}

/// The first epoch (0-based) whose `metric` reached `target`: ≥ for accuracies, ≤ for losses.
pub fn target_epoch(rows: &[EpochMetrics], metric: &str, target: f64) -> Option<usize> {
    let direction = Direction::of(metric);
    rows.iter()
        .find(|m| m.get(metric).is_some_and(|v| direction.reached(v, target)))
        .map(|m| m.epoch)
}

fn row(g: &Group, metric: &str, target: Option<f64>) -> Row {
    let bests: Vec<Option<(f64, usize)>> = g.runs.iter().map(|r| best(&r.rows, metric)).collect();
    let last = |f: &dyn Fn(&EpochMetrics) -> Option<f64>| {
        Stat::of(g.runs.iter().map(|r| r.rows.last().and_then(f)).collect())
    };
    let diverged = g.runs.iter().filter(|r| r.status == "diverged").count();
    let standing = Standing::of(g, metric);
    // A seed not yet run (a sweep's placeholder) has no names.
    let first = g.runs.iter().find(|r| !r.optimizer.is_empty());
    Row {
        rank: 0,
        run: g.name.clone(),
        optimizer: first.map(|r| r.optimizer.clone()).unwrap_or_default(),
        schedule: first.map(|r| r.schedule.clone()).unwrap_or_default(),
        status: standing.status().to_string(),
        standing,
        seeds: g.runs.iter().map(|r| r.seed).collect(),
        diverged,
        best: Stat::of(bests.iter().map(|b| b.map(|b| b.0)).collect()),
        best_epoch: bests.iter().map(|b| b.map(|b| b.1)).collect(),
        final_value: last(&|m| m.get(metric)),
        final_loss: last(&|m| Some(m.loss)),
        target_epoch: g
            .runs
            .iter()
            .map(|r| target.and_then(|t| target_epoch(&r.rows, metric, t)))
            .collect(),
        seconds: Stat::of(
            g.runs
                .iter()
                .map(|r| Some(r.seconds).filter(|s| s.is_finite()))
                .collect(),
        ),
        stats: None,
    }
}

/// The mean over a group's seeds of `metric` in each seed's last epoch (what `--require`
/// checks, like `train --require`); `None` when no seed has it.
pub fn final_mean(g: &Group, metric: &str) -> Option<f64> {
    Stat::of(
        g.runs
            .iter()
            .map(|r| r.rows.last().and_then(|m| m.get(metric)))
            .collect(),
    )
    .mean
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A classification run whose validation accuracy goes through `val_acc`, epoch by epoch.
    pub fn run(seed: u64, val_acc: &[f64], status: &str) -> RunRecord {
        RunRecord {
            dir: PathBuf::from(format!("r{seed}")),
            seed,
            optimizer: "sgd".into(),
            schedule: "cosine".into(),
            status: status.into(),
            seconds: 1.5,
            rows: val_acc
                .iter()
                .enumerate()
                .map(|(epoch, &a)| EpochMetrics {
                    epoch,
                    lr: 0.1,
                    loss: 1.0 - a,
                    accuracy: Some(a),
                    val_loss: Some(1.0 - a),
                    val_accuracy: Some(a),
                    grad_norm: 1.0,
                    seconds: 0.5,
                    effective_lr: None,
                    momentum: None,
                    val_loss_ema: None,
                    val_accuracy_ema: None,
                })
                .collect(),
        }
    }

    pub fn group(name: &str, runs: Vec<RunRecord>) -> Group {
        Group {
            name: name.into(),
            runs,
        }
    }

    fn names(t: &Table) -> Vec<&str> {
        t.rows.iter().map(|r| r.run.as_str()).collect()
    }

    #[test]
    fn accuracy_ranks_highest_first_and_loss_lowest_first() {
        let groups = vec![
            group("step", vec![run(1, &[0.90, 0.95], "completed")]),
            group("cosine", vec![run(1, &[0.92, 0.96], "completed")]),
            group("constant", vec![run(1, &[0.80, 0.85], "completed")]),
        ];
        let (t, ordered) = rank(groups.clone(), None, None);
        assert_eq!(t.metric, "val_accuracy");
        assert_eq!(names(&t), ["cosine", "step", "constant"]);
        assert_eq!(ordered[0].name, "cosine");
        assert_eq!(t.rows[0].rank, 1);
        let w = t.winner.unwrap();
        assert_eq!(
            (w.run.as_str(), w.runner_up.as_deref()),
            ("cosine", Some("step"))
        );
        assert!((w.margin.unwrap() - 0.01).abs() < 1e-12);
        // val_loss = 1 − accuracy here, so the order is the same, found by lowest loss.
        let (t, _) = rank(groups, Some("val_loss"), None);
        assert_eq!(names(&t), ["cosine", "step", "constant"]);
        assert!(t.winner.unwrap().margin.unwrap() < 0.0);
    }

    #[test]
    fn a_diverged_run_is_listed_last_and_cannot_win() {
        let groups = vec![
            group("wild", vec![run(1, &[0.97, f64::NAN], "diverged")]),
            group("tame", vec![run(1, &[0.90, 0.91], "completed")]),
        ];
        let (t, _) = rank(groups, None, None);
        assert_eq!(names(&t), ["tame", "wild"]);
        assert_eq!(t.rows[1].status, "diverged");
        assert_eq!(
            t.rows[1].best.mean,
            Some(0.97),
            "its best finite epoch is kept"
        );
        assert!(t.rows[1].final_value.mean.unwrap().is_nan());
        let w = t.winner.unwrap();
        assert_eq!((w.run.as_str(), w.runner_up), ("tame", None));
    }

    #[test]
    fn nothing_wins_when_every_run_diverged() {
        let (t, _) = rank(
            vec![group("a", vec![run(1, &[f64::NAN], "diverged")])],
            None,
            None,
        );
        assert_eq!(t.winner, None);
        assert_eq!(t.rows[0].best.mean, None);
    }

    #[test]
    fn a_row_is_complete_only_when_every_seed_completed_with_a_value_else_says_what_it_is() {
        let of = |runs: Vec<RunRecord>| Standing::of(&group("g", runs), "val_accuracy");
        let done = |s| run(s, &[0.9], "completed");
        let two = of(vec![done(1), done(2)]);
        assert_eq!(
            (two, two.status(), two.label().as_str()),
            (Standing::Complete, "completed", "completed")
        );
        assert!(two.contends());
        let cases = [
            (
                vec![done(1), run(2, &[f64::NAN], "diverged")],
                "diverged",
                "diverged 1/2",
            ),
            (
                vec![run(1, &[f64::NAN], "diverged")],
                "diverged",
                "diverged",
            ),
            (
                vec![run(1, &[0.9, 0.9], "pruned"), run(2, &[0.9], "pruned")],
                "pruned",
                "pruned at epoch 2",
            ),
            (
                vec![done(1), run(2, &[0.9], "running")],
                "running",
                "running",
            ),
            (
                vec![done(1), run(2, &[0.9], "interrupted")],
                "interrupted",
                "1 of 2 seeds",
            ),
            (
                vec![
                    done(1),
                    done(2),
                    RunRecord::not_run("r3".into(), 3, "pending"),
                ],
                "pending",
                "2 of 3 seeds",
            ),
            (
                vec![done(1), run(2, &[], "completed")],
                "completed",
                "1 of 2 seeds",
            ),
            // A diverged seed says more than a running one: the row can never win.
            (
                vec![run(1, &[0.9], "running"), run(2, &[f64::NAN], "diverged")],
                "diverged",
                "diverged 1/2",
            ),
        ];
        for (runs, status, label) in cases {
            let s = of(runs);
            assert!(!s.contends(), "{label}");
            assert_eq!((s.status(), s.label().as_str()), (status, label));
        }
    }

    #[test]
    fn a_row_that_cannot_lead_ranks_after_those_that_can_however_good_its_values() {
        let groups = vec![
            group(
                "busy",
                vec![run(1, &[0.99], "completed"), run(2, &[0.99], "running")],
            ),
            group(
                "tame",
                vec![run(1, &[0.9], "completed"), run(2, &[0.9], "completed")],
            ),
        ];
        let (t, _) = rank(groups, None, None);
        assert_eq!(names(&t), ["tame", "busy"]);
        assert_eq!(t.winner.unwrap().runner_up, None);
    }

    #[test]
    fn ties_go_by_name_whatever_the_input_order() {
        let a = group("a", vec![run(1, &[0.9], "completed")]);
        let b = group("b", vec![run(1, &[0.9], "completed")]);
        let (t1, _) = rank(vec![a.clone(), b.clone()], None, None);
        let (t2, _) = rank(vec![b, a], None, None);
        assert_eq!(t1, t2);
        assert_eq!(names(&t1), ["a", "b"]);
    }

    #[test]
    fn seeds_give_the_mean_and_sample_standard_deviation() {
        // Bests 0.90, 0.92, 0.94: mean 0.92, squares 4e-4 + 0 + 4e-4 over n − 1 = 2 → std 0.02.
        let g = group(
            "c",
            vec![
                run(1, &[0.90], "completed"),
                run(2, &[0.85, 0.92], "completed"),
                run(3, &[0.94, 0.93], "completed"),
            ],
        );
        let (t, _) = rank(vec![g], None, Some(0.92));
        let r = &t.rows[0];
        assert!((r.best.mean.unwrap() - 0.92).abs() < 1e-12);
        assert!((r.best.std.unwrap() - 0.02).abs() < 1e-12);
        assert_eq!(r.best_epoch, [Some(0), Some(1), Some(0)]);
        assert_eq!(r.seeds, [1, 2, 3]);
        assert_eq!(t.seeds, 3);
        // Reaching 0.92: never, in epoch 1, in epoch 0.
        assert_eq!(r.target_epoch, [None, Some(1), Some(0)]);
        assert_eq!(Stat::of(vec![Some(2.0)]).std, None);
        assert_eq!(Stat::of(vec![None, None]).mean, None);
    }

    #[test]
    fn the_margin_is_weighed_against_the_spread_of_seeds() {
        let groups = vec![
            group(
                "a",
                vec![run(1, &[0.90], "completed"), run(2, &[0.96], "completed")],
            ),
            group(
                "b",
                vec![run(1, &[0.92], "completed"), run(2, &[0.92], "completed")],
            ),
        ];
        let w = rank(groups, None, None).0.winner.unwrap();
        assert_eq!(w.run, "a");
        assert_eq!(w.beyond_std, Some(false), "0.01 apart, std of a ≈ 0.042");
    }

    #[test]
    fn the_target_is_reached_at_or_below_for_losses() {
        let r = run(1, &[0.5, 0.7, 0.9], "completed");
        assert_eq!(target_epoch(&r.rows, "val_accuracy", 0.7), Some(1));
        assert_eq!(target_epoch(&r.rows, "val_loss", 0.31), Some(1));
        assert_eq!(target_epoch(&r.rows, "val_loss", 0.01), None);
    }

    #[test]
    fn the_default_metric_follows_the_runs_or_falls_back_to_the_training_loss() {
        let mut reg = run(1, &[0.5], "completed");
        reg.rows[0].accuracy = None;
        reg.rows[0].val_accuracy = None;
        assert_eq!(default_metric(&[group("r", vec![reg.clone()])]), "val_loss");
        let cls = group("c", vec![run(1, &[0.5], "completed")]);
        assert_eq!(default_metric(std::slice::from_ref(&cls)), "val_accuracy");
        assert_eq!(default_metric(&[cls, group("r", vec![reg])]), "loss");
        assert!(check_metric("grad_norm").is_err());
        assert!(check_metric("val_loss").is_ok());
    }

    #[test]
    fn require_reads_the_mean_final_value() {
        let g = group(
            "c",
            vec![
                run(1, &[0.9, 0.8], "completed"),
                run(2, &[0.7], "completed"),
            ],
        );
        assert!((final_mean(&g, "val_accuracy").unwrap() - 0.75).abs() < 1e-12);
    }
}
