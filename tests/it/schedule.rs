//! `lrtrain schedule`, through the binary.

use std::io::Read;
use std::process::Stdio;

use crate::common::*;

fn rows(stdout: &[u8]) -> Vec<(usize, usize, f64)> {
    let text = String::from_utf8(stdout.to_vec()).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("epoch,step,lr"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_step_schedule_prints_one_row_per_optimizer_step() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "s.toml",
        &mnist_config(
            "[optimizer]\nkind = \"sgd\"\nlr = 0.8\n[schedule]\nkind = \"step\"\nunit = \"epoch\"\nstep_size = 2\ngamma = 0.5\n",
        ),
    );
    let o = lrtrain()
        .args([
            "schedule",
            "--epochs",
            "5",
            "--steps-per-epoch",
            "3",
            "--config",
        ])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let r = rows(&o.stdout);
    assert_eq!(r.len(), 15);
    for (i, (epoch, step, lr)) in r.iter().enumerate() {
        assert_eq!(*step, i);
        assert_eq!(*epoch, i / 3);
        // 0.8 · 0.5^floor(epoch / 2)
        let expected = 0.8 * 0.5f64.powi((epoch / 2) as i32);
        assert!(
            (lr - expected).abs() < 1e-12,
            "step {i}: {lr} vs {expected}"
        );
    }
}

#[test]
fn steps_per_epoch_default_to_what_the_data_and_batch_size_give() {
    let dir = tempfile::tempdir().unwrap();
    // 8,000 shipped training digits at batch 128 → ceil(8000 / 128) = 63 steps per epoch.
    let cfg = write_config(
        dir.path(),
        "s.toml",
        &mnist_config("[train]\nepochs = 2\nbatch_size = 128\n"),
    );
    let o = lrtrain()
        .args(["schedule", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    let r = rows(&o.stdout);
    assert_eq!(r.len(), 126);
    assert_eq!(r[63].0, 1);
}

#[test]
fn an_exponential_step_schedule_matches_its_formula() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "e.toml",
        &mnist_config(
            "[optimizer]\nkind = \"sgd\"\nlr = 0.1\n[schedule]\nkind = \"exponential\"\ndecay_rate = 0.5\ndecay_steps = 4\n",
        ),
    );
    let o = lrtrain()
        .args([
            "schedule",
            "--epochs",
            "2",
            "--steps-per-epoch",
            "10",
            "--config",
        ])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    for (_, step, lr) in rows(&o.stdout) {
        // 0.1 · 0.5^(t/4), not floored
        let expected = 0.1 * 0.5f64.powf(step as f64 / 4.0);
        assert!((lr - expected).abs() < 1e-12, "step {step}");
    }
}

#[test]
fn plateau_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "p.toml",
        &mnist_config("[schedule]\nkind = \"plateau\"\n"),
    );
    let o = lrtrain()
        .args(["schedule", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr_of(&o).contains("plateau"), "{}", stderr_of(&o));
    assert!(o.stdout.is_empty());
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "c.toml", &mnist_config(""));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lrtrain"))
        .args([
            "schedule",
            "--epochs",
            "100000",
            "--steps-per-epoch",
            "100",
            "--config",
        ])
        .arg(&cfg)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 64];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    assert!(o.stderr.is_empty(), "{}", stderr_of(&o));
}

/// Runs `lrtrain schedule` on an MNIST config with `schedule` as its tail, for `epochs` of
/// `steps` steps, plus `extra` arguments.
fn preview(schedule: &str, epochs: usize, steps: usize, extra: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "s.toml", &mnist_config(schedule));
    lrtrain()
        .args(["schedule", "--epochs", &epochs.to_string()])
        .args(["--steps-per-epoch", &steps.to_string()])
        .args(extra)
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap()
}

/// Asserts that every row's rate is `f(step)` within 1e-12 relative.
fn assert_rates(o: &std::process::Output, n: usize, f: impl Fn(f64) -> f64) {
    assert!(o.status.success(), "{}", stderr_of(o));
    // No warning; a horizon the config leaves to the run is shown as a note.
    let err = stderr_of(o);
    assert!(
        err.lines().all(|l| l.starts_with("note: schedule.")),
        "no warning expected: {err}"
    );
    let r = rows(&o.stdout);
    assert_eq!(r.len(), n);
    for (_, step, lr) in r {
        let expected = f(step as f64);
        assert!(
            (lr - expected).abs() <= 1e-12 * expected.abs().max(1e-300),
            "step {step}: {lr} vs {expected}"
        );
    }
}

const PI: f64 = std::f64::consts::PI;

#[test]
fn grad_norm_is_refused_with_a_reason() {
    let o = preview("[schedule]\nkind = \"grad_norm\"\n", 2, 3, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr_of(&o);
    assert!(err.contains("grad_norm"), "{err}");
    assert!(
        err.contains("lrtrain train"),
        "says what to do instead: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn a_sequential_holding_a_plateau_is_refused_too() {
    let o = preview(
        "[schedule]\nkind = \"sequential\"\nphases = [{ kind = \"constant\", length = 5 }, { kind = \"plateau\" }]\n",
        2,
        3,
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr_of(&o));
    assert!(o.stdout.is_empty());
}

#[test]
fn a_cosine_schedule_matches_its_formula() {
    // min_lr + (lr0 − min_lr) · (1 + cos(π · min(t, 20)/20)) / 2, lr0 = 0.1, min_lr = 0.001
    let o = preview(
        "[optimizer]\nkind = \"sgd\"\nlr = 0.1\n[schedule]\nkind = \"cosine\"\ntotal = 20\nmin_lr = 0.001\n",
        2,
        10,
        &[],
    );
    assert_rates(&o, 20, |t| {
        0.001 + (0.1 - 0.001) * (1.0 + (PI * t.min(20.0) / 20.0).cos()) / 2.0
    });
}

#[test]
fn a_one_cycle_schedule_matches_pytorch_one_cycle_lr() {
    // OneCycleLR(max_lr=0.1, total_steps=30): initial = 0.1/25, min = initial/1e4; phase 1 ends at
    // 0.3 · 30 − 1 = 8 (initial → 0.1), phase 2 at 29 (0.1 → min), both cosine:
    // end + (start − end)/2 · (1 + cos(π · pct)).
    let o = preview(
        "[optimizer]\nkind = \"sgd\"\nlr = 0.1\n[schedule]\nkind = \"one_cycle\"\ntotal = 30\ncycle_momentum = false\n",
        3,
        10,
        &[],
    );
    let (initial, max) = (0.1 / 25.0, 0.1);
    let min = initial / 1e4;
    let anneal =
        |start: f64, end: f64, pct: f64| end + (start - end) / 2.0 * (1.0 + (PI * pct).cos());
    assert_rates(&o, 30, |t| {
        if t <= 8.0 {
            anneal(initial, max, t / 8.0)
        } else {
            anneal(max, min, (t - 8.0) / 21.0)
        }
    });
}

#[test]
fn warmup_ramps_up_then_shifts_a_linear_decay() {
    // t < 5: 0.2 · (0.1 + 0.9 · t/5); then 0.2 · (1 − min(t − 5, 15)/15).
    let o = preview(
        "[optimizer]\nkind = \"sgd\"\nlr = 0.2\n[schedule]\nkind = \"linear\"\ntotal = 15\nwarmup = 5\nwarmup_start_factor = 0.1\n",
        4,
        5,
        &[],
    );
    assert_rates(&o, 20, |t| {
        if t < 5.0 {
            0.2 * (0.1 + 0.9 * t / 5.0)
        } else {
            0.2 * (1.0 - (t - 5.0).min(15.0) / 15.0)
        }
    });
}

#[test]
fn a_sequential_schedule_runs_each_phase_on_its_own_clock() {
    // Phase 0 (t < 6): 0.1 · (0.5 + 0.5 · t/6); phase 1 from t = 6 on: 0.1 · 0.5^((t − 6)/2).
    let o = preview(
        "[optimizer]\nkind = \"sgd\"\nlr = 0.1\n[schedule]\nkind = \"sequential\"\nphases = [{ kind = \"linear\", length = 6, start_factor = 0.5, end_factor = 1.0 }, { kind = \"exponential\", decay_rate = 0.5, decay_steps = 2 }]\n",
        3,
        4,
        &[],
    );
    assert_rates(&o, 12, |t| {
        if t < 6.0 {
            0.1 * (0.5 + 0.5 * t / 6.0)
        } else {
            0.1 * 0.5f64.powf((t - 6.0) / 2.0)
        }
    });
}

/// The text of every `<text>` element of a well-formed SVG document.
fn svg_texts(path: &std::path::Path) -> Vec<String> {
    let svg = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("not XML: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect()
}

const COSINE: &str = "[optimizer]\nkind = \"sgd\"\nlr = 0.1\n[schedule]\nkind = \"cosine\"\ntotal = 40\nmin_lr = 0.001\n";

#[test]
fn plot_writes_a_well_formed_svg_and_the_csv_still_goes_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("lr.svg");
    let o = preview(COSINE, 4, 10, &["--plot", svg.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(rows(&o.stdout).len(), 40);
    let texts = svg_texts(&svg);
    assert!(
        texts.iter().any(|t| t == "cosine schedule, lr0 = 0.1"),
        "title: {texts:?}"
    );
    assert!(texts.iter().any(|t| t == "learning rate"), "{texts:?}");
    assert!(
        texts.iter().any(|t| t.starts_with("optimizer step")),
        "{texts:?}"
    );
    // Epoch boundaries label the x axis: 0 … 4.
    for e in ["0", "1", "2", "3", "4"] {
        assert!(texts.iter().any(|t| t == e), "epoch tick {e}: {texts:?}");
    }
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "no temporary file is left: {names:?}");
}

#[test]
fn log_draws_the_rate_on_a_log_axis() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("lr.svg");
    let o = preview(COSINE, 4, 10, &["--plot", svg.to_str().unwrap(), "--log"]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    let texts = svg_texts(&svg);
    assert!(
        texts.iter().any(|t| t == "learning rate (log scale)"),
        "{texts:?}"
    );
    // The rate spans 0.001 … 0.1: a log axis labels its decades.
    for decade in ["0.01", "0.1"] {
        assert!(texts.iter().any(|t| t == decade), "{decade}: {texts:?}");
    }
}

#[test]
fn log_without_plot_is_a_usage_error() {
    let o = preview(COSINE, 1, 1, &["--log"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr_of(&o).contains("--plot"), "{}", stderr_of(&o));
}

#[test]
fn plot_replaces_an_existing_file_the_user_named() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("lr.svg");
    std::fs::write(&svg, "old").unwrap();
    let o = preview(COSINE, 4, 10, &["--plot", svg.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
}

#[test]
fn an_unwritable_plot_path_exits_1_with_one_line_and_prints_no_csv() {
    // A missing directory is created (tests/it/paths.rs); one below a regular file cannot be.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a file"), "").unwrap();
    let svg = dir.path().join("a file/lr.svg");
    let o = preview(COSINE, 4, 10, &["--plot", svg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr_of(&o);
    assert!(err.starts_with("error: --plot "), "{err}");
    assert!(err.contains("a file/lr.svg"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(o.stdout.is_empty());
}

/// An IDX file holding only its header: `count` items of `dims`, no payload.
fn idx_header(path: &std::path::Path, magic: u32, dims: &[u32]) {
    let mut bytes = magic.to_be_bytes().to_vec();
    for d in dims {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn the_csv_needs_only_the_headers_of_the_data_files() {
    // Header-only files claiming 1,000 images: counting them is all `schedule` does (no image is
    // decoded, no model built), so at batch 128 it prints ceil(1000/128) = 8 steps per epoch.
    let dir = tempfile::tempdir().unwrap();
    idx_header(&dir.path().join("x"), 0x0803, &[1000, 28, 28]);
    idx_header(&dir.path().join("y"), 0x0801, &[1000]);
    let cfg = write_config(
        dir.path(),
        "h.toml",
        "[data]\nkind = \"idx\"\ntrain_images = \"x\"\ntrain_labels = \"y\"\n[train]\nepochs = 2\nbatch_size = 128\n",
    );
    let o = lrtrain()
        .args(["schedule", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
    assert_eq!(rows(&o.stdout).len(), 16);
}
