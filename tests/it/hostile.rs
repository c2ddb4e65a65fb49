//! Bad input, one test per row of the "Bad input" table in `docs/errors.md`: each is refused with
//! exit 2 (1 for an I/O fault) and one line naming the culprit; none panics.

use std::path::{Path, PathBuf};

use crate::common::*;

/// Runs `lrtrain <args…>` and checks the exit code, that stderr is one `error:` line holding
/// every `needle`, and that nothing panicked.
fn refused(args: &[&str], code: i32, needles: &[&str]) {
    let o = lrtrain().args(args).output().unwrap();
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: not one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: {err:?} lacks {n:?}");
    }
}

/// A temp dir holding `name` with `bytes`.
fn file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

fn check_config(text: &[u8], needles: &[&str]) {
    let (_d, path) = file("c.toml", text);
    refused(&["check", "--config", path.to_str().unwrap()], 2, needles);
}

/// `check` of a small valid MNIST config with one `--set`.
fn check_set(set: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "c.toml", &mnist_config("[model]\nhidden = [8]"));
    refused(
        &["check", "--config", cfg.to_str().unwrap(), "--set", set],
        2,
        needles,
    );
}

/// `train` of a config (exit `code`) in a temp dir.
fn train_config(text: &str, code: i32, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "c.toml", text);
    let out = dir.path().join("run");
    refused(
        &[
            "train",
            "--quiet",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        code,
        needles,
    );
}

fn idx_config(images: &Path, labels: &Path) -> String {
    format!(
        "seed = 1\nthreads = 1\n[data]\nkind = \"idx\"\ntrain_images = \"{}\"\ntrain_labels = \"{}\"\n[model]\nhidden = [8]\n[train]\nepochs = 1\n",
        images.display(),
        labels.display()
    )
}

fn idx_images(bytes: &[u8], needles: &[&str]) {
    let (_d, path) = file("images.idx", bytes);
    let labels = PathBuf::from(mnist("train-labels-idx1-ubyte.gz"));
    train_config(&idx_config(&path, &labels), 2, needles);
}

fn idx_header(magic: u32, dims: &[u32]) -> Vec<u8> {
    let mut b = magic.to_be_bytes().to_vec();
    for d in dims {
        b.extend_from_slice(&d.to_be_bytes());
    }
    b
}

fn csv_config(path: &Path, model: &str) -> String {
    format!(
        "seed = 1\nthreads = 1\n[data]\nkind = \"csv\"\npath = \"{}\"\ntarget = \"y\"\n[model]\nkind = \"{model}\"\n[train]\nepochs = 1\n",
        path.display()
    )
}

fn csv(text: &[u8], model: &str, needles: &[&str]) {
    let (_d, path) = file("data.csv", text);
    train_config(&csv_config(&path, model), 2, needles);
}

// ---- config files ----

#[test]
fn an_empty_config_file_is_refused() {
    check_config(b"", &["c.toml", "data"]);
}

#[test]
fn binary_garbage_as_a_config_is_refused() {
    check_config(&[0xff, 0xfe, 0x00, 0x13, 0x37, 0x80, 0x81], &["not UTF-8"]);
}

#[test]
fn text_garbage_as_a_config_is_refused_with_its_line() {
    check_config(b"this is [not toml\n", &["line 1"]);
}

#[test]
fn valid_toml_of_the_wrong_shape_is_refused() {
    check_config(b"data = 3\n", &["data", "expected"]);
    check_config(b"[[data]]\nkind = \"idx\"\n", &["expected"]);
}

#[test]
fn a_missing_or_directory_config_is_refused() {
    refused(
        &["check", "--config", "/no/such/file.toml"],
        2,
        &["cannot read"],
    );
    refused(&["check", "--config", "/"], 2, &["cannot read"]);
}

#[test]
fn an_unknown_key_is_refused_by_name() {
    check_set("train.epoch=3", &["epoch"]);
}

/// Every key of the SPEC's config with a value of the wrong type.
#[test]
fn every_key_with_a_wrong_type_is_refused_naming_it() {
    for (set, key) in [
        ("seed=\"x\"", "seed"),
        ("threads=\"all\"", "threads"),
        ("data.kind=3", "kind"),
        ("data.train_images=3", "train_images"),
        ("data.validation_split=\"x\"", "validation_split"),
        ("model.kind=[1]", "kind"),
        ("model.hidden=\"x\"", "model.hidden"),
        ("model.hidden=[\"x\"]", "hidden"),
        ("model.activation=3", "model.activation"),
        ("model.init=3", "init"),
        ("optimizer.kind=true", "kind"),
        ("optimizer.lr=\"fast\"", "optimizer.lr"),
        ("optimizer.clip_norm=\"x\"", "clip_norm"),
        ("optimizer.beta1=\"x\"", "beta1"),
        ("optimizer.amsgrad=2", "amsgrad"),
        ("schedule.kind=5", "kind"),
        ("schedule.unit=5", "unit"),
        ("schedule.warmup=\"x\"", "warmup"),
        ("schedule.warmup_start_factor=\"x\"", "warmup_start_factor"),
        ("train.epochs=\"ten\"", "train.epochs"),
        ("train.batch_size=1.5", "train.batch_size"),
        ("train.shuffle=1", "train.shuffle"),
        ("output.dir=3", "dir"),
        ("output.checkpoint_every=\"x\"", "checkpoint_every"),
    ] {
        check_set(set, &[key]);
    }
}

#[test]
fn nan_inf_negative_and_zero_are_refused_where_they_make_no_sense() {
    for (set, key) in [
        ("optimizer.lr=nan", "optimizer.lr"),
        ("optimizer.lr=inf", "optimizer.lr"),
        ("optimizer.lr=-0.1", "optimizer.lr"),
        ("optimizer.lr=0", "optimizer.lr"),
        ("optimizer.clip_norm=-1", "optimizer.clip_norm"),
        ("optimizer.beta2=1.5", "beta2"),
        ("optimizer.eps=-1", "eps"),
        ("train.batch_size=0", "train.batch_size"),
        ("train.batch_size=-5", "train.batch_size"),
        ("train.epochs=0", "train.epochs"),
        ("train.epochs=-1", "train.epochs"),
        ("threads=-1", "threads"),
        ("data.validation_split=nan", "data.validation_split"),
        ("data.validation_split=1.5", "data.validation_split"),
        ("model.hidden=[0]", "model.hidden[0]"),
        ("output.checkpoint_every=-1", "checkpoint_every"),
        ("schedule.warmup_start_factor=nan", "warmup_start_factor"),
    ] {
        check_set(set, &[key]);
    }
}

#[test]
fn schedule_keys_out_of_range_are_refused_naming_them() {
    let base = mnist_config("[model]\nhidden = [8]\n[train]\nepochs = 1\n[schedule]\n");
    for (keys, key) in [
        (
            "kind = \"exponential\"\ndecay_rate = 0.5\ndecay_steps = 0",
            "schedule.decay_steps",
        ),
        (
            "kind = \"exponential\"\ndecay_rate = nan",
            "schedule.decay_rate",
        ),
        ("kind = \"cosine_restarts\"\nperiod = 0", "schedule.period"),
        ("kind = \"step\"\nstep_size = 0", "schedule.step_size"),
        (
            "kind = \"step\"\nstep_size = 10\ngamma = -1.0",
            "schedule.gamma",
        ),
        (
            "kind = \"cyclic\"\nmax_lr = inf\nstep_size_up = 1",
            "schedule.max_lr",
        ),
        (
            "kind = \"polynomial\"\ndecay_steps = 0",
            "schedule.decay_steps",
        ),
        ("kind = \"one_cycle\"\ntotal = 0", "schedule.total"),
        (
            "kind = \"cosine\"\ntotal = 10\nmin_lr = -1.0",
            "schedule.min_lr",
        ),
        ("kind = \"plateau\"\nfactor = 2.0", "schedule.factor"),
    ] {
        train_config(&format!("{base}{keys}\n"), 2, &[key]);
    }
}

#[test]
fn huge_epochs_are_refused_before_anything_runs() {
    check_set("train.epochs=1000000000000", &["train.epochs"]);
}

#[test]
fn a_huge_hidden_layer_is_refused_before_it_is_allocated() {
    let cfg = mnist_config("[model]\nhidden = [1000000000]\n[train]\nepochs = 1\n");
    train_config(&cfg, 2, &["model.hidden", "expected at most"]);
    let cfg = mnist_config("[model]\nhidden = [100000, 100000]\n[train]\nepochs = 1\n");
    train_config(&cfg, 2, &["model.hidden"]);
}

// ---- IDX files ----

#[test]
fn an_idx_file_with_the_wrong_magic_is_refused() {
    idx_images(&idx_header(0x0999, &[10, 0]), &["magic"]);
}

#[test]
fn an_idx_file_with_zero_dimensions_is_refused() {
    let mut b = idx_header(0x0803, &[10, 0, 28]);
    b.extend_from_slice(&[0; 10]);
    idx_images(&b, &["0×28"]);
}

#[test]
fn an_idx_count_larger_than_the_file_is_refused() {
    let mut b = idx_header(0x0803, &[1_000_000, 28, 28]);
    b.extend_from_slice(&[0; 100]);
    idx_images(&b, &["truncated"]);
}

#[test]
fn an_idx_header_of_absurd_size_is_refused_before_allocating() {
    let mut b = idx_header(0x0803, &[u32::MAX, u32::MAX, u32::MAX]);
    b.extend_from_slice(&[0; 100]);
    idx_images(&b, &["too large"]);
}

#[test]
fn a_truncated_gzip_idx_file_is_refused() {
    use std::io::Write;
    let mut raw = idx_header(0x0803, &[100, 28, 28]);
    raw.extend(std::iter::repeat_n(7u8, 78_400));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).unwrap();
    let gz = gz.finish().unwrap();
    let (_d, path) = file("images.idx.gz", &gz[..gz.len() / 2]);
    let labels = PathBuf::from(mnist("train-labels-idx1-ubyte.gz"));
    train_config(&idx_config(&path, &labels), 2, &["images.idx.gz"]);
}

#[test]
fn an_empty_idx_file_is_refused() {
    idx_images(b"", &["magic"]);
}

#[test]
fn idx_labels_fewer_than_images_are_refused() {
    let mut b = idx_header(0x0801, &[3]);
    b.extend_from_slice(&[1, 2, 3]);
    let (_d, labels) = file("labels.idx", &b);
    let images = PathBuf::from(mnist("train-images-idx3-ubyte.gz"));
    train_config(&idx_config(&images, &labels), 2, &["labels"]);
}

// ---- CSV files ----

#[test]
fn a_csv_with_ragged_rows_is_refused_with_the_line() {
    csv(b"x,y\n1,2\n3\n", "linear", &["line 3", "expected 2 fields"]);
}

#[test]
fn a_csv_with_a_non_numeric_cell_is_refused_with_line_and_column() {
    csv(b"x,y\n1,2\nabc,3\n", "linear", &["line 3", "\"x\"", "abc"]);
}

#[test]
fn a_csv_with_nan_or_inf_is_refused() {
    // "NaN" is one of the SPEC's spellings of a missing cell.
    csv(
        b"x,y\n1,2\nNaN,3\n",
        "linear",
        &["line 3", "missing cell \"NaN\""],
    );
    csv(b"x,y\n1,2\n1,inf\n", "linear", &["line 3", "finite"]);
}

#[test]
fn an_empty_csv_is_refused() {
    csv(b"", "linear", &["empty"]);
}

#[test]
fn a_csv_with_only_a_header_is_refused() {
    csv(b"x,y\n", "linear", &["no data records"]);
}

#[test]
fn a_csv_without_the_target_column_is_refused() {
    csv(b"x,z\n1,2\n", "linear", &["data.target", "\"y\""]);
}

#[test]
fn a_csv_with_a_non_numeric_target_is_refused() {
    csv(b"x,y\n1,a\n", "linear", &["line 2", "\"y\""]);
}

#[test]
fn a_csv_of_binary_garbage_is_refused() {
    let garbage: Vec<u8> = (0..300u32).map(|i| (i * 97 % 251) as u8 | 0x80).collect();
    csv(&garbage, "linear", &["data.csv"]);
}

#[test]
fn a_class_column_with_a_single_class_is_refused() {
    // Any strings are class labels now (SPEC "Tabular data"); one class cannot be learned.
    csv(
        b"x,y\n1,a\n2,a\n",
        "mlp",
        &["column \"y\"", "at least 2 classes", "\"a\""],
    );
}

// ---- paths ----

#[test]
fn a_data_path_that_is_a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    train_config(&csv_config(dir.path(), "linear"), 2, &["directory"]);
}

#[test]
fn a_missing_data_file_is_refused() {
    train_config(
        &csv_config(Path::new("/no/such/data.csv"), "linear"),
        2,
        &["/no/such/data.csv"],
    );
}

#[test]
fn an_output_directory_that_cannot_be_made_is_an_io_failure() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "lin.toml",
        &csv_config(&repo().join("data/linear.csv"), "linear"),
    );
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    // A path below a regular file cannot be created, even by root.
    let out = blocker.join("run");
    refused(
        &[
            "train",
            "--quiet",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        1,
        &["run directory"],
    );
    // The path itself a file: a usage error.
    refused(
        &[
            "train",
            "--quiet",
            "--config",
            cfg.to_str().unwrap(),
            "--out",
            blocker.to_str().unwrap(),
        ],
        2,
        &["not a directory"],
    );
}
