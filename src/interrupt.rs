//! SIGINT / SIGTERM (Ctrl-C): the first asks training to stop after the current batch (the
//! trainer polls [`requested`]); the second exits at once with 130.
//!
//! Exiting at once is safe because every file of a run is either replaced through a temporary
//! file and a rename (summary.json, config.toml, checkpoint.bin, params.bin) or appended and
//! flushed row by row (metrics.csv): a process that stops anywhere leaves each file whole, at
//! worst with a stray `*.tmp` beside it.

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Installs the handler (once per process; later calls do nothing). If the platform refuses,
/// training simply cannot be interrupted gracefully.
pub fn install() {
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if REQUESTED.swap(true, Ordering::SeqCst) {
                eprintln!("interrupted again: exiting now");
                std::process::exit(130);
            }
            eprintln!(
                "interrupted: stopping after the current batch, keeping the last complete epoch \
                 (interrupt again to exit at once)"
            );
        });
    });
}

/// True once SIGINT or SIGTERM has arrived.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
