//! The trainer's optimised step (batch fill split among threads, products in bands, vectorised
//! norm, Adam update split among threads) against a naive f64 implementation kept here, for an
//! odd batch size, a last partial batch, and 1 and 2 threads.

use lrtrain::config::{self, RunConfig};
use lrtrain::data::{Dataset, Features, Labels, Splits};
use lrtrain::train::Trainer;

const INPUTS: usize = 784;
const HIDDEN: usize = 48; // 784·48 + 48 + 48·10 + 10 = 38,170 parameters: Adam splits them.
const CLASSES: usize = 10;
const ROWS: usize = 1000;
const BATCH: usize = 151; // odd; 6 full batches and a last one of 94 rows

fn splits() -> Splits {
    let pixels = (0..ROWS * INPUTS)
        .map(|i| (lrtrain::config::seed::splitmix64(i as u64) >> 56) as u8)
        .collect();
    let labels = (0..ROWS as u64)
        .map(|i| (lrtrain::config::seed::splitmix64(i ^ 0xabc) % CLASSES as u64) as u32)
        .collect();
    Splits {
        train: Dataset {
            features: Features::Bytes(pixels),
            labels: Labels::Classes(labels),
            rows: ROWS,
            cols: INPUTS,
        },
        validation: None,
        outputs: CLASSES,
        task: lrtrain::model::TaskKind::Classification,
        preprocessing: None,
        notes: Vec::new(),
    }
}

fn config(optimizer: &str) -> RunConfig {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    let toml = format!(
        "seed = 5\n[data]\nkind = \"synthetic_linear\"\n[model]\nkind = \"mlp\"\nhidden = [{HIDDEN}]\n\
         [optimizer]\n{optimizer}\n[train]\nepochs = 1\nbatch_size = {BATCH}\n"
    );
    std::fs::write(&path, toml).unwrap();
    config::load(&path, &[]).unwrap().config
}

/// Mean softmax cross-entropy gradient of a 784-48-10 ReLU network over `rows`, in f64, with a
/// naive triple-loop product. Parameters in lrtrain's layout: W1 (in, hidden), b1, W2, b2.
fn reference_grad(p: &[f32], data: &Dataset, rows: &[usize]) -> Vec<f64> {
    let (Features::Bytes(px), Labels::Classes(y)) = (&data.features, &data.labels) else {
        unreachable!()
    };
    let (w1, rest) = p.split_at(INPUTS * HIDDEN);
    let (b1, rest) = rest.split_at(HIDDEN);
    let (w2, b2) = rest.split_at(HIDDEN * CLASSES);
    let mut g = vec![0.0f64; p.len()];
    let n = rows.len() as f64;
    for &r in rows {
        let x: Vec<f64> = px[r * INPUTS..(r + 1) * INPUTS]
            .iter()
            .map(|&b| f64::from(f32::from(b) / 255.0))
            .collect();
        let h: Vec<f64> = (0..HIDDEN)
            .map(|j| {
                let z = f64::from(b1[j])
                    + (0..INPUTS)
                        .map(|i| x[i] * f64::from(w1[i * HIDDEN + j]))
                        .sum::<f64>();
                z.max(0.0)
            })
            .collect();
        let z: Vec<f64> = (0..CLASSES)
            .map(|k| {
                f64::from(b2[k])
                    + (0..HIDDEN)
                        .map(|j| h[j] * f64::from(w2[j * CLASSES + k]))
                        .sum::<f64>()
            })
            .collect();
        let max = z.iter().cloned().fold(f64::MIN, f64::max);
        let sum: f64 = z.iter().map(|v| (v - max).exp()).sum();
        let dz: Vec<f64> = (0..CLASSES)
            .map(|k| ((z[k] - max).exp() / sum - f64::from(u8::from(k as u32 == y[r]))) / n)
            .collect();
        let (gw1, rest) = g.split_at_mut(INPUTS * HIDDEN);
        let (gb1, rest) = rest.split_at_mut(HIDDEN);
        let (gw2, gb2) = rest.split_at_mut(HIDDEN * CLASSES);
        for k in 0..CLASSES {
            gb2[k] += dz[k];
            for j in 0..HIDDEN {
                gw2[j * CLASSES + k] += h[j] * dz[k];
            }
        }
        for j in 0..HIDDEN {
            if h[j] <= 0.0 {
                continue;
            }
            let dh: f64 = (0..CLASSES)
                .map(|k| dz[k] * f64::from(w2[j * CLASSES + k]))
                .sum();
            gb1[j] += dh;
            for i in 0..INPUTS {
                gw1[i * HIDDEN + j] += x[i] * dh;
            }
        }
    }
    g
}

#[test]
fn each_sgd_step_equals_the_naive_f64_step_on_odd_and_partial_batches_with_one_and_two_threads() {
    let splits = splits();
    // Unshuffled, so the test knows each batch's rows.
    let mut cfg = config("kind = \"sgd\"\nlr = 0.5");
    cfg.train.shuffle = false;
    let order: Vec<usize> = (0..ROWS).collect();
    for threads in [1, 2] {
        let mut trainer = Trainer::new(&cfg, &splits, threads).unwrap();
        trainer.prepare_epoch(0);
        for (b, rows) in order.chunks(BATCH).enumerate() {
            let before = trainer.network().params().to_vec();
            let grad = reference_grad(&before, &splits.train, rows);
            let r = trainer.train_batch(b, 0.5);
            assert_eq!(r.rows, rows.len());
            let after = trainer.network().params();
            let scale = grad.iter().fold(0.0f64, |m, g| m.max(g.abs())) * 0.5;
            for (i, ((&p0, &p1), &g)) in before.iter().zip(after).zip(&grad).enumerate() {
                let want = f64::from(p0) - 0.5 * g;
                let step = f64::from(p1) - f64::from(p0);
                // the step within 1e-5 of the largest step, and the parameter to f32 rounding
                assert!(
                    (step + 0.5 * g).abs()
                        <= 1e-5 * scale + 2.0 * f64::from(f32::EPSILON) * want.abs(),
                    "{threads} threads, batch {b} ({} rows), parameter {i}: {p1} vs {want}",
                    rows.len()
                );
            }
            let norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
            assert!(
                (r.grad_norm - norm).abs() <= 1e-5 * norm,
                "{threads} threads, batch {b}: norm {} vs {norm}",
                r.grad_norm
            );
        }
    }
}

fn adam_epoch(threads: usize) -> (Vec<f32>, Vec<(f64, f64, usize)>) {
    let splits = splits();
    let cfg = config("kind = \"adam\"\nlr = 0.001");
    let mut trainer = Trainer::new(&cfg, &splits, threads).unwrap();
    trainer.prepare_epoch(0);
    let steps = (0..trainer.steps_per_epoch())
        .map(|i| {
            let r = trainer.train_batch(i, 0.001);
            (r.loss, r.grad_norm, r.rows)
        })
        .collect();
    (trainer.network().params().to_vec(), steps)
}

#[test]
fn an_adam_epoch_is_identical_run_to_run_and_agrees_across_thread_counts() {
    let (p1, s1) = adam_epoch(1);
    let (p2, s2) = adam_epoch(2);
    assert_eq!(
        adam_epoch(2),
        (p2.clone(), s2.clone()),
        "2 threads, run to run"
    );
    assert_eq!(adam_epoch(1).0, p1, "1 thread, run to run");
    assert_eq!(s1.last().unwrap().2, ROWS % BATCH);
    for ((l1, n1, _), (l2, n2, _)) in s1.iter().zip(&s2) {
        assert!((l1 - l2).abs() <= 1e-5 * l1, "loss {l1} vs {l2}");
        assert!((n1 - n2).abs() <= 1e-5 * n1, "norm {n1} vs {n2}");
    }
}
