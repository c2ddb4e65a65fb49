//! Datasets made from arrays in memory (the library's way in): `ndarray` views of features and
//! targets, copied once into the row-major buffers the batch path reads.

use anyhow::Result;
use ndarray::{ArrayView1, ArrayView2};

use super::{Dataset, Features, Labels};
use crate::bail_usage;

impl Dataset {
    /// A classification set: `x` of shape `(rows, features)`, `y` of shape `(rows)` holding
    /// class indices `0..classes`. Any memory layout is accepted (copied once, row-major).
    ///
    /// # Errors
    /// A usage error when `x` and `y` disagree on the rows, there are no rows or no features, a
    /// feature is NaN or infinite, or a class index exceeds `u32::MAX`.
    pub fn classification(x: ArrayView2<f32>, y: ArrayView1<usize>) -> Result<Dataset> {
        check_shape(x.nrows(), x.ncols(), y.len())?;
        check_finite(x.iter().copied())?;
        let labels = y
            .iter()
            .map(|&c| u32::try_from(c))
            .collect::<Result<Vec<u32>, _>>();
        let Ok(labels) = labels else {
            bail_usage!("y: a class index exceeds {}", u32::MAX);
        };
        Ok(Dataset {
            features: Features::Floats(x.iter().copied().collect()),
            labels: Labels::Classes(labels),
            rows: x.nrows(),
            cols: x.ncols(),
        })
    }

    /// A classification set of 8-bit images: `x` of shape `(rows, pixels)`, scaled by 1/255
    /// batch by batch exactly as IDX files are, so the same images train the same from memory
    /// as from a file; `y` as in [`Dataset::classification`].
    ///
    /// # Errors
    /// As [`Dataset::classification`] (pixels cannot be non-finite).
    pub fn classification_u8(x: ArrayView2<u8>, y: ArrayView1<usize>) -> Result<Dataset> {
        check_shape(x.nrows(), x.ncols(), y.len())?;
        let labels = y
            .iter()
            .map(|&c| u32::try_from(c))
            .collect::<Result<Vec<u32>, _>>();
        let Ok(labels) = labels else {
            bail_usage!("y: a class index exceeds {}", u32::MAX);
        };
        Ok(Dataset {
            features: Features::Bytes(x.iter().copied().collect()),
            labels: Labels::Classes(labels),
            rows: x.nrows(),
            cols: x.ncols(),
        })
    }

    /// A regression set: `x` of shape `(rows, features)`, `y` of shape `(rows)` holding the
    /// targets (one output).
    ///
    /// # Errors
    /// A usage error when the shapes disagree, there are no rows or no features, or a feature
    /// or target is NaN or infinite.
    pub fn regression(x: ArrayView2<f32>, y: ArrayView1<f32>) -> Result<Dataset> {
        check_shape(x.nrows(), x.ncols(), y.len())?;
        check_finite(x.iter().copied())?;
        if y.iter().any(|v| !v.is_finite()) {
            bail_usage!("y: expected finite targets, found NaN or infinity");
        }
        Ok(Dataset {
            features: Features::Floats(x.iter().copied().collect()),
            labels: Labels::Values(y.to_vec()),
            rows: x.nrows(),
            cols: x.ncols(),
        })
    }

    /// Number of outputs a model needs for this set alone: classes (largest label + 1) or 1.
    pub fn outputs(&self) -> usize {
        match self.max_class() {
            Some(max) => max as usize + 1,
            None => 1,
        }
    }
}

fn check_shape(rows: usize, cols: usize, targets: usize) -> Result<()> {
    if rows != targets {
        bail_usage!("x has {rows} rows but y has {targets} targets; expected one target per row");
    }
    if rows == 0 || cols == 0 {
        bail_usage!("x: expected at least one row and one feature, found shape ({rows}, {cols})");
    }
    Ok(())
}

fn check_finite(mut values: impl Iterator<Item = f32>) -> Result<()> {
    if values.any(|v| !v.is_finite()) {
        bail_usage!("x: expected finite features, found NaN or infinity");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, array};

    use super::*;
    use crate::data::Batch;

    #[test]
    fn a_transposed_view_is_copied_row_major() {
        let x = array![[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let xt = x.t().to_owned();
        // xt.t() is x again, seen through a column-major view.
        let d = Dataset::classification(xt.t(), array![0usize, 1, 2].view()).unwrap();
        let mut b = Batch::default();
        d.fill_batch(&[2, 0], &mut b);
        assert_eq!(b.x, [5.0, 6.0, 1.0, 2.0]);
        assert_eq!(b.classes, [2, 0]);
        assert_eq!(d.outputs(), 3);
    }

    #[test]
    fn pixels_are_scaled_by_one_over_255_as_from_idx() {
        let x = array![[0u8, 255], [51, 102]];
        let d = Dataset::classification_u8(x.view(), array![1usize, 0].view()).unwrap();
        let mut b = Batch::default();
        d.fill_batch(&[1], &mut b);
        assert_eq!(b.x, [51.0 / 255.0, 102.0 / 255.0]);
    }

    #[test]
    fn mismatched_or_non_finite_inputs_are_usage_errors() {
        let x = array![[1.0f32], [f32::NAN]];
        let e = Dataset::regression(x.view(), Array1::zeros(2).view()).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), 2);
        assert!(format!("{e}").contains("finite features"), "{e}");
        let e = Dataset::regression(array![[1.0f32]].view(), Array1::zeros(2).view()).unwrap_err();
        assert_eq!(
            format!("{e}"),
            "x has 1 rows but y has 2 targets; expected one target per row"
        );
    }
}
