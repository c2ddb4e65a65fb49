//! lrtrain: train small dense networks from a TOML config and study learning-rate schedules.
//!
//! Reading order: `main` → `cmd::train` → `train::Trainer` → `model::Network` /
//! `optim::Optimizer` / `schedule::LrSchedule`.

pub mod checkpoint;
pub mod cli;
pub mod cmd;
pub mod compare;
pub mod config;
pub mod data;
pub mod early_stopping;
pub mod ema;
pub mod error;
pub mod interrupt;
pub mod lrfind;
pub mod metrics;
pub mod model;
pub mod optim;
pub mod output;
pub mod paths;
pub mod progress;
pub mod require;
pub mod run;
pub mod schedule;
pub mod seed;
pub mod sweep;
pub mod train;
