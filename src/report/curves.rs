//! `curves.svg`: a run's loss, accuracy and learning rate against epoch, drawn once at the end of
//! the run (also a diverged or interrupted one) by [`plot::render_svg`]; the run writes the bytes
//! (`run/mod.rs`). `compare`'s overlays share its sizes, ticks and axis choices.

use anyhow::Result;

use super::plot::{self, Panel, Series};
use crate::train::EpochMetrics;

/// Width and height of one panel, in pixels.
pub const WIDTH: u32 = 900;
pub const PANEL_HEIGHT: u32 = 360;

/// A log axis reads better once the positive values span more than a factor of 10 (a loss
/// falling from 2.3 to 0.05, a rate decaying to 1e-4); below that a linear one shows the shape.
pub fn log_reads_better(values: impl IntoIterator<Item = f64>) -> bool {
    let mut lo = f64::INFINITY;
    let mut hi = 0.0f64;
    for v in values.into_iter().filter(|v| v.is_finite() && *v > 0.0) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    hi > 0.0 && hi / lo > 10.0
}

/// Whole-epoch ticks 1..=epochs for short runs (an automatic axis over a few epochs would label
/// 0.5, 1.5, …); `None` from 12 epochs on, where the automatic ticks are whole numbers anyway.
pub fn epoch_ticks(epochs: usize) -> Option<Vec<(f64, String)>> {
    (epochs < 12).then(|| (1..=epochs).map(|e| (e as f64, e.to_string())).collect())
}

/// `(epoch, value)` for every row that has `metric`. x counts epochs from 1, as a person does:
/// epoch k (0-based k − 1 in metrics.csv) spans (k − 1, k] of the axis and its metrics, measured
/// at its end, sit at x = k.
pub fn points(rows: &[EpochMetrics], metric: &str) -> Vec<(f64, f64)> {
    rows.iter()
        .filter_map(|m| m.get(metric).map(|v| (m.epoch as f64 + 1.0, v)))
        .collect()
}

/// The rate as it was used: flat over each epoch's span (k − 1, k], a step at every change.
/// `per_epoch` is `(0-based epoch, rate)`; metrics.csv's `lr` is the rate of an epoch's first
/// step, exact for `unit = "epoch"` schedules.
pub fn rate_steps(per_epoch: impl IntoIterator<Item = (usize, f64)>) -> Vec<(f64, f64)> {
    per_epoch
        .into_iter()
        .flat_map(|(e, lr)| [(e as f64, lr), (e as f64 + 1.0, lr)])
        .collect()
}

/// Whether the rows end in a non-finite training loss: the run diverged.
pub fn diverged(rows: &[EpochMetrics]) -> bool {
    rows.last().is_some_and(|m| !m.loss.is_finite())
}

/// Loss (training solid, validation dashed), accuracy (for classification) and learning rate.
pub fn panels(rows: &[EpochMetrics]) -> Vec<Panel> {
    let ticks = epoch_ticks(rows.len());
    let diverged = diverged(rows);
    let pair = |train: &str, val: &str| {
        let mut series = vec![
            Series::new("training", points(rows, train))
                .with_color(0)
                .diverged(diverged),
        ];
        let val_points = points(rows, val);
        if !val_points.is_empty() {
            series.push(
                Series::new("validation", val_points)
                    .dashed()
                    .with_color(1)
                    .diverged(diverged),
            );
        }
        series
    };
    let epoch_panel = |title: &str, y: &str| Panel {
        x_ticks: ticks.clone(),
        x_from: Some(0.0),
        ..Panel::new(title, "epoch", y)
    };
    let loss = pair("loss", "val_loss");
    let log_loss = log_reads_better(loss.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
    let mut panels = vec![Panel {
        series: loss,
        log_y: log_loss,
        ..epoch_panel("Loss", "loss")
    }];
    if rows.iter().any(|m| m.accuracy.is_some()) {
        panels.push(Panel {
            series: pair("accuracy", "val_accuracy"),
            bounded_y: true,
            ..epoch_panel("Accuracy", "accuracy")
        });
    }
    let lr = rate_steps(rows.iter().map(|m| (m.epoch, m.lr)));
    panels.push(Panel {
        log_y: log_reads_better(lr.iter().map(|p| p.1)),
        series: vec![Series::new("", lr).with_color(0)],
        ..epoch_panel("Learning rate (each epoch's first step)", "lr")
    });
    panels
}

pub fn svg(rows: &[EpochMetrics]) -> Result<String> {
    plot::render_svg(&panels(rows), WIDTH, PANEL_HEIGHT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(epoch: usize, loss: f64, val_loss: Option<f64>, acc: Option<f64>) -> EpochMetrics {
        EpochMetrics {
            epoch,
            lr: 0.1 / (epoch + 1) as f64,
            loss,
            accuracy: acc,
            val_loss,
            val_accuracy: acc,
            grad_norm: 1.0,
            seconds: 0.0,
            effective_lr: None,
            momentum: None,
            val_loss_ema: None,
            val_accuracy_ema: None,
        }
    }

    #[test]
    fn a_log_axis_is_chosen_only_for_values_spanning_more_than_tenfold() {
        assert!(log_reads_better([2.3, 0.9, 0.05]));
        assert!(!log_reads_better([0.5, 0.3, 0.1]));
        assert!(!log_reads_better([0.0, 0.0]));
        assert!(!log_reads_better([f64::NAN, 1.0]));
        assert!(log_reads_better([0.0, 1e-4, 1e-2, f64::INFINITY]));
    }

    #[test]
    fn classification_gets_three_panels_and_regression_two() {
        let cls = [
            row(0, 2.0, Some(1.5), Some(0.5)),
            row(1, 0.1, Some(0.2), Some(0.9)),
        ];
        let p = panels(&cls);
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].series.len(), 2);
        assert_eq!(p[0].series[1].style, plot::LineStyle::Dashed);
        assert!(p[0].log_y, "2.0 down to 0.1 is a twentyfold span");
        let reg = [row(0, 4.0, None, None), row(1, 3.0, None, None)];
        let p = panels(&reg);
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0].series.len(),
            1,
            "no validation series without validation"
        );
        assert!(!p[0].log_y);
    }

    #[test]
    fn a_diverged_run_still_renders() {
        let rows = [
            row(0, 2.0, Some(1.5), Some(0.5)),
            row(1, f64::NAN, Some(f64::INFINITY), Some(0.1)),
        ];
        let svg = svg(&rows).unwrap();
        assert!(svg.contains("not shown"), "a note says what was skipped");
    }

    #[test]
    fn epochs_read_from_one_and_the_rate_is_a_step_per_epoch() {
        let rows = [
            row(0, 2.0, None, None),
            row(1, 1.0, None, None),
            row(2, 0.5, None, None),
        ];
        assert_eq!(points(&rows, "loss"), [(1.0, 2.0), (2.0, 1.0), (3.0, 0.5)]);
        let p = panels(&rows);
        let lr = &p.last().unwrap().series[0].points;
        // 0.1, 0.05, 0.0333…: each held flat over its epoch's span.
        assert_eq!(lr.len(), 6);
        assert_eq!(lr[0], (0.0, 0.1));
        assert_eq!(lr[1], (1.0, 0.1));
        assert_eq!(lr[2], (1.0, 0.05));
        assert_eq!(lr[5].0, 3.0);
        assert_eq!(epoch_ticks(3).unwrap()[0], (1.0, "1".to_string()));
    }
}
