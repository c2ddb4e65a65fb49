//! Successive halving (`[prune] kind = "halving"`): every trial trains to the first rung, the best
//! 1/eta go on to the next, and so on; the last rung is the full `train.epochs`.
//!
//! Jamieson & Talwalkar (2016), "Non-stochastic best arm identification and hyperparameter
//! optimization", with the rung layout of Li et al. (2017, Hyperband) and ASHA: rung k trains
//! `min_epochs · eta^k` epochs. Pure functions: the runner trains, reads each trial's metric at
//! the rung (one value per seed) and asks which trials go on. Schedule horizons follow
//! `train.epochs`, not the rung, so a trial that survives continues the very run it started.

use std::cmp::Ordering;

use crate::metric::Direction;

/// `[prune] kind = "halving"`: successive halving; its keys are read and checked in
/// `plan.rs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prune {
    /// Epochs of the first rung, ≥ 1 (default 1).
    pub min_epochs: usize,
    /// Each rung keeps the best ceil(n / eta) trials, ≥ 2 (default 3).
    pub eta: usize,
}

/// The epoch counts at which trials are compared: `min_epochs, min_epochs·eta, …` while below
/// `epochs`, then `epochs` itself (always the last rung). `min_epochs = 2, eta = 3, epochs = 20`
/// gives `[2, 6, 18, 20]`; `min_epochs ≥ epochs` gives `[epochs]`.
pub fn rungs(prune: Prune, epochs: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut r = prune.min_epochs.max(1);
    while r < epochs {
        out.push(r);
        // saturating: a huge eta must end the loop, not wrap around.
        r = r.saturating_mul(prune.eta.max(2));
    }
    out.push(epochs);
    out
}

/// How many of `n` trials a rung keeps: ceil(n / eta), at least 1 (0 of 0).
pub fn keep_count(n: usize, eta: usize) -> usize {
    if n == 0 {
        0
    } else {
        n.div_ceil(eta.max(1)).max(1)
    }
}

/// One trial's results at a rung: its index in the plan and the metric after the rung's epochs,
/// one value per seed (NaN for a seed that diverged).
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub trial: usize,
    pub values: Vec<f64>,
}

impl Score {
    /// Mean over seeds; NaN when any seed is NaN or there are none (a diverged trial ranks
    /// last).
    pub fn mean(&self) -> f64 {
        if self.values.is_empty() {
            return f64::NAN;
        }
        self.values.iter().sum::<f64>() / self.values.len() as f64
    }
}

/// Trial indices from best to worst by mean over seeds in `mode`'s direction; NaN means last,
/// ties (NaN with NaN too) by the lower trial index. Deterministic for any input order.
pub fn rank(scores: &[Score], mode: Direction) -> Vec<usize> {
    let mut order: Vec<(f64, usize)> = scores.iter().map(|s| (s.mean(), s.trial)).collect();
    order.sort_by(|(a, i), (b, j)| {
        let by_value = if mode.better(*a, *b) {
            Ordering::Less
        } else if mode.better(*b, *a) {
            Ordering::Greater
        } else {
            Ordering::Equal
        };
        by_value.then(i.cmp(j))
    });
    order.into_iter().map(|(_, i)| i).collect()
}

/// The trials that go on to the next rung: the best [`keep_count`] of `scores` as [`rank`]
/// orders them, returned in plan order (ascending trial index).
pub fn survivors(scores: &[Score], eta: usize, mode: Direction) -> Vec<usize> {
    let mut kept: Vec<usize> = rank(scores, mode)
        .into_iter()
        .take(keep_count(scores.len(), eta))
        .collect();
    kept.sort_unstable();
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(trial: usize, values: &[f64]) -> Score {
        Score {
            trial,
            values: values.to_vec(),
        }
    }

    #[test]
    fn rungs_grow_by_eta_and_end_at_the_full_run() {
        let p = |min_epochs, eta| Prune { min_epochs, eta };
        assert_eq!(rungs(p(2, 3), 20), vec![2, 6, 18, 20]);
        assert_eq!(rungs(p(1, 2), 8), vec![1, 2, 4, 8]);
        assert_eq!(rungs(p(5, 3), 5), vec![5]);
        assert_eq!(rungs(p(9, 3), 4), vec![4]);
        assert_eq!(rungs(p(1, usize::MAX), 10), vec![1, 10]);
    }

    #[test]
    fn each_rung_keeps_ceil_n_over_eta_but_at_least_one() {
        assert_eq!(keep_count(9, 3), 3);
        assert_eq!(keep_count(10, 3), 4);
        assert_eq!(keep_count(2, 3), 1);
        assert_eq!(keep_count(1, 3), 1);
        assert_eq!(keep_count(0, 3), 0);
    }

    #[test]
    fn the_mean_over_seeds_decides_not_one_lucky_seed() {
        // Trial 0: one great seed (0.99) but mean 0.70; trial 1: steady 0.90.
        let scores = [score(0, &[0.99, 0.41, 0.70]), score(1, &[0.9, 0.9, 0.9])];
        assert_eq!(survivors(&scores, 2, Direction::Max), vec![1]);
    }

    #[test]
    fn losses_keep_the_lowest_and_accuracies_the_highest() {
        let scores: Vec<Score> = (0..9).map(|i| score(i, &[i as f64 / 10.0])).collect();
        assert_eq!(survivors(&scores, 3, Direction::Min), vec![0, 1, 2]);
        assert_eq!(survivors(&scores, 3, Direction::Max), vec![6, 7, 8]);
    }

    #[test]
    fn ties_go_to_the_lower_trial_index_whatever_the_input_order() {
        let scores = [
            score(5, &[0.5]),
            score(2, &[0.5]),
            score(7, &[0.5]),
            score(1, &[0.1]),
        ];
        assert_eq!(rank(&scores, Direction::Max), vec![2, 5, 7, 1]);
        assert_eq!(survivors(&scores, 2, Direction::Max), vec![2, 5]);
        let mut reversed = scores.to_vec();
        reversed.reverse();
        assert_eq!(rank(&reversed, Direction::Max), vec![2, 5, 7, 1]);
    }

    #[test]
    fn a_diverged_seed_ranks_its_trial_last_in_either_direction() {
        let scores = [
            score(0, &[f64::NAN, 0.1]),
            score(1, &[5.0, 5.0]),
            score(2, &[0.2]),
        ];
        assert_eq!(rank(&scores, Direction::Min), vec![2, 1, 0]);
        assert_eq!(rank(&scores, Direction::Max), vec![1, 2, 0]);
    }

    #[test]
    fn halving_nine_trials_by_three_leaves_one_after_two_rungs() {
        let values = [0.3, 0.9, 0.1, 0.8, 0.5, 0.7, 0.2, 0.6, 0.4];
        let first: Vec<Score> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| score(i, &[v]))
            .collect();
        let kept = survivors(&first, 3, Direction::Max);
        assert_eq!(kept, vec![1, 3, 5]);
        let second: Vec<Score> = kept.iter().map(|&i| score(i, &[values[i]])).collect();
        assert_eq!(survivors(&second, 3, Direction::Max), vec![1]);
    }
}
