//! `--format markdown`: the same cells as the text table, as a GitHub table, then the winner.

use super::{Align, columns, differ_line, verdict};
use crate::compare::Table;

pub fn render(t: &Table) -> String {
    let cols = columns(t);
    let row = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    let mut out = row(cols.iter().map(|c| c.header.clone()).collect());
    out += &row(cols
        .iter()
        .map(|c| match c.align {
            Align::Left => ":---".to_string(),
            Align::Right => "---:".to_string(),
        })
        .collect());
    for i in 0..t.rows.len() {
        out += &row(cols
            .iter()
            .map(|c| c.cells[i].replace('|', "\\|"))
            .collect());
    }
    out + "\n" + &differ_line(t) + &verdict(t) + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::rank;
    use crate::compare::tests::{group, run};

    #[test]
    fn markdown_has_a_header_an_alignment_row_and_a_row_per_config() {
        let (t, _) = rank(
            vec![
                group("a", vec![run(1, &[0.9], "completed")]),
                group("b", vec![run(1, &[0.8], "completed")]),
            ],
            None,
            None,
        );
        let md = render(&t);
        let lines: Vec<&str> = md.lines().collect();
        assert!(lines[0].starts_with("| rank | run | optimizer |"), "{md}");
        assert!(lines[1].starts_with("| ---: | :--- |"), "{md}");
        assert!(
            lines[2].starts_with("| 1 | a | sgd | cosine | 0.9000 |"),
            "{md}"
        );
        assert!(lines[3].starts_with("| 2 | b |"), "{md}");
        assert_eq!(lines[5], "winner: a (val_accuracy 0.9000, +0.1000 over b)");
    }
}
