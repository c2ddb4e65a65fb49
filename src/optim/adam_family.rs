//! What the Adam-family optimizers (Adam/AdamW, NAdam, RAdam, Adamax) share: the checks of
//! their common keys and PyTorch's two ways of applying `weight_decay`.

use anyhow::Result;

use crate::config::range::{in_unit_half_open, non_negative, positive};

/// `optimizer.beta1` and `beta2` in [0, 1), `eps` > 0, `weight_decay` ≥ 0 (exit 2 otherwise,
/// naming the key).
pub(crate) fn check_keys(beta1: f64, beta2: f64, eps: f64, weight_decay: f64) -> Result<()> {
    in_unit_half_open("optimizer.beta1", beta1)?;
    in_unit_half_open("optimizer.beta2", beta2)?;
    positive("optimizer.eps", eps)?;
    non_negative("optimizer.weight_decay", weight_decay)?;
    Ok(())
}

/// How one step applies `weight_decay`, as PyTorch's Adam family does:
/// decoupled (AdamW, `decoupled_weight_decay = true`): `p ← p · (1 − lr · wd)` before the update;
/// coupled (L2, the default): `g ← g + wd · p`. With `weight_decay = 0` neither happens.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WeightDecay {
    /// Factor on p before the update: `1 − lr · wd` when decoupled, else 1.
    pub scale: f32,
    /// Whether `wd · p` is added to the gradient.
    pub coupled: bool,
    pub wd: f32,
}

impl WeightDecay {
    /// `lr` is this step's rate; the factor is formed in f64 and rounded once, as PyTorch's
    /// Python-float arithmetic does.
    pub fn of(weight_decay: f64, decoupled: bool, lr: f64) -> Self {
        let active = weight_decay != 0.0;
        WeightDecay {
            scale: if decoupled && active {
                (1.0 - lr * weight_decay) as f32
            } else {
                1.0
            },
            coupled: !decoupled && active,
            wd: weight_decay as f32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoupled_decay_scales_the_parameters_and_coupled_decay_adds_to_the_gradient() {
        let d = WeightDecay::of(0.01, true, 0.1);
        assert_eq!((d.scale, d.coupled), ((1.0f64 - 0.1 * 0.01) as f32, false));
        let c = WeightDecay::of(0.01, false, 0.1);
        assert_eq!((c.scale, c.coupled, c.wd), (1.0, true, 0.01));
        let none = WeightDecay::of(0.0, false, 0.1);
        assert_eq!((none.scale, none.coupled), (1.0, false));
    }

    #[test]
    fn each_common_key_is_checked_by_name() {
        assert!(check_keys(0.9, 0.999, 1e-8, 0.0).is_ok());
        for (args, key) in [
            ((1.0, 0.999, 1e-8, 0.0), "optimizer.beta1"),
            ((0.9, -0.1, 1e-8, 0.0), "optimizer.beta2"),
            ((0.9, 0.999, 0.0, 0.0), "optimizer.eps"),
            ((0.9, 0.999, 1e-8, -1.0), "optimizer.weight_decay"),
        ] {
            let e = check_keys(args.0, args.1, args.2, args.3).unwrap_err();
            assert!(e.to_string().starts_with(key), "{e}");
        }
    }
}
