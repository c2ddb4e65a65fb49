//! Momentum cycling against PyTorch: every `tests/golden/momentum/<case>.toml` (a linear model,
//! full batch, 30 steps of one_cycle or cyclic with SGD, RMSprop or Adam) is trained with
//! lrtrain; the weights and bias must equal `<case>.json` (PyTorch's `OneCycleLR` / `CyclicLR`
//! with `cycle_momentum=True`, written by `scripts/golden_momentum.py`) to 1e-5 relative, and the
//! `momentum` column the momentum / beta1 PyTorch held for each step to 1e-12.

use crate::common::*;

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs().max(1e-3)
}

#[test]
fn cycled_momentum_and_beta1_train_like_pytorch_one_cycle_lr_and_cyclic_lr() {
    let dir = repo().join("tests/golden/momentum");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 4, "{cases:?}");
    for cfg in cases {
        let name = cfg.file_stem().unwrap().to_string_lossy().into_owned();
        let want = read_json(&cfg.with_extension("json"));
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("run");
        let o = lrtrain()
            .args(["train", "--quiet", "--config"])
            .arg(&cfg)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{name}: {}", stderr_of(&o));
        let s = read_json(&out.join("summary.json"));
        let got_w: Vec<f64> = s["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let want_w: Vec<f64> = want["weights"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        for (g, w) in got_w.iter().zip(&want_w) {
            assert!(close(*g, *w, 1e-5), "{name}: weight {g} vs PyTorch {w}");
        }
        let (gb, wb) = (s["bias"].as_f64().unwrap(), want["bias"].as_f64().unwrap());
        assert!(close(gb, wb, 1e-5), "{name}: bias {gb} vs PyTorch {wb}");

        let (header, rows) = read_csv(&out.join("metrics.csv"));
        assert_eq!(header[7], "seconds");
        assert_eq!(header[8], "momentum", "{name}: {header:?}");
        let want_m = want["momentum"].as_array().unwrap();
        assert_eq!(rows.len(), want_m.len(), "{name}: one step per epoch");
        for (row, m) in rows.iter().zip(want_m) {
            let (g, w): (f64, f64) = (row[8].parse().unwrap(), m.as_f64().unwrap());
            assert!(
                close(g, w, 1e-12),
                "{name}: epoch {}: momentum {g} vs {w}",
                row[0]
            );
        }
    }
}

#[test]
fn adagrad_is_refused_unless_cycle_momentum_is_false_and_a_zero_momentum_is_warned_about() {
    let tmp = tempfile::tempdir().unwrap();
    let data = repo().join("tests/golden/momentum/data.csv");
    let config = |optim: &str, extra: &str| {
        write_config(
            tmp.path(),
            "c.toml",
            &format!(
                "[data]\nkind = \"csv\"\npath = \"{}\"\ntarget = \"y\"\n\n[model]\nkind = \"linear\"\n\n[optimizer]\n{optim}\n\n[schedule]\nkind = \"one_cycle\"\n{extra}\n\n[train]\nepochs = 3\nbatch_size = \"full\"\n",
                data.display()
            ),
        )
    };
    let check = |cfg: &std::path::Path| {
        lrtrain()
            .args(["check", "--config"])
            .arg(cfg)
            .output()
            .unwrap()
    };
    let o = check(&config("kind = \"adagrad\"\nlr = 0.1", ""));
    assert_eq!(o.status.code(), Some(2));
    let err = stderr_of(&o);
    assert!(
        err.contains("schedule.cycle_momentum: expected false for optimizer.kind = \"adagrad\""),
        "{err}"
    );
    let o = check(&config(
        "kind = \"adagrad\"\nlr = 0.1",
        "cycle_momentum = false",
    ));
    assert!(o.status.success(), "{}", stderr_of(&o));
    let o = check(&config("kind = \"sgd\"\nlr = 0.1", ""));
    assert!(o.status.success());
    assert!(
        stderr_of(&o).contains("cycles optimizer.momentum, which is 0"),
        "{}",
        stderr_of(&o)
    );
    let o = check(&config("kind = \"sgd\"\nlr = 0.1\nmomentum = 0.9", ""));
    assert!(
        !stderr_of(&o).contains("cycles optimizer.momentum"),
        "{}",
        stderr_of(&o)
    );
}
