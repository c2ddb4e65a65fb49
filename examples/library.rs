//! lrtrain as a library: two Gaussian blobs made in memory with ndarray, a small MLP trained
//! in-process (no files), and the validation accuracy printed.
//!
//! ```text
//! cargo run --release --example library
//! ```

use anyhow::Result;
use ndarray::{Array1, Array2, Axis};
use ndarray_rand::RandomExt;
use ndarray_rand::rand_distr::Normal;
use rand::SeedableRng;

/// `n` points per class around (−1, −1) and (1, 1), standard deviation 0.6, classes
/// alternating: features `(2n, 2)`, labels `(2n)`.
pub fn blobs(n: usize, seed: u64) -> (Array2<f32>, Array1<usize>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let noise = Normal::new(0.0f32, 0.6).expect("a valid standard deviation");
    let mut x = Array2::random_using((2 * n, 2), noise, &mut rng);
    let y: Array1<usize> = (0..2 * n).map(|i| i % 2).collect();
    for (mut row, &class) in x.axis_iter_mut(Axis(0)).zip(&y) {
        row += if class == 0 { -1.0 } else { 1.0 };
    }
    (x, y)
}

/// Trains a 2-16-2 ReLU network on 400 blob points and returns its accuracy on 400 others.
pub fn train_blobs() -> Result<f64> {
    let (x_train, y_train) = blobs(200, 1);
    let (x_val, y_val) = blobs(200, 2);
    let cfg = lrtrain::RunConfig::from_toml_str(
        r#"
seed = 7
[model]
kind = "mlp"
hidden = [16]
activation = "relu"
[optimizer]
kind = "sgd"
lr = 0.1
momentum = 0.9
[schedule]
kind = "cosine"
[train]
epochs = 10
batch_size = 32
"#,
    )?;
    let train = lrtrain::Dataset::classification(x_train.view(), y_train.view())?;
    let val = lrtrain::Dataset::classification(x_val.view(), y_val.view())?;
    let trained = lrtrain::Trainer::with_datasets(&cfg, &train, Some(&val), 1)?
        .train(&mut lrtrain::train::observe::Quiet)?;
    anyhow::ensure!(
        trained.outcome.is_completed(),
        "training ended with {:?}",
        trained.outcome
    );
    let mut net = trained.network;
    let predicted = net.predict(x_val.view())?;
    let right = predicted.iter().zip(&y_val).filter(|(p, y)| p == y).count();
    Ok(right as f64 / y_val.len() as f64)
}

#[allow(dead_code)] // `main` is unused where a test includes this file for `train_blobs`.
fn main() -> Result<()> {
    let accuracy = train_blobs()?;
    println!("validation accuracy: {accuracy:.4}");
    Ok(())
}
