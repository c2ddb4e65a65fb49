//! `--format csv`, `compare.csv` (and later `sweep.csv`): one row per config, every number in
//! full precision (Rust's shortest round-trip form), epochs 0-based as in metrics.csv. The
//! winner is rank 1; `seeds` is how many seeds the row has; `target_epoch` is empty without
//! `--target`; an empty cell is a missing value. Column names are unique for every `--metric`.
//!
//! The layout is a list of [`Column`]s, each a name and a cell per row, so a new statistic is one
//! more `Column::new("name", |r| …)` appended to [`columns`].

use anyhow::Result;

use super::median;
use crate::compare::{Row, Stat, Table, stats};
use crate::output::format_number;

/// A row's cell of one column; `None` is left empty (pandas reads NaN).
pub type Cell = Box<dyn Fn(&Row) -> Option<String>>;

/// A named column of the per-config CSV.
pub struct Column {
    pub name: String,
    pub cell: Cell,
}

impl Column {
    pub fn new(name: impl Into<String>, cell: impl Fn(&Row) -> Option<String> + 'static) -> Column {
        Column {
            name: name.into(),
            cell: Box::new(cell),
        }
    }

    /// A [`Stat`] as two columns, `NAME` (the mean over seeds) and `NAME_std`.
    fn stat(name: &str, stat: fn(&Row) -> &Stat) -> [Column; 2] {
        [
            Column::new(name, move |r| number(stat(r).mean)),
            Column::new(format!("{name}_std"), move |r| number(stat(r).std)),
        ]
    }
}

/// A number in full precision; `None` for a missing one (an empty cell).
fn number(x: Option<f64>) -> Option<String> {
    x.map(|x| format_number(Some(x)))
}

/// An epoch over seeds: the lower median of the seeds that have one, 0-based.
fn epoch(values: &[Option<usize>]) -> Option<String> {
    median(values).map(|e| e.to_string())
}

/// Every column of the table `t`, in order.
pub fn columns(t: &Table) -> Vec<Column> {
    let m = t.metric.clone();
    let mut cols = vec![
        Column::new("rank", |r| Some(r.rank.to_string())),
        Column::new("run", |r| Some(r.run.clone())),
        Column::new("optimizer", |r| Some(r.optimizer.clone())),
        Column::new("schedule", |r| Some(r.schedule.clone())),
        Column::new("status", |r| Some(r.status.clone())),
        Column::new("seeds", |r| Some(r.seeds.len().to_string())),
        Column::new("diverged", |r| Some(r.diverged.to_string())),
    ];
    let [best, best_std] = Column::stat(&format!("best_{m}"), |r| &r.best);
    cols.extend([
        best,
        best_std,
        Column::new("best_epoch", |r| epoch(&r.best_epoch)),
    ]);
    cols.extend(Column::stat(&format!("final_{m}"), |r| &r.final_value));
    // Ranked by the training loss, `final_loss` is already the metric's column.
    if m != "loss" {
        cols.extend(Column::stat("final_loss", |r| &r.final_loss));
    }
    cols.push(Column::new("target_epoch", |r| epoch(&r.target_epoch)));
    cols.extend(Column::stat("seconds", |r| &r.seconds));
    if t.rows.iter().any(|r| r.stats.is_some()) {
        for (i, name) in stats::CSV_COLUMNS.iter().enumerate() {
            cols.push(Column::new(*name, move |r| {
                r.stats
                    .as_ref()
                    .map(|s| s.csv_values()[i].clone())
                    .filter(|v| !v.is_empty())
            }));
        }
    }
    cols
}

pub fn render(t: &Table) -> Result<Vec<u8>> {
    let cols = columns(t);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(cols.iter().map(|c| c.name.as_str()))?;
    for r in &t.rows {
        w.write_record(cols.iter().map(|c| (c.cell)(r).unwrap_or_default()))?;
    }
    Ok(w.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::tests::{group, run};
    use crate::compare::{METRICS, rank};

    #[test]
    fn csv_keeps_full_precision_and_leaves_missing_values_empty() {
        let (t, _) = rank(
            vec![
                group("a", vec![run(1, &[0.123456789], "completed")]),
                group("w", vec![run(1, &[f64::NAN], "diverged")]),
            ],
            None,
            None,
        );
        let text = String::from_utf8(render(&t).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "rank,run,optimizer,schedule,status,seeds,diverged,best_val_accuracy,best_val_accuracy_std,best_epoch,final_val_accuracy,final_val_accuracy_std,final_loss,final_loss_std,target_epoch,seconds,seconds_std"
        );
        assert_eq!(
            lines[1],
            "1,a,sgd,cosine,completed,1,0,0.123456789,,0,0.123456789,,0.876543211,,,1.5,"
        );
        assert_eq!(lines[2], "2,w,sgd,cosine,diverged,1,1,,,,NaN,,NaN,,,1.5,");
    }

    #[test]
    fn every_metric_gives_unique_column_names_and_the_seed_count() {
        let groups = vec![group(
            "a",
            vec![run(1, &[0.5], "completed"), run(2, &[0.6], "completed")],
        )];
        for metric in METRICS {
            let (t, _) = rank(groups.clone(), Some(metric), None);
            let text = String::from_utf8(render(&t).unwrap()).unwrap();
            let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
            let mut unique = header.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), header.len(), "{metric}: {header:?}");
            let seeds = header.iter().position(|&h| h == "seeds").unwrap();
            assert_eq!(
                text.lines().nth(1).unwrap().split(',').nth(seeds),
                Some("2")
            );
        }
    }
}
