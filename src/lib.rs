//! lrtrain: train small dense networks from a TOML config and study learning-rate schedules.
//!
//! Reading order: `main` → `cmd::train` → `run` (prepare → train → finish) → `train::Trainer`
//! → `model::Network` / `optim::Optimizer` / `schedule::LrSchedule`. The folders, their layers
//! and where new code goes: `docs/architecture.md`.
//!
//! # Use as a library
//!
//! Train in-process on `ndarray` data, without files: a config from TOML text, datasets from
//! array views, a [`Trainer`] whose [`Trainer::train`] hands back the [`Outcome`] and the trained
//! [`Network`].
//!
//! ```
//! use ndarray::{Array1, Array2};
//!
//! // Two classes on either side of x0 + x1 = 0.
//! let x = Array2::from_shape_fn((200, 2), |(i, j)| ((i * 7 + j * 13) % 17) as f32 / 8.5 - 1.0);
//! let y: Array1<usize> = x.rows().into_iter().map(|r| usize::from(r[0] + r[1] > 0.0)).collect();
//! let data = lrtrain::Dataset::classification(x.view(), y.view())?;
//! let cfg = lrtrain::RunConfig::from_toml_str(
//!     "seed = 1\n[model]\nkind = \"mlp\"\nhidden = [8]\n[optimizer]\nkind = \"sgd\"\nlr = 0.5\n[train]\nepochs = 30\nbatch_size = 20",
//! )?;
//! let trained = lrtrain::Trainer::with_datasets(&cfg, &data, None, 1)?
//!     .train(&mut lrtrain::train::observe::Quiet)?;
//! assert_eq!(trained.outcome, lrtrain::Outcome::Completed);
//! let mut net = trained.network;
//! let p: Array2<f32> = net.predict_proba(x.view())?; // (200, 2), rows sum to 1
//! let right = net.predict(x.view())?.iter().zip(&y).filter(|(a, b)| a == b).count();
//! assert!(right >= 190, "{right} of 200");
//! # assert_eq!(p.dim(), (200, 2));
//! # Ok::<(), anyhow::Error>(())
//! ```

// The guide's library chapter runs as a doctest, so its example cannot drift from the library.
#[cfg(doctest)]
#[doc = include_str!("../docs/library.md")]
struct LibraryGuide;

pub mod cli;
pub mod cmd;
pub mod compare;
pub mod config;
pub mod data;
pub mod error;
pub mod lrfind;
pub mod metric;
pub mod model;
pub mod optim;
pub mod output;
pub mod report;
pub mod run;
pub mod schedule;
pub mod sweep;
pub mod train;

pub use config::RunConfig;
pub use data::Dataset;
pub use model::{LayerView, Network};
pub use train::{Outcome, Trained, Trainer};
