//! Docs are tests: every ` ```console ` block of `README.md` and `docs/*.md` runs here, and its
//! shown output is checked, so a changed flag, message or file name fails a test naming the
//! chapter, the line and the command.
//!
//! The convention (close to trycmd's and snapbox's):
//!
//! - A fenced block opened with ` ```console ` is a test. Blocks of any other kind (` ```sh `,
//!   ` ```text `, ` ```toml `, …) are not run: they are for commands that cannot run here (a real
//!   Slurm cluster, the Fashion-MNIST download, minutes of CPU) and for file contents.
//! - In a console block, a line starting with `$ ` is a command; a command line ending in ` \`
//!   continues on the next line, and so do lines starting with `> ` right after the command (the
//!   shell's own continuation prompt, for a here-document that writes a file). It runs as `sh -c COMMAND` (pipes, `&&`, `VAR=x cmd` allowed)
//!   with the built `lrtrain` first on `PATH`. Every command starts in the file's directory (a
//!   `cd` lasts for its own line only).
//! - The lines after a command, up to the next `$ ` line or the end of the block, are its expected
//!   output: **stdout and stderr together**, in the order written (as a terminal shows them; no
//!   progress bar, as stderr is not a terminal). Lines match exactly, trailing spaces ignored,
//!   except that `[..]` in a line matches any text within that line and a line `...` matches any
//!   number of lines (none included). No lines under a command means it must print nothing.
//! - A last line `? N` says the command exits with code N; without it the command must exit 0.
//!
//! Each markdown file gets one fresh temporary directory holding copies of the repository's
//! `configs/` and `data/` (so `configs/mnist.toml` finds `../data/mnist/…`) and a `home/` used as
//! `HOME`; its blocks run in file order in that directory, so files written by one block (a run
//! directory) are there for the next. Nothing is written into the repository.

use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest a single documented command may take.
const TIMEOUT: Duration = Duration::from_secs(180);

/// The markdown files whose examples run, relative to the repository root. A chapter added to
/// `docs/` without a line here fails `every_chapter_is_tested`.
const FILES: &[&str] = &[
    "README.md",
    "docs/benchmark.md",
    "docs/changes.md",
    "docs/checkpoints.md",
    "docs/compare.md",
    "docs/configs.md",
    "docs/errors.md",
    "docs/find-lr.md",
    "docs/laws.md",
    "docs/library.md",
    "docs/optimizers.md",
    "docs/schedules.md",
    "docs/sweeps.md",
    "docs/tabular.md",
];

/// Chapters in `docs/` that hold no command examples and are not run (see `every_chapter_is_tested`).
const NOT_RUN: &[&str] = &["docs/architecture.md"];

/// Chapters the guide links to that another branch is writing; a link to one may dangle until it
/// is merged. Empty it then.
const PENDING: &[&str] = &[];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One `$ ` command of a console block with what it should print and exit with.
#[derive(Debug)]
struct Example {
    line: usize,
    command: String,
    expected: Vec<String>,
    code: i32,
}

/// The console blocks' commands of one markdown text, in order.
fn examples(file: &str, text: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut in_console = false;
    let mut in_other = false;
    let mut current: Option<Example> = None;
    let mut continuing = false;
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if let Some(info) = line.strip_prefix("```") {
            if in_console {
                out.extend(finish(file, current.take()));
                in_console = false;
            } else if in_other {
                in_other = false;
            } else if info.trim() == "console" {
                in_console = true;
            } else {
                in_other = true;
            }
            continue;
        }
        if !in_console {
            continue;
        }
        if continuing {
            let example = current.as_mut().expect("a command is open");
            continuing = line.ends_with('\\');
            example.command.push('\n');
            example.command.push_str(line);
            continue;
        }
        let more = line.strip_prefix("> ").or((line == ">").then_some(""));
        if let (Some(example), Some(more)) =
            (current.as_mut().filter(|e| e.expected.is_empty()), more)
        {
            example.command.push('\n');
            example.command.push_str(more);
            continuing = more.ends_with('\\');
            continue;
        }
        if let Some(command) = line.strip_prefix("$ ") {
            out.extend(finish(file, current.take()));
            continuing = command.ends_with('\\');
            current = Some(Example {
                line: number,
                command: command.to_string(),
                expected: Vec::new(),
                code: 0,
            });
        } else {
            match current.as_mut() {
                Some(example) => example.expected.push(line.to_string()),
                None => panic!("{file}:{number}: a console block must start with a `$ ` line"),
            }
        }
    }
    assert!(!in_console, "{file}: a console block is not closed");
    out
}

/// Takes a trailing `? N` off the expected lines into the exit code.
fn finish(file: &str, example: Option<Example>) -> Option<Example> {
    let mut example = example?;
    while example.expected.last().is_some_and(|l| l.trim().is_empty()) {
        example.expected.pop();
    }
    if let Some(code) = example.expected.last().and_then(|l| l.strip_prefix("? ")) {
        example.code = code
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{file}:{}: `? {code}` is not an exit code", example.line));
        example.expected.pop();
    }
    Some(example)
}

/// Whether one actual line matches one expected line (`[..]` = any text within the line).
fn line_matches(expected: &str, actual: &str) -> bool {
    let expected = expected.trim_end();
    let actual = actual.trim_end();
    let pieces: Vec<&str> = expected.split("[..]").collect();
    if pieces.len() == 1 {
        return expected == actual;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !actual.starts_with(first) || actual.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &actual[first.len()..];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether the actual lines match the expected ones (a line `...` = any number of lines).
fn lines_match(expected: &[String], actual: &[&str]) -> bool {
    // reachable[j]: expected[..i] can match actual[..j].
    let mut reachable = vec![false; actual.len() + 1];
    reachable[0] = true;
    for want in expected {
        let mut next = vec![false; actual.len() + 1];
        if want.trim_end() == "..." {
            let mut any = false;
            for j in 0..=actual.len() {
                any |= reachable[j];
                next[j] = any;
            }
        } else {
            for j in 0..actual.len() {
                if reachable[j] && line_matches(want, actual[j]) {
                    next[j + 1] = true;
                }
            }
        }
        reachable = next;
    }
    reachable[actual.len()]
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs one command in `dir`, returning its combined output and exit code.
fn run(dir: &Path, command: &str) -> (String, Option<i32>) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_lrtrain"));
    let path = std::env::join_paths(std::iter::once(bin.parent().unwrap().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("exec 2>&1\n{command}"))
        .current_dir(dir)
        .env("PATH", path)
        .env("HOME", dir.join("home"))
        .env_remove("COLUMNS")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("LRTRAIN_") {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd.spawn().expect("sh runs");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).ok();
        bytes
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > TIMEOUT {
            child.kill().ok();
            child.wait().ok();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut bytes = reader.join().unwrap();
    if let Some(mut stderr) = child.stderr.take() {
        stderr.read_to_end(&mut bytes).ok();
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    match status {
        Some(status) => (text, status.code()),
        None => (format!("{text}\n(killed after {TIMEOUT:?})"), None),
    }
}

/// Runs every console example of `file` (relative to the repository root) in order, panicking
/// at the first that does not print or exit as shown.
fn check_file(file: &str) {
    let text = std::fs::read_to_string(repo().join(file)).unwrap();
    let examples = examples(file, &text);
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("configs"), &dir.path().join("configs"));
    copy_dir(&repo().join("data"), &dir.path().join("data"));
    std::fs::create_dir(dir.path().join("home")).unwrap();
    let start = Instant::now();
    for example in &examples {
        let (output, code) = run(dir.path(), &example.command);
        let actual: Vec<&str> = output.trim_end_matches('\n').lines().collect();
        let actual: &[&str] = if output.trim().is_empty() {
            &[]
        } else {
            &actual
        };
        if code != Some(example.code) || !lines_match(&example.expected, actual) {
            let mut message = String::new();
            writeln!(
                message,
                "{file}:{}: the example differs from what it shows",
                example.line
            )
            .unwrap();
            writeln!(message, "$ {}", example.command).unwrap();
            writeln!(message, "--- expected (exit {}):", example.code).unwrap();
            for line in &example.expected {
                writeln!(message, "{line}").unwrap();
            }
            writeln!(
                message,
                "--- actual (exit {}):",
                code.map_or("none".to_string(), |c| c.to_string())
            )
            .unwrap();
            for line in actual {
                writeln!(message, "{line}").unwrap();
            }
            panic!("{message}");
        }
    }
    eprintln!(
        "{file}: {} commands ran as shown in {:.1} s",
        examples.len(),
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn readme_examples_run_as_shown() {
    check_file("README.md");
}

#[test]
fn docs_benchmark_examples_run_as_shown() {
    check_file("docs/benchmark.md");
}

#[test]
fn docs_changes_examples_run_as_shown() {
    check_file("docs/changes.md");
}

#[test]
fn docs_checkpoints_examples_run_as_shown() {
    check_file("docs/checkpoints.md");
}

#[test]
fn docs_compare_examples_run_as_shown() {
    check_file("docs/compare.md");
}

#[test]
fn docs_configs_examples_run_as_shown() {
    check_file("docs/configs.md");
}

#[test]
fn docs_errors_examples_run_as_shown() {
    check_file("docs/errors.md");
}

#[test]
fn docs_find_lr_examples_run_as_shown() {
    check_file("docs/find-lr.md");
}

#[test]
fn docs_laws_examples_run_as_shown() {
    check_file("docs/laws.md");
}

#[test]
fn docs_library_examples_run_as_shown() {
    check_file("docs/library.md");
}

#[test]
fn docs_optimizers_examples_run_as_shown() {
    check_file("docs/optimizers.md");
}

#[test]
fn docs_schedules_examples_run_as_shown() {
    check_file("docs/schedules.md");
}

#[test]
fn docs_sweeps_examples_run_as_shown() {
    check_file("docs/sweeps.md");
}

#[test]
fn docs_tabular_examples_run_as_shown() {
    check_file("docs/tabular.md");
}

/// Every markdown file in `docs/` is either run (`FILES`) or listed as holding no examples.
#[test]
fn every_chapter_is_tested() {
    for entry in std::fs::read_dir(repo().join("docs")).unwrap() {
        let name = format!("docs/{}", entry.unwrap().file_name().to_string_lossy());
        if !name.ends_with(".md") {
            continue;
        }
        if NOT_RUN.contains(&name.as_str()) {
            let text = std::fs::read_to_string(repo().join(&name)).unwrap();
            assert!(
                examples(&name, &text).is_empty(),
                "{name} holds console examples: add it to FILES and give it a test"
            );
        } else {
            assert!(
                FILES.contains(&name.as_str()),
                "{name} is not run: add it to FILES and give it a test"
            );
        }
    }
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, punctuation other than `-`/`_` dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            out.push(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// Every relative link of the README and the chapters points at a file that exists, and every
/// `#anchor` at a heading of its file.
#[test]
fn links_between_the_docs_resolve() {
    let mut files: Vec<String> = FILES.iter().map(|f| f.to_string()).collect();
    files.extend(
        NOT_RUN
            .iter()
            .map(|f| f.to_string())
            .filter(|f| repo().join(f).exists()),
    );
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(repo().join(file)).unwrap();
        let base = repo().join(file).parent().unwrap().to_path_buf();
        let mut fenced = false;
        for (i, line) in text.lines().enumerate() {
            if line.starts_with("```") {
                fenced = !fenced;
            }
            if fenced {
                continue;
            }
            for (at, _) in line.match_indices("](") {
                let rest = &line[at + 2..];
                let Some(end) = rest.find(')') else { continue };
                let target = &rest[..end];
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
                let resolved = if path.is_empty() {
                    repo().join(file)
                } else {
                    base.join(path)
                };
                if !resolved.exists() && !PENDING.iter().any(|p| resolved == repo().join(p)) {
                    broken.push(format!("{file}:{}: {target}: no such file", i + 1));
                    continue;
                }
                if !anchor.is_empty()
                    && resolved.exists()
                    && resolved.extension().is_some_and(|e| e == "md")
                {
                    let text = std::fs::read_to_string(&resolved).unwrap();
                    if !anchors(&text).iter().any(|a| a == anchor) {
                        broken.push(format!("{file}:{}: {target}: no such heading", i + 1));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_matching_rules_hold() {
    assert!(line_matches("a [..] c", "a b c"));
    assert!(line_matches("[..]", ""));
    assert!(line_matches("x[..]y[..]z", "xayybz"));
    assert!(!line_matches("ab[..]ba", "aba"));
    assert!(line_matches("same  ", "same"));
    let expected: Vec<String> = ["a", "...", "d"].iter().map(|s| s.to_string()).collect();
    assert!(lines_match(&expected, &["a", "b", "c", "d"]));
    assert!(lines_match(&expected, &["a", "d"]));
    assert!(!lines_match(&expected, &["a", "b"]));
    let parsed = examples(
        "t.md",
        "```console\n$ a \\\n  --b\nout\n? 2\n$ c <<EOF\n> x\n> EOF\n```\n```sh\n$ not run\n```\n",
    );
    assert_eq!(parsed.len(), 2);
    assert_eq!(parsed[0].command, "a \\\n  --b");
    assert_eq!(
        (parsed[0].expected.clone(), parsed[0].code),
        (vec!["out".to_string()], 2)
    );
    assert_eq!(parsed[1].command, "c <<EOF\nx\nEOF");
    assert!(parsed[1].expected.is_empty());
}
