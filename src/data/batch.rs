//! The batch path: a reusable [`Batch`] buffer and [`Dataset::fill_batch`], which copies the
//! chosen rows into it (pixels scaled to [0, 1]) without allocating, on the training hot path.

use super::{Dataset, Features, Labels};
use crate::model::Targets;
use crate::model::team::{self, Disjoint};

/// A reusable batch buffer: filled in place, never reallocated once big enough.
#[derive(Debug, Default)]
pub struct Batch {
    pub x: Vec<f32>,
    pub classes: Vec<u32>,
    pub values: Vec<f32>,
    pub rows: usize,
}

impl Batch {
    /// The targets of the `rows` examples last filled in.
    pub fn targets(&self) -> Targets<'_> {
        // fill_batch empties the kind it does not fill, so a non-empty `values` means regression.
        if self.values.is_empty() {
            Targets::Classes(self.classes.get(..self.rows).unwrap_or(&self.classes))
        } else {
            Targets::Values(self.values.get(..self.rows).unwrap_or(&self.values))
        }
    }
}

impl Dataset {
    /// Copies the given rows into `batch` (features scaled to f32), allocating nothing when
    /// `batch` already has the capacity. Afterwards `batch.x.len() == rows.len() * self.cols`
    /// and exactly one of `batch.classes` / `batch.values` holds `rows.len()` targets.
    ///
    /// # Panics
    /// If a row index is `>= self.rows` (indices come from the trainer, never from a file).
    pub fn fill_batch(&self, rows: &[usize], batch: &mut Batch) {
        let c = self.cols;
        // `resize` reallocates only when capacity is short; every element is overwritten below.
        batch.x.resize(rows.len() * c, 0.0);
        if c > 0 {
            match &self.features {
                Features::Bytes(v) => scale_rows(v, c, rows, &mut batch.x),
                Features::Floats(v) => {
                    for (dst, &r) in batch.x.chunks_exact_mut(c).zip(rows) {
                        dst.copy_from_slice(&v[r * c..(r + 1) * c]);
                    }
                }
            }
        }
        match &self.labels {
            Labels::Classes(v) => {
                batch.values.clear();
                batch.classes.clear();
                batch.classes.extend(rows.iter().map(|&r| v[r]));
            }
            Labels::Values(v) => {
                batch.classes.clear();
                batch.values.clear();
                batch.values.extend(rows.iter().map(|&r| v[r]));
            }
        }
        batch.rows = rows.len();
    }
}

/// Rows per thread below which a batch is scaled on one thread (a fork costs a few µs; 64 rows
/// ≈ 10 µs).
const SPLIT_MIN_ROWS: usize = 64;

/// Scales the pixel rows `rows` of `pixels` (`c` bytes each) into `dst` (`rows.len() · c`).
/// Inside a team of several threads (the trainer fills batches with the network's team
/// installed) each thread scales a contiguous share of the rows, if there are at least
/// [`SPLIT_MIN_ROWS`] per thread: each element is computed the same way whichever thread does
/// it, so the batch is bit-identical for any thread count.
fn scale_rows(pixels: &[u8], c: usize, rows: &[usize], dst: &mut [f32]) {
    let threads = team::current_threads();
    if threads > 1 && rows.len() >= threads * SPLIT_MIN_ROWS {
        let share = rows.len().div_ceil(threads);
        let dst = Disjoint::new(dst);
        team::split(threads, &|i| {
            let r = &rows[(i * share).min(rows.len())..((i + 1) * share).min(rows.len())];
            // SAFETY: part i alone takes the destination rows of its share.
            let d = unsafe { dst.range(i * share * c..(i * share + r.len()) * c) };
            scale_share(pixels, c, r, d);
        });
        return;
    }
    scale_share(pixels, c, rows, dst);
}

fn scale_share(pixels: &[u8], c: usize, rows: &[usize], dst: &mut [f32]) {
    for (i, (dst, &r)) in dst.chunks_exact_mut(c).zip(rows).enumerate() {
        if let Some(&ahead) = rows.get(i + PREFETCH_ROWS_AHEAD) {
            prefetch(&pixels[ahead * c..(ahead + 1) * c]);
        }
        bytes_to_unit(&pixels[r * c..(r + 1) * c], dst);
    }
}

/// Rows are drawn at random from 47 MB of pixels, more than the caches hold, so each row's
/// bytes come from memory; asking for a row a few rows ahead overlaps those waits with the
/// conversion (the hardware prefetcher follows a row only once it is being read). Measured with
/// `measure_loading_fashion_mnist_and_filling_batches` (release, 1 thread, load ≈ 3.4, 3 runs
/// each): 83–85 µs per 128-row batch without the hint, 23–29 µs with it.
const PREFETCH_ROWS_AHEAD: usize = 4;

/// Hints the CPU to bring `bytes` into the cache; no effect on results.
#[inline(always)]
fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    for line in bytes.chunks(64) {
        // SAFETY: a prefetch never faults and reads nothing the program sees; the pointer is
        // inside `bytes`.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                line.as_ptr().cast(),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}

/// Pixel bytes to [0, 1], exactly `b / 255` as torchvision's `ToTensor` does.
///
/// Computed as `(b as f64 · (1/255)) as f32`, which equals the f32 division for every byte
/// (the double rounding cannot land on an f32 tie: `b/255` is never within 2⁻⁴⁰ of one; the test
/// `byte_scaling_equals_the_f32_division_for_every_byte` checks all 256), and a multiply
/// pipelines where a division does not. With AVX2 the loop runs 8 bytes per iteration.
/// The fill is bound by fetching the randomly chosen rows from memory, not by this arithmetic
/// (see [`PREFETCH_ROWS_AHEAD`]); earlier, a 256-entry lookup table was slower than the division.
#[inline]
fn bytes_to_unit(src: &[u8], dst: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { bytes_to_unit_avx2(src, dst) };
    }
    bytes_to_unit_plain(src, dst)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn bytes_to_unit_avx2(src: &[u8], dst: &mut [f32]) {
    bytes_to_unit_plain(src, dst)
}

#[inline(always)]
fn bytes_to_unit_plain(src: &[u8], dst: &mut [f32]) {
    const INV_255: f64 = 1.0 / 255.0;
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = (f64::from(s) * INV_255) as f32;
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::idx;
    use super::super::load::tests::FASHION;
    use super::*;

    fn bytes_dataset() -> Dataset {
        Dataset {
            features: Features::Bytes(vec![0, 255, 51, 102, 1, 2]),
            labels: Labels::Classes(vec![3, 1, 4]),
            rows: 3,
            cols: 2,
        }
    }

    #[test]
    fn fill_batch_scales_bytes_by_one_over_255_and_copies_the_targets() {
        let d = bytes_dataset();
        let mut b = Batch::default();
        d.fill_batch(&[1, 0], &mut b);
        assert_eq!(b.rows, 2);
        assert_eq!(b.x, vec![0.2, 0.4, 0.0, 1.0]);
        assert!(matches!(b.targets(), Targets::Classes(&[1, 3])));
    }

    #[test]
    fn fill_batch_copies_floats_and_values_and_clears_the_other_kind() {
        let d = Dataset {
            features: Features::Floats(vec![1.5, -2.0]),
            labels: Labels::Values(vec![7.0, 8.0]),
            rows: 2,
            cols: 1,
        };
        let mut b = Batch::default();
        bytes_dataset().fill_batch(&[0, 1, 2], &mut b);
        d.fill_batch(&[1], &mut b);
        assert_eq!((b.rows, b.x.as_slice()), (1, &[-2.0][..]));
        assert!(b.classes.is_empty());
        assert!(matches!(b.targets(), Targets::Values(&[8.0])));
    }

    #[test]
    fn a_second_fill_of_no_more_rows_does_not_reallocate() {
        let d = bytes_dataset();
        let mut b = Batch::default();
        d.fill_batch(&[0, 1, 2], &mut b);
        let (px, pc, cap) = (b.x.as_ptr(), b.classes.as_ptr(), b.x.capacity());
        d.fill_batch(&[2, 1, 0], &mut b);
        d.fill_batch(&[2], &mut b); // a short last batch
        assert_eq!(
            (b.x.as_ptr(), b.classes.as_ptr(), b.x.capacity()),
            (px, pc, cap)
        );
        assert_eq!((b.rows, b.x.len()), (1, 2));
        assert!(matches!(b.targets(), Targets::Classes(&[4])));
    }

    #[test]
    fn byte_scaling_equals_the_f32_division_for_every_byte() {
        let src: Vec<u8> = (0..=255).collect();
        let mut dst = vec![0.0f32; 256];
        bytes_to_unit(&src, &mut dst);
        for (&b, &d) in src.iter().zip(&dst) {
            assert_eq!(d, f32::from(b) / 255.0, "byte {b}");
        }
    }

    #[test]
    fn a_batch_filled_inside_a_two_thread_team_equals_the_one_thread_fill() {
        let (rows, cols) = (300, 5);
        let d = Dataset {
            features: Features::Bytes((0..rows * cols).map(|i| (i * 7 % 256) as u8).collect()),
            labels: Labels::Classes((0..rows as u32).map(|i| i % 10).collect()),
            rows,
            cols,
        };
        let order: Vec<usize> = (0..rows).map(|i| (i * 37) % rows).collect();
        let mut one = Batch::default();
        d.fill_batch(&order[..257], &mut one);
        let team = crate::model::team::Team::new(2).unwrap();
        let mut two = Batch::default();
        team.install(|| d.fill_batch(&order[..257], &mut two));
        assert_eq!(one.x, two.x);
        assert_eq!(one.classes, two.classes);
    }

    /// `cargo test --release --lib data::batch::tests::measure -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, not a check"]
    fn measure_loading_fashion_mnist_and_filling_batches() {
        let t = std::time::Instant::now();
        let img = idx::read_images(&Path::new(FASHION).join("train-images-idx3-ubyte.gz")).unwrap();
        let load = t.elapsed();
        let d = Dataset {
            labels: Labels::Classes(vec![0; img.count]),
            rows: img.count,
            cols: 784,
            features: Features::Bytes(img.pixels),
        };
        let mut b = Batch::default();
        let rows: Vec<usize> = (0..60_000).map(|i| (i * 7919) % 60_000).collect();
        // The best of 5 epochs, to see past other processes on a shared machine.
        let mut fill = std::time::Duration::MAX;
        for _ in 0..5 {
            let t = std::time::Instant::now();
            for chunk in rows.chunks(128) {
                d.fill_batch(chunk, &mut b);
            }
            fill = fill.min(t.elapsed());
        }
        eprintln!(
            "read 60,000 gz images: {load:?}; fill 469 batches of 128: {fill:?} ({:?} per batch)",
            fill / 469
        );
    }
}
