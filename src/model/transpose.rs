//! A blocked matrix transpose, for the one product whose operand gemm reads slowly.
//!
//! `dx = δ·Wᵀ` reads `W` (stored `inputs × outputs` row-major) transposed: as gemm's rhs its
//! columns are `outputs` floats apart. When that distance is a multiple of 1–4 KB, gemm's packing
//! of the rhs hits the same cache sets over and over: on the 2-core EPYC, one thread, `128×1024 ·
//! (1024×1024)ᵀ` ran at 50 GFLOP/s (5.3 ms) against 102 GFLOP/s (2.6 ms) for the same product with
//! `Wᵀ` copied out first (0.65 ms for the copy; 61 vs 107 GFLOP/s at 512 outputs, 85 vs 109 at
//! 256, no difference at 128). The products are bit-identical either way: the copy only changes
//! how gemm packs, not the order of the sums.

use super::team;

/// Layers with at least this many outputs copy `Wᵀ` out before `δ·Wᵀ` (measured, see header).
pub const TRANSPOSED_COPY_MIN_OUTPUTS: usize = 256;

/// Square blocks of this side: 8 source rows are read at once, so rows a power of two apart in
/// memory still fit the cache's ways.
const BLOCK: usize = 8;

/// `dst (cols × rows, row-major) ← srcᵀ` for `src (rows × cols, row-major)`. With a team
/// installed (see [`team::split`]), each thread writes its own share of `dst`'s rows.
///
/// Panics if a buffer is not exactly `rows · cols` long.
pub fn transpose(src: &[f32], rows: usize, cols: usize, dst: &mut [f32]) {
    assert_eq!(
        src.len(),
        rows * cols,
        "transpose: source is not {rows}×{cols}"
    );
    assert_eq!(
        dst.len(),
        rows * cols,
        "transpose: destination is not {cols}×{rows}"
    );
    let threads = team::current_threads();
    if threads == 1 || cols < 2 * BLOCK {
        return transpose_cols(src, rows, cols, 0..cols, dst);
    }
    let share = cols.div_ceil(threads).next_multiple_of(BLOCK);
    let out = team::Disjoint::new(dst);
    team::split(threads, &|i| {
        let (c0, c1) = ((i * share).min(cols), ((i + 1) * share).min(cols));
        // SAFETY: part i alone writes the destination rows c0..c1.
        let d = unsafe { out.range(c0 * rows..c1 * rows) };
        transpose_cols(src, rows, cols, c0..c1, d);
    });
}

/// Source columns `range` into `dst`, which holds destination rows `range` (`range.len() × rows`).
fn transpose_cols(
    src: &[f32],
    rows: usize,
    cols: usize,
    range: std::ops::Range<usize>,
    dst: &mut [f32],
) {
    let c0 = range.start;
    for i0 in (0..rows).step_by(BLOCK) {
        let i1 = (i0 + BLOCK).min(rows);
        for j0 in range.clone().step_by(BLOCK) {
            let j1 = (j0 + BLOCK).min(range.end);
            for j in j0..j1 {
                let row = &mut dst[(j - c0) * rows + i0..(j - c0) * rows + i1];
                for (x, i) in row.iter_mut().zip(i0..i1) {
                    *x = src[i * cols + j];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::team::Team;

    #[test]
    fn every_element_lands_at_its_transposed_place_on_one_and_two_threads() {
        let team = Team::new(2).unwrap();
        for (rows, cols) in [(1, 1), (3, 17), (17, 3), (33, 64), (64, 33), (100, 259)] {
            let src: Vec<f32> = (0..rows * cols).map(|v| v as f32).collect();
            let mut one = vec![f32::NAN; rows * cols];
            transpose(&src, rows, cols, &mut one);
            for i in 0..rows {
                for j in 0..cols {
                    assert_eq!(
                        one[j * rows + i],
                        src[i * cols + j],
                        "({i}, {j}) of {rows}×{cols}"
                    );
                }
            }
            let mut two = vec![f32::NAN; rows * cols];
            team.install(|| transpose(&src, rows, cols, &mut two));
            assert_eq!(one, two);
        }
    }
}
