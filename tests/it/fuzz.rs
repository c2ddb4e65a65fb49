//! Fuzzing without nightly: proptest feeds arbitrary bytes, and mutations of valid files, to the
//! config parser, the IDX readers and the CSV reader. Any result is fine but a panic.
//!
//! `cargo test` runs each property for `PROPTEST_CASES` cases (proptest's default 256 when
//! unset); `.ci/run` raises it to run about a minute. The `#[ignore]`d `*_long` variants run
//! 100,000 cases each by hand: `cargo test --release --test it -- --ignored fuzz::`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use lrtrain::config;
use lrtrain::data::{CsvSource, idx, tabular};
use lrtrain::model::TaskKind;
use proptest::prelude::*;

const VALID_CONFIG: &str = r#"seed = 3
[data]
kind = "csv"
path = "data.csv"
target = "y"
[model]
kind = "mlp"
hidden = [4, 2]
[optimizer]
kind = "sgd"
lr = 0.1
momentum = 0.9
[schedule]
kind = "sequential"
phases = [{ kind = "linear", length = 2 }, { kind = "plateau", patience = 1 }]
[train]
epochs = 3
batch_size = "full"
[output]
checkpoint_every = 2
"#;

const VALID_CSV: &str = "a,b,y\n1,2.5,0\n-3,4e2,1\n0.5,0,2\n";

fn valid_idx_images() -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3];
    b.extend(1..=12u8);
    b
}

fn valid_idx_labels() -> Vec<u8> {
    vec![0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 9]
}

/// Writes `bytes` to `name` in a fresh temp dir and runs `f` on it, failing on a panic.
fn no_panic(name: &str, bytes: &[u8], f: impl Fn(&Path)) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    catch_unwind(AssertUnwindSafe(|| f(&path)))
        .map_err(|_| TestCaseError::fail(format!("panicked on {} bytes: {bytes:?}", bytes.len())))
}

fn parse_config(p: &Path) {
    let _ = config::load(p, &[]);
}

fn read_idx(p: &Path) {
    let _ = idx::read_images(p);
    let _ = idx::read_labels(p);
}

fn read_csv(p: &Path) {
    for task in [TaskKind::Classification, TaskKind::Regression] {
        for header in [true, false] {
            let target = if header { "y" } else { "2" };
            let src = CsvSource::new(p.to_path_buf(), target.into(), header);
            let _ = tabular::read(&src, task);
        }
    }
}

/// A valid file with a few bytes overwritten, inserted or cut off.
fn mutated(valid: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = valid.len();
    (
        prop::collection::vec((0..len, any::<u8>()), 0..6),
        0..=len,
        prop::collection::vec(any::<u8>(), 0..4),
        any::<bool>(),
    )
        .prop_map(move |(edits, cut, insert, truncate)| {
            let mut b = valid.clone();
            for (i, v) in edits {
                b[i] = v;
            }
            if truncate {
                b.truncate(cut);
            } else {
                b.splice(cut..cut, insert);
            }
            b
        })
}

/// Short text built from the characters a TOML or CSV file is made of.
fn texty() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop::sample::select(b"[]{}=,.\"'#\n -+0123456789eEinfnakdtyxsrue_".to_vec()),
        0..200,
    )
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

// Each property is written once as a function of a runner, so the short and long runs share it.
fn config_property(runner: &mut proptest::test_runner::TestRunner) {
    let strategy = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        texty(),
        mutated(VALID_CONFIG.as_bytes().to_vec()),
    ];
    runner
        .run(&strategy, |bytes| no_panic("c.toml", &bytes, parse_config))
        .unwrap();
}

fn idx_property(runner: &mut proptest::test_runner::TestRunner) {
    let strategy = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        mutated(valid_idx_images()),
        mutated(valid_idx_labels()),
        mutated(gzip(&valid_idx_images())),
    ];
    runner
        .run(&strategy, |bytes| {
            no_panic("x.idx", &bytes, read_idx)?;
            // The same bytes under a .gz name go through the gzip reader.
            no_panic("x.idx.gz", &bytes, read_idx)?;
            no_panic("y.idx.gz", &gzip(&bytes), read_idx)
        })
        .unwrap();
}

fn csv_property(runner: &mut proptest::test_runner::TestRunner) {
    let strategy = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        texty(),
        mutated(VALID_CSV.as_bytes().to_vec()),
    ];
    runner
        .run(&strategy, |bytes| no_panic("d.csv", &bytes, read_csv))
        .unwrap();
}

fn runner() -> proptest::test_runner::TestRunner {
    proptest::test_runner::TestRunner::new(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

#[test]
fn no_bytes_make_the_config_parser_panic() {
    config_property(&mut runner());
}

#[test]
fn no_bytes_make_the_idx_readers_panic() {
    idx_property(&mut runner());
}

#[test]
fn no_bytes_make_the_csv_reader_panic() {
    csv_property(&mut runner());
}

fn long_runner() -> proptest::test_runner::TestRunner {
    proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 100_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

#[test]
#[ignore = "long fuzz run: cargo test --release --test it -- --ignored fuzz::"]
fn no_bytes_make_the_config_parser_panic_long() {
    config_property(&mut long_runner());
}

#[test]
#[ignore = "long fuzz run: cargo test --release --test it -- --ignored fuzz::"]
fn no_bytes_make_the_idx_readers_panic_long() {
    idx_property(&mut long_runner());
}

#[test]
#[ignore = "long fuzz run: cargo test --release --test it -- --ignored fuzz::"]
fn no_bytes_make_the_csv_reader_panic_long() {
    csv_property(&mut long_runner());
}
