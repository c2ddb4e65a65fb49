//! Every shipped config is valid, and the schedule examples are free of lint warnings and
//! preview with `lrtrain schedule` (all but the two that follow the training signal).

use std::path::PathBuf;

use crate::common::*;
/// One example per kind (the kind is the file name; the list is the library's registry, so a new
/// kind without an example fails here), and the warmup example.
use lrtrain::schedule::KIND_NAMES as KINDS;

fn tomls(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// Configs whose data is a system package that may not be installed here.
fn data_missing(o: &std::process::Output) -> bool {
    o.status.code() == Some(2) && stderr_of(o).contains("apt-get install")
}

#[test]
fn every_shipped_config_passes_check() {
    let files = tomls("configs");
    assert!(files.len() >= 4, "{files:?}");
    for f in files {
        let o = lrtrain()
            .args(["check", "--config"])
            .arg(&f)
            .output()
            .unwrap();
        if data_missing(&o) {
            eprintln!("skipped {}: {}", f.display(), stderr_of(&o));
            continue;
        }
        assert!(o.status.success(), "{}: {}", f.display(), stderr_of(&o));
    }
}

#[test]
fn every_schedule_example_passes_check_without_a_warning_and_previews() {
    let files = tomls("configs/schedules");
    let stems: Vec<String> = files
        .iter()
        .map(|f| f.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for k in KINDS.iter().chain(&["warmup_cosine"]) {
        assert!(stems.iter().any(|s| s == k), "configs/schedules/{k}.toml");
    }
    for (f, stem) in files.iter().zip(&stems) {
        let o = lrtrain()
            .args(["check", "--config"])
            .arg(f)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}: {}", f.display(), stderr_of(&o));
        assert!(o.stderr.is_empty(), "{}: {}", f.display(), stderr_of(&o));
        let resolved = String::from_utf8(o.stdout).unwrap();
        if KINDS.contains(&stem.as_str()) {
            assert!(
                resolved.contains(&format!("kind = \"{stem}\"")),
                "{stem}.toml shows kind {stem}"
            );
        }
        let text = std::fs::read_to_string(f).unwrap();
        assert!(
            text.contains("PyTorch") && text.contains("Keras"),
            "{stem}.toml names its PyTorch and Keras equivalents"
        );

        let o = lrtrain()
            .args(["schedule", "--config"])
            .arg(f)
            .output()
            .unwrap();
        if matches!(stem.as_str(), "plateau" | "grad_norm") {
            assert_eq!(o.status.code(), Some(2), "{stem}: {}", stderr_of(&o));
            continue;
        }
        assert!(o.status.success(), "{}: {}", f.display(), stderr_of(&o));
        // No warning; only the horizons the example leaves to the run (800 steps, minus warmup).
        for line in stderr_of(&o).lines() {
            assert!(
                line.starts_with("note: schedule.") && line.contains(" = "),
                "{}: {line}",
                f.display()
            );
        }
        // 10 epochs of 80 steps, every rate finite and ≥ 0.
        let csv = String::from_utf8(o.stdout).unwrap();
        assert_eq!(csv.lines().count(), 1 + 800, "{stem}");
        for line in csv.lines().skip(1) {
            let lr: f64 = line.rsplit(',').next().unwrap().parse().unwrap();
            assert!(lr.is_finite() && lr >= 0.0, "{stem}: {line}");
        }
    }
}
