//! Every flag of `eval`, `predict` and `export` works, or is refused with exit 2 naming it, on
//! every kind of run: CSV data (an MLP), IDX images (an MLP) and synthetic data (a linear model).
//! `--ema` above all: it once measured the raw weights on every CSV run, and `predict --ema` /
//! `export --ema` did not exist.

use std::path::{Path, PathBuf};

use crate::common::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs lrtrain with `args`; the output.
fn run(args: &[&std::ffi::OsStr]) -> std::process::Output {
    lrtrain().args(args).output().unwrap()
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

/// Stdout of a command that must succeed.
fn ok(args: &[&std::ffi::OsStr]) -> String {
    let o = run(args);
    assert!(o.status.success(), "{args:?}: {}", stderr_of(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// The one-line error of a command that must exit 2.
fn refused(args: &[&std::ffi::OsStr]) -> String {
    let o = run(args);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        err.starts_with("error: ") && err.lines().count() == 1 && !err.contains("panicked"),
        "{err}"
    );
    err
}

/// A CSV classification run with `extra` in `[train]`.
fn csv_run(dir: &Path, train_extra: &str) -> PathBuf {
    let csv = write(dir, "train.csv", &two_class_rows(120));
    train_run(
        dir,
        &csv_config(
            &csv,
            "label",
            "validation_split = 0.25\nstandardize = true",
            &format!("[train]\nepochs = 8\nbatch_size = 16\n{train_extra}"),
        ),
    )
}

/// An IDX run (one epoch of a small MLP) with `extra` in `[train]`.
fn idx_run(dir: &Path, train_extra: &str) -> PathBuf {
    train_run(
        dir,
        &mnist_config(&format!(
            "[model]\nkind = \"mlp\"\nhidden = [16]\n[optimizer]\nkind = \"adam\"\nlr = 0.01\n[schedule]\nkind = \"constant\"\n[train]\nepochs = 1\nbatch_size = 64\n{train_extra}"
        )),
    )
}

/// A synthetic linear run with `extra` in `[train]`.
fn synthetic_run(dir: &Path, train_extra: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    train_run(
        dir,
        &format!(
            "seed = 3\nthreads = 1\n\n[data]\nkind = \"synthetic_linear\"\nsamples = 60\nweights = [2.0, -1.0]\nbias = 0.5\nnoise = 0.1\nvalidation_split = 0.2\n\n[model]\nkind = \"linear\"\n\n[optimizer]\nkind = \"sgd\"\nlr = 0.01\nmomentum = 0.9\n\n[train]\nepochs = 10\nbatch_size = 8\n{train_extra}\n"
        ),
    )
}

/// A copy of the run directory whose params.bin holds the run's params_ema.bin: what `--ema`
/// must give, computed without `--ema`.
fn with_ema_as_params(run: &Path, dir: &Path) -> PathBuf {
    let copy = dir.join("ema-as-params");
    std::fs::create_dir_all(&copy).unwrap();
    for entry in std::fs::read_dir(run).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    std::fs::copy(run.join("params_ema.bin"), copy.join("params.bin")).unwrap();
    copy
}

/// `loss=` of an eval line.
fn loss_of(line: &str) -> f64 {
    line.trim()
        .split(',')
        .find_map(|kv| kv.strip_prefix("loss="))
        .unwrap()
        .parse()
        .unwrap()
}

/// The last row's value of a metrics.csv column.
fn last_metric(run: &Path, column: &str) -> f64 {
    let (header, rows) = read_csv(&run.join("metrics.csv"));
    let i = header.iter().position(|h| h == column).unwrap();
    rows.last().unwrap()[i].parse().unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * b.abs().max(1e-12)
}

fn export_bytes(run: &Path, out: &Path, ema: bool) -> Vec<u8> {
    let mut args = vec![
        os("export"),
        os("--run"),
        run.as_os_str(),
        os("--format"),
        os("safetensors"),
        os("--out"),
        out.as_os_str(),
    ];
    if ema {
        args.push(os("--ema"));
    }
    ok(&args);
    std::fs::read(out).unwrap()
}

#[test]
fn eval_with_ema_on_a_csv_run_measures_the_averaged_weights() {
    let dir = tempfile::tempdir().unwrap();
    let run = csv_run(dir.path(), "ema = 0.9");
    let raw = ok(&[os("eval"), os("--run"), run.as_os_str()]);
    let ema = ok(&[os("eval"), os("--run"), run.as_os_str(), os("--ema")]);
    assert!(close(loss_of(&raw), last_metric(&run, "val_loss")), "{raw}");
    assert!(
        close(loss_of(&ema), last_metric(&run, "val_loss_ema")),
        "{ema} vs {}",
        last_metric(&run, "val_loss_ema")
    );
    assert_ne!(raw, ema);
    // On a file too: the same rows give the same numbers as the swapped-in average.
    let copy = with_ema_as_params(&run, dir.path());
    let csv = dir.path().join("train.csv");
    let on_file = |r: &Path, extra: &[&str]| {
        let mut args = vec![
            os("eval"),
            os("--run"),
            r.as_os_str(),
            os("--csv"),
            csv.as_os_str(),
        ];
        args.extend(extra.iter().map(|s| os(s)));
        ok(&args)
    };
    assert_eq!(on_file(&run, &["--ema"]), on_file(&copy, &[]));
}

#[test]
fn predict_with_ema_uses_params_ema_bin() {
    let dir = tempfile::tempdir().unwrap();
    let run = csv_run(dir.path(), "ema = 0.9");
    let copy = with_ema_as_params(&run, dir.path());
    let csv = dir.path().join("train.csv");
    let predict = |r: &Path, ema: bool| {
        let mut args = vec![
            os("predict"),
            os("--run"),
            r.as_os_str(),
            os("--csv"),
            csv.as_os_str(),
            os("--proba"),
        ];
        if ema {
            args.push(os("--ema"));
        }
        ok(&args)
    };
    let averaged = predict(&run, true);
    assert_eq!(averaged, predict(&copy, false));
    assert_ne!(averaged, predict(&run, false));
}

#[test]
fn export_with_ema_writes_the_averaged_weights_of_every_kind_of_run() {
    let dir = tempfile::tempdir().unwrap();
    for (name, make) in [
        ("csv", csv_run as fn(&Path, &str) -> PathBuf),
        ("synthetic", synthetic_run),
    ] {
        let sub = dir.path().join(name);
        std::fs::create_dir_all(&sub).unwrap();
        let run = make(&sub, "ema = 0.9");
        let copy = with_ema_as_params(&run, &sub);
        let averaged = export_bytes(&run, &sub.join("ema.safetensors"), true);
        assert_eq!(
            averaged,
            export_bytes(&copy, &sub.join("copy.safetensors"), false),
            "{name}"
        );
        assert_ne!(
            averaged,
            export_bytes(&run, &sub.join("raw.safetensors"), false),
            "{name}"
        );
    }
}

#[test]
fn ema_on_an_idx_run_reaches_eval_predict_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let run = idx_run(dir.path(), "ema = 0.99");
    let copy = with_ema_as_params(&run, dir.path());
    let ema = ok(&[os("eval"), os("--run"), run.as_os_str(), os("--ema")]);
    assert!(
        close(loss_of(&ema), last_metric(&run, "val_loss_ema")),
        "{ema}"
    );
    let images = mnist("t10k-images-idx3-ubyte.gz");
    let predict = |r: &Path, ema: bool| {
        let mut args = vec![
            os("predict"),
            os("--run"),
            r.as_os_str(),
            os("--images"),
            os(&images),
        ];
        if ema {
            args.push(os("--ema"));
        }
        ok(&args)
    };
    assert_eq!(predict(&run, true), predict(&copy, false));
    assert_eq!(
        export_bytes(&run, &dir.path().join("a.safetensors"), true),
        export_bytes(&copy, &dir.path().join("b.safetensors"), false)
    );
}

#[test]
fn a_run_without_ema_given_ema_exits_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let run = csv_run(dir.path(), "");
    let csv = dir.path().join("train.csv");
    let out = dir.path().join("x.safetensors");
    for args in [
        vec![os("eval"), os("--run"), run.as_os_str(), os("--ema")],
        vec![
            os("eval"),
            os("--run"),
            run.as_os_str(),
            os("--csv"),
            csv.as_os_str(),
            os("--ema"),
        ],
        vec![
            os("predict"),
            os("--run"),
            run.as_os_str(),
            os("--csv"),
            csv.as_os_str(),
            os("--ema"),
        ],
        vec![
            os("export"),
            os("--run"),
            run.as_os_str(),
            os("--format"),
            os("safetensors"),
            os("--out"),
            out.as_os_str(),
            os("--ema"),
        ],
    ] {
        let err = refused(&args);
        assert!(
            err.contains("--ema: the run has no averaged weights (its config has no train.ema)"),
            "{err}"
        );
    }
    assert!(!out.exists());
}

#[test]
fn eval_flags_of_another_kind_of_data_are_refused_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let synthetic = synthetic_run(&dir.path().join("s"), "");
    let images = mnist("t10k-images-idx3-ubyte.gz");
    let labels = mnist("t10k-labels-idx1-ubyte.gz");
    let err = refused(&[
        os("eval"),
        os("--run"),
        synthetic.as_os_str(),
        os("--images"),
        os(&images),
        os("--labels"),
        os(&labels),
    ]);
    assert!(
        err.contains("--images: the run was trained on synthetic_linear data"),
        "{err}"
    );

    let csv_dir = dir.path().join("c");
    std::fs::create_dir_all(&csv_dir).unwrap();
    let csv_run = csv_run(&csv_dir, "");
    let csv = csv_dir.join("train.csv");
    let err = refused(&[
        os("eval"),
        os("--run"),
        csv_run.as_os_str(),
        os("--csv"),
        csv.as_os_str(),
        os("--no-header"),
    ]);
    assert!(
        err.contains("--no-header: the run was trained on a file with a header"),
        "{err}"
    );
    let err = refused(&[
        os("eval"),
        os("--run"),
        csv_run.as_os_str(),
        os("--csv"),
        csv.as_os_str(),
        os("--target"),
        os("x"),
    ]);
    assert!(
        err.contains("--target x: is one of the run's feature columns"),
        "{err}"
    );

    // A synthetic run scores a CSV whose columns are its inputs and --target.
    let rows: String = (0..20)
        .map(|i| {
            let (a, b) = (i as f64 / 4.0, (i % 7) as f64);
            format!("{a},{b},{}\n", 2.0 * a - b + 0.5)
        })
        .collect();
    let file = write(dir.path(), "s.csv", &format!("a,b,y\n{rows}"));
    let line = ok(&[
        os("eval"),
        os("--run"),
        synthetic.as_os_str(),
        os("--csv"),
        file.as_os_str(),
        os("--target"),
        os("y"),
    ]);
    assert!(
        line.starts_with("loss=") && line.contains("rows=20"),
        "{line}"
    );
}

#[test]
fn eval_csv_on_an_idx_run_is_refused_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let run = idx_run(dir.path(), "");
    let csv = write(dir.path(), "p.csv", "a,y\n1,2\n");
    let err = refused(&[
        os("eval"),
        os("--run"),
        run.as_os_str(),
        os("--csv"),
        csv.as_os_str(),
        os("--target"),
        os("y"),
    ]);
    assert!(
        err.contains("--csv: the run was trained on IDX images"),
        "{err}"
    );
}

#[test]
fn predict_on_a_synthetic_run_says_what_it_reads_instead_of_pointing_in_a_circle() {
    let dir = tempfile::tempdir().unwrap();
    let run = synthetic_run(dir.path(), "");
    let csv = write(dir.path(), "p.csv", "a,b\n1,2\n");
    let images = mnist("t10k-images-idx3-ubyte.gz");
    for (flag, file) in [("--csv", csv.as_os_str()), ("--images", os(&images))] {
        let err = refused(&[os("predict"), os("--run"), run.as_os_str(), os(flag), file]);
        assert!(
            err.contains(&format!(
                "{flag}: the run was trained on synthetic_linear data"
            )) && err.contains("lrtrain eval --run DIR --csv F --target COLUMN"),
            "{err}"
        );
    }
}

#[test]
fn require_on_a_column_the_run_never_fills_is_refused_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "s.toml",
        "seed = 3\nthreads = 1\n\n[data]\nkind = \"synthetic_linear\"\nsamples = 60\n\n[model]\nkind = \"linear\"\n\n[optimizer]\nkind = \"sgd\"\nlr = 0.001\n\n[train]\nepochs = 3\nbatch_size = 8\n",
    );
    for (bar, why) in [
        (
            "val_accuracy>=0.5",
            "the run is a regression, which has no accuracy",
        ),
        (
            "accuracy>=0.5",
            "the run is a regression, which has no accuracy",
        ),
        ("val_loss<=1", "the run has no validation set"),
        ("val_loss_ema<=1", "the run has no validation set"),
        ("effective_lr>0", "the optimizer is not learning-rate-free"),
    ] {
        let out = dir.path().join("r");
        let err = refused(&[
            os("train"),
            os("--quiet"),
            os("--config"),
            cfg.as_os_str(),
            os("--out"),
            out.as_os_str(),
            os("--require"),
            os(bar),
        ]);
        assert!(err.contains(&format!("--require {bar}: {why}")), "{err}");
        assert!(!out.exists(), "{bar}: nothing is trained");
    }
    // compare and sweep check every config the same way before anything trains.
    let out = dir.path().join("cmp");
    let err = refused(&[
        os("compare"),
        cfg.as_os_str(),
        os("--quiet"),
        os("--out"),
        out.as_os_str(),
        os("--require"),
        os("val_accuracy>=0.5"),
    ]);
    assert!(
        err.contains("s.toml: --require val_accuracy>=0.5: the run is a regression"),
        "{err}"
    );
    assert!(!out.join("s").exists(), "nothing is trained");
    let sweep = write_config(
        dir.path(),
        "sw.toml",
        "base = \"s.toml\"\nseeds = 1\nmetric = \"loss\"\n\n[grid]\n\"optimizer.lr\" = [0.001, 0.002]\n",
    );
    let out = dir.path().join("sw");
    let err = refused(&[
        os("sweep"),
        sweep.as_os_str(),
        os("--quiet"),
        os("--out"),
        out.as_os_str(),
        os("--require"),
        os("accuracy>=0.5"),
    ]);
    assert!(
        err.contains("--require accuracy>=0.5: the run is a regression"),
        "{err}"
    );
    // The same run with a bar it can meet trains.
    let out = dir.path().join("ok");
    ok(&[
        os("train"),
        os("--quiet"),
        os("--config"),
        cfg.as_os_str(),
        os("--out"),
        out.as_os_str(),
        os("--require"),
        os("loss<=1000"),
    ]);
}

#[test]
fn require_reads_the_ema_columns_of_a_run_with_ema() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "s.toml",
        "seed = 3\nthreads = 1\n\n[data]\nkind = \"synthetic_linear\"\nsamples = 60\nvalidation_split = 0.2\n\n[model]\nkind = \"linear\"\n\n[optimizer]\nkind = \"sgd\"\nlr = 0.001\n\n[train]\nepochs = 3\nbatch_size = 8\nema = 0.9\n",
    );
    let train = |bar: &str, out: &str| {
        lrtrain()
            .args(["train", "--quiet", "--config"])
            .arg(&cfg)
            .arg("--out")
            .arg(dir.path().join(out))
            .args(["--require", bar])
            .output()
            .unwrap()
    };
    let met = train("val_loss_ema<=1e9", "met");
    assert!(met.status.success(), "{}", stderr_of(&met));
    let missed = train("val_loss_ema<=0", "missed");
    assert_eq!(missed.status.code(), Some(4), "{}", stderr_of(&missed));
    assert!(
        stderr_of(&missed).contains("val_loss_ema<=0 missed: final val_loss_ema = "),
        "{}",
        stderr_of(&missed)
    );
}

#[test]
fn sweep_list_and_slurm_refuse_the_flags_they_would_ignore() {
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "s.toml",
        "seed = 3\nthreads = 1\n\n[data]\nkind = \"synthetic_linear\"\nsamples = 60\n\n[model]\nkind = \"linear\"\n\n[optimizer]\nkind = \"sgd\"\nlr = 0.001\n\n[train]\nepochs = 2\nbatch_size = 8\n",
    );
    let sweep = write_config(
        dir.path(),
        "sw.toml",
        "base = \"s.toml\"\nseeds = 1\nmetric = \"loss\"\n\n[grid]\n\"optimizer.lr\" = [0.001, 0.002]\n",
    );
    let script = dir.path().join("x.sh");
    // --list once printed every trial whatever --shard, --format or --require said; --slurm
    // wrote the same script whatever --shard, --jobs, --format, --test or --require said.
    for (mode, extra) in [
        (vec!["--list"], vec!["--shard", "0/2"]),
        (vec!["--list"], vec!["--format", "json"]),
        (vec!["--list"], vec!["--require", "loss<1"]),
        (vec!["--list"], vec!["--jobs", "2"]),
        (vec!["--list"], vec!["--test", "wilcoxon"]),
        (
            vec!["--slurm", script.to_str().unwrap()],
            vec!["--shard", "0/2"],
        ),
        (
            vec!["--slurm", script.to_str().unwrap()],
            vec!["--jobs", "2"],
        ),
        (
            vec!["--slurm", script.to_str().unwrap()],
            vec!["--format", "json"],
        ),
        (
            vec!["--slurm", script.to_str().unwrap()],
            vec!["--test", "wilcoxon"],
        ),
        (
            vec!["--slurm", script.to_str().unwrap()],
            vec!["--require", "loss<1"],
        ),
    ] {
        let o = lrtrain()
            .arg("sweep")
            .arg(&sweep)
            .args(["--out"])
            .arg(dir.path().join("out"))
            .args(&mode)
            .args(&extra)
            .output()
            .unwrap();
        let err = stderr_of(&o);
        assert_eq!(o.status.code(), Some(2), "{mode:?} {extra:?}: {err}");
        assert!(
            err.contains("cannot be used with") && err.contains(mode[0]) && err.contains(extra[0]),
            "{err}"
        );
        assert!(
            !script.exists() && !dir.path().join("out").exists(),
            "{mode:?} {extra:?}"
        );
    }
    let o = lrtrain()
        .arg("sweep")
        .arg(&sweep)
        .arg("--list")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr_of(&o));
}
