//! lrtrain's integration tests: one test crate (one binary to link, not thirty), one module per
//! command or concern. Every test runs the built `lrtrain` binary the way a user does, or the
//! library through its public paths; `common` holds the shared helpers.
//!
//! Run all: `cargo test`. One module: `cargo test --test it compare::`. The tests that need a real
//! Slurm cluster (root and Debian's slurmctld/slurmd/munge) are `#[ignore]`d; `.ci/run` runs them
//! with `cargo test --test it -- --ignored slurm::`.

mod common;

mod charts;
mod check;
mod cli;
mod compare;
mod configs;
mod docs;
mod early_stopping;
mod ema;
mod export;
mod expr;
mod find_lr;
mod flags;
mod fuzz;
mod golden_momentum;
mod golden_schedules;
mod golden_schedules_v2;
mod horizons;
mod hostile;
mod interrupt;
mod layout;
mod library;
mod limits;
mod optimizers;
mod paths;
mod predict;
mod resume;
mod round_trip;
mod schedule;
mod schedule_feedback;
mod set;
mod slurm;
mod standing;
mod sweep;
mod tabular;
mod train;
mod training_step;
mod words;
