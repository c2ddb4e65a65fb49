//! Prediction on `ndarray` inputs (the library surface): class probabilities, classes and
//! regression values for any number of rows, computed in chunks of the network's largest batch.

use anyhow::Result;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use super::loss::Head;
use super::{LayerView, Network};
use crate::bail_usage;

impl Network {
    /// The output layer's values for every row of `x: (rows, inputs)`, `(rows, outputs)`:
    /// logits (classification) or predictions (regression). Any memory layout of `x`.
    ///
    /// # Errors
    /// A usage error when `x` does not have the network's number of input columns.
    pub fn predict_outputs(&mut self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        if x.ncols() != self.inputs {
            bail_usage!(
                "x: expected {} feature columns, found {}",
                self.inputs,
                x.ncols()
            );
        }
        let outputs = *self.widths.last().unwrap_or(&0);
        let mut out = Array2::zeros((x.nrows(), outputs));
        let chunk = self.max_batch.max(1);
        for (rows, mut dst) in x
            .axis_chunks_iter(Axis(0), chunk)
            .zip(out.axis_chunks_iter_mut(Axis(0), chunk))
        {
            let rows = rows.as_standard_layout();
            let flat = rows.as_slice().unwrap_or(&[]);
            let z = self.outputs(flat);
            for (d, &v) in dst.iter_mut().zip(z) {
                *d = v;
            }
        }
        Ok(out)
    }

    /// Class probabilities `(rows, classes)` for `x: (rows, inputs)`: the softmax of the
    /// logits, each row summing to 1 (computed shifted by the row's largest logit, in f64).
    ///
    /// # Errors
    /// A usage error for a regression network, or as [`Network::predict_outputs`].
    pub fn predict_proba(&mut self, x: ArrayView2<f32>) -> Result<Array2<f32>> {
        if self.head != Head::SoftmaxCrossEntropy {
            bail_usage!("predict_proba: this network does regression; use predict_values");
        }
        let mut z = self.predict_outputs(x)?;
        for mut row in z.rows_mut() {
            let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
            let sum: f64 = row.iter().map(|&v| f64::from(v - max).exp()).sum();
            row.mapv_inplace(|v| (f64::from(v - max).exp() / sum) as f32);
        }
        Ok(z)
    }

    /// The most probable class of every row of `x: (rows, inputs)` (the largest logit; the
    /// first on a tie).
    ///
    /// # Errors
    /// As [`Network::predict_proba`].
    pub fn predict(&mut self, x: ArrayView2<f32>) -> Result<Array1<usize>> {
        if self.head != Head::SoftmaxCrossEntropy {
            bail_usage!("predict: this network does regression; use predict_values");
        }
        let z = self.predict_outputs(x)?;
        Ok(z.rows()
            .into_iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| {
                        if v > bv { (i, v) } else { (bi, bv) }
                    })
                    .0
            })
            .collect())
    }

    /// The predicted value of every row of `x: (rows, inputs)` for a regression network.
    ///
    /// # Errors
    /// A usage error for a classification network, or as [`Network::predict_outputs`].
    pub fn predict_values(&mut self, x: ArrayView2<f32>) -> Result<Array1<f32>> {
        if self.head == Head::SoftmaxCrossEntropy {
            bail_usage!("predict_values: this network classifies; use predict or predict_proba");
        }
        Ok(self.predict_outputs(x)?.column(0).to_owned())
    }
}

impl<'a> LayerView<'a> {
    /// The weights as a `(inputs, outputs)` matrix viewing the flat parameter buffer (the
    /// stored layout, row-major: the transpose of PyTorch's `Linear.weight`; `.t()` gives
    /// PyTorch's `[out, in]` without a copy).
    pub fn weight_matrix(&self) -> ArrayView2<'a, f32> {
        ArrayView2::from_shape((self.inputs, self.outputs), self.weights)
            .expect("a layer's weights hold inputs × outputs values")
    }

    /// The biases, `(outputs)`, viewing the flat parameter buffer.
    pub fn bias_vector(&self) -> ArrayView1<'a, f32> {
        ArrayView1::from(self.bias)
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;
    use crate::model::{ModelConfig, TaskKind};

    fn softmax_regression() -> Network {
        let cfg: ModelConfig = toml::from_str("kind = \"mlp\"\nhidden = []").unwrap();
        let mut net = Network::for_task(&cfg, TaskKind::Classification, 2, 3, 2, 1, 7).unwrap();
        // W (2 inputs, 3 outputs) row-major, then b.
        let p = [1.0, 0.0, -1.0, 0.0, 2.0, 0.0, 0.5, 0.0, 0.0];
        net.params_mut().copy_from_slice(&p);
        net
    }

    #[test]
    fn probabilities_are_the_softmax_of_x_w_plus_b_in_chunks_of_the_batch() {
        let mut net = softmax_regression();
        // Three rows with a batch of 2: two chunks. Row [1, 1]: z = [1.5, 2, -1].
        let x = array![[1.0f32, 1.0], [0.0, 0.0], [2.0, 0.0]];
        let p = net.predict_proba(x.view()).unwrap();
        let z: [f64; 3] = [1.5, 2.0, -1.0];
        let s: f64 = z.iter().map(|v| v.exp()).sum();
        for (j, zj) in z.iter().enumerate() {
            assert!((f64::from(p[[0, j]]) - zj.exp() / s).abs() < 1e-6);
        }
        assert_eq!(net.predict(x.view()).unwrap(), array![1usize, 0, 0]);
        let l = &net.layers()[0];
        assert_eq!(
            l.weight_matrix(),
            array![[1.0f32, 0.0, -1.0], [0.0, 2.0, 0.0]]
        );
        assert_eq!(l.bias_vector(), array![0.5f32, 0.0, 0.0]);
        let e = net.predict(array![[1.0f32]].view()).unwrap_err();
        assert_eq!(format!("{e}"), "x: expected 2 feature columns, found 1");
        assert!(net.predict_values(x.view()).is_err());
    }
}
