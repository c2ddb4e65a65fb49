//! A dense layer: where its weights and bias sit in the flat parameter buffer, and its forward
//! and backward products.
//!
//! `W` is stored `(inputs, outputs)` row-major, followed by `b (outputs)`. Then the forward
//! product `x·W` and the weight gradient `xᵀ·δ` both write a row-major result with unit column
//! stride, and `δ·Wᵀ` reads `W` transposed through strides; no product needs a copy. (The flat
//! buffer is therefore not PyTorch's `(out, in)` order; only the layer's own code knows.)

use std::ops::Range;

use super::activation::{Activation, add_bias};
use super::matmul::{Operand, Parallel, matmul};
use super::transpose::{TRANSPOSED_COPY_MIN_OUTPUTS, transpose};

#[derive(Debug, Clone)]
pub struct Dense {
    pub inputs: usize,
    pub outputs: usize,
    /// Offset of `W` in the flat buffer; `b` follows it.
    pub offset: usize,
}

impl Dense {
    pub fn num_params(&self) -> usize {
        self.inputs * self.outputs + self.outputs
    }
    pub fn weights(&self) -> Range<usize> {
        self.offset..self.offset + self.inputs * self.outputs
    }
    pub fn bias(&self) -> Range<usize> {
        let w = self.weights();
        w.end..w.end + self.outputs
    }

    /// `out ← act(x·W + b)` (no activation for the output layer).
    // x: (n, inputs)  W: (inputs, outputs)  b: (outputs)  out: (n, outputs)
    pub fn forward(
        &self,
        params: &[f32],
        x: &[f32],
        out: &mut [f32],
        act: Option<Activation>,
        par: &Parallel,
    ) {
        let n = x.len() / self.inputs;
        let w = Operand::plain(&params[self.weights()], self.inputs, self.outputs);
        matmul(out, Operand::plain(x, n, self.inputs), w, false, par);
        let b = &params[self.bias()];
        match act {
            Some(act) => act.add_bias_and_apply(out, b),
            None => add_bias(out, b),
        }
    }

    /// Writes dW and db into `grads`, and, when `dx` is given, `dx ← δ·Wᵀ` (the gradient with
    /// respect to this layer's input, before the previous activation's derivative). `scratch`
    /// holds `Wᵀ` for that product when the layer has at least
    /// [`TRANSPOSED_COPY_MIN_OUTPUTS`] outputs (then it must be at least `inputs · outputs`
    /// long; see `transpose.rs` for why).
    // x: (n, inputs)  δ: (n, outputs)  dW: (inputs, outputs)  db: (outputs)  dx: (n, inputs)
    #[allow(clippy::too_many_arguments)]
    pub fn backward(
        &self,
        params: &[f32],
        x: &[f32],
        delta: &[f32],
        grads: &mut [f32],
        dx: Option<&mut [f32]>,
        scratch: &mut [f32],
        par: &Parallel,
    ) {
        let n = x.len() / self.inputs;
        matmul(
            &mut grads[self.weights()],
            Operand::transposed(x, self.inputs, n),
            Operand::plain(delta, n, self.outputs),
            false,
            par,
        );
        let db = &mut grads[self.bias()];
        db.fill(0.0);
        for row in delta.chunks_exact(self.outputs) {
            db.iter_mut().zip(row).for_each(|(s, d)| *s += d);
        }
        if let Some(dx) = dx {
            let w = &params[self.weights()];
            let wt = if self.outputs >= TRANSPOSED_COPY_MIN_OUTPUTS {
                let copy = &mut scratch[..w.len()];
                transpose(w, self.inputs, self.outputs, copy);
                Operand::plain(copy, self.outputs, self.inputs)
            } else {
                Operand::transposed(w, self.outputs, self.inputs)
            };
            matmul(dx, Operand::plain(delta, n, self.outputs), wt, false, par);
        }
    }
}
