//! `--format csv`: one row per config, every number in full precision, stable columns (the
//! winner is rank 1; `target_epoch` is empty without `--target`).

use anyhow::Result;

use super::median;
use crate::compare::{Stat, Table};
use crate::output::format_number;

pub fn render(t: &Table) -> Result<Vec<u8>> {
    let m = &t.metric;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "rank".to_string(),
        "run".into(),
        "optimizer".into(),
        "schedule".into(),
        "status".into(),
        "seeds".into(),
        "diverged".into(),
        format!("best_{m}"),
        format!("best_{m}_std"),
        "best_epoch".into(),
        format!("final_{m}"),
        format!("final_{m}_std"),
        "final_loss".into(),
        "final_loss_std".into(),
        "target_epoch".into(),
        "seconds".into(),
        "seconds_std".into(),
    ])?;
    for r in &t.rows {
        let stat = |s: &Stat| [format_number(s.mean), format_number(s.std)];
        let [best, best_std] = stat(&r.best);
        let [fin, fin_std] = stat(&r.final_value);
        let [loss, loss_std] = stat(&r.final_loss);
        let [secs, secs_std] = stat(&r.seconds);
        let epoch = |v: &[Option<usize>]| median(v).map(|e| e.to_string()).unwrap_or_default();
        w.write_record([
            r.rank.to_string(),
            r.run.clone(),
            r.optimizer.clone(),
            r.schedule.clone(),
            r.status.clone(),
            r.seeds.len().to_string(),
            r.diverged.to_string(),
            best,
            best_std,
            epoch(&r.best_epoch),
            fin,
            fin_std,
            loss,
            loss_std,
            epoch(&r.target_epoch),
            secs,
            secs_std,
        ])?;
    }
    Ok(w.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::rank;
    use crate::compare::tests::{group, run};

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
}
