//! `lrtrain export --format safetensors`, through the binary.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use crate::common::*;
use safetensors::{Dtype, SafeTensors};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn export(run: &Path, out: &Path) -> std::process::Output {
    lrtrain()
        .args(["export", "--run"])
        .arg(run)
        .args(["--format", "safetensors", "--out"])
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn an_mlp_exports_sequential_names_shapes_f32_and_the_preprocessing() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "train.csv", &two_class_rows(60));
    let run = train_run(
        dir.path(),
        &csv_config(
            &train,
            "label",
            "standardize = true",
            "[model]\nkind = \"mlp\"\nhidden = [5, 3]\nactivation = \"tanh\"\n[train]\nepochs = 1",
        ),
    );
    let file = dir.path().join("m.safetensors");
    let out = export(&run, &file);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let bytes = std::fs::read(&file).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort();
    assert_eq!(
        names,
        [
            "0.bias", "0.weight", "2.bias", "2.weight", "4.bias", "4.weight"
        ]
    );
    // Inputs: x and colour=blue|green|red.
    for (name, shape) in [
        ("0.weight", vec![5, 4]),
        ("0.bias", vec![5]),
        ("2.weight", vec![3, 5]),
        ("2.bias", vec![3]),
        ("4.weight", vec![2, 3]),
        ("4.bias", vec![2]),
    ] {
        let t = st.tensor(name).unwrap();
        assert_eq!(
            (t.shape(), t.dtype()),
            (shape.as_slice(), Dtype::F32),
            "{name}"
        );
    }
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta: serde_json::Value =
        serde_json::from_str(&meta.metadata().as_ref().unwrap()["lrtrain"]).unwrap();
    assert_eq!(meta["task"], "classification");
    assert_eq!(
        meta["inputs"],
        serde_json::json!(["x", "colour=blue", "colour=green", "colour=red"])
    );
    assert_eq!(
        meta["categorical"],
        serde_json::json!({"colour": ["blue", "green", "red"]})
    );
    assert_eq!(meta["classes"], serde_json::json!(["hi", "lo"]));
    assert_eq!(meta["activation"], "tanh");
    assert_eq!(meta["scale"], 1.0);
    let prep = read_json(&run.join("preprocessing.json"));
    assert_eq!(meta["mean"][0], prep["columns"][0]["mean"]);
    assert_eq!(meta["std"][0], prep["columns"][0]["std"]);
    assert_eq!(&meta["mean"].as_array().unwrap()[1..], [0.0, 0.0, 0.0]);
    assert_eq!(&meta["std"].as_array().unwrap()[1..], [1.0, 1.0, 1.0]);
}

#[test]
fn a_linear_model_exports_one_layer_and_null_standardisation() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lin");
    lrtrain()
        .args(["train", "--quiet", "--config"])
        .arg(repo().join("configs/linear.toml"))
        .args(["--epochs", "50", "--out"])
        .arg(&out)
        .assert()
        .success();
    let file = dir.path().join("lin.safetensors");
    assert!(export(&out, &file).status.success());
    let bytes = std::fs::read(&file).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort();
    assert_eq!(names, ["0.bias", "0.weight"]);
    assert_eq!(st.tensor("0.weight").unwrap().shape(), [1, 1]);
    let summary = read_json(&out.join("summary.json"));
    let w = f32::from_le_bytes(st.tensor("0.weight").unwrap().data().try_into().unwrap());
    assert_eq!(w, summary["weights"][0].as_f64().unwrap() as f32);
    let (_, meta) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta: serde_json::Value =
        serde_json::from_str(&meta.metadata().as_ref().unwrap()["lrtrain"]).unwrap();
    assert_eq!(
        (
            meta["task"].as_str(),
            meta["mean"].is_null(),
            meta["classes"].is_null()
        ),
        (Some("regression"), true, true)
    );
}

#[test]
fn exporting_a_run_without_params_is_refused_naming_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "train.csv", &two_class_rows(30));
    let run = train_run(
        dir.path(),
        &csv_config(&train, "label", "", "[train]\nepochs = 1"),
    );
    std::fs::remove_file(run.join("params.bin")).unwrap();
    let _ = std::fs::remove_file(run.join("checkpoint.bin"));
    let out = export(&run, &dir.path().join("m.safetensors"));
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: ") && err.contains("no params.bin or checkpoint.bin"),
        "{err}"
    );
    assert!(!dir.path().join("m.safetensors").exists());
}

#[test]
fn an_existing_output_file_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "train.csv", &two_class_rows(30));
    let run = train_run(
        dir.path(),
        &csv_config(&train, "label", "", "[train]\nepochs = 1"),
    );
    let file = write(dir.path(), "mine.safetensors", "keep me");
    let out = export(&run, &file);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
}

/// A Python with torch and safetensors: `LRTRAIN_TORCH_PYTHON`, else `python3`.
fn torch_python() -> Option<String> {
    let candidates = std::env::var("LRTRAIN_TORCH_PYTHON")
        .into_iter()
        .chain(["python3".to_string()]);
    for py in candidates {
        let ok = Process::new(&py)
            .args(["-c", "import torch, safetensors"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(py);
        }
    }
    None
}

#[test]
fn pytorch_loads_the_export_and_agrees_with_predict_to_1e_5() {
    let Some(py) = torch_python() else {
        eprintln!(
            "not run: no python with torch and safetensors (set LRTRAIN_TORCH_PYTHON to one)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, config, input) in [
        (
            "penguins",
            "configs/penguins.toml",
            "data/penguins/penguins.csv",
        ),
        (
            "mass",
            "configs/penguins-mass.toml",
            "data/penguins/penguins.csv",
        ),
    ] {
        let run = dir.path().join(name);
        lrtrain()
            .args(["train", "--quiet", "--config"])
            .arg(repo().join(config))
            .args(["--epochs", "5", "--out"])
            .arg(&run)
            .assert()
            .success();
        let model = dir.path().join(format!("{name}.safetensors"));
        assert!(export(&run, &model).status.success());
        let preds = dir.path().join(format!("{name}.csv"));
        let mut args = vec!["predict", "--run", run.to_str().unwrap(), "--csv"];
        let input = repo().join(input);
        args.push(input.to_str().unwrap());
        args.extend(["--out", preds.to_str().unwrap()]);
        if name == "penguins" {
            args.push("--proba");
        }
        let out = lrtrain().args(&args).output().unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        let check = Process::new(&py)
            .arg(repo().join("scripts/check_export_torch.py"))
            .args([&model, &input, &preds])
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{name}: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
    }
}
