//! `random`: uniform in [min_lr, max_lr), drawn afresh for each t. A pure function of (seed, t):
//! the t-th output of a SplitMix64 generator seeded with `seed::derive(seed, "random_schedule")`,
//! so previewing, resuming and re-running give the same rates. No PyTorch or Keras counterpart.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::{Context, Kind, Schedule};
use crate::config::range;
use crate::config::seed;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Random {
    pub min_lr: f64,
    pub max_lr: f64,
}

#[derive(Debug, Clone)]
struct RandomRun {
    min_lr: f64,
    max_lr: f64,
    stream: u64,
}

/// SplitMix64's increment: the generator's state after t draws is stream + t · GOLDEN.
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// The t-th draw in [0, 1) of the stream: 53 random bits, as rand's `f64` sampling.
fn uniform(stream: u64, t: usize) -> f64 {
    let bits = seed::splitmix64(stream.wrapping_add((t as u64).wrapping_mul(GOLDEN)));
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

impl Schedule for RandomRun {
    fn lr(&self, _lr0: f64, t: usize) -> f64 {
        self.min_lr + (self.max_lr - self.min_lr) * uniform(self.stream, t)
    }
}

impl Kind for Random {
    fn build(&self, cx: &Context) -> Result<Box<dyn Schedule>> {
        range::non_negative(&cx.key("min_lr"), self.min_lr)?;
        range::finite(&cx.key("max_lr"), self.max_lr)?;
        if self.max_lr < self.min_lr {
            return Err(range::bad(
                &cx.key("max_lr"),
                &format!("a rate >= min_lr = {}", self.min_lr),
                self.max_lr,
            ));
        }
        Ok(Box::new(RandomRun {
            min_lr: self.min_lr,
            max_lr: self.max_lr,
            stream: seed::derive(cx.shape.seed, "random_schedule"),
        }))
    }

    fn lint(&self, cx: &Context) -> Vec<String> {
        if self.max_lr == self.min_lr {
            vec![format!(
                "{} = {}: the rate is constant",
                cx.key("max_lr"),
                cx.key("min_lr")
            )]
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{LrSchedule, RunShape};
    use super::*;

    const SRC: &str = "kind = \"random\"\nmin_lr = 0.01\nmax_lr = 0.1";

    #[test]
    fn the_rate_is_the_t_th_splitmix64_draw_of_the_seeds_stream() {
        // rate(t) = 0.01 + (0.1 − 0.01) · (splitmix64(derive(42, "random_schedule") + t·φ) >> 11) / 2^53.
        let s = sched(SRC, 1.0);
        let stream = seed::derive(42, "random_schedule");
        for t in [0usize, 1, 2, 999, 123_456] {
            let bits = seed::splitmix64(stream.wrapping_add((t as u64).wrapping_mul(GOLDEN)));
            let expected = 0.01 + (0.1 - 0.01) * ((bits >> 11) as f64 / 9007199254740992.0);
            assert_eq!(s.rate_at(t), expected, "t = {t}");
        }
    }

    #[test]
    fn the_same_seed_repeats_and_another_differs() {
        let a = sched(SRC, 1.0);
        let b = sched(SRC, 1.0);
        let other = LrSchedule::new(&parse(SRC), 1.0, &RunShape { seed: 43, ..SHAPE }).unwrap();
        assert!((0..1000).all(|t| a.rate_at(t) == b.rate_at(t)));
        assert!(
            (0..1000)
                .filter(|&t| a.rate_at(t) != other.rate_at(t))
                .count()
                > 990
        );
        // Asking out of order changes nothing: it is a function of t.
        assert_eq!(a.rate_at(500), {
            let _ = a.rate_at(7);
            a.rate_at(500)
        });
    }

    #[test]
    fn draws_cover_the_interval_uniformly() {
        // 100,000 draws in [0.01, 0.1): each tenth of the interval gets 10,000 ± 5 %.
        let s = sched(SRC, 1.0);
        let mut bins = [0usize; 10];
        for t in 0..100_000 {
            let r = s.rate_at(t);
            assert!((0.01..0.1).contains(&r), "{r}");
            bins[((r - 0.01) / 0.009) as usize] += 1;
        }
        assert!(
            bins.iter().all(|&n| (9_500..10_500).contains(&n)),
            "{bins:?}"
        );
    }

    #[test]
    fn max_below_min_is_an_error() {
        let e = error("kind = \"random\"\nmin_lr = 0.1\nmax_lr = 0.01", 0.1);
        assert!(
            e.starts_with("schedule.max_lr: expected a rate >= min_lr = 0.1"),
            "{e}"
        );
        let e = error("kind = \"random\"\nmin_lr = 0.1", 0.1);
        assert!(e.contains("max_lr"), "{e}");
    }
}
