//! The learning-rate range test (Smith 2017, "Cyclical Learning Rates for Training Neural
//! Networks"; fastai's `lr_find`) and the maths that reads suggestions off its curve. Pure: the
//! training step comes in as a closure, so everything here is tested on synthetic curves.
//!
//! The rate rises from `min` to `max` over `steps` steps (step 0 at `min`, the last at `max`),
//! exponentially or linearly. Each step's training loss is smoothed by a bias-corrected
//! exponential moving average (as fastai's `Recorder`): `avg ← β·avg + (1−β)·loss`,
//! `smoothed = avg / (1 − β^n)` after `n` losses. The test stops at the first non-finite loss
//! (`diverged`), once the smoothed loss exceeds 4× its minimum so far (`exploded`), or after the
//! step at `max` (`reached_max`). Suggestions are read only from before the smoothed loss first
//! rises clearly (1.1×) above its running minimum, and refused when that part does not fall.

use serde::Serialize;

use crate::config::range;

pub const DEFAULT_MIN: f64 = 1e-7;
pub const DEFAULT_MAX: f64 = 10.0;
pub const DEFAULT_STEPS: usize = 100;
/// Smoothing of the recorded loss (fastai's default).
pub const BETA: f64 = 0.98;
/// The test stops once the smoothed loss exceeds this multiple of its minimum (fastai's).
pub const STOP_FACTOR: f64 = 4.0;
/// Seeds whose suggestions differ by more than this factor (max/min) disagree.
pub const DISAGREE_FACTOR: f64 = 3.0;
/// More steps than any range test needs; keeps a typo from running for hours.
pub const MAX_STEPS: usize = 100_000;
/// Points dropped before the first clear rise (or the explosion, or a non-finite loss): the loss
/// there is already climbing and the smoothed curve lags it (fastai drops 5 too).
const SKIP_END: usize = 5;
/// The smoothed loss has risen clearly once it exceeds this multiple of its running minimum.
/// Suggestions are read only from before that point: after it the network has been thrown out of
/// its basin, and a later fall (back toward chance) says nothing about a good rate. Measured on
/// the shipped MNIST: the flat start wanders by under 1 %; in `--mode linear` the smoothed loss
/// rises 15 % above its minimum (2.06 → 2.37, the raw loss doubling) two steps before the read
/// part would start, and 1.2 let the wobble after it through as a "fall".
pub const RISE_FACTOR: f64 = 1.1;
/// The part that is read must fall clearly: its lowest smoothed loss at most this fraction of its
/// first, or no suggestion is trustworthy (the rates tried were all too low or all too high).
/// Measured on the shipped MNIST: the flat start wanders by under 1 %, while the smoothed loss
/// (which lags the raw one by about 1/(1 − β) = 50 steps) falls 7 % over a 60-step test and 11 %
/// over the default 100 steps before it rises.
pub const FALL_FACTOR: f64 = 0.97;

/// How the rate rises from `min` to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Geometrically: the same factor every step (fastai's default).
    Exp,
    /// Arithmetically: the same increment every step (Smith's paper).
    Linear,
}

impl Mode {
    /// The name as `--mode` takes it (and lrfind.json writes it): `exp`, `linear`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Exp => "exp",
            Mode::Linear => "linear",
        }
    }
}

/// The range to sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
    pub steps: usize,
    pub mode: Mode,
}

impl Range {
    /// The rules of the command line: `0 < min < max`, both finite, `2 ≤ steps ≤ MAX_STEPS`.
    /// The message names the flag, what was expected and what was found.
    /// Errors are usage errors (exit 2) in the form of [`range`].
    pub fn check(&self) -> anyhow::Result<()> {
        range::positive("--min", self.min)?;
        range::positive("--max", self.max)?;
        if self.min >= self.max {
            return Err(range::bad(
                "--max",
                &format!("a rate above --min = {}", range::Found(self.min)),
                range::Found(self.max),
            ));
        }
        // Two steps at least: the rate must rise.
        range::int_in("--steps", self.steps, 2, MAX_STEPS)?;
        Ok(())
    }

    /// The rate of step `i` (0-based): `min` at 0, `max` at `steps − 1`.
    pub fn rate(&self, i: usize) -> f64 {
        let p = i as f64 / (self.steps - 1) as f64;
        if i + 1 >= self.steps {
            return self.max; // exactly, not up to rounding
        }
        match self.mode {
            Mode::Exp => self.min * (self.max / self.min).powf(p),
            Mode::Linear => self.min + (self.max - self.min) * p,
        }
    }
}

/// Bias-corrected exponential moving average (Adam's and fastai's correction): the first
/// values are not pulled toward the zero the average starts from.
#[derive(Debug, Clone)]
pub struct Smoother {
    beta: f64,
    avg: f64,
    n: i32,
}

impl Smoother {
    pub fn new(beta: f64) -> Smoother {
        Smoother {
            beta,
            avg: 0.0,
            n: 0,
        }
    }

    /// Adds `x` and returns the smoothed value.
    pub fn push(&mut self, x: f64) -> f64 {
        self.avg = self.beta * self.avg + (1.0 - self.beta) * x;
        self.n = self.n.saturating_add(1);
        self.avg / (1.0 - self.beta.powi(self.n))
    }
}

/// Why the test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// A loss was NaN or infinite.
    Diverged,
    /// The smoothed loss exceeded `STOP_FACTOR` × its minimum.
    Exploded,
    /// The step at `max` was taken.
    ReachedMax,
}

impl Stop {
    pub fn describe(self) -> String {
        match self {
            Stop::Diverged => "the loss became NaN or infinite".into(),
            Stop::Exploded => format!("the smoothed loss exceeded {STOP_FACTOR}× its minimum"),
            Stop::ReachedMax => "reached --max".into(),
        }
    }
}

/// One recorded step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub step: usize,
    pub lr: f64,
    pub loss: f64,
    pub smoothed: f64,
}

/// The recorded curve of one range test.
#[derive(Debug, Clone)]
pub struct Curve {
    pub range: Range,
    pub points: Vec<Point>,
    pub stop: Stop,
}

impl Curve {
    /// The point with the lowest smoothed loss.
    pub fn minimum(&self) -> Option<&Point> {
        self.points
            .iter()
            .filter(|p| p.smoothed.is_finite())
            .min_by(|a, b| a.smoothed.total_cmp(&b.smoothed))
    }
}

/// Runs the test: `step(i, lr)` takes one training step at `lr` and returns its loss.
pub fn run(range: Range, beta: f64, mut step: impl FnMut(usize, f64) -> f64) -> Curve {
    let mut smoother = Smoother::new(beta);
    let mut best = f64::INFINITY;
    let mut points = Vec::with_capacity(range.steps);
    for i in 0..range.steps {
        let lr = range.rate(i);
        let loss = step(i, lr);
        if !loss.is_finite() {
            points.push(Point {
                step: i,
                lr,
                loss,
                smoothed: f64::NAN,
            });
            return curve(range, points, Stop::Diverged);
        }
        let smoothed = smoother.push(loss);
        points.push(Point {
            step: i,
            lr,
            loss,
            smoothed,
        });
        best = best.min(smoothed);
        if smoothed > STOP_FACTOR * best {
            return curve(range, points, Stop::Exploded);
        }
    }
    curve(range, points, Stop::ReachedMax)
}

fn curve(range: Range, points: Vec<Point>, stop: Stop) -> Curve {
    Curve {
        range,
        points,
        stop,
    }
}

/// What the curve suggests; `None` where it is too short to say.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Suggestions {
    pub steepest: Option<f64>,
    pub valley: Option<f64>,
    pub minimum_over_10: Option<f64>,
}

/// The three suggestions, read from the part of the curve worth reading (see [`readable`]);
/// every one `None` when that part is untrustworthy.
///
/// - steepest: the rate where the smoothed loss falls fastest against log rate (forward
///   differences; the left point of the steepest pair, as fastai).
/// - valley: the longest run of consecutive steps on which the smoothed loss falls faster than
///   half its average fall per step over the read part (`(max − min)/(2n)`, so that the flat
///   start, which falls by rounding errors, does not count), and its middle on the log axis.
///   fastai's `valley` takes a longest decreasing subsequence instead, which on a smooth curve
///   spans everything from the first point to the minimum and lands orders of magnitude low.
/// - minimum/10: the rate at the lowest smoothed loss, divided by 10.
pub fn suggest(curve: &Curve) -> Suggestions {
    let Ok(pts) = readable(curve) else {
        return Suggestions::default();
    };
    let s: Vec<f64> = pts.iter().map(|p| p.smoothed).collect();
    let ln: Vec<f64> = pts.iter().map(|p| p.lr.ln()).collect();

    let steepest = (0..pts.len() - 1)
        .map(|i| (i, (s[i + 1] - s[i]) / (ln[i + 1] - ln[i])))
        .filter(|(_, g)| g.is_finite() && *g < 0.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| pts[i].lr);

    let (lo, hi) = s
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        });
    let threshold = (hi - lo) / (2.0 * pts.len() as f64);
    let falling = |i: usize| s[i] - s[i + 1] > threshold;
    let mut longest: Option<(usize, usize)> = None;
    let mut i = 0;
    while i + 1 < pts.len() {
        if !falling(i) {
            i += 1;
            continue;
        }
        let start = i;
        while i + 1 < pts.len() && falling(i) {
            i += 1;
        }
        if longest.is_none_or(|(a, b)| i - start > b - a) {
            longest = Some((start, i));
        }
    }
    let valley = longest.map(|(a, b)| (pts[a].lr * pts[b].lr).sqrt());

    let minimum_over_10 = pts
        .iter()
        .min_by(|a, b| a.smoothed.total_cmp(&b.smoothed))
        .map(|p| p.lr / 10.0);
    Suggestions {
        steepest,
        valley,
        minimum_over_10,
    }
}

/// The first point whose smoothed loss exceeds [`RISE_FACTOR`] × the lowest smoothed loss before
/// it (over the whole curve, the settling start included); `None` if the curve never rises so.
pub fn first_rise(curve: &Curve) -> Option<&Point> {
    let mut best = f64::INFINITY;
    curve
        .points
        .iter()
        .take_while(|p| p.smoothed.is_finite())
        .find(|p| {
            best = best.min(p.smoothed);
            p.smoothed > RISE_FACTOR * best
        })
}

/// The part of the curve every suggestion is read from: past the first tenth of the planned
/// steps (the average is still settling, as fastai does) and before the first clear rise of
/// the smoothed loss ([`first_rise`]) or its first non-finite value, less the last `SKIP_END`
/// points before either. `Err` says, for a person, why no suggestion can be trusted: fewer than
/// 3 points remain, or they do not fall by [`FALL_FACTOR`].
pub fn readable(curve: &Curve) -> Result<&[Point], String> {
    let finite = curve
        .points
        .iter()
        .take_while(|p| p.smoothed.is_finite())
        .count();
    let end = match first_rise(curve) {
        Some(p) => p.step.saturating_sub(SKIP_END),
        None if curve.stop == Stop::ReachedMax => finite,
        None => finite.saturating_sub(SKIP_END),
    };
    let start = (curve.range.steps / 10).min(end);
    let pts = &curve.points[start..end];
    let rise = first_rise(curve).map_or(String::new(), |p| {
        format!(
            " (the smoothed loss first rose above {RISE_FACTOR}× its minimum at lr {:.3e}, step {})",
            p.lr, p.step
        )
    });
    // What to change: a curve that rose (or blew up) needs lower rates or finer steps; one that
    // never rose needs higher rates.
    let rose = first_rise(curve).is_some() || curve.stop != Stop::ReachedMax;
    let advice = match (rose, curve.range.mode) {
        (true, Mode::Exp) => "lower --min or raise --steps".to_string(),
        (true, Mode::Linear) => format!(
            "the skipped first tenth of a linear range already reaches lr {:.3e}: lower --max, or use --mode exp",
            curve.range.rate(curve.range.steps / 10)
        ),
        (false, _) => "the rates tried are too low: raise --max".to_string(),
    };
    if pts.len() < 3 {
        return Err(format!(
            "the loss rose too early to read a suggestion from{rise}; {advice}"
        ));
    }
    let first = pts[0].smoothed;
    let lowest = pts.iter().map(|p| p.smoothed).fold(f64::INFINITY, f64::min);
    if lowest > FALL_FACTOR * first {
        return Err(format!(
            "the smoothed loss did not fall clearly (to {FALL_FACTOR}× its value at lr {:.3e}) before lr {:.3e}{rise}; {advice}",
            pts[0].lr,
            pts[pts.len() - 1].lr
        ));
    }
    Ok(pts)
}

/// One suggestion over several seeds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    /// The median; for an even count the geometric mean of the middle two (rates live on a log
    /// scale).
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// `max / min > DISAGREE_FACTOR`: the seeds do not agree on this rate.
    pub disagree: bool,
}

/// The spread of the seeds' values; `None` when no seed gave one.
pub fn spread(values: &[f64]) -> Option<Spread> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] * v[n / 2]).sqrt()
    };
    let (min, max) = (v[0], v[n - 1]);
    Some(Spread {
        median,
        min,
        max,
        disagree: max > DISAGREE_FACTOR * min,
    })
}

/// `x` to three significant digits, for a rate a person will read and paste (0.012589… → 0.0126).
pub fn round3(x: f64) -> f64 {
    format!("{x:.2e}").parse().unwrap_or(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(min: f64, max: f64, steps: usize) -> Range {
        Range {
            min,
            max,
            steps,
            mode: Mode::Exp,
        }
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn exponential_rates_rise_by_the_same_factor_from_min_to_max() {
        let r = range(1e-4, 1.0, 5); // factor 10 per step
        let rates: Vec<f64> = (0..5).map(|i| r.rate(i)).collect();
        for (got, want) in rates.iter().zip([1e-4, 1e-3, 1e-2, 1e-1, 1.0]) {
            assert!(close(*got, want, 1e-12), "{rates:?}");
        }
        assert_eq!(r.rate(4), 1.0);
    }

    #[test]
    fn linear_rates_rise_by_the_same_step() {
        let r = Range {
            mode: Mode::Linear,
            ..range(0.1, 0.5, 5)
        };
        let rates: Vec<f64> = (0..5).map(|i| r.rate(i)).collect();
        for (got, want) in rates.iter().zip([0.1, 0.2, 0.3, 0.4, 0.5]) {
            assert!(close(*got, want, 1e-12), "{rates:?}");
        }
    }

    #[test]
    fn bad_ranges_are_refused_naming_the_flag() {
        let e = |r: Range| r.check().unwrap_err().to_string();
        assert_eq!(
            e(range(1.0, 1.0, 10)),
            "--max: expected a rate above --min = 1, found 1"
        );
        assert!(e(range(2.0, 1.0, 10)).contains("above --min = 2"));
        assert_eq!(
            e(range(0.0, 1.0, 10)),
            "--min: expected a finite number > 0, found 0"
        );
        assert!(e(range(-1.0, 1.0, 10)).contains("> 0"));
        assert_eq!(
            e(range(1e-3, f64::INFINITY, 10)),
            "--max: expected a finite number > 0, found inf"
        );
        assert!(e(range(1e-3, 1.0, 1)).starts_with("--steps: expected an integer in [2, "));
        assert!(range(1e-3, 1.0, 2).check().is_ok());
    }

    #[test]
    fn smoothing_is_bias_corrected_so_a_constant_stays_constant() {
        let mut s = Smoother::new(0.98);
        for _ in 0..10 {
            assert!(close(s.push(5.0), 5.0, 1e-12));
        }
        // 1 then 3 with beta 0.5: avg = 0.5, then 0.25 + 1.5 = 1.75; / (1 − 0.25) = 7/3.
        let mut s = Smoother::new(0.5);
        assert!(close(s.push(1.0), 1.0, 1e-12));
        assert!(close(s.push(3.0), 7.0 / 3.0, 1e-12));
    }

    #[test]
    fn a_non_finite_loss_stops_the_test_at_once_as_diverged() {
        let c = run(range(1e-3, 1.0, 50), BETA, |i, _| {
            if i == 7 { f64::NAN } else { 1.0 }
        });
        assert_eq!(c.stop, Stop::Diverged);
        assert_eq!(c.points.len(), 8);
        assert!(c.points[7].loss.is_nan());
    }

    #[test]
    fn the_test_stops_once_the_smoothed_loss_exceeds_four_times_its_minimum() {
        // Loss 1 until step 20, then 1000: with beta 0 (no smoothing) the first 1000 stops it.
        let c = run(
            range(1e-3, 1.0, 50),
            0.0,
            |i, _| {
                if i < 20 { 1.0 } else { 1000.0 }
            },
        );
        assert_eq!(c.stop, Stop::Exploded);
        assert_eq!(c.points.len(), 21);
        // 3.9× the minimum does not stop it.
        let c = run(
            range(1e-3, 1.0, 50),
            0.0,
            |i, _| {
                if i < 20 { 1.0 } else { 3.9 }
            },
        );
        assert_eq!(c.stop, Stop::ReachedMax);
        assert_eq!(c.points.len(), 50);
        assert_eq!(c.points[49].lr, 1.0);
    }

    /// A curve whose smoothed loss is exactly `f(ln lr)` (beta 0 turns smoothing off).
    fn synthetic(r: Range, f: impl Fn(f64) -> f64) -> Curve {
        run(r, 0.0, |_, lr| f(lr.ln()))
    }

    #[test]
    fn steepest_descent_is_where_the_slope_against_log_rate_is_most_negative() {
        // loss = 2 − tanh(ln lr − ln 1e-3): steepest at lr = 1e-3 exactly (slope −1 there).
        let c = synthetic(range(1e-6, 1.0, 601), |x| 2.0 - (x - 1e-3f64.ln()).tanh());
        let s = suggest(&c);
        assert!(close(s.steepest.unwrap(), 1e-3, 0.05), "{s:?}");
    }

    #[test]
    fn the_valley_is_the_middle_of_the_longest_fall_and_ignores_a_flat_start() {
        // Flat (falling by 1e-9 per step) from 1e-6, falling linearly in ln lr from 1e-4 to 1e-2,
        // flat again up to 1: the valley is the middle of [1e-4, 1e-2] on the log axis, 1e-3.
        let (a, b) = (1e-4f64.ln(), 1e-2f64.ln());
        let c = synthetic(range(1e-6, 1.0, 601), |x| {
            1.0 - 1e-9 * x - ((x - a) / (b - a)).clamp(0.0, 1.0)
        });
        let s = suggest(&c);
        assert!(close(s.valley.unwrap(), 1e-3, 0.05), "{s:?}");
    }

    #[test]
    fn the_valley_takes_the_longest_of_two_falls() {
        // A short fall around 1e-5 and a long one from 1e-3 to 1e-1.
        let c = synthetic(range(1e-6, 1.0, 601), |x| {
            let short = ((x - 1e-5f64.ln()) * 4.0).clamp(0.0, 1.0);
            let long = ((x - 1e-3f64.ln()) / (1e-1f64.ln() - 1e-3f64.ln())).clamp(0.0, 1.0);
            3.0 - short - long
        });
        let s = suggest(&c);
        assert!(close(s.valley.unwrap(), 1e-2, 0.05), "{s:?}");
    }

    #[test]
    fn minimum_over_10_is_a_tenth_of_the_rate_at_the_lowest_smoothed_loss() {
        // A parabola in ln lr with its bottom at lr = 0.1.
        let c = synthetic(range(1e-4, 10.0, 501), |x| 1.0 + (x - 0.1f64.ln()).powi(2));
        let s = suggest(&c);
        assert!(close(s.minimum_over_10.unwrap(), 0.01, 0.03), "{s:?}");
    }

    #[test]
    fn the_first_tenth_and_the_exploding_tail_are_not_read() {
        // Falls steeply in the first tenth only, then slowly; blows up at the end: the steepest
        // point must come from the slow part, the minimum from before the blow-up.
        let r = range(1e-5, 1.0, 100);
        let c = run(r, 0.0, |i, _| match i {
            0..=9 => 100.0 - 9.0 * i as f64,
            10..=89 => 10.0 - 0.1 * (i - 10) as f64,
            _ => 1e6,
        });
        assert_eq!(c.stop, Stop::Exploded);
        let s = suggest(&c);
        let steep = s.steepest.unwrap();
        assert!(steep >= r.rate(10), "{s:?}");
        assert!(s.minimum_over_10.unwrap() <= r.rate(89) / 10.0, "{s:?}");
    }

    #[test]
    fn nothing_after_the_first_clear_rise_is_read_by_any_method() {
        // Falls 3 → 1 from step 10 to 40, rises by 0.06 a step to 2.2 at step 60 (under the 4×
        // stop), falls back steeply to 0.5 by step 99: without the cut every method would read
        // the second fall.
        let r = Range {
            mode: Mode::Linear,
            ..range(0.01, 1.0, 100)
        };
        let c = run(r, 0.0, |i, _| match i {
            0..=9 => 3.0,
            10..=40 => 3.0 - 2.0 * (i - 10) as f64 / 30.0,
            41..=60 => 1.0 + 0.06 * (i - 40) as f64,
            _ => 2.2 - 1.7 * (i - 60) as f64 / 39.0,
        });
        assert_eq!(c.stop, Stop::ReachedMax);
        // 1.12 at step 42 is the first value above 1.1 × the minimum 1.0.
        assert_eq!(first_rise(&c).unwrap().step, 42);
        // Read: steps 10 to 42 − SKIP_END − 1 = 36.
        let last_read = r.rate(36);
        let s = suggest(&c);
        for v in [s.steepest, s.valley, s.minimum_over_10.map(|x| x * 10.0)] {
            let v = v.unwrap();
            assert!(v <= last_read, "{s:?} read past {last_read}");
        }
        assert!(
            close(s.minimum_over_10.unwrap(), last_read / 10.0, 1e-12),
            "{s:?}"
        );
    }

    #[test]
    fn a_curve_that_rises_from_the_start_gives_no_suggestion_and_says_why() {
        // Linear mode from 1e-7 to 10: the first tenth already reaches 1, where it climbs.
        let r = Range {
            mode: Mode::Linear,
            ..range(1e-7, 10.0, 100)
        };
        let c = run(r, 0.0, |i, _| 2.3 + 0.1 * i as f64);
        assert_eq!(suggest(&c), Suggestions::default());
        let why = readable(&c).unwrap_err();
        assert!(why.contains("rose too early"), "{why}");
    }

    #[test]
    fn a_curve_that_never_falls_clearly_gives_no_suggestion() {
        let c = run(range(1e-7, 1e-5, 100), 0.0, |i, _| 2.3 - 1e-4 * i as f64);
        assert_eq!(suggest(&c), Suggestions::default());
        assert!(readable(&c).unwrap_err().contains("did not fall clearly"));
    }

    #[test]
    fn a_curve_too_short_to_read_suggests_nothing() {
        let c = run(range(1e-5, 1.0, 100), 0.0, |i, _| {
            if i < 4 { 1.0 } else { f64::INFINITY }
        });
        assert_eq!(suggest(&c), Suggestions::default());
    }

    #[test]
    fn the_spread_reports_median_min_max_and_flags_disagreement_beyond_a_factor_of_3() {
        let s = spread(&[0.01, 0.02, 0.025]).unwrap();
        assert_eq!(
            (s.median, s.min, s.max, s.disagree),
            (0.02, 0.01, 0.025, false)
        );
        let s = spread(&[0.01, 0.5, 0.02]).unwrap();
        assert_eq!(s.median, 0.02);
        assert!(s.disagree);
        // Even count: the geometric mean of the middle two.
        let s = spread(&[0.01, 0.04]).unwrap();
        assert!(close(s.median, 0.02, 1e-12));
        assert!(s.disagree);
        assert!(!spread(&[0.01, 0.03]).unwrap().disagree);
        assert_eq!(spread(&[]), None);
    }

    #[test]
    fn rates_are_rounded_to_three_significant_digits_for_people() {
        assert_eq!(round3(0.012589254117941673), 0.0126);
        assert_eq!(round3(3.0), 3.0);
        assert_eq!(round3(1.23456e-5), 1.23e-5);
    }
}
