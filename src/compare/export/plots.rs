//! `loss.svg`, `accuracy.svg`, `lr.svg`: every config's curve overlaid, in table order (the
//! winner first), each config in its own colour × dash combination (distinct for up to 32
//! configs), the legend beside the plot. Training and validation are two panels of one chart.
//! With seeds, a config's curve is the mean over its seeds. Epochs count from 1 on the x axis;
//! a config with a diverged seed is marked where it diverged and does not set the y range.

use anyhow::Result;

use crate::compare::Group;
use crate::report::curves::{PANEL_HEIGHT, WIDTH, epoch_ticks, log_reads_better, rate_steps};
use crate::report::plot::{Panel, Series, render_svg};

/// Height of a compare panel: room for `entries` legend rows beside it.
fn height(entries: usize) -> u32 {
    (PANEL_HEIGHT + 120).max(120 + 19 * entries as u32)
}

/// The mean of `metric` over the group's seeds at each 0-based epoch that any seed has it.
fn mean_by_epoch(g: &Group, metric: &str) -> Vec<(usize, f64)> {
    let epochs = g.runs.iter().map(|r| r.rows.len()).max().unwrap_or(0);
    (0..epochs)
        .filter_map(|e| {
            let v: Vec<f64> = g
                .runs
                .iter()
                .filter_map(|r| r.rows.get(e).and_then(|m| m.get(metric)))
                .collect();
            (!v.is_empty()).then(|| (e, v.iter().sum::<f64>() / v.len() as f64))
        })
        .collect()
}

/// The mean of `metric` over the group's seeds, at x = epoch counted from 1.
pub fn mean_curve(g: &Group, metric: &str) -> Vec<(f64, f64)> {
    mean_by_epoch(g, metric)
        .into_iter()
        .map(|(e, v)| (e as f64 + 1.0, v))
        .collect()
}

fn diverged(g: &Group) -> bool {
    g.runs.iter().any(|r| r.status == "diverged")
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

/// The chart's title, with each config's own seed count: `mean over 3 seeds`, or `mean over
/// 3–5 seeds` when the configs have different counts.
fn title(what: &str, groups: &[Group]) -> String {
    let most = groups.iter().map(|g| g.runs.len()).max().unwrap_or(0);
    let fewest = groups.iter().map(|g| g.runs.len()).min().unwrap_or(0);
    match (fewest, most) {
        (_, 0 | 1) => what.to_string(),
        (f, m) if f == m => format!("{what}, mean over {m} seeds"),
        (f, m) => format!("{what}, mean over {f}–{m} seeds"),
    }
}

/// One series per config of `metric`, styled by the config's place in the table.
fn panel(groups: &[Group], what: &str, metric: &str) -> Panel {
    let series = groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            Series::new(g.name.clone(), mean_curve(g, metric))
                .styled(i)
                .diverged(diverged(g))
        })
        .collect();
    Panel {
        series,
        x_ticks: ticks(groups),
        x_from: Some(0.0),
        ..Panel::new(title(what, groups), "epoch", metric)
    }
}

fn has_data(p: &Panel) -> bool {
    p.series.iter().any(|s| !s.points.is_empty())
}

/// Training loss, and validation loss below it when some run has one.
pub fn loss(groups: &[Group]) -> Vec<Panel> {
    let mut panels = vec![panel(groups, "Training loss", "loss")];
    let val = panel(groups, "Validation loss", "val_loss");
    if has_data(&val) {
        panels.push(val);
    }
    for p in &mut panels {
        // As for the y range, a diverged run's blow-up does not decide the scale.
        let tame = p.series.iter().any(|s| !s.diverged && !s.points.is_empty());
        p.log_y = log_reads_better(
            p.series
                .iter()
                .filter(|s| !tame || !s.diverged)
                .flat_map(|s| s.points.iter().map(|p| p.1)),
        );
    }
    panels
}

/// Training and validation accuracy; `None` when no run has an accuracy (regression).
pub fn accuracy(groups: &[Group]) -> Option<Vec<Panel>> {
    let panels: Vec<Panel> = [
        panel(groups, "Training accuracy", "accuracy"),
        panel(groups, "Validation accuracy", "val_accuracy"),
    ]
    .into_iter()
    .filter(has_data)
    .map(|p| Panel {
        // An accuracy stays in [0, 1]: a diverged config's last values set the range too.
        bounded_y: true,
        ..p
    })
    .collect();
    (!panels.is_empty()).then_some(panels)
}

/// The rate each config used, flat over each epoch (the first step's rate, as metrics.csv
/// logs it), so a step schedule shows as steps, not ramps.
pub fn lr(groups: &[Group]) -> Panel {
    let series: Vec<Series> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| Series::new(g.name.clone(), rate_steps(mean_by_epoch(g, "lr"))).styled(i))
        .collect();
    Panel {
        log_y: log_reads_better(series.iter().flat_map(|s| s.points.iter().map(|p| p.1))),
        series,
        x_ticks: ticks(groups),
        x_from: Some(0.0),
        ..Panel::new(
            title("Learning rate (each epoch's first step)", groups),
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
    charts.push(("lr.svg", vec![lr(groups)]));
    let h = height(groups.len());
    charts
        .into_iter()
        .map(|(name, panels)| Ok((name, render_svg(&panels, WIDTH, h)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::tests::{group, run};
    use crate::report::plot::{DISTINCT_STYLES, LineStyle};

    #[test]
    fn each_config_is_one_named_series_per_panel_in_its_own_style() {
        let groups = [
            group("a", vec![run(1, &[0.5, 0.9], "completed")]),
            group("b", vec![run(1, &[0.4, 0.8], "completed")]),
        ];
        let p = loss(&groups);
        assert_eq!(p.len(), 2, "training and validation");
        let named: Vec<&str> = p[0].series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(named, ["a", "b"]);
        assert_ne!(p[0].series[0].color, p[0].series[1].color);
        assert_eq!(lr(&groups).series.len(), 2);
        let charts = render(&groups).unwrap();
        let names: Vec<&str> = charts.iter().map(|c| c.0).collect();
        assert_eq!(names, ["loss.svg", "accuracy.svg", "lr.svg"]);
    }

    #[test]
    fn more_than_eight_configs_keep_distinct_styles() {
        let groups: Vec<Group> = (0..12)
            .map(|i| group(&format!("c{i}"), vec![run(1, &[0.5], "completed")]))
            .collect();
        let p = lr(&groups);
        let styles: std::collections::HashSet<_> =
            p.series.iter().map(|s| (s.color, s.style)).collect();
        assert_eq!(styles.len(), 12);
        const { assert!(12 <= DISTINCT_STYLES) };
        assert_eq!(p.series[8].style, LineStyle::LongDashed);
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
        assert_eq!(mean_curve(&g, "val_accuracy"), [(1.0, 0.6), (2.0, 0.9)]);
        assert!(title("Loss", &[g]).ends_with("mean over 2 seeds"));
    }
}
