//! `loss.svg`, `accuracy.svg`, `lr.svg`: every config's curve overlaid, one colour per config (in
//! table order, so the winner is the first colour), training solid and validation dashed, a
//! legend naming each config once. With seeds, a config's curve is the mean over its seeds.

use anyhow::Result;

use crate::compare::Group;
use crate::output::curves::{PANEL_HEIGHT, WIDTH, epoch_ticks, log_reads_better};
use crate::output::plot::{Panel, Series, render_svg};

/// Height of a compare chart (one panel, room for a legend).
const HEIGHT: u32 = PANEL_HEIGHT + 120;

/// The mean of `metric` over the group's seeds at each epoch that any seed has it.
pub fn mean_curve(g: &Group, metric: &str) -> Vec<(f64, f64)> {
    let epochs = g.runs.iter().map(|r| r.rows.len()).max().unwrap_or(0);
    (0..epochs)
        .filter_map(|e| {
            let v: Vec<f64> = g
                .runs
                .iter()
                .filter_map(|r| r.rows.get(e).and_then(|m| m.get(metric)))
                .collect();
            (!v.is_empty()).then(|| (e as f64, v.iter().sum::<f64>() / v.len() as f64))
        })
        .collect()
}

fn ticks(groups: &[Group]) -> Option<Vec<(f64, String)>> {
    epoch_ticks(
        groups
            .iter()
            .flat_map(|g| &g.runs)
            .map(|r| r.rows.len())
            .max()
            .unwrap_or(0),
    )
}

fn title(what: &str, groups: &[Group], pair: bool) -> String {
    let seeds = groups.iter().map(|g| g.runs.len()).max().unwrap_or(0);
    let mut t = what.to_string();
    if pair {
        t += " (training solid, validation dashed)";
    }
    if seeds > 1 {
        t += &format!(", mean over {seeds} seeds");
    }
    t
}

/// Training `train` solid (named, for the legend) and validation `val` dashed (unnamed: the
/// legend shows each config once), per config.
fn pair_panel(groups: &[Group], what: &str, train: &str, val: &str) -> Panel {
    let mut series = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        series.push(Series::new(g.name.clone(), mean_curve(g, train)).with_color(i));
        let v = mean_curve(g, val);
        if !v.is_empty() {
            series.push(Series::new("", v).dashed().with_color(i));
        }
    }
    let pair = series.iter().any(|s| s.name.is_empty());
    Panel {
        series,
        x_ticks: ticks(groups),
        ..Panel::new(title(what, groups, pair), "epoch", train)
    }
}

pub fn loss(groups: &[Group]) -> Panel {
    let mut p = pair_panel(groups, "Loss", "loss", "val_loss");
    p.log_y = log_reads_better(p.series.iter().flat_map(|s| s.points.iter().map(|p| p.1)));
    p
}

/// `None` when no run has an accuracy (regression).
pub fn accuracy(groups: &[Group]) -> Option<Panel> {
    let p = pair_panel(groups, "Accuracy", "accuracy", "val_accuracy");
    p.series.iter().any(|s| !s.points.is_empty()).then_some(p)
}

pub fn lr(groups: &[Group]) -> Panel {
    let series: Vec<Series> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| Series::new(g.name.clone(), mean_curve(g, "lr")).with_color(i))
        .collect();
    Panel {
        log_y: log_reads_better(series.iter().flat_map(|s| s.points.iter().map(|p| p.1))),
        series,
        x_ticks: ticks(groups),
        ..Panel::new(
            title("Learning rate (first step of each epoch)", groups, false),
            "epoch",
            "lr",
        )
    }
}

/// Every chart as `(file name, SVG)`; `accuracy.svg` only when some run has an accuracy.
pub fn render(groups: &[Group]) -> Result<Vec<(&'static str, String)>> {
    let mut charts = vec![("loss.svg", loss(groups))];
    if let Some(p) = accuracy(groups) {
        charts.push(("accuracy.svg", p));
    }
    charts.push(("lr.svg", lr(groups)));
    charts
        .into_iter()
        .map(|(name, panel)| Ok((name, render_svg(&[panel], WIDTH, HEIGHT)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::tests::{group, run};
    use crate::output::plot::LineStyle;

    #[test]
    fn each_config_is_one_named_series_with_its_validation_dashed_in_the_same_colour() {
        let groups = [
            group("a", vec![run(1, &[0.5, 0.9], "completed")]),
            group("b", vec![run(1, &[0.4, 0.8], "completed")]),
        ];
        let p = loss(&groups);
        let named: Vec<&str> = p
            .series
            .iter()
            .map(|s| s.name.as_str())
            .filter(|n| !n.is_empty())
            .collect();
        assert_eq!(named, ["a", "b"]);
        assert_eq!(p.series[1].style, LineStyle::Dashed);
        assert_eq!(p.series[1].color, p.series[0].color);
        assert_eq!(p.series[2].color, Some(1));
        assert_eq!(lr(&groups).series.len(), 2);
        let charts = render(&groups).unwrap();
        let names: Vec<&str> = charts.iter().map(|c| c.0).collect();
        assert_eq!(names, ["loss.svg", "accuracy.svg", "lr.svg"]);
    }

    #[test]
    fn seeds_are_averaged_epoch_by_epoch() {
        let g = group(
            "a",
            vec![
                run(1, &[0.5, 0.9], "completed"),
                run(2, &[0.7], "completed"),
            ],
        );
        assert_eq!(mean_curve(&g, "val_accuracy"), [(0.0, 0.6), (1.0, 0.9)]);
        assert!(title("Loss", &[g], true).ends_with("mean over 2 seeds"));
    }
}
