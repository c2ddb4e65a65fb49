//! `--format table` (the default): aligned columns and the winner line, for a person.
//!
//! Given a terminal width, the table fits it: first the headers shorten (`best val_acc`), then
//! low-priority columns are hidden (see [`columns`]) and a line names them. A cell is never cut,
//! so no number wraps; only a table whose essential columns alone are too wide stays wider.

use std::io::IsTerminal;

use super::{Align, Column, columns, differ_line, verdict};
use crate::compare::Table;

/// The width to fit when stdout is a terminal: `COLUMNS` when set (shells export it; it also
/// lets a user ask for a width), else the terminal's own; `None` for a pipe or a file, which
/// get the full table.
pub fn terminal_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&w| w > 0)
        .or_else(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
}

/// Spaces between two columns.
const GAP: usize = 2;

/// The table, fitted to `width` columns when given (a terminal), else in full (a pipe or file).
pub fn render(t: &Table, width: Option<usize>) -> String {
    let mut cols = columns(t);
    let mut hidden = Vec::new();
    if let Some(width) = width {
        if table_width(&cols) > width {
            for c in &mut cols {
                // The full name stays in `short`, for the line naming hidden columns.
                std::mem::swap(&mut c.header, &mut c.short);
            }
        }
        while table_width(&cols) > width {
            let Some(i) = (0..cols.len())
                .filter(|&i| cols[i].drop_order > 0)
                .max_by_key(|&i| (cols[i].drop_order, i))
            else {
                break;
            };
            let c = cols.remove(i);
            // The longer of the two names is the full one, whichever is shown.
            hidden.push(match c.header.len() >= c.short.len() {
                true => c.header,
                false => c.short,
            });
        }
    }
    let widths: Vec<usize> = cols.iter().map(column_width).collect();
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&cols)
            .zip(&widths)
            .map(|((c, col), &w)| {
                let pad = " ".repeat(w - c.chars().count());
                match col.align {
                    Align::Left => format!("{c}{pad}"),
                    Align::Right => format!("{pad}{c}"),
                }
            })
            .collect();
        parts.join(&" ".repeat(GAP)).trim_end().to_string() + "\n"
    };
    let mut out = line(cols.iter().map(|c| c.header.as_str()).collect());
    for i in 0..t.rows.len() {
        out += &line(cols.iter().map(|c| c.cells[i].as_str()).collect());
    }
    out += "\n";
    if !hidden.is_empty() {
        out += &format!(
            "hidden to fit {} columns: {} (--format csv shows every column)\n",
            width.unwrap_or_default(),
            hidden.join(", ")
        );
    }
    out + &differ_line(t) + &verdict(t) + "\n"
}

fn column_width(c: &Column) -> usize {
    c.cells
        .iter()
        .chain(std::iter::once(&c.header))
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0)
}

/// Characters of the widest line.
fn table_width(cols: &[Column]) -> usize {
    let sum: usize = cols.iter().map(column_width).sum();
    sum + GAP * cols.len().saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::export::stat_cell;
    use crate::compare::rank;
    use crate::compare::tests::{group, run};

    #[test]
    fn the_table_is_aligned_and_names_the_winner() {
        let (t, _) = rank(
            vec![
                group("step", vec![run(1, &[0.9, 0.9555], "completed")]),
                group("cosine", vec![run(1, &[0.9, 0.9585], "completed")]),
                group("wild", vec![run(1, &[f64::NAN], "diverged")]),
            ],
            None,
            Some(0.95),
        );
        let text = render(&t, None);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "rank  run     optimizer  schedule  best val_accuracy  best epoch  final val_accuracy  final loss  epoch ≥0.95  seconds  status"
        );
        assert_eq!(
            lines[1],
            "   1  cosine  sgd        cosine               0.9585           2              0.9585     0.04150            2     1.50  completed"
        );
        assert!(lines[3].starts_with("   3  wild"), "{text}");
        assert!(lines[3].ends_with("diverged"), "{text}");
        assert_eq!(
            lines[5],
            "winner: cosine (val_accuracy 0.9585, +0.0030 over step)"
        );
    }

    #[test]
    fn a_loss_margin_reads_below_the_runner_up() {
        let (t, _) = rank(
            vec![
                group(
                    "a",
                    vec![run(1, &[0.5], "completed"), run(2, &[0.6], "completed")],
                ),
                group(
                    "b",
                    vec![run(1, &[0.3], "completed"), run(2, &[0.3], "completed")],
                ),
            ],
            Some("val_loss"),
            None,
        );
        let text = render(&t, None);
        assert!(text.contains("0.4500 ± 0.0707"), "{text}");
        assert!(
            text.ends_with("winner: a (val_loss 0.4500, 0.2500 below b); mean of 2 seeds\n"),
            "{text}"
        );
    }

    /// Six seeded configs with long names: the full table is far wider than a terminal.
    fn wide_table() -> Table {
        let groups = (0..6)
            .map(|i| {
                group(
                    &format!("cosine_restarts_{i}"),
                    vec![
                        run(1, &[0.9, 0.91 + 0.001 * i as f64], "completed"),
                        run(2, &[0.9, 0.92], "completed"),
                    ],
                )
            })
            .collect();
        rank(groups, None, Some(0.95)).0
    }

    #[test]
    fn a_terminal_width_hides_low_priority_columns_and_never_cuts_a_cell() {
        let t = wide_table();
        let full = render(&t, None);
        let widest_full = full.lines().map(|l| l.chars().count()).max().unwrap();
        assert!(widest_full > 120, "{full}");
        for width in [80, 120] {
            let text = render(&t, Some(width));
            let table: Vec<&str> = text.lines().take(t.rows.len() + 1).collect();
            for l in &table {
                assert!(l.chars().count() <= width, "{width}: {l:?}\n{text}");
            }
            // Every row still shows its rank, name, full best value and status.
            for r in &t.rows {
                let line = table.iter().find(|l| l.contains(&r.run)).unwrap();
                assert!(line.contains(&stat_cell(&r.best)), "{line}");
                assert!(line.trim_end().ends_with("completed"), "{line}");
            }
            assert!(
                text.contains(&format!("hidden to fit {width} columns: seconds")),
                "{text}"
            );
        }
        // 120 columns keep more than 80 do.
        let cols = |w| {
            render(&t, Some(w))
                .lines()
                .next()
                .unwrap()
                .split("  ")
                .filter(|c| !c.is_empty())
                .count()
        };
        assert!(cols(120) > cols(80));
        // A table that fits is left as it is.
        assert_eq!(render(&t, Some(1000)), full);
    }

    #[test]
    fn ranking_by_loss_shows_the_final_loss_once() {
        let (t, _) = rank(
            vec![group("a", vec![run(1, &[0.5], "completed")])],
            Some("loss"),
            None,
        );
        let header = render(&t, None).lines().next().unwrap().to_string();
        assert_eq!(header.matches("final loss").count(), 1, "{header}");
    }
}
