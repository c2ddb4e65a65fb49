//! Buffers for one pass, allocated once for the largest batch and sliced to each batch's rows.
//!
//! `outputs[l]` holds layer `l`'s activations (the last layer's: logits, then their gradient);
//! `deltas[l]`, for every layer but the last, receives δ_{l+1}·W_{l+1}ᵀ and then becomes δ_l.

use super::activation::Activation;

pub struct Workspace {
    outputs: Vec<Vec<f32>>,
    deltas: Vec<Vec<f32>>,
}

impl Workspace {
    /// `widths`: each layer's output width, the last one being the network's outputs.
    pub fn new(widths: &[usize], max_batch: usize) -> Self {
        let buf = |w: &usize| vec![0.0f32; w * max_batch];
        let hidden = &widths[..widths.len().saturating_sub(1)];
        Workspace {
            outputs: widths.iter().map(buf).collect(),
            deltas: hidden.iter().map(buf).collect(),
        }
    }

    /// Layer `l`'s output buffer, `n` rows of `width`.
    pub fn output(&mut self, l: usize, n: usize, width: usize) -> &mut [f32] {
        &mut self.outputs[l][..n * width]
    }

    /// Layer `l − 1`'s outputs (layer `l`'s input) and layer `l`'s output buffer; `l` ≥ 1.
    pub fn input_and_output(
        &mut self,
        l: usize,
        n: usize,
        widths: &[usize],
    ) -> (&[f32], &mut [f32]) {
        let (before, from_l) = self.outputs.split_at_mut(l);
        (
            &before[l - 1][..n * widths[l - 1]],
            &mut from_l[0][..n * widths[l]],
        )
    }

    /// For the backward step of layer `l`: its input activations (layer `l − 1`'s outputs),
    /// its δ, and the buffer for δ_{l−1} (`None` for the first layer, whose input gradient is
    /// never needed). `widths[l]` is layer `l`'s output width.
    #[allow(clippy::type_complexity)]
    pub fn backward_views(
        &mut self,
        l: usize,
        n: usize,
        widths: &[usize],
    ) -> (Option<&[f32]>, &[f32], Option<&mut [f32]>) {
        let last = widths.len() - 1;
        let input = l.checked_sub(1).map(|p| &self.outputs[p][..n * widths[p]]);
        let (deltas_before, deltas_from) = self.deltas.split_at_mut(l);
        let delta: &[f32] = if l == last {
            &self.outputs[l][..n * widths[l]]
        } else {
            &deltas_from[0][..n * widths[l]]
        };
        let dx = deltas_before
            .last_mut()
            .map(|d| &mut d[..n * widths[l - 1]]);
        (input, delta, dx)
    }

    /// Turns layer `l`'s buffer δ_{l+1}·W_{l+1}ᵀ into δ_l by the activation's derivative.
    pub fn activation_backward(&mut self, l: usize, n: usize, width: usize, act: Activation) {
        act.backward(
            &mut self.deltas[l][..n * width],
            &self.outputs[l][..n * width],
        );
    }
}
