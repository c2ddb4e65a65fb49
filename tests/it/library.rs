//! The library surface as a Rust user calls it: the `library` example's own code, trained
//! in-process on two Gaussian blobs made with ndarray.

#[path = "../../examples/library.rs"]
mod example;

#[test]
fn the_library_example_trains_two_blobs_to_high_validation_accuracy() {
    // The blobs' centres are 2·√2 apart with σ = 0.6: the Bayes accuracy is Φ(√2/0.6) ≈ 0.991,
    // so a trained network lands near it and an untrained one near 0.5.
    let accuracy = example::train_blobs().unwrap();
    assert!(accuracy > 0.95, "validation accuracy {accuracy}");
}

#[test]
fn the_same_config_and_seed_train_the_same_network_twice() {
    let a = example::train_blobs().unwrap();
    let b = example::train_blobs().unwrap();
    assert_eq!(a.to_bits(), b.to_bits());
}

#[test]
fn a_config_without_data_from_a_string_is_checked_like_a_file() {
    let err = lrtrain::RunConfig::from_toml_str("[train]\nepochs = 0\n").unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        "<string>: train.epochs: expected an integer in [1, 10000000], found 0"
    );
}
