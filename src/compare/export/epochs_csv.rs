//! `epochs.csv`: every epoch of every run in long form, `run,seed,` then the metrics.csv columns
//! (epochs 0-based, as there), runs in the table's order. Loads in pandas as one frame:
//! `pd.read_csv("epochs.csv").groupby(["run", "epoch"])`.

use anyhow::Result;

use crate::compare::Group;
use crate::metric::columns::COLUMNS;
use crate::run::metrics_csv::fields;

/// The CSV bytes, header first.
pub fn render(groups: &[Group]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["run", "seed"];
    header.extend(COLUMNS);
    w.write_record(&header)?;
    for g in groups {
        for r in &g.runs {
            for m in &r.rows {
                let mut record = vec![g.name.clone(), r.seed.to_string()];
                record.extend(fields(m));
                w.write_record(&record)?;
            }
        }
    }
    Ok(w.into_inner()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::tests::{group, run};

    #[test]
    fn every_epoch_of_every_seed_is_a_row() {
        let groups = [group(
            "a",
            vec![
                run(1, &[0.5, 0.75], "completed"),
                run(2, &[0.5], "completed"),
            ],
        )];
        let text = String::from_utf8(render(&groups).unwrap()).unwrap();
        assert_eq!(
            text,
            "run,seed,epoch,lr,loss,accuracy,val_loss,val_accuracy,grad_norm,seconds\n\
             a,1,0,0.1,0.5,0.5,0.5,0.5,1,0.5\n\
             a,1,1,0.1,0.25,0.75,0.25,0.75,1,0.5\n\
             a,2,0,0.1,0.5,0.5,0.5,0.5,1,0.5\n"
        );
    }
}
