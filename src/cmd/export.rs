//! `lrtrain export --run DIR --format safetensors --out F`: a run's parameters for PyTorch.
//!
//! Tensors are named as in `torch.nn.Sequential(Linear, activation, Linear, …)`: layer `l` is
//! `{2l}.weight` with shape `[out, in]` (PyTorch's `Linear.weight`, the transpose of lrtrain's
//! `(in, out)` storage) and `{2l}.bias` `[out]`, all f32. The header metadata key `lrtrain` holds
//! the preprocessing as a JSON string (SPEC "`lrtrain predict` and `lrtrain export`"):
//! `{task, inputs, mean, std, categorical, classes, scale, activation}`. `--ema` exports the
//! averaged weights of `[train] ema` (params_ema.bin) instead of the raw ones.

use std::collections::HashMap;

use anyhow::{Context, Result};
use safetensors::tensor::{Dtype, TensorView};
use serde_json::json;

use crate::bail_usage;
use crate::cli::ExportArgs;
use crate::data::DataSource;
use crate::data::tabular::task_str;
use crate::model::{Activation, ModelConfig};
use crate::run::trained::{Trained, Weights};

pub fn run(args: &ExportArgs) -> Result<()> {
    let t = Trained::open_weights(&args.run, Weights::from_flag(args.ema))?;
    if args.out.exists() && !args.force {
        bail_usage!(
            "{}: exists; expected a new file (or --force to replace it)",
            args.out.display()
        );
    }
    let bytes = safetensors_bytes(&t)?;
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let tmp = args.out.with_extension("safetensors.tmp");
    std::fs::write(&tmp, &bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &args.out).with_context(|| format!("writing {}", args.out.display()))
}

/// The `lrtrain` metadata: what a PyTorch user must do to the raw inputs, and what comes out.
pub fn metadata(t: &Trained) -> serde_json::Value {
    let activation = match &t.config.model {
        ModelConfig::Mlp(m) => json!(match m.activation {
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
        }),
        ModelConfig::Linear(_) => serde_json::Value::Null,
    };
    match &t.preprocessing {
        Some(p) => {
            let (mean, std) = match p.mean_std() {
                Some((m, s)) => (json!(m), json!(s)),
                None => (serde_json::Value::Null, serde_json::Value::Null),
            };
            let categorical: serde_json::Map<String, serde_json::Value> = p
                .categorical()
                .into_iter()
                .map(|(c, levels)| (c.to_string(), json!(levels)))
                .collect();
            json!({
                "task": task_str(p.task),
                "inputs": p.inputs(),
                "mean": mean,
                "std": std,
                "categorical": categorical,
                "classes": p.classes,
                "scale": 1.0,
                "activation": activation,
            })
        }
        None => {
            let (prefix, scale) = match t.config.data.source {
                DataSource::Idx(_) => ("pixel", 1.0 / 255.0),
                _ => ("x", 1.0),
            };
            json!({
                "task": task_str(t.task),
                "inputs": (0..t.inputs).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>(),
                "mean": null,
                "std": null,
                "categorical": {},
                "classes": null,
                "scale": scale,
                "activation": activation,
            })
        }
    }
}

/// The whole file.
pub fn safetensors_bytes(t: &Trained) -> Result<Vec<u8>> {
    let net = t.network(1)?;
    // Transposed to [out, in] and turned into little-endian bytes, kept alive for the views.
    let mut buffers: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (l, layer) in net.layers().into_iter().enumerate() {
        let (inputs, outputs, w, b) = (layer.inputs, layer.outputs, layer.weights, layer.bias);
        let mut wt = Vec::with_capacity(w.len() * 4);
        for o in 0..outputs {
            for i in 0..inputs {
                wt.extend_from_slice(&w[i * outputs + o].to_le_bytes());
            }
        }
        let bb: Vec<u8> = b.iter().flat_map(|v| v.to_le_bytes()).collect();
        buffers.push((format!("{}.weight", 2 * l), vec![outputs, inputs], wt));
        buffers.push((format!("{}.bias", 2 * l), vec![outputs], bb));
    }
    let views = buffers
        .iter()
        .map(|(name, shape, data)| {
            Ok((
                name.clone(),
                TensorView::new(Dtype::F32, shape.clone(), data)?,
            ))
        })
        .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let info = HashMap::from([("lrtrain".to_string(), metadata(t).to_string())]);
    safetensors::tensor::serialize(views, Some(info)).map_err(|e| anyhow::anyhow!("{e}"))
}
