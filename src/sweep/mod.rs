//! The pure core of `lrtrain sweep SWEEP.toml`: a sweep file becomes a [`plan::Plan`] of named
//! trials (grid × random samples), each run for every seed in `OUT/<trial>/seed-<s>/` exactly as
//! `lrtrain train` would run it. The command around it trains the runs; these modules decide
//! what to run and record where each run stands:
//!
//! - [`plan`]: read the sweep file, expand the trials, name them, load each trial's config;
//! - [`random`]: `[random]` distributions and their seeded draws;
//! - [`inline`]: values as inline TOML and as the labels in trial names;
//! - [`prune`]: successive halving (`[prune] kind = "halving"`);
//! - [`shard`]: `--shard I/N`;
//! - [`slurm`]: the `--slurm` batch script;
//! - [`run`]: training the runs on `--jobs` workers, each under its directory's lock;
//! - [`manifest`]: `OUT/sweep.json`, updated under a file lock, rebuilt from run directories.

pub mod inline;
pub mod manifest;
pub mod plan;
pub mod prune;
pub mod random;
pub mod run;
pub mod shard;
pub mod slurm;
