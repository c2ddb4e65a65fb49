//! Command-line conventions, through the binary.

use crate::common::*;

#[test]
fn help_shows_real_examples_for_every_subcommand() {
    for sub in [
        vec!["--help"],
        vec!["train", "--help"],
        vec!["check", "--help"],
        vec!["schedule", "--help"],
    ] {
        let o = lrtrain().args(&sub).output().unwrap();
        assert!(o.status.success());
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(text.contains("Example"), "{sub:?}: {text}");
        assert!(text.contains("--config"), "{sub:?}: {text}");
    }
}

#[test]
fn version_prints_the_crate_version() {
    let o = lrtrain().arg("--version").output().unwrap();
    assert!(o.status.success());
    assert!(
        String::from_utf8(o.stdout)
            .unwrap()
            .contains(env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec![],
        vec!["train"],
        vec!["train", "--config"],
        vec!["frobnicate"],
        vec!["train", "--config", "x", "--epochs", "many"],
    ] {
        let o = lrtrain().args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}
