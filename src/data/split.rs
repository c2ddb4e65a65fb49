//! `validation_split`: a seeded random fraction of the training rows held out for validation.
//!
//! Like Keras's `validation_split` but drawn at random (Keras takes the last rows): the
//! validation set has round(n · fraction) rows, at least 1 when fraction > 0, chosen by a
//! shuffle from the seed's `"split"` stream. Both parts keep the file's row order.

use anyhow::{Result, bail};
use rand::seq::SliceRandom;

use super::{Dataset, Features, Labels};
use crate::config::range;

/// Checks `data.validation_split` is in [0, 1).
pub fn check_fraction(fraction: f64) -> Result<()> {
    range::in_unit_half_open("data.validation_split", fraction)?;
    Ok(())
}

/// How many of `n` rows go to validation; errors when no training row would be left.
pub fn validation_count(n: usize, fraction: f64) -> Result<usize> {
    check_fraction(fraction)?;
    if fraction == 0.0 {
        return Ok(0);
    }
    let k = ((n as f64 * fraction).round() as usize).max(1);
    if k >= n {
        bail!(
            "data.validation_split: {fraction} of {n} rows leaves no training rows; expected a smaller fraction or more data"
        );
    }
    Ok(k)
}

/// `(train, validation)` row indices: disjoint, together `0..n`, each in ascending order.
pub fn split_rows(n: usize, fraction: f64, seed: u64) -> Result<(Vec<usize>, Vec<usize>)> {
    let k = validation_count(n, fraction)?;
    let mut order: Vec<usize> = (0..n).collect();
    if k > 0 {
        order.shuffle(&mut crate::config::seed::rng(seed, "split"));
    }
    let mut train = order.split_off(k);
    let mut validation = order;
    train.sort_unstable();
    validation.sort_unstable();
    Ok((train, validation))
}

impl Dataset {
    /// A new dataset of the given rows, in the given order.
    ///
    /// # Panics
    /// If a row index is `>= self.rows` (indices come from the program, never from a file).
    pub fn select(&self, rows: &[usize]) -> Dataset {
        let c = self.cols;
        let features = match &self.features {
            Features::Bytes(v) => Features::Bytes(
                rows.iter()
                    .flat_map(|&r| &v[r * c..(r + 1) * c])
                    .copied()
                    .collect(),
            ),
            Features::Floats(v) => Features::Floats(
                rows.iter()
                    .flat_map(|&r| &v[r * c..(r + 1) * c])
                    .copied()
                    .collect(),
            ),
        };
        let labels = match &self.labels {
            Labels::Classes(v) => Labels::Classes(rows.iter().map(|&r| v[r]).collect()),
            Labels::Values(v) => Labels::Values(rows.iter().map(|&r| v[r]).collect()),
        };
        Dataset {
            features,
            labels,
            rows: rows.len(),
            cols: c,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_validation_set_has_round_n_times_fraction_rows_and_at_least_one() {
        assert_eq!(validation_count(100, 0.0).unwrap(), 0);
        assert_eq!(validation_count(100, 0.2).unwrap(), 20);
        assert_eq!(validation_count(10, 0.25).unwrap(), 3); // 2.5 rounds away from zero
        assert_eq!(validation_count(10, 0.01).unwrap(), 1);
        let (t, v) = split_rows(8000, 0.1, 42).unwrap();
        assert_eq!((t.len(), v.len()), (7200, 800));
    }

    #[test]
    fn a_fraction_outside_zero_to_one_is_rejected_naming_the_key() {
        for f in [1.0, 1.5, -0.1, f64::NAN] {
            let e = format!("{:#}", check_fraction(f).unwrap_err());
            assert!(
                e.starts_with("data.validation_split: expected a number in [0, 1), found"),
                "{e}"
            );
        }
        assert_eq!(
            format!("{:#}", check_fraction(1.5).unwrap_err()),
            "data.validation_split: expected a number in [0, 1), found 1.5"
        );
    }

    #[test]
    fn a_split_leaving_no_training_rows_is_an_error() {
        let e = format!("{:#}", validation_count(1, 0.5).unwrap_err());
        assert!(e.contains("leaves no training rows"), "{e}");
    }

    #[test]
    fn the_split_is_disjoint_covering_sorted_and_fixed_by_the_seed() {
        let (t, v) = split_rows(1000, 0.3, 5).unwrap();
        let mut all: Vec<usize> = t.iter().chain(&v).copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        assert!(t.windows(2).all(|w| w[0] < w[1]) && v.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(split_rows(1000, 0.3, 5).unwrap(), (t.clone(), v.clone()));
        let (_, v2) = split_rows(1000, 0.3, 6).unwrap();
        assert_ne!(v, v2);
        // Not simply the first or last rows.
        assert!(v[0] < 300 && *v.last().unwrap() > 700);
    }

    #[test]
    fn select_copies_the_chosen_rows_features_and_labels() {
        let d = Dataset {
            features: Features::Bytes(vec![0, 1, 10, 11, 20, 21]),
            labels: Labels::Classes(vec![5, 6, 7]),
            rows: 3,
            cols: 2,
        };
        let s = d.select(&[2, 0]);
        assert_eq!(s.rows, 2);
        assert!(matches!(&s.features, Features::Bytes(v) if v == &[20, 21, 0, 1]));
        assert!(matches!(&s.labels, Labels::Classes(v) if v == &[7, 5]));
    }
}
