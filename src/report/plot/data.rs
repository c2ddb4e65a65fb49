//! Turning a series' raw points into drawable ones: non-finite points skipped, non-positive
//! points skipped on a log axis, values moved to the plotting space (log10 on a log axis), and long
//! series decimated so a 100,000-step curve stays a small SVG with its spikes intact.

/// At most this many points are drawn per series.
pub const MAX_POINTS: usize = 2000;

/// A series' points in plotting space, and what was left out on the way.
#[derive(Debug, Default, PartialEq)]
pub struct Cleaned {
    pub points: Vec<(f64, f64)>,
    /// NaN or infinite coordinates (e.g. a diverged loss).
    pub non_finite: usize,
    /// Finite, but zero or negative on a log axis.
    pub non_positive: usize,
}

/// Keeps the finite points, and on a log axis the positive ones, mapped through log10 there.
pub fn clean(points: &[(f64, f64)], log_x: bool, log_y: bool) -> Cleaned {
    let mut out = Cleaned::default();
    for &(x, y) in points {
        if !x.is_finite() || !y.is_finite() {
            out.non_finite += 1;
        } else if (log_x && x <= 0.0) || (log_y && y <= 0.0) {
            out.non_positive += 1;
        } else {
            out.points.push((to_axis(x, log_x), to_axis(y, log_y)));
        }
    }
    out
}

/// A value's position on an axis: itself, or its log10 on a log axis.
pub fn to_axis(v: f64, log: bool) -> f64 {
    if log { v.log10() } else { v }
}

/// Thins `points` to at most `max` (≥ 4): the first and last, and in each of `(max - 2) / 2`
/// equal runs of consecutive points the lowest and the highest, in their original order. Keeping
/// both extremes of every run is what keeps a one-step loss spike visible (plain striding would
/// drop it), and the line still covers the whole envelope.
pub fn decimate(points: Vec<(f64, f64)>, max: usize) -> Vec<(f64, f64)> {
    let n = points.len();
    let max = max.max(4);
    if n <= max {
        return points;
    }
    let buckets = (max - 2) / 2;
    let mut out = Vec::with_capacity(max);
    out.push(points[0]);
    for b in 0..buckets {
        // Runs over the interior points 1..n-1, so first and last are not counted twice.
        let start = 1 + b * (n - 2) / buckets;
        let end = 1 + (b + 1) * (n - 2) / buckets;
        if start >= end {
            continue;
        }
        let (mut lo, mut hi) = (start, start);
        for i in start..end {
            if points[i].1 < points[lo].1 {
                lo = i;
            }
            if points[i].1 > points[hi].1 {
                hi = i;
            }
        }
        out.push(points[lo.min(hi)]);
        if lo != hi {
            out.push(points[lo.max(hi)]);
        }
    }
    out.push(points[n - 1]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_points_are_skipped_and_counted() {
        let c = clean(
            &[
                (0.0, 1.0),
                (1.0, f64::NAN),
                (f64::INFINITY, 2.0),
                (3.0, 4.0),
            ],
            false,
            false,
        );
        assert_eq!(c.points, vec![(0.0, 1.0), (3.0, 4.0)]);
        assert_eq!((c.non_finite, c.non_positive), (2, 0));
    }

    #[test]
    fn a_log_axis_drops_zero_and_negative_values_and_takes_log10() {
        let c = clean(&[(1.0, 0.0), (2.0, -1.0), (3.0, 100.0)], false, true);
        assert_eq!(c.points, vec![(3.0, 2.0)]);
        assert_eq!(c.non_positive, 2);
        let c = clean(&[(0.0, 1.0), (1e-3, 1.0)], true, false);
        assert_eq!(c.points.len(), 1);
        assert!((c.points[0].0 + 3.0).abs() < 1e-12);
    }

    #[test]
    fn short_series_are_left_alone() {
        let p: Vec<_> = (0..MAX_POINTS).map(|i| (i as f64, 0.0)).collect();
        assert_eq!(decimate(p.clone(), MAX_POINTS), p);
    }

    #[test]
    fn decimation_keeps_the_ends_the_spikes_and_the_order() {
        let mut p: Vec<_> = (0..100_000).map(|i| (i as f64, 1.0)).collect();
        p[54_321].1 = 50.0;
        p[77_777].1 = -3.0;
        let d = decimate(p, MAX_POINTS);
        assert!(d.len() <= MAX_POINTS, "{}", d.len());
        assert_eq!(d.first(), Some(&(0.0, 1.0)));
        assert_eq!(d.last(), Some(&(99_999.0, 1.0)));
        assert!(d.contains(&(54_321.0, 50.0)));
        assert!(d.contains(&(77_777.0, -3.0)));
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
