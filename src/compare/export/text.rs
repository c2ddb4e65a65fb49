//! `--format table` (the default): aligned columns and the winner line, for a person.

use super::{Align, columns, verdict};
use crate::compare::Table;

pub fn render(t: &Table) -> String {
    let cols = columns(t);
    let widths: Vec<usize> = cols
        .iter()
        .map(|(h, _, cells)| {
            cells
                .iter()
                .chain(std::iter::once(h))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&cols)
            .zip(&widths)
            .map(|((c, (_, align, _)), &w)| {
                let pad = " ".repeat(w - c.chars().count());
                match align {
                    Align::Left => format!("{c}{pad}"),
                    Align::Right => format!("{pad}{c}"),
                }
            })
            .collect();
        parts.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(cols.iter().map(|c| c.0.as_str()).collect());
    for i in 0..t.rows.len() {
        out += &line(cols.iter().map(|c| c.2[i].as_str()).collect());
    }
    out + "\n" + &verdict(t) + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let text = render(&t);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "rank  run     optimizer  schedule  best val_accuracy  best epoch  final val_accuracy  final loss  epoch ≥0.95  seconds  status"
        );
        assert_eq!(
            lines[1],
            "   1  cosine  sgd        cosine               0.9585           1              0.9585     0.04150            1     1.50  completed"
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
        let text = render(&t);
        assert!(text.contains("0.4500 ± 0.0707"), "{text}");
        assert!(
            text.ends_with("winner: a (val_loss 0.4500, 0.2500 below b); mean of 2 seeds\n"),
            "{text}"
        );
    }
}
