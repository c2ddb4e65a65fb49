//! `--shard I/N`: split a sweep's trials over N processes (Slurm array tasks, machines) that
//! write into one OUT. Shard I runs the trials whose index mod N is I, so every trial belongs to
//! exactly one shard and the shards' sizes differ by at most one.

use std::fmt;
use std::str::FromStr;

use anyhow::Result;

use crate::bail_usage;

/// One shard of N: `index` in 0..`count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// The whole sweep in one process (`0/1`).
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Whether trial `trial` (its 0-based index in the plan) belongs to this shard.
    pub fn contains(self, trial: usize) -> bool {
        trial % self.count == self.index
    }

    /// The trial indices of this shard among `trials` trials, ascending.
    pub fn trials(self, trials: usize) -> impl Iterator<Item = usize> {
        (self.index..trials).step_by(self.count)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = anyhow::Error;

    /// Parses `I/N` (decimal, 0 ≤ I < N). Errors are usage errors (exit 2) naming `--shard`.
    fn from_str(s: &str) -> Result<Shard> {
        let expected = "expected I/N with 0 ≤ I < N, e.g. 0/4";
        let Some((i, n)) = s.split_once('/') else {
            bail_usage!("--shard {s}: {expected}");
        };
        // `usize::from_str` accepts a leading `+`; digits only keeps `+1/2` and ` 1/2` out.
        let number = |t: &str| -> Option<usize> {
            (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
                .then(|| t.parse().ok())
                .flatten()
        };
        let (Some(index), Some(count)) = (number(i), number(n)) else {
            bail_usage!("--shard {s}: {expected}");
        };
        if count == 0 {
            bail_usage!("--shard {s}: N must be at least 1");
        }
        if index >= count {
            bail_usage!("--shard {s}: I must be below N ({count}), found {index}");
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::exit_code;

    #[test]
    fn i_over_n_parses_and_prints_back() {
        let s: Shard = "3/8".parse().unwrap();
        assert_eq!(s, Shard { index: 3, count: 8 });
        assert_eq!(s.to_string(), "3/8");
        assert_eq!("0/1".parse::<Shard>().unwrap(), Shard::ALL);
    }

    #[test]
    fn malformed_shards_are_usage_errors_naming_the_flag() {
        for bad in [
            "3/2", "2/2", "x", "1/0", "-1/2", "1/", "/2", "1/2/3", "+1/2", " 1/2", "a/b", "",
        ] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert_eq!(exit_code(&err), 2, "{bad}");
            let msg = err.to_string();
            assert!(msg.starts_with(&format!("--shard {bad}:")), "{msg}");
            assert!(!msg.contains('\n'), "{msg}");
        }
    }

    #[test]
    fn every_trial_is_in_exactly_one_shard_for_n_from_1_to_8() {
        for trials in [0, 1, 7, 8, 23] {
            for n in 1..=8 {
                let mut owners = vec![0usize; trials];
                for i in 0..n {
                    let shard = Shard { index: i, count: n };
                    for t in shard.trials(trials) {
                        assert!(shard.contains(t));
                        owners[t] += 1;
                    }
                    assert_eq!(
                        shard.trials(trials).count(),
                        (0..trials).filter(|&t| shard.contains(t)).count()
                    );
                }
                assert!(owners.iter().all(|&k| k == 1), "n = {n}: {owners:?}");
            }
        }
    }

    #[test]
    fn shard_i_takes_the_trials_whose_index_mod_n_is_i() {
        let s = Shard { index: 1, count: 3 };
        assert_eq!(s.trials(8).collect::<Vec<_>>(), vec![1, 4, 7]);
    }
}
