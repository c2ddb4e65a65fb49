//! SIGINT (Ctrl-C) and SIGTERM: the first asks training to stop after the current batch (the
//! trainer polls [`requested`]); a second exits at once. Either way the exit code is 128 + the
//! signal's number, as a shell reports a process the signal ended: 130 for SIGINT, 143 for
//! SIGTERM ([`exit_code`]).
//!
//! Exiting at once is safe because every file of a run is either replaced through a temporary
//! file and a rename (summary.json, config.toml, checkpoint.bin, params.bin) or appended and
//! flushed row by row (metrics.csv): a process that stops anywhere leaves each file whole, at
//! worst with a stray `*.tmp` beside it.

use std::sync::Once;
use std::sync::atomic::{AtomicI32, Ordering};

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// The first signal that arrived; 0 for none.
static SIGNAL: AtomicI32 = AtomicI32::new(0);
static INSTALL: Once = Once::new();

/// Installs the handler (once per process; later calls do nothing). The signals are received on
/// a thread of their own (signal-hook's self-pipe), so the messages are printed outside signal
/// context. If the platform refuses, training simply cannot be interrupted gracefully.
pub fn install() {
    INSTALL.call_once(|| {
        let Ok(mut signals) = Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        let _ = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for signal in signals.forever() {
                    if SIGNAL
                        .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
                        .is_err()
                    {
                        eprintln!("interrupted again: exiting now");
                        std::process::exit(128 + signal);
                    }
                    eprintln!(
                        "interrupted: stopping after the current batch, keeping the last complete \
                         epoch (interrupt again to exit at once)"
                    );
                }
            });
    });
}

/// True once SIGINT or SIGTERM has arrived.
pub fn requested() -> bool {
    SIGNAL.load(Ordering::SeqCst) != 0
}

/// The number of the signal that asked to stop (15 for SIGTERM); SIGINT's (2) when the stop came
/// without one.
pub fn signal() -> i32 {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => SIGINT,
        s => s,
    }
}

/// The exit code of an interrupted command: 128 + the number of the signal that stopped it (130
/// for SIGINT, 143 for SIGTERM); 130 when the interruption came without a signal.
pub fn exit_code() -> i32 {
    code_for(SIGNAL.load(Ordering::SeqCst))
}

fn code_for(signal: i32) -> i32 {
    match signal {
        0 => 128 + SIGINT,
        s => 128 + s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exit_code_is_128_plus_the_signal_number() {
        assert_eq!(code_for(SIGINT), 130);
        assert_eq!(code_for(SIGTERM), 143);
        assert_eq!(code_for(0), 130);
    }
}
