//! Statistics of a comparison over paired seeds (SPEC "Statistics in `compare` and `sweep`"):
//! per row the mean, standard deviation and bootstrap interval of the ranking metric, and against
//! the leader a paired difference with its interval, a p-value (paired t or Wilcoxon), Holm's
//! correction, the probability of being better, the seeds needed, and a verdict.
//!
//! A pure function of its input: the same values and bootstrap seed give the same numbers, on any
//! machine and thread count. The tests carry the numbers of `scripts/golden_stats.py` (SciPy).

pub mod bootstrap;
pub mod holm;
pub mod paired_t;
pub mod power;
pub mod wilcoxon;

use std::collections::BTreeMap;

use serde::Serialize;

/// A row is `worse` than the leader when its Holm-corrected p-value is below this.
pub const ALPHA: f64 = 0.05;

/// Below this many paired seeds the exact Wilcoxon test cannot reach p < 0.05 (its smallest
/// two-sided p is 2/2ⁿ: 0.0625 at n = 5, 0.03125 at n = 6).
pub const WILCOXON_MIN_SEEDS: usize = 6;

/// The `--format csv` columns the statistics add, in order, after the existing ones.
pub const CSV_COLUMNS: [&str; 12] = [
    "best_mean",
    "best_std",
    "best_ci95_lo",
    "best_ci95_hi",
    "diff",
    "diff_ci95_lo",
    "diff_ci95_hi",
    "p_value",
    "p_holm",
    "prob_better",
    "seeds_needed",
    "verdict",
];

/// Which paired test gives `p_value` (`--test t|wilcoxon`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum PairedTest {
    /// The two-sided paired t-test.
    #[default]
    T,
    /// The exact Wilcoxon signed-rank test.
    Wilcoxon,
}

pub use crate::metric::Direction;

/// One row of the comparison (a config, or a sweep's trial) as input: its name and, per seed,
/// the ranking metric's value at that seed's best epoch. `None` (or a non-finite value, or a
/// seed left out) for a seed whose run has no value; such seeds are left out of every number.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: BTreeMap<u64, Option<f64>>,
    /// `None` for a row that can lead and be tested (every seed completed with a value);
    /// otherwise what the row is (`diverged 4/6`, `2 of 3 seeds`, `pruned at epoch 3`,
    /// `running`: [`super::Standing::label`]): such a row neither leads nor is tested, and the
    /// summary line names it with this label.
    pub untested: Option<String>,
}

/// The ranking metric over a row's seeds (JSON `best`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Best {
    /// Mean of the seeds' values; `None` when no seed has one.
    pub mean: Option<f64>,
    /// Sample standard deviation (n − 1); `None` with fewer than two values.
    pub std: Option<f64>,
    /// One per seed, in seed order; `None` where the seed has no finite value.
    pub values: Vec<Option<f64>>,
    /// 95 % percentile bootstrap interval of the mean ([`bootstrap::mean_ci95`]) as `[lo, hi]`;
    /// `None` with fewer than two values.
    pub ci95: Option<[f64; 2]>,
}

/// A row against the leader, over the seeds both have (JSON `vs_leader`, without `verdict`).
/// Every field is in the metric's units and signed so that positive means "the leader is better".
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Paired {
    /// Mean of the paired differences d = leader − row (row − leader for a loss).
    pub diff: Option<f64>,
    /// 95 % percentile bootstrap interval of the mean of d, `[lo, hi]`.
    pub diff_ci95: Option<[f64; 2]>,
    /// Two-sided p-value of the chosen [`PairedTest`] on d.
    pub p_value: Option<f64>,
    /// `p_value` after Holm's correction over the rows other than the leader ([`holm`]).
    pub p_holm: Option<f64>,
    /// Fraction of the shared seeds where the leader is better, ties counted half.
    pub prob_better: Option<f64>,
    /// Paired seeds for 80 % power at α = 0.05 to resolve `diff` ([`power::seeds_needed`]).
    pub seeds_needed: Option<u64>,
}

/// What a row is against the leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// The row with the best mean (the first such row on a tie).
    #[serde(rename = "leader")]
    Leader,
    /// Worse than the leader: `p_holm` < [`ALPHA`] with the leader ahead (`diff` > 0).
    #[serde(rename = "worse")]
    Worse,
    /// Not shown to differ from the leader.
    #[serde(rename = "tied")]
    Tied,
    /// Fewer than two seeds shared with the leader: nothing can be tested.
    #[serde(rename = "single seed")]
    SingleSeed,
    /// Not every seed of the row completed (diverged, pruned, running, missing seeds): it
    /// cannot lead and is not tested; its status says what it is.
    #[serde(rename = "not tested")]
    NotTested,
}

impl Verdict {
    /// The name used in JSON, CSV and the table.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Leader => "leader",
            Verdict::Worse => "worse",
            Verdict::Tied => "tied",
            Verdict::SingleSeed => "single seed",
            Verdict::NotTested => "not tested",
        }
    }
}

/// JSON `vs_leader`: the leader's holds only `verdict`; every other row's holds every field of
/// [`Paired`] (null where it cannot be computed) and then `verdict`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VsLeader {
    #[serde(flatten)]
    pub paired: Option<Paired>,
    pub verdict: Verdict,
}

/// The statistics of one row, in the order of the input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowStats {
    pub best: Best,
    pub vs_leader: VsLeader,
}

impl RowStats {
    /// This row's values of [`CSV_COLUMNS`], in that order: numbers in Rust's shortest
    /// round-trip form, empty where null.
    pub fn csv_values(&self) -> [String; 12] {
        let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        let lo = |ci: Option<[f64; 2]>| num(ci.map(|c| c[0]));
        let hi = |ci: Option<[f64; 2]>| num(ci.map(|c| c[1]));
        let p = self.vs_leader.paired.clone().unwrap_or_default();
        [
            num(self.best.mean),
            num(self.best.std),
            lo(self.best.ci95),
            hi(self.best.ci95),
            num(p.diff),
            lo(p.diff_ci95),
            hi(p.diff_ci95),
            num(p.p_value),
            num(p.p_holm),
            num(p.prob_better),
            p.seeds_needed.map(|n| n.to_string()).unwrap_or_default(),
            self.vs_leader.verdict.as_str().to_string(),
        ]
    }
}

/// Every row's statistics, the leader, and what the table says about them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// One per input row, in input order.
    pub rows: Vec<RowStats>,
    /// Index of the leader in the input; `None` when no row has a value.
    pub leader: Option<usize>,
    /// The summary line: "X is best" only when every other row is `worse`, else it names the
    /// rows tied with X (and those with too few seeds to test).
    pub summary: String,
    /// With `--test wilcoxon`, when a tested row shares fewer than
    /// [`WILCOXON_MIN_SEEDS`] seeds with the leader: why such a row cannot be `worse`.
    pub note: Option<String>,
}

/// The statistics of `rows`, ranked in `direction`, with `test` for p-values.
///
/// The leader is the row with the best mean (the first in input order on a tie). Each other row
/// is paired with it over the seeds both have a value for; with fewer than two such seeds every
/// paired number is null and the verdict is `single seed`. Bootstrap draws come from
/// `seed` through one stream per row and statistic, named after the row (`crate::config::seed::rng`), so
/// a row's interval depends neither on the other rows nor on their order.
pub fn compare(rows: &[Series], direction: Direction, test: PairedTest, seed: u64) -> Comparison {
    let present: Vec<BTreeMap<u64, f64>> = rows
        .iter()
        .map(|r| {
            r.values
                .iter()
                .filter_map(|(&s, v)| v.filter(|v| v.is_finite()).map(|v| (s, v)))
                .collect()
        })
        .collect();
    let bests: Vec<Best> = rows
        .iter()
        .zip(&present)
        .map(|(r, p)| best(r, p, seed))
        .collect();

    let leader = leader(rows, &bests, direction);
    let mut paired: Vec<Option<(Paired, usize)>> = vec![None; rows.len()];
    if let Some(l) = leader {
        let tested = rows
            .iter()
            .enumerate()
            .filter(|(i, r)| *i != l && r.untested.is_none());
        for (i, row) in tested {
            paired[i] = Some(pair(
                &row.name,
                &present[l],
                &present[i],
                direction,
                test,
                seed,
            ));
        }
    }

    // Holm over the non-leader rows that have a p-value.
    let tested: Vec<usize> = (0..rows.len())
        .filter(|&i| paired[i].as_ref().is_some_and(|(p, _)| p.p_value.is_some()))
        .collect();
    let p: Vec<f64> = tested
        .iter()
        .filter_map(|&i| paired[i].as_ref().and_then(|(p, _)| p.p_value))
        .collect();
    for (&i, adjusted) in tested.iter().zip(holm::adjust(&p)) {
        if let Some((p, _)) = paired[i].as_mut() {
            p.p_holm = Some(adjusted);
        }
    }

    let stats: Vec<RowStats> = bests
        .into_iter()
        .zip(&paired)
        .enumerate()
        .map(|(i, (best, paired))| {
            let vs_leader = match paired {
                _ if Some(i) == leader => VsLeader {
                    paired: None,
                    verdict: Verdict::Leader,
                },
                _ if rows[i].untested.is_some() => VsLeader {
                    paired: Some(Paired::default()),
                    verdict: Verdict::NotTested,
                },
                Some((p, _)) => VsLeader {
                    verdict: verdict(p),
                    paired: Some(p.clone()),
                },
                None => VsLeader {
                    paired: Some(Paired::default()),
                    verdict: Verdict::SingleSeed,
                },
            };
            RowStats { best, vs_leader }
        })
        .collect();

    let fewest_tested = paired
        .iter()
        .flatten()
        .filter(|(p, _)| p.p_value.is_some())
        .map(|(_, n)| *n)
        .min();
    let note = match (test, fewest_tested) {
        (PairedTest::Wilcoxon, Some(n)) if n < WILCOXON_MIN_SEEDS => Some(format!(
            "the Wilcoxon test cannot reach p < 0.05 with fewer than {WILCOXON_MIN_SEEDS} \
             paired seeds (fewest here: {n}), so such rows cannot be `worse`; use more seeds \
             or --test t"
        )),
        _ => None,
    };
    Comparison {
        summary: summary(rows, &stats, leader),
        rows: stats,
        leader,
        note,
    }
}

/// [`compare`] over `compare`'s groups, in their order (so a tie for the lead goes to the row
/// the table ranks first): each run contributes its best finite value of `metric` over its
/// epochs ([`super::best`]) at its seed, and a run that did not complete (diverged,
/// interrupted, still running) contributes `None` for its seed. A group that cannot lead
/// ([`super::Standing`]) is not tested.
pub fn of_groups(groups: &[super::Group], metric: &str, test: PairedTest, seed: u64) -> Comparison {
    let rows: Vec<Series> = groups
        .iter()
        .map(|g| Series {
            untested: Some(super::Standing::of(g, metric))
                .filter(|s| !s.contends())
                .map(|s| s.label()),
            name: g.name.clone(),
            values: g
                .runs
                .iter()
                .map(|r| {
                    let done = r.status == "completed";
                    (
                        r.seed,
                        super::best(&r.rows, metric).filter(|_| done).map(|b| b.0),
                    )
                })
                .collect(),
        })
        .collect();
    compare(&rows, Direction::of(metric), test, seed)
}

fn best(row: &Series, present: &BTreeMap<u64, f64>, seed: u64) -> Best {
    let values: Vec<f64> = present.values().copied().collect();
    let n = values.len();
    let mut rng = crate::config::seed::rng(seed, &format!("stats/ci95/{}", row.name));
    Best {
        mean: (n > 0).then(|| mean(&values)),
        std: (n > 1).then(|| sample_std(&values)),
        values: row
            .values
            .values()
            .map(|v| v.filter(|v| v.is_finite()))
            .collect(),
        ci95: bootstrap::mean_ci95(&values, &mut rng),
    }
}

/// The row with the best mean among those that can lead; the first on a tie.
fn leader(rows: &[Series], bests: &[Best], direction: Direction) -> Option<usize> {
    let mut leader: Option<(usize, f64)> = None;
    for (i, b) in bests.iter().enumerate() {
        if rows[i].untested.is_some() {
            continue;
        }
        let Some(m) = b.mean else { continue };
        if leader.is_none_or(|(_, lm)| direction.gain(m, lm) > 0.0) {
            leader = Some((i, m));
        }
    }
    leader.map(|(i, _)| i)
}

/// `row` against the leader over their shared seeds, `p_holm` still unset; with the number of
/// shared seeds.
fn pair(
    name: &str,
    leader: &BTreeMap<u64, f64>,
    row: &BTreeMap<u64, f64>,
    direction: Direction,
    test: PairedTest,
    seed: u64,
) -> (Paired, usize) {
    let d: Vec<f64> = leader
        .iter()
        .filter_map(|(s, &l)| row.get(s).map(|&r| direction.gain(l, r)))
        .collect();
    let n = d.len();
    if n < 2 {
        return (Paired::default(), n);
    }
    let diff = mean(&d);
    let mut rng = crate::config::seed::rng(seed, &format!("stats/diff_ci95/{name}"));
    let better = d.iter().filter(|&&x| x > 0.0).count() as f64;
    let ties = d.iter().filter(|&&x| x == 0.0).count() as f64;
    let paired = Paired {
        diff: Some(diff),
        diff_ci95: bootstrap::mean_ci95(&d, &mut rng),
        p_value: match test {
            PairedTest::T => paired_t::p_value(&d),
            PairedTest::Wilcoxon => wilcoxon::p_value(&d),
        },
        p_holm: None,
        prob_better: Some((better + 0.5 * ties) / n as f64),
        seeds_needed: power::seeds_needed(diff, sample_std(&d)),
    };
    (paired, n)
}

fn verdict(p: &Paired) -> Verdict {
    match (p.p_holm, p.diff) {
        // A significant difference in the row's favour (possible when the leader's mean rests on
        // seeds the row lacks) does not make the row worse.
        (Some(ph), Some(diff)) if ph < ALPHA && diff > 0.0 => Verdict::Worse,
        (Some(_), _) => Verdict::Tied,
        _ => Verdict::SingleSeed,
    }
}

fn summary(rows: &[Series], stats: &[RowStats], leader: Option<usize>) -> String {
    let with = |v: Verdict| -> Vec<&str> {
        rows.iter()
            .zip(stats)
            .filter(|(_, s)| s.vs_leader.verdict == v)
            .map(|(r, _)| r.name.as_str())
            .collect()
    };
    // Rows that cannot lead, each with what it is: `lr=60 (diverged 4/6)`.
    let not_tested: Vec<String> = rows
        .iter()
        .filter_map(|r| r.untested.as_ref().map(|u| format!("{} ({u})", r.name)))
        .collect();
    let not_tested = match not_tested.is_empty() {
        true => String::new(),
        false => format!("; not tested: {}", not_tested.join(", ")),
    };
    let Some(l) = leader else {
        return format!("no config completed every seed with a value of the metric{not_tested}");
    };
    let (tied, single) = (with(Verdict::Tied), with(Verdict::SingleSeed));
    let name = &rows[l].name;
    let mut line = match (tied.is_empty(), single.is_empty() && not_tested.is_empty()) {
        (true, true) => return format!("{name} is best"),
        (false, _) => format!("{name} leads, tied with {}", tied.join(", ")),
        (true, false) => format!("{name} leads"),
    };
    if !single.is_empty() {
        line += &format!("; single seed, not tested: {}", single.join(", "));
    }
    line + &not_tested
}

/// Arithmetic mean of a non-empty slice.
fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

/// Sample standard deviation (n − 1) of a slice of at least two values.
fn sample_std(x: &[f64]) -> f64 {
    let m = mean(x);
    let ss: f64 = x.iter().map(|v| (v - m).powi(2)).sum();
    (ss / (x.len() - 1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str, values: &[f64]) -> Series {
        Series {
            name: name.into(),
            values: (1..).zip(values.iter().map(|&v| Some(v))).collect(),
            untested: None,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 + 1e-9 * b.abs()
    }

    /// Within the Monte-Carlo error of a 10,000-resample bootstrap: each endpoint inside the
    /// range SciPy's own endpoint takes over 200 generator seeds (`scipy`: [[lo min, lo max],
    /// [hi min, hi max]]), widened by 0.02 of the range of the resampled values. (With 5 seeds the
    /// resample means are a coarse lattice: an endpoint near a lattice point jumps between two
    /// values from seed to seed, in SciPy as here.)
    fn ci_close(ours: [f64; 2], scipy: [[f64; 2]; 2], data: &[f64]) -> bool {
        let lo = data.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = data.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let tol = 0.02 * (hi - lo) + 1e-12;
        let within = |x: f64, [a, b]: [f64; 2]| a - tol <= x && x <= b + tol;
        within(ours[0], scipy[0]) && within(ours[1], scipy[1])
    }

    type Pair = (
        &'static str,
        &'static [f64],
        &'static [f64],
        f64,
        f64,
        [[f64; 2]; 2],
    );

    /// Printed by `scripts/golden_stats.py` (SciPy 1.17.1, NumPy 2.4.6): (name, leader, row,
    /// `ttest_rel(leader, row).pvalue`, `wilcoxon(leader, row, zero_method="wilcox").pvalue`,
    /// `bootstrap((leader − row,), np.mean, method="percentile")` interval as the range of each
    /// endpoint over 200 generator seeds). Where SciPy gives
    /// NaN (all differences 0) the script prints the SPEC's 1.
    const PAIRS: &[Pair] = &[
        (
            "n2",
            &[0.91, 0.93],
            &[0.9, 0.9],
            0.2951672353008665,
            0.5,
            [
                [0.010000000000000009, 0.010000000000000009],
                [0.030000000000000027, 0.030000000000000027],
            ],
        ),
        (
            "n3_zero",
            &[0.95, 0.96, 0.94],
            &[0.93, 0.95, 0.94],
            0.2254033307585161,
            0.5,
            [[0.0, 0.0], [0.019999999999999907, 0.019999999999999907]],
        ),
        (
            "n5_lr_1e-6_vs_0.1",
            &[0.972, 0.968, 0.975, 0.97, 0.971],
            &[0.113, 0.098, 0.105, 0.101, 0.11],
            3.517892299632454e-10,
            0.0625,
            [[0.8614, 0.8615999999999999], [0.8698, 0.8698]],
        ),
        (
            "n6",
            &[0.81, 0.83, 0.8, 0.84, 0.82, 0.85],
            &[0.8, 0.8, 0.81, 0.82, 0.79, 0.83],
            0.04219399670552437,
            0.09375,
            [
                [0.004999999999999986, 0.004999999999999986],
                [0.0266666666666666, 0.026666666666666616],
            ],
        ),
        (
            "n8_ties_zero",
            &[0.75, 0.5, 0.625, 0.875, 0.75, 0.5, 0.625, 0.875],
            &[0.5, 0.75, 0.5, 0.625, 0.625, 0.25, 0.625, 0.625],
            0.08561932856297605,
            0.140625,
            [[0.0, 0.0], [0.21875, 0.21875]],
        ),
        (
            "n10",
            &[
                0.912, 0.905, 0.921, 0.899, 0.915, 0.908, 0.917, 0.903, 0.911, 0.92,
            ],
            &[
                0.907, 0.909, 0.913, 0.902, 0.906, 0.901, 0.916, 0.897, 0.912, 0.91,
            ],
            0.04411133556067218,
            0.052734375,
            [
                [0.0006000000000000005, 0.0008000000000000007],
                [0.006600000000000006, 0.006800000000000006],
            ],
        ),
        (
            "n15_ties",
            &[
                0.5, 0.75, 0.5, 0.625, 0.875, 0.5, 0.75, 0.625, 0.5, 0.75, 0.875, 0.5, 0.625, 0.75,
                0.5,
            ],
            &[
                0.25, 0.5, 0.5, 0.5, 0.625, 0.625, 0.5, 0.5, 0.25, 0.875, 0.625, 0.375, 0.5, 0.5,
                0.375,
            ],
            0.0009998334516792373,
            0.004053604362158608,
            [[0.06666666666666667, 0.075], [0.2, 0.2]],
        ),
        (
            "identical",
            &[0.9, 0.8, 0.85, 0.95],
            &[0.9, 0.8, 0.85, 0.95],
            1.0,
            1.0,
            [[0.0, 0.0], [0.0, 0.0]],
        ),
        (
            "constant_diff",
            &[0.75, 0.5, 0.625, 0.875],
            &[0.5, 0.25, 0.375, 0.625],
            0.0,
            0.125,
            [[0.25, 0.25], [0.25, 0.25]],
        ),
    ];

    fn pair_of(leader: &[f64], row: &[f64], test: PairedTest) -> Paired {
        let c = compare(
            &[series("leader", leader), series("row", row)],
            Direction::Max,
            test,
            42,
        );
        assert_eq!(c.leader, Some(0));
        c.rows[1].vs_leader.paired.clone().unwrap()
    }

    #[test]
    fn p_values_match_scipys_paired_t_test_and_wilcoxon() {
        for &(name, leader, row, t, w, _) in PAIRS {
            let pt = pair_of(leader, row, PairedTest::T).p_value.unwrap();
            let pw = pair_of(leader, row, PairedTest::Wilcoxon).p_value.unwrap();
            assert!(close(pt, t), "{name}: t-test p {pt} vs SciPy {t}");
            assert!(close(pw, w), "{name}: Wilcoxon p {pw} vs SciPy {w}");
        }
    }

    #[test]
    fn difference_intervals_agree_with_scipys_bootstrap_within_monte_carlo_error() {
        for &(name, leader, row, _, _, scipy) in PAIRS {
            let d: Vec<f64> = leader.iter().zip(row).map(|(l, r)| l - r).collect();
            let ci = pair_of(leader, row, PairedTest::T).diff_ci95.unwrap();
            assert!(ci_close(ci, scipy, &d), "{name}: {ci:?} vs SciPy {scipy:?}");
        }
    }

    /// val_accuracy of 4 configs over seeds 1..5, as in `scripts/golden_stats.py`'s TABLE.
    fn table() -> Vec<Series> {
        vec![
            series("lr=0.1", &[0.972, 0.968, 0.975, 0.970, 0.971]),
            series("lr=0.03", &[0.969, 0.970, 0.968, 0.972, 0.966]),
            series("lr=0.01", &[0.961, 0.958, 0.963, 0.957, 0.960]),
            series("lr=1e-6", &[0.113, 0.098, 0.105, 0.101, 0.110]),
        ]
    }

    type Row = (&'static str, f64, f64, [[f64; 2]; 2], Option<Vs>);
    /// diff, diff_ci95, p_value, p_holm, prob_better, seeds_needed, Wilcoxon p and p_holm.
    type Vs = (f64, [[f64; 2]; 2], f64, f64, f64, u64, f64, f64);

    /// `scripts/golden_stats.py`'s TABLE: mean, std, ci95 and, against the leader, the rest.
    const TABLE: [Row; 4] = [
        (
            "lr=0.1",
            0.9712,
            0.002588435821108959,
            [[0.9692000000000001, 0.9693999999999999], [0.9732, 0.9734]],
            None,
        ),
        (
            "lr=0.03",
            0.969,
            0.0022360679774997916,
            [
                [0.9672000000000001, 0.9672000000000001],
                [0.9705999999999999, 0.9708],
            ],
            Some((
                0.002200000000000002,
                [
                    [-0.0010000000000000009, -0.0010000000000000009],
                    [0.005400000000000005, 0.005400000000000005],
                ],
                0.2950375661360032,
                0.2950375661360032,
                0.6,
                28,
                0.3125,
                0.3125,
            )),
        ),
        (
            "lr=0.01",
            0.9597999999999999,
            0.0023874672772626667,
            [[0.958, 0.958], [0.9616, 0.9618]],
            Some((
                0.01140000000000001,
                [
                    [0.010600000000000009, 0.010600000000000009],
                    [0.012200000000000011, 0.012400000000000012],
                ],
                2.369781261015622e-05,
                4.739562522031244e-05,
                1.0,
                1,
                0.0625,
                0.1875,
            )),
        ),
        (
            "lr=1e-6",
            0.10540000000000001,
            0.0061886993787063195,
            [[0.1006, 0.1006], [0.1102, 0.1102]],
            Some((
                0.8657999999999999,
                [[0.8614, 0.8615999999999999], [0.8698, 0.8698]],
                3.517892299632454e-10,
                1.055367689889736e-09,
                1.0,
                1,
                0.0625,
                0.1875,
            )),
        ),
    ];

    #[test]
    fn a_whole_comparison_matches_scipy_with_holm_over_the_non_leaders() {
        let rows = table();
        let t = compare(&rows, Direction::Max, PairedTest::T, 7);
        let w = compare(&rows, Direction::Max, PairedTest::Wilcoxon, 7);
        assert_eq!((t.leader, w.leader), (Some(0), Some(0)));
        for (i, (name, mean, std, ci, vs)) in TABLE.into_iter().enumerate() {
            let (s, values) = (&t.rows[i], rows[i].values.values().flatten());
            let values: Vec<f64> = values.copied().collect();
            assert!(close(s.best.mean.unwrap(), mean), "{name} mean");
            assert!(close(s.best.std.unwrap(), std), "{name} std");
            let ours = s.best.ci95.unwrap();
            assert!(
                ci_close(ours, ci, &values),
                "{name} ci95 {ours:?} vs {ci:?}"
            );
            let Some((diff, dci, p, holm, prob, need, wp, wholm)) = vs else {
                assert_eq!(s.vs_leader.paired, None);
                continue;
            };
            let d: Vec<f64> = rows[0]
                .values
                .values()
                .zip(rows[i].values.values())
                .map(|(l, r)| l.unwrap() - r.unwrap())
                .collect();
            let pt = s.vs_leader.paired.clone().unwrap();
            assert!(close(pt.diff.unwrap(), diff), "{name} diff");
            let ours = pt.diff_ci95.unwrap();
            assert!(
                ci_close(ours, dci, &d),
                "{name} diff_ci95 {ours:?} vs {dci:?}"
            );
            assert!(close(pt.p_value.unwrap(), p), "{name} p");
            assert!(close(pt.p_holm.unwrap(), holm), "{name} p_holm");
            assert_eq!(pt.prob_better, Some(prob), "{name} prob_better");
            assert_eq!(pt.seeds_needed, Some(need), "{name} seeds_needed");
            let pw = w.rows[i].vs_leader.paired.clone().unwrap();
            assert!(close(pw.p_value.unwrap(), wp), "{name} Wilcoxon p");
            assert!(close(pw.p_holm.unwrap(), wholm), "{name} Wilcoxon p_holm");
            // Only the test changes: the intervals are the same draws.
            assert_eq!(pw.diff_ci95, pt.diff_ci95);
        }
        let verdicts = |c: &Comparison| -> Vec<&str> {
            c.rows
                .iter()
                .map(|r| r.vs_leader.verdict.as_str())
                .collect()
        };
        // t: 0.03 is within noise of 0.1 (p_holm 0.295); 0.01 and 1e-6 are clearly worse.
        assert_eq!(verdicts(&t), ["leader", "tied", "worse", "worse"]);
        assert_eq!(t.summary, "lr=0.1 leads, tied with lr=0.03");
        assert_eq!(t.note, None);
        // Wilcoxon with 5 seeds: even lr 1e-6 is only at p = 0.0625 — and the table says why.
        assert_eq!(verdicts(&w), ["leader", "tied", "tied", "tied"]);
        assert_eq!(
            w.summary,
            "lr=0.1 leads, tied with lr=0.03, lr=0.01, lr=1e-6"
        );
        assert!(
            w.note
                .unwrap()
                .contains("fewer than 6 paired seeds (fewest here: 5)")
        );
    }

    #[test]
    fn x_is_best_only_when_every_other_row_is_worse() {
        let rows = [
            series("lr=0.1", &[0.972, 0.968, 0.975, 0.970, 0.971]),
            series("lr=0.01", &[0.961, 0.958, 0.963, 0.957, 0.960]),
            series("lr=1e-6", &[0.113, 0.098, 0.105, 0.101, 0.110]),
        ];
        let c = compare(&rows, Direction::Max, PairedTest::T, 1);
        assert_eq!(c.summary, "lr=0.1 is best");
        let alone = compare(&rows[..1], Direction::Max, PairedTest::T, 1);
        assert_eq!(alone.summary, "lr=0.1 is best");
        assert_eq!(alone.rows[0].vs_leader.verdict, Verdict::Leader);
    }

    #[test]
    fn the_leader_has_the_best_mean_and_the_first_row_wins_a_tie() {
        // Dyadic values, so that every difference is exact.
        let rows = [
            series("a", &[0.5, 0.75]),
            series("b", &[0.25, 0.5]),
            series("c", &[0.25, 0.5]),
        ];
        // Accuracy: a leads. Loss: b and c tie at 0.375, and b comes first.
        assert_eq!(
            compare(&rows, Direction::Max, PairedTest::T, 1).leader,
            Some(0)
        );
        let c = compare(&rows, Direction::Min, PairedTest::T, 1);
        assert_eq!(c.leader, Some(1));
        assert_eq!(
            c.rows[2].vs_leader.paired.as_ref().unwrap().p_value,
            Some(1.0)
        );
        // For a loss the difference is row − leader, so the leader being better stays positive:
        // a − b = 0.25 on both seeds.
        let vs_a = c.rows[0].vs_leader.paired.clone().unwrap();
        assert_eq!(vs_a.diff, Some(0.25));
        assert_eq!(
            vs_a.p_value,
            Some(0.0),
            "the same non-zero difference on every seed"
        );
        assert_eq!(vs_a.prob_better, Some(1.0));
        assert_eq!(vs_a.seeds_needed, Some(0));
        assert_eq!(Direction::of("val_loss"), Direction::Min);
        assert_eq!(Direction::of("val_accuracy"), Direction::Max);
    }

    #[test]
    fn with_one_seed_every_statistic_is_null_and_the_verdict_is_single_seed() {
        let rows = [
            series("a", &[0.9]),
            series("b", &[0.8]),
            series("c", &[0.7]),
        ];
        let c = compare(&rows, Direction::Max, PairedTest::Wilcoxon, 1);
        assert_eq!(c.leader, Some(0));
        let b = &c.rows[1];
        assert_eq!(b.best.mean, Some(0.8));
        assert_eq!((b.best.std, b.best.ci95), (None, None));
        assert_eq!(b.vs_leader.paired, Some(Paired::default()));
        assert_eq!(b.vs_leader.verdict, Verdict::SingleSeed);
        assert_eq!(c.summary, "a leads; single seed, not tested: b, c");
        assert_eq!(c.note, None, "no test ran, so nothing to warn about");
    }

    #[test]
    fn rows_pair_over_the_seeds_both_have() {
        // Seed 2 of "b" did not finish and seed 4 is only in "a"; seed 3 of "b" diverged (NaN).
        let a = series("a", &[0.90, 0.92, 0.94, 0.96]);
        let b = Series {
            name: "b".into(),
            values: BTreeMap::from([
                (1, Some(0.80)),
                (2, None),
                (3, Some(f64::NAN)),
                (5, Some(0.70)),
            ]),
            untested: None,
        };
        let c = compare(&[a, b.clone()], Direction::Max, PairedTest::T, 1);
        let row = &c.rows[1];
        assert_eq!(row.best.values, [Some(0.80), None, None, Some(0.70)]);
        assert!(close(row.best.mean.unwrap(), 0.75));
        // Shared seeds with a value: only seed 1. Too few to test.
        assert_eq!(row.vs_leader.verdict, Verdict::SingleSeed);
        assert_eq!(row.vs_leader.paired, Some(Paired::default()));

        let a = series("a", &[0.90, 0.92, 0.94]);
        let b = Series {
            name: "b".into(),
            values: BTreeMap::from([(1, Some(0.85)), (2, None), (3, Some(0.93))]),
            untested: None,
        };
        let p = compare(&[a, b], Direction::Max, PairedTest::T, 1).rows[1]
            .vs_leader
            .paired
            .clone()
            .unwrap();
        // Seeds 1 and 3: d = [0.05, 0.01], diff 0.03, sd √0.0008 = 0.028284; a is better on
        // both: prob_better 1.
        assert!(close(p.diff.unwrap(), 0.03));
        assert_eq!(p.prob_better, Some(1.0));
        assert_eq!(
            p.seeds_needed,
            Some(7),
            "(2.801585 · 0.028284 / 0.03)² = 6.977 → 7"
        );
    }

    #[test]
    fn ties_between_seeds_count_half_towards_prob_better() {
        let c = compare(
            &[
                series("a", &[0.9, 0.8, 0.7, 0.6]),
                series("b", &[0.8, 0.8, 0.8, 0.5]),
            ],
            Direction::Max,
            PairedTest::T,
            1,
        );
        // d = [0.1, 0, −0.1, 0.1]: better, tie, worse, better → (2 + 0.5) / 4.
        let p = c.rows[1].vs_leader.paired.clone().unwrap();
        assert_eq!(p.prob_better, Some(0.625));
    }

    #[test]
    fn json_uses_the_specs_field_names_and_the_leader_holds_only_its_verdict() {
        let mut rows = table();
        rows.push(series("lost", &[0.5]));
        let c = compare(&rows, Direction::Max, PairedTest::T, 3);
        let json = serde_json::to_value(&c.rows).unwrap();
        assert_eq!(
            json[0]["vs_leader"],
            serde_json::json!({ "verdict": "leader" })
        );
        let keys = |v: &serde_json::Value| -> Vec<String> {
            v.as_object().unwrap().keys().cloned().collect()
        };
        let mut best = keys(&json[1]["best"]);
        best.sort();
        assert_eq!(best, ["ci95", "mean", "std", "values"]);
        let mut vs = keys(&json[1]["vs_leader"]);
        vs.sort();
        let want = [
            "diff",
            "diff_ci95",
            "p_holm",
            "p_value",
            "prob_better",
            "seeds_needed",
            "verdict",
        ];
        assert_eq!(vs, want);
        assert_eq!(json[1]["vs_leader"]["verdict"], "tied");
        assert_eq!(json[2]["vs_leader"]["verdict"], "worse");
        assert_eq!(json[1]["vs_leader"]["seeds_needed"], 28);
        assert_eq!(json[1]["best"]["ci95"].as_array().unwrap().len(), 2);
        assert_eq!(
            json[1]["vs_leader"]["diff_ci95"].as_array().unwrap().len(),
            2
        );
        // A row with too few seeds keeps every field, as null.
        assert_eq!(
            json[4]["vs_leader"],
            serde_json::json!({
                "diff": null, "diff_ci95": null, "p_value": null, "p_holm": null,
                "prob_better": null, "seeds_needed": null, "verdict": "single seed"
            })
        );
        assert_eq!(json[4]["best"]["ci95"], serde_json::Value::Null);
        assert_eq!(
            serde_json::to_value(PairedTest::Wilcoxon).unwrap(),
            "wilcoxon"
        );
    }

    #[test]
    fn csv_values_follow_the_columns_with_empty_cells_for_null() {
        let c = compare(
            &[
                series("a", &[0.9, 0.8]),
                series("b", &[0.5, 0.5]),
                series("c", &[0.1]),
            ],
            Direction::Max,
            PairedTest::T,
            1,
        );
        let leader = c.rows[0].csv_values();
        // Rust's shortest round-trip form of the numbers themselves.
        assert_eq!(leader[0], c.rows[0].best.mean.unwrap().to_string());
        assert!(close(leader[0].parse().unwrap(), 0.85));
        assert!(close(leader[1].parse().unwrap(), 0.05 * 2.0_f64.sqrt()));
        assert_eq!(&leader[4..], ["", "", "", "", "", "", "", "leader"]);
        let b = c.rows[1].csv_values();
        // d = [0.4, 0.3]: diff 0.35, t = 0.35 / (0.0707/√2) = 7 on 1 df → p = 1 − 2·atan(7)/π.
        assert_eq!(b[0], "0.5");
        assert_eq!(b[1], "0");
        assert_eq!((b[2].as_str(), b[3].as_str()), ("0.5", "0.5"));
        assert!(close(b[4].parse().unwrap(), 0.35));
        let p = 1.0 - 2.0 * 7.0_f64.atan() / std::f64::consts::PI;
        assert!(close(b[7].parse().unwrap(), p));
        assert_eq!(b[7], b[8], "Holm over one row changes nothing");
        assert_eq!(
            (b[9].as_str(), b[10].as_str(), b[11].as_str()),
            ("1", "1", "tied")
        );
        let single = c.rows[2].csv_values();
        assert_eq!(single[0], "0.1");
        assert!(single[1..11].iter().all(String::is_empty));
        assert_eq!(single[11], "single seed");
        assert_eq!(CSV_COLUMNS.len(), leader.len());
    }

    #[test]
    fn intervals_are_seeded_and_do_not_depend_on_the_other_rows() {
        let rows = table();
        let c = compare(&rows, Direction::Max, PairedTest::T, 42);
        assert_eq!(c, compare(&rows, Direction::Max, PairedTest::T, 42));
        // Ten spread values: their resample means take many values, so a new seed shows.
        let spread = [series(
            "s",
            &[0.1, 0.37, 0.52, 0.13, 0.91, 0.44, 0.68, 0.05, 0.29, 0.77],
        )];
        let s42 = compare(&spread, Direction::Max, PairedTest::T, 42).rows[0]
            .best
            .ci95;
        assert_ne!(
            s42,
            compare(&spread, Direction::Max, PairedTest::T, 43).rows[0]
                .best
                .ci95
        );
        assert_eq!(s42, Some(SNAPSHOT_SPREAD));
        // Drop lr=0.01: lr=0.03's interval and its difference interval stay the same draws.
        let fewer = [rows[0].clone(), rows[1].clone(), rows[3].clone()];
        let f = compare(&fewer, Direction::Max, PairedTest::T, 42);
        assert_eq!(f.rows[1].best.ci95, c.rows[1].best.ci95);
        let diff_ci =
            |c: &Comparison, i: usize| c.rows[i].vs_leader.paired.clone().unwrap().diff_ci95;
        assert_eq!(diff_ci(&f, 1), diff_ci(&c, 1));
        // A snapshot of seed 42: any change to the resampling shows here.
        assert_eq!(c.rows[0].best.ci95, Some(SNAPSHOT_CI95));
        assert_eq!(diff_ci(&c, 1), Some(SNAPSHOT_DIFF_CI95));
    }

    #[test]
    fn groups_pair_by_seed_at_each_runs_best_epoch() {
        use crate::compare::tests::{group, run};
        let groups = [
            group(
                "cosine",
                vec![
                    run(1, &[0.90, 0.95, 0.94], "completed"),
                    run(2, &[0.93, 0.92], "completed"),
                ],
            ),
            group(
                "step",
                vec![
                    run(1, &[0.91], "completed"),
                    run(2, &[0.90, 0.91], "completed"),
                    run(3, &[0.90], "completed"),
                ],
            ),
        ];
        let c = of_groups(&groups, "val_accuracy", PairedTest::T, 1);
        // cosine: bests 0.95 and 0.93; step: 0.91, 0.91, 0.90.
        assert_eq!(c.rows[0].best.values, [Some(0.95), Some(0.93)]);
        assert!(close(c.rows[0].best.mean.unwrap(), 0.94));
        assert_eq!(c.leader, Some(0));
        // Paired over seeds 1 and 2: d = [0.04, 0.02].
        let p = c.rows[1].vs_leader.paired.clone().unwrap();
        assert!(close(p.diff.unwrap(), 0.03));
        // The same runs ranked by val_loss (= 1 − accuracy here): the same leader and diff.
        let l = of_groups(&groups, "val_loss", PairedTest::T, 1);
        assert_eq!(l.leader, Some(0));
        assert!(close(
            l.rows[1].vs_leader.paired.clone().unwrap().diff.unwrap(),
            0.03
        ));
    }

    #[test]
    fn a_row_whose_every_seed_did_not_complete_neither_leads_nor_is_tested() {
        use crate::compare::tests::{group, run};
        let six = |f: &dyn Fn(u64) -> crate::compare::RunRecord| (1..=6).map(f).collect();
        let groups = [
            // The better mean, from the 2 seeds of 6 that survived.
            group(
                "wild",
                six(&|s| match s {
                    1 | 2 => run(s, &[0.99], "completed"),
                    _ => run(s, &[0.99, f64::NAN], "diverged"),
                }),
            ),
            group(
                "tame",
                six(&|s| run(s, &[0.90 + 0.001 * s as f64], "completed")),
            ),
            group("busy", six(&|s| run(s, &[0.995], "running"))),
            group("cut", six(&|s| run(s, &[0.995], "pruned"))),
            group(
                "half",
                six(&|s| match s {
                    1 | 2 => run(s, &[0.995], "completed"),
                    _ => run(s, &[0.995], "interrupted"),
                }),
            ),
        ];
        let c = of_groups(&groups, "val_accuracy", PairedTest::T, 1);
        assert_eq!(
            c.leader,
            Some(1),
            "tame, the only row whose every seed completed"
        );
        for i in [0, 2, 3, 4] {
            let row = &c.rows[i];
            assert_eq!(row.vs_leader.verdict, Verdict::NotTested, "{i}");
            assert_eq!(row.vs_leader.paired, Some(Paired::default()), "{i}");
        }
        assert_eq!(
            c.summary,
            "tame leads; not tested: wild (diverged 4/6), busy (running), \
             cut (pruned at epoch 1), half (2 of 6 seeds)"
        );
        // Holm ran over no row at all: nothing else was tested.
        assert!(c.rows.iter().all(|r| {
            r.vs_leader
                .paired
                .as_ref()
                .is_none_or(|p| p.p_holm.is_none())
        }));
        // Every seed diverged: nothing leads, and the line says why.
        let all = [group("wild", six(&|s| run(s, &[f64::NAN], "diverged")))];
        let c = of_groups(&all, "val_accuracy", PairedTest::T, 1);
        assert_eq!(c.leader, None);
        assert_eq!(c.rows[0].vs_leader.verdict, Verdict::NotTested);
        assert_eq!(
            c.summary,
            "no config completed every seed with a value of the metric; not tested: wild (diverged 6/6)"
        );
    }

    /// `compare(&table(), Max, T, 42)`: lr=0.1's ci95 and lr=0.03's diff_ci95, as first computed.
    const SNAPSHOT_CI95: [f64; 2] = [0.9692000000000001, 0.9732049999999999];
    const SNAPSHOT_DIFF_CI95: [f64; 2] = [-0.0010000000000000009, 0.005400000000000005];
    /// The ten spread values' ci95 at seed 42: many distinct resample means, so any change to
    /// the draws or the quantile rule moves it.
    const SNAPSHOT_SPREAD: [f64; 2] = [0.260975, 0.599];
}
