//! `--format json` and `compare.json`: the whole table, every number in full precision (a NaN
//! or infinite value, from a diverged run, is `null`).

use anyhow::Result;

use crate::compare::Table;

/// With statistics, each row's `best` gains `ci95` and the row gains `vs_leader` (SPEC).
pub fn render(t: &Table) -> Result<Vec<u8>> {
    let mut v = serde_json::to_value(t)?;
    if let Some(rows) = v.get_mut("rows").and_then(|r| r.as_array_mut()) {
        for (json, row) in rows.iter_mut().zip(&t.rows) {
            if let (Some(s), Some(obj)) = (&row.stats, json.as_object_mut()) {
                obj.insert("best".into(), serde_json::to_value(&s.best)?);
                obj.insert("vs_leader".into(), serde_json::to_value(&s.vs_leader)?);
            }
        }
    }
    let mut bytes = serde_json::to_vec_pretty(&v)?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::rank;
    use crate::compare::tests::{group, run};

    #[test]
    fn json_carries_the_ranking_the_winner_and_every_seed() {
        let (t, _) = rank(
            vec![
                group(
                    "a",
                    vec![run(1, &[0.9], "completed"), run(2, &[0.8], "completed")],
                ),
                group("w", vec![run(1, &[0.5, f64::NAN], "diverged")]),
            ],
            None,
            Some(0.85),
        );
        let v: serde_json::Value = serde_json::from_slice(&render(&t).unwrap()).unwrap();
        assert_eq!(v["metric"], "val_accuracy");
        assert_eq!(v["higher_is_better"], true);
        assert_eq!(v["target"], 0.85);
        assert_eq!(v["winner"]["run"], "a");
        assert_eq!(
            v["rows"][0]["best"]["values"],
            serde_json::json!([0.9, 0.8])
        );
        assert_eq!(v["rows"][0]["target_epoch"], serde_json::json!([0, null]));
        assert_eq!(v["rows"][1]["status"], "diverged");
        assert_eq!(v["rows"][1]["final"]["mean"], serde_json::Value::Null);
    }
}
