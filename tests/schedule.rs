//! `lrtrain schedule`, through the binary.

mod common;

use std::io::Read;
use std::process::Stdio;

use common::*;

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
