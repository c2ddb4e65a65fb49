//! `[train] ema = decay`: an exponential moving average of the parameters, as
//! `torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))` keeps
//! it: updated after every optimizer step, the first update copies the parameters, every later
//! one is `ema ← ema + (1 − decay) · (p − ema)` (torch's `lerp_` with weight 1 − decay, whose
//! CPU kernel uses this form for weights below 0.5), in f32 like the parameters.

use anyhow::Result;

use crate::config::range;

/// The average and how many updates it has seen.
#[derive(Debug, Clone)]
pub struct Ema {
    /// 1 − decay, in f32 as torch passes it to `lerp_`.
    weight: f32,
    /// One value per parameter, in the network's flat order.
    average: Vec<f32>,
    /// Optimizer steps averaged so far (torch's `n_averaged`).
    updates: u64,
}

impl Ema {
    /// Checks `train.ema` (a decay in [0, 1)) and sizes the average for `num_params` parameters.
    pub fn new(decay: f64, num_params: usize) -> Result<Ema> {
        range::in_unit_half_open("train.ema", decay)?;
        Ok(Ema {
            weight: (1.0 - decay) as f32,
            average: vec![0.0; num_params],
            updates: 0,
        })
    }

    /// After an optimizer step: one pass over the flat parameters, no allocation.
    pub fn update(&mut self, params: &[f32]) {
        if self.updates == 0 {
            self.average.copy_from_slice(params);
        } else {
            let w = self.weight;
            for (e, &p) in self.average.iter_mut().zip(params) {
                *e += w * (p - *e);
            }
        }
        self.updates += 1;
    }

    /// The averaged parameters (all zero before the first update).
    pub fn average(&self) -> &[f32] {
        &self.average
    }

    /// The average, mutable: swapped into the network to evaluate it.
    pub fn average_mut(&mut self) -> &mut [f32] {
        &mut self.average
    }

    /// Updates so far, for a checkpoint.
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// Restores a checkpoint's average and update count.
    pub fn restore(&mut self, average: &[f32], updates: u64) -> Result<()> {
        if average.len() != self.average.len() {
            anyhow::bail!(
                "the checkpoint's EMA holds {} values; this model has {} parameters (was train.ema added after it was written?)",
                average.len(),
                self.average.len()
            );
        }
        self.average.copy_from_slice(average);
        self.updates = updates;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_update_copies_and_later_ones_lerp_by_one_minus_decay() {
        let mut e = Ema::new(0.75, 2).unwrap();
        e.update(&[4.0, -8.0]);
        assert_eq!(e.average(), &[4.0, -8.0]);
        e.update(&[8.0, 0.0]);
        // 4 + 0.25 · (8 − 4) = 5; −8 + 0.25 · 8 = −6.
        assert_eq!(e.average(), &[5.0, -6.0]);
        assert_eq!(e.updates(), 2);
    }

    #[test]
    fn a_decay_outside_0_1_is_named() {
        let err = Ema::new(1.0, 1).unwrap_err().to_string();
        assert_eq!(err, "train.ema: expected a number in [0, 1), found 1");
        assert!(Ema::new(-0.5, 1).is_err());
    }
}
