//! Where each parameter tensor sits in the flat parameter buffer, in PyTorch's terms, for the
//! optimizers whose rule is not element-wise (Adafactor factors a weight's second moment by rows
//! and columns; Muon orthogonalises whole weight matrices).

/// One parameter tensor: a weight matrix `[rows, cols]` as PyTorch shapes it (`nn.Linear`'s
/// `[out, in]`), or a vector `[rows]` (a bias). Element `(r, c)` lives at
/// `offset + r · row_stride + c · col_stride` of the flat buffer; a vector has `cols = 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamTensor {
    pub offset: usize,
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
    /// PyTorch's `dim() > 1`.
    pub matrix: bool,
}

impl ParamTensor {
    /// A vector of `len` elements from `offset`.
    pub fn vector(offset: usize, len: usize) -> ParamTensor {
        ParamTensor {
            offset,
            rows: len,
            cols: 1,
            row_stride: 1,
            col_stride: len,
            matrix: false,
        }
    }

    /// Elements in the tensor.
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }

    /// Never true for a tensor of a built network (every layer has ≥ 1 input and output).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Index in the flat buffer of element `(r, c)`.
    #[inline(always)]
    pub fn at(&self, r: usize, c: usize) -> usize {
        self.offset + r * self.row_stride + c * self.col_stride
    }
}

/// Every parameter tensor of a model, covering the flat buffer `0..num_params` exactly once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    tensors: Vec<ParamTensor>,
    num_params: usize,
}

impl Layout {
    /// The tensors, which must cover `0..num_params` without overlap (checked in debug builds).
    pub fn new(tensors: Vec<ParamTensor>) -> Layout {
        let num_params = tensors.iter().map(ParamTensor::len).sum();
        debug_assert!({
            let mut seen = vec![false; num_params];
            tensors.iter().all(|t| {
                (0..t.rows).all(|r| {
                    (0..t.cols).all(|c| {
                        let i = t.at(r, c);
                        i < num_params && !std::mem::replace(&mut seen[i], true)
                    })
                })
            })
        });
        Layout {
            tensors,
            num_params,
        }
    }

    /// One vector of `num_params` elements: for the element-wise optimizers' tests, and for
    /// callers that have no shapes.
    pub fn flat(num_params: usize) -> Layout {
        Layout::new(vec![ParamTensor::vector(0, num_params)])
    }

    pub fn tensors(&self) -> &[ParamTensor] {
        &self.tensors
    }

    pub fn num_params(&self) -> usize {
        self.num_params
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transposed_weight_and_its_bias_cover_the_buffer_once() {
        // nn.Linear(3 → 2) stored (in, out) row-major: PyTorch's W[r][c] is at c·2 + r.
        let w = ParamTensor {
            offset: 0,
            rows: 2,
            cols: 3,
            row_stride: 1,
            col_stride: 2,
            matrix: true,
        };
        let layout = Layout::new(vec![w, ParamTensor::vector(6, 2)]);
        assert_eq!(layout.num_params(), 8);
        assert_eq!(
            (w.at(0, 0), w.at(1, 0), w.at(0, 2), w.at(1, 2)),
            (0, 1, 4, 5)
        );
        assert_eq!(Layout::flat(8).tensors()[0].at(7, 0), 7);
    }
}
