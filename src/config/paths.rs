//! Paths as the user gives them, made into what the program uses (SPEC "Paths"): command-line
//! paths resolve against the current directory, paths inside a config against the config's
//! directory, and everything written into a run directory or a generated config is absolute, so
//! it means the same from any working directory. Output paths are checked, and their parent
//! directories created, before any long work starts.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result};

use crate::bail_usage;

/// `path` made absolute against the current directory and normalized (see [`normalize`]); an
/// absolute path is only normalized. Never touches the file system beyond asking for the current
/// directory, so the path need not exist yet.
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return normalize(path);
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    normalize(&cwd.join(path))
}

/// `a/b/../c` → `a/c` and `a/./b` → `a/b`, lexically, without touching the file system (the file
/// may not exist yet). A `..` that would climb above the start of a relative path is kept.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`.
                Some(Component::RootDir) => {}
                _ => out.push(".."),
            },
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// Checks an output file named on the command line (`flag` is how the user wrote it, e.g.
/// `--plot`) and creates its parent directories, before the work that produces it. Returns the
/// absolute path. `force`: `Some(false)` refuses an existing file (the command has `--force`),
/// `Some(true)` or `None` (the command documents that the named file is replaced) allows it.
///
/// Errors: the path is a directory, or the file exists without `--force` (exit 2); its parent
/// cannot be created (a component is a file, no permission: exit 1).
pub fn output_file(path: &Path, flag: &str, force: Option<bool>) -> Result<PathBuf> {
    let abs = absolute(path);
    fits(&abs, path, flag)?;
    if abs.is_dir() {
        bail_usage!(
            "{flag} {}: is a directory; name a file inside it",
            path.display()
        );
    }
    if force == Some(false) && abs.exists() {
        bail_usage!(
            "{flag} {}: the file exists; pass --force to replace it",
            path.display()
        );
    }
    if let Some(parent) = abs.parent() {
        create_parent(parent, path, flag)?;
    }
    Ok(abs)
}

/// Checks an output directory named on the command line (`--out`) and creates its parent, before
/// the work that fills it (the directory itself is made by what writes into it, so a config
/// error leaves nothing behind). Returns the absolute path. Errors: the path exists and is not a
/// directory (exit 2), or its parent cannot be created (exit 1).
pub fn output_dir(path: &Path, flag: &str) -> Result<PathBuf> {
    let abs = absolute(path);
    fits(&abs, path, flag)?;
    if abs.exists() && !abs.is_dir() {
        bail_usage!("{flag} {}: exists and is not a directory", path.display());
    }
    if let Some(parent) = abs.parent() {
        create_parent(parent, path, flag)?;
    }
    Ok(abs)
}

/// Most bytes of one name in a path (a file or directory name) that file systems hold (ext4,
/// XFS, Btrfs, APFS: 255).
pub const NAME_MAX: usize = 255;

/// Refuses (exit 2) an output path with a name longer than [`NAME_MAX`] bytes, before anything
/// is made: the file system would refuse it only once the work is done.
fn fits(abs: &Path, given: &Path, flag: &str) -> Result<()> {
    if let Some(long) = abs
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .find(|c| c.len() > NAME_MAX)
    {
        let mut head = 24.min(long.len());
        while !long.is_char_boundary(head) {
            head -= 1;
        }
        bail_usage!(
            "{flag} {}: the name {}… is {} bytes long; expected at most {NAME_MAX} (what file systems hold)",
            given.display(),
            &long[..head],
            long.len()
        );
    }
    Ok(())
}

/// A directory that cannot be made (below a regular file, no permission) is an I/O failure
/// (exit 1), as for the run directory itself.
fn create_parent(dir: &Path, given: &Path, flag: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| {
        format!(
            "{flag} {}: creating the directory {}",
            given.display(),
            dir.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_name_longer_than_a_file_system_holds_is_refused_before_anything_is_made() {
        let dir = tempfile::tempdir().unwrap();
        let long = dir.path().join("a".repeat(300)).join("run");
        let e = output_dir(&long, "--out").unwrap_err();
        assert_eq!(crate::error::exit_code(&e), 2);
        assert!(
            e.to_string()
                .contains("is 300 bytes long; expected at most 255"),
            "{e}"
        );
        assert!(!dir.path().join("a".repeat(300)).exists());
        let e = output_file(&dir.path().join("b".repeat(256)), "--plot", None).unwrap_err();
        assert!(e.to_string().starts_with("--plot "), "{e}");
        assert!(output_dir(&dir.path().join("c".repeat(255)), "--out").is_ok());
    }

    #[test]
    fn normalize_removes_dots_and_climbs_only_inside_the_path() {
        assert_eq!(normalize(Path::new("a/./b/../c")), PathBuf::from("a/c"));
        assert_eq!(normalize(Path::new("../x")), PathBuf::from("../x"));
        assert_eq!(normalize(Path::new("/a/../../b")), PathBuf::from("/b"));
        assert_eq!(normalize(Path::new("a/..")), PathBuf::from("."));
    }

    #[test]
    fn a_relative_path_becomes_absolute_against_the_current_directory() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(absolute(Path::new("x/../y.toml")), cwd.join("y.toml"));
        assert_eq!(absolute(Path::new("/abs/./f")), PathBuf::from("/abs/f"));
    }

    #[test]
    fn an_output_file_gets_its_parents_and_is_refused_where_it_must_not_be_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("new/deeper/x.svg");
        assert_eq!(output_file(&f, "--plot", Some(false)).unwrap(), f);
        assert!(tmp.path().join("new/deeper").is_dir());
        std::fs::write(&f, "old").unwrap();
        let err = output_file(&f, "--plot", Some(false)).unwrap_err();
        assert!(format!("{err}").contains("--force"), "{err}");
        assert_eq!(crate::error::exit_code(&err), 2);
        output_file(&f, "--plot", Some(true)).unwrap();
        output_file(&f, "--plot", None).unwrap();
        let err = output_file(tmp.path(), "--plot", None).unwrap_err();
        assert!(format!("{err}").contains("is a directory"), "{err}");
        // A parent that is a file cannot be created.
        let err = output_file(&f.join("y.svg"), "--plot", None).unwrap_err();
        assert!(
            format!("{err:#}").contains("creating the directory"),
            "{err:#}"
        );
        assert_eq!(crate::error::exit_code(&err), 1);
    }

    #[test]
    fn an_output_directory_gets_its_parent_unless_a_file_is_in_the_way() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("a/b");
        assert_eq!(output_dir(&d, "--out").unwrap(), d);
        assert!(tmp.path().join("a").is_dir());
        assert!(!d.exists());
        let f = tmp.path().join("file");
        std::fs::write(&f, "").unwrap();
        let err = output_dir(&f, "--out").unwrap_err();
        assert!(format!("{err}").contains("not a directory"), "{err}");
    }
}
