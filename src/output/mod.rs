//! How lrtrain writes: a file replaced whole (through a temporary file and a rename, so a reader
//! or a crash sees the old or the new contents), stdout that a reader closed early, numbers in
//! their shortest round-trip form. The files of a run directory are in `run/`.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};

/// Writes `bytes` to `path` through a temporary file beside it and a rename, so a reader (or a
/// crash) sees the old or the new contents whole. The temporary name is unique to this process
/// and call (`NAME.EXT.PID-N.tmp`): processes writing the same file at once (sweep shards on one
/// OUT writing sweep.csv and epochs.csv) each rename their own whole file, the last one winning,
/// instead of one renaming away the other's temporary file (which failed with "No such file").
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let unique = format!(
        "{}-{}.tmp",
        std::process::id(),
        CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let tmp = path.with_extension(match path.extension() {
        Some(e) => format!("{}.{unique}", e.to_string_lossy()),
        None => unique,
    });
    // Synced before the rename, so that after a power cut the name points at whole contents.
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        std::io::Write::write_all(&mut f, bytes)?;
        f.sync_all()
    };
    write().with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path).map_err(|e| {
        // Leave nothing behind (e.g. when `path` is a directory).
        let _ = fs::remove_file(&tmp);
        anyhow::Error::new(e).context(format!("writing {}", path.display()))
    })
}

/// `result` of printing to stdout, with a reader that closed it early (`… | head`) taken as
/// success: the command goes on to its exit code. Call it only once every file is written.
pub fn stdout_closed_is_ok(result: Result<()>) -> Result<()> {
    match result {
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            Ok(())
        }
        other => other,
    }
}

/// A number in Rust's shortest round-trip form; empty for `None`.
pub fn format_number(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_of_one_file_at_the_same_time_never_fail_and_leave_one_whole_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sweep.csv");
        let versions: Vec<Vec<u8>> = (0..4u8).map(|i| vec![b'a' + i; 4096]).collect();
        std::thread::scope(|s| {
            for v in &versions {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..200 {
                        write_atomic(path, v).unwrap();
                    }
                });
            }
        });
        assert!(versions.contains(&fs::read(&path).unwrap()));
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn numbers_use_the_shortest_round_trip_form() {
        assert_eq!(format_number(Some(0.1)), "0.1");
        assert_eq!(format_number(Some(1e-7)), "0.0000001");
        assert_eq!(format_number(Some(3.0)), "3");
        assert_eq!(format_number(None), "");
    }
}
