//! Every "= PyTorch X" / "= Keras Y" claim of the schedules table in `docs/schedules.md`, checked
//! through `lrtrain schedule` against the rates the real framework gave:
//! `tests/golden/schedules.json`, written by `scripts/golden_schedules.py`
//! (torch.optim.lr_scheduler and Keras 3's schedules, off-by-ones included). Plateau needs a
//! training signal, so its goldens are checked by the unit tests in `src/schedule/plateau.rs`.

use crate::common::{lrtrain, repo, stderr_of, write_config};

fn golden() -> serde_json::Value {
    let text = std::fs::read_to_string(repo().join("tests/golden/schedules.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The `lr` column of `lrtrain schedule` for `schedule` (a `[schedule]` body) with one step per
/// epoch, so t = step = epoch.
fn lrtrain_rates(
    dir: &std::path::Path,
    name: &str,
    lr0: f64,
    schedule: &str,
    n: usize,
) -> Vec<f64> {
    let config = write_config(
        dir,
        &format!("{name}.toml"),
        &format!(
            r#"seed = 1

[data]
kind = "synthetic_linear"
samples = 10
weights = [1.0]
bias = 0.0
noise = 0.0

[model]
kind = "linear"

[optimizer]
kind = "sgd"
lr = {lr0}

[schedule]
{schedule}

[train]
epochs = {n}
batch_size = "full"
"#
        ),
    );
    let out = lrtrain()
        .args(["schedule", "--config"])
        .arg(&config)
        .args(["--steps-per-epoch", "1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{name}: {}", stderr_of(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("epoch,step,lr"));
    lines
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn every_pytorch_and_keras_equivalence_in_the_schedules_table_gives_the_frameworks_rates() {
    let golden = golden();
    let tmp = tempfile::tempdir().unwrap();
    let cases = golden["cases"].as_array().unwrap();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let name = format!(
            "{}-{}",
            case["framework"].as_str().unwrap(),
            case["name"].as_str().unwrap()
        );
        let want: Vec<f64> = case["rates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let lr0 = case["lr0"].as_f64().unwrap();
        let got = lrtrain_rates(
            tmp.path(),
            &format!("case{i}"),
            lr0,
            case["schedule"].as_str().unwrap(),
            want.len(),
        );
        assert_eq!(got.len(), want.len(), "{name}");
        if let Some(t) = first_mismatch(&got, &want, case) {
            failures.push(format!(
                "{name} ({}): t = {t}: lrtrain {}, framework {}\n  lrtrain   {got:?}\n  framework {want:?}",
                case["reference"].as_str().unwrap(),
                got[t],
                want[t]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Where `got` first leaves `want` by more than `rtol` of the rate plus `atol` of the largest
/// rate (see the script for why each framework has its own).
fn first_mismatch(got: &[f64], want: &[f64], case: &serde_json::Value) -> Option<usize> {
    let rtol = case["rtol"].as_f64().unwrap();
    let atol = case["atol"].as_f64().unwrap() * want.iter().fold(0.0f64, |m, &w| m.max(w.abs()));
    (0..want.len()).find(|&t| (got[t] - want[t]).abs() > rtol * want[t].abs() + atol)
}

#[test]
fn every_shipped_schedule_config_gives_the_rates_of_the_classes_its_header_names() {
    let golden = golden();
    let mut failures = Vec::new();
    for case in golden["shipped"].as_array().unwrap() {
        let config = case["config"].as_str().unwrap();
        let header = std::fs::read_to_string(repo().join(config)).unwrap();
        let reference = case["reference"].as_str().unwrap();
        // The class the header names must be the one checked here.
        let class = reference.split('(').next().unwrap();
        assert!(
            header.contains(class),
            "{config}'s header does not name {class}"
        );
        let want: Vec<f64> = case["rates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let out = lrtrain()
            .args(["schedule", "--config"])
            .arg(repo().join(config))
            .output()
            .unwrap();
        assert!(out.status.success(), "{config}: {}", stderr_of(&out));
        let got: Vec<f64> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
            .collect();
        assert_eq!(got.len(), want.len(), "{config}");
        if let Some(t) = first_mismatch(&got, &want, case) {
            failures.push(format!(
                "{config} vs {} {reference}: t = {t}: lrtrain {}, framework {}",
                case["framework"], got[t], want[t]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
