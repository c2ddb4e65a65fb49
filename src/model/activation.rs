//! Hidden-layer activations (`model.activation`), each applied fused with the bias add after the
//! layer's product, and differentiated from its own output so only activations are kept:
//!
//! | kind    | f(z)              | f'(z) written with a = f(z) | PyTorch     |
//! |---------|-------------------|-----------------------------|-------------|
//! | relu    | max(z, 0)         | 1 if a > 0 else 0           | nn.ReLU     |
//! | tanh    | tanh z            | 1 − a²                      | nn.Tanh     |
//! | sigmoid | 1 / (1 + e^(−z))  | a (1 − a)                   | nn.Sigmoid  |

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    #[default]
    Relu,
    Tanh,
    Sigmoid,
}

impl Activation {
    /// `z (n, width) ← f(z + b)`, row by row; `b: (width)`.
    pub fn add_bias_and_apply(self, z: &mut [f32], b: &[f32]) {
        let rows = z.chunks_exact_mut(b.len());
        match self {
            // `if v < 0` rather than `v.max(0)`: a NaN must reach the loss so divergence is seen.
            Activation::Relu => rows.for_each(|row| {
                row.iter_mut().zip(b).for_each(|(v, b)| {
                    let s = *v + b;
                    *v = if s < 0.0 { 0.0 } else { s };
                })
            }),
            Activation::Tanh => rows.for_each(|row| {
                row.iter_mut()
                    .zip(b)
                    .for_each(|(v, b)| *v = (*v + b).tanh());
            }),
            Activation::Sigmoid => rows.for_each(|row| {
                row.iter_mut()
                    .zip(b)
                    .for_each(|(v, b)| *v = 1.0 / (1.0 + (-(*v + b)).exp()));
            }),
        }
    }

    /// `g ← g ⊙ f'(z)` given `a = f(z)`; `g, a: (n, width)`.
    pub fn backward(self, g: &mut [f32], a: &[f32]) {
        debug_assert_eq!(g.len(), a.len());
        let pairs = g.iter_mut().zip(a);
        match self {
            Activation::Relu => pairs.for_each(|(g, &a)| *g = if a > 0.0 { *g } else { 0.0 }),
            Activation::Tanh => pairs.for_each(|(g, &a)| *g *= 1.0 - a * a),
            Activation::Sigmoid => pairs.for_each(|(g, &a)| *g *= a * (1.0 - a)),
        }
    }
}

/// Adds `b` to every row of `z (n, width)`: the output layer, which has no activation.
pub fn add_bias(z: &mut [f32], b: &[f32]) {
    z.chunks_exact_mut(b.len())
        .for_each(|row| row.iter_mut().zip(b).for_each(|(v, b)| *v += b));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_activation_maps_known_points() {
        let mut z = [-1.0, 0.0, 2.0];
        Activation::Relu.add_bias_and_apply(&mut z, &[0.5, 0.0, -3.0]);
        assert_eq!(z, [0.0, 0.0, 0.0]);
        let mut z = [0.0f32, 1.0];
        Activation::Tanh.add_bias_and_apply(&mut z, &[0.0, 0.0]);
        assert_eq!(z[0], 0.0);
        assert!((z[1] - 0.761_594_2).abs() < 1e-6);
        let mut z = [0.0f32, -200.0, 200.0];
        Activation::Sigmoid.add_bias_and_apply(&mut z, &[0.0; 3]);
        assert_eq!(z, [0.5, 0.0, 1.0]);
    }

    #[test]
    fn relu_lets_nan_through_so_divergence_is_detected() {
        let mut z = [f32::NAN];
        Activation::Relu.add_bias_and_apply(&mut z, &[0.0]);
        assert!(z[0].is_nan());
    }

    #[test]
    fn activations_are_read_from_toml_by_their_snake_case_names() {
        #[derive(Deserialize)]
        struct W {
            a: Activation,
        }
        let w: W = toml::from_str("a = \"sigmoid\"").unwrap();
        assert_eq!(w.a, Activation::Sigmoid);
        assert!(toml::from_str::<W>("a = \"gelu\"").is_err());
    }
}
