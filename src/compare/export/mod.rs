//! The ranked table in each output form, one form per file; like hyperfine's exports, each is a
//! pure function to bytes. `text` and `markdown` round to 4 significant digits for reading;
//! `csv` and `json` keep every digit (Rust's shortest round-trip form) for scripts.

pub mod csv;
pub mod epochs_csv;
pub mod json;
pub mod markdown;
pub mod plots;
pub mod text;

use super::{Group, Row, Stat, Table};

/// Significant digits of the human-readable forms.
const DIGITS: i32 = 4;

/// `x` to 4 significant digits, and the decimals used (`None` in e-notation, for the very
/// small or large).
pub fn sig(x: f64) -> (String, Option<usize>) {
    if !x.is_finite() {
        return (x.to_string(), None);
    }
    if x == 0.0 {
        return ("0".into(), Some(0));
    }
    let e = x.abs().log10().floor() as i32;
    if !(-4..6).contains(&e) {
        return (format!("{:.*e}", (DIGITS - 1) as usize, x), None);
    }
    let d = (DIGITS - 1 - e).max(0) as usize;
    (format!("{x:.d$}"), Some(d))
}

/// `y` with the decimals `x` was shown with, so a spread or margin lines up with its value.
pub fn like(y: f64, decimals: Option<usize>, signed: bool) -> String {
    match (decimals, signed) {
        (Some(d), false) => format!("{y:.d$}"),
        (Some(d), true) => format!("{y:+.d$}"),
        (None, false) => format!("{:.*e}", (DIGITS - 1) as usize, y),
        (None, true) => format!("{:+.*e}", (DIGITS - 1) as usize, y),
    }
}

/// `mean ± std` (the std only with two or more seeds); `—` when there is no value.
pub fn stat_cell(s: &Stat) -> String {
    let Some(mean) = s.mean else {
        return "—".into();
    };
    let (text, d) = sig(mean);
    match s.std {
        Some(std) if mean.is_finite() => format!("{text} ± {}", like(std, d, false)),
        _ => text,
    }
}

/// Wall time to the hundredth of a second (`12.35 ± 0.40`).
pub fn seconds_cell(s: &Stat) -> String {
    match (s.mean, s.std) {
        (None, _) => "—".into(),
        (Some(m), Some(sd)) => format!("{m:.2} ± {sd:.2}"),
        (Some(m), None) => format!("{m:.2}"),
    }
}

/// The lower median of the seeds that have a value.
pub fn median(values: &[Option<usize>]) -> Option<usize> {
    let mut v: Vec<usize> = values.iter().flatten().copied().collect();
    v.sort_unstable();
    v.get(v.len().saturating_sub(1) / 2).copied()
}

/// An epoch over seeds, for a person: counted from 1 (the 0-based epoch of metrics.csv plus 1),
/// the value, or the median and how many seeds have one (`4 (2/3)`).
pub fn epoch_cell(values: &[Option<usize>]) -> String {
    let Some(m) = median(values) else {
        return "—".into();
    };
    let have = values.iter().flatten().count();
    let m = m + 1;
    if have == values.len() {
        m.to_string()
    } else {
        format!("{m} ({have}/{})", values.len())
    }
}

/// Whether a column holds numbers (right-aligned) or names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// One column of the human-readable forms.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub header: String,
    /// A shorter header for a narrow terminal (`best val_acc`); the header when none is shorter.
    pub short: String,
    pub align: Align,
    /// One cell per row.
    pub cells: Vec<String>,
    /// 0: always shown; otherwise the order in which a narrow terminal hides it (highest first).
    pub drop_order: u8,
}

impl Column {
    fn new(header: String, align: Align, cells: Vec<String>, drop_order: u8) -> Column {
        Column {
            short: abbreviate(&header),
            header,
            align,
            cells,
            drop_order,
        }
    }
}

/// The header with the long words of metric names shortened.
fn abbreviate(header: &str) -> String {
    header
        .replace("accuracy", "acc")
        .replace("optimizer", "optim")
        .replace("schedule", "sched")
        .replace("seconds", "secs")
}

/// The columns of the human-readable forms, in order. Epochs count from 1 (csv and json keep
/// metrics.csv's 0-based ones); the target's column appears only with a target; with `--metric
/// loss` the final training loss is the metric's own column, not a second one.
/// What a narrow terminal hides first: seconds, the optimizer and schedule names (the run's name
/// usually says them), the final training loss, the best epoch, the final value, the target.
pub fn columns(t: &Table) -> Vec<Column> {
    let cells = |f: &dyn Fn(&Row) -> String| t.rows.iter().map(f).collect::<Vec<_>>();
    let m = &t.metric;
    let mut cols = vec![
        Column::new(
            "rank".into(),
            Align::Right,
            cells(&|r| r.rank.to_string()),
            0,
        ),
        Column::new("run".into(), Align::Left, cells(&|r| r.run.clone()), 0),
        Column::new(
            "optimizer".into(),
            Align::Left,
            cells(&|r| r.optimizer.clone()),
            8,
        ),
        Column::new(
            "schedule".into(),
            Align::Left,
            cells(&|r| r.schedule.clone()),
            7,
        ),
        Column::new(
            format!("best {m}"),
            Align::Right,
            cells(&|r| stat_cell(&r.best)),
            0,
        ),
        Column::new(
            "best epoch".into(),
            Align::Right,
            cells(&|r| epoch_cell(&r.best_epoch)),
            5,
        ),
        Column::new(
            format!("final {m}"),
            Align::Right,
            cells(&|r| stat_cell(&r.final_value)),
            4,
        ),
    ];
    if m != "loss" {
        cols.push(Column::new(
            "final loss".into(),
            Align::Right,
            cells(&|r| stat_cell(&r.final_loss)),
            6,
        ));
    }
    if let Some(target) = t.target {
        let op = if t.higher_is_better { "≥" } else { "≤" };
        cols.push(Column::new(
            format!("epoch {op}{target}"),
            Align::Right,
            cells(&|r| epoch_cell(&r.target_epoch)),
            3,
        ));
    }
    cols.push(Column::new(
        "seconds".into(),
        Align::Right,
        cells(&|r| seconds_cell(&r.seconds)),
        9,
    ));
    if t.rows.iter().any(|r| r.stats.is_some()) {
        cols.push(Column::new(
            "ci95".into(),
            Align::Right,
            cells(&|r| ci_cell(r.stats.as_ref().and_then(|s| s.best.ci95))),
            2,
        ));
        cols.push(Column::new(
            "verdict".into(),
            Align::Left,
            cells(&|r| {
                r.stats
                    .as_ref()
                    .map_or(String::new(), |s| s.vs_leader.verdict.as_str().to_string())
            }),
            0,
        ));
    }
    cols.push(Column::new(
        "status".into(),
        Align::Left,
        cells(&status_cell),
        0,
    ));
    cols
}

/// The line naming what the compared configs differ in (`differ in: optimizer.kind,
/// schedule`), with its newline, printed right under the table (above it, it would break every
/// reader that takes the first line for the column names); empty when nothing is known.
pub fn differ_line(t: &Table) -> String {
    match t.differ_in.is_empty() {
        true => String::new(),
        false => format!("differ in: {}\n", t.differ_in.join(", ")),
    }
}

/// `[0.9512, 0.9601]`, or `—` without an interval.
fn ci_cell(ci: Option<[f64; 2]>) -> String {
    match ci {
        Some([lo, hi]) => format!("[{}, {}]", sig(lo).0, sig(hi).0),
        None => "—".into(),
    }
}

/// What the row is ([`crate::compare::Standing::label`]): `completed`, `diverged 4/6`,
/// `pruned at epoch 3`, `running`, `2 of 3 seeds`.
fn status_cell(r: &Row) -> String {
    r.standing.label()
}

/// The groups (in the table's order) as the charts name them: a row that cannot lead carries
/// what it is (`lr=60 (diverged 4/6)`), as the table's status does.
pub fn legend_names(t: &Table, groups: &[Group]) -> Vec<Group> {
    groups
        .iter()
        .zip(&t.rows)
        .map(|(g, r)| Group {
            name: match r.contends() {
                true => g.name.clone(),
                false => format!("{} ({})", g.name, r.standing.label()),
            },
            runs: g.runs.clone(),
        })
        .collect()
}

/// How many seeds the leader's mean is over, each row's own count: `mean of 3 seeds`, and
/// the other ranked rows whose count differs: `mean of 3 seeds (5 for cosine)`; `None` when no
/// row can lead.
pub fn seeds_note(t: &Table) -> Option<String> {
    let count = |n: usize| match n {
        1 => "one seed".to_string(),
        n => format!("mean of {n} seeds"),
    };
    let leader = t.rows.iter().find(|r| r.contends())?;
    let n = leader.seeds.len();
    let others: Vec<String> = t
        .rows
        .iter()
        .filter(|r| r.contends() && r.seeds.len() != n)
        .map(|r| format!("{} for {}", r.seeds.len(), r.run))
        .collect();
    Some(match others.is_empty() {
        true => count(n),
        false => format!("{} ({})", count(n), others.join(", ")),
    })
}

/// `winner: cosine (val_accuracy 0.9585, +0.0030 over step)`, and what else a reader needs to
/// trust it.
pub fn verdict(t: &Table) -> String {
    if let Some(summary) = &t.summary {
        let note = t
            .note
            .as_ref()
            .map(|n| format!("\nnote: {n}"))
            .unwrap_or_default();
        let seeds = seeds_note(t).map(|n| format!("; {n}")).unwrap_or_default();
        return format!("{summary}{seeds}{note}");
    }
    let Some(w) = &t.winner else {
        return "no winner: no run completed with a value of the metric".into();
    };
    if let (Some(second), Some(margin)) = (&w.runner_up, w.margin)
        && margin == 0.0
    {
        // An exact tie has no winner, and no "+0.0000" margin.
        return format!(
            "tied: {} and {second} ({} {})",
            w.run,
            t.metric,
            sig(w.value).0
        );
    }
    let (value, d) = sig(w.value);
    let m = &t.metric;
    let mut s = match (&w.runner_up, w.margin) {
        (Some(second), Some(margin)) if t.higher_is_better => format!(
            "winner: {} ({m} {value}, {} over {second})",
            w.run,
            like(margin, d, true)
        ),
        (Some(second), Some(margin)) => format!(
            "winner: {} ({m} {value}, {} below {second})",
            w.run,
            like(margin.abs(), d, false)
        ),
        _ => format!(
            "winner: {} ({m} {value}; the only run that completed)",
            w.run
        ),
    };
    if let Some(note) = seeds_note(t).filter(|_| t.seeds > 1) {
        s += &format!("; {note}");
    }
    if w.beyond_std == Some(false) {
        s += "; the margin is within one standard deviation";
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_four_significant_digits() {
        assert_eq!(sig(0.958_53).0, "0.9585");
        assert_eq!(sig(0.012_345_6).0, "0.01235");
        assert_eq!(sig(2.345_67).0, "2.346");
        assert_eq!(sig(1234.5).0, "1234");
        assert_eq!(sig(123_456.0).0, "123456");
        assert_eq!(sig(0.0).0, "0");
        assert_eq!(sig(1.234_56e-5).0, "1.235e-5");
        assert_eq!(sig(f64::NAN).0, "NaN");
        assert_eq!(sig(f64::INFINITY).0, "inf");
    }

    #[test]
    fn spreads_and_margins_line_up_with_their_value() {
        let s = Stat::of(vec![Some(0.9), Some(0.92), Some(0.94)]);
        assert_eq!(stat_cell(&s), "0.9200 ± 0.0200");
        assert_eq!(stat_cell(&Stat::of(vec![Some(0.5)])), "0.5000");
        assert_eq!(stat_cell(&Stat::of(vec![None])), "—");
        assert_eq!(like(0.003, Some(4), true), "+0.0030");
    }

    #[test]
    fn epochs_over_seeds_show_the_median_and_how_many_reached_it() {
        // 0-based in, 1-based out.
        assert_eq!(epoch_cell(&[Some(3)]), "4");
        assert_eq!(epoch_cell(&[Some(5), Some(3), Some(9)]), "6");
        assert_eq!(epoch_cell(&[Some(4), None, Some(2)]), "3 (2/3)");
        assert_eq!(epoch_cell(&[None]), "—");
    }
}
