//! Progress on stderr, decided once: a bar (indicatif) when stderr is a terminal, plain lines
//! otherwise (at most about one a second plus the last epoch; every epoch with `--verbose`),
//! nothing with `--quiet`. Epochs count from 1 here (`epoch 3/20`), as everywhere a person reads
//! them; metrics.csv keeps its 0-based `epoch`.

use std::cell::{Cell, RefCell};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::train::EpochMetrics;

/// How much a command tells a person while it works (`--quiet`, default, `--verbose`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Verbosity {
    /// Nothing but errors.
    Quiet,
    /// A bar on a terminal; elsewhere plain lines, at most about one a second.
    #[default]
    Normal,
    /// As Normal on a terminal; elsewhere one line per epoch.
    Verbose,
}

impl Verbosity {
    /// From the two flags; clap makes them exclusive, `quiet` wins otherwise.
    pub fn from_flags(quiet: bool, verbose: bool) -> Verbosity {
        match (quiet, verbose) {
            (true, _) => Verbosity::Quiet,
            (false, true) => Verbosity::Verbose,
            (false, false) => Verbosity::Normal,
        }
    }

    pub fn is_quiet(self) -> bool {
        self == Verbosity::Quiet
    }
}

/// How a run ended, for the last thing the progress display shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Completed,
    /// Stopped early (diverged, interrupted, failed): the bar stays where the run stopped.
    Stopped,
}

/// Shortest gap between two plain progress lines (without `--verbose`).
pub const LINE_INTERVAL: Duration = Duration::from_secs(1);

pub enum Progress {
    Bar {
        bar: ProgressBar,
        epochs: usize,
    },
    Lines {
        epochs: usize,
        /// Prefix of every line (`cosine seed 3: `), empty for a lone run.
        label: String,
        every_epoch: bool,
        /// When the last line was printed (the start, before any).
        printed: Cell<Instant>,
        /// The newest epoch's line when it was not printed, for `finish`.
        pending: RefCell<Option<String>>,
    },
    Quiet,
}

impl Progress {
    /// The display for a run of `epochs` epochs of `steps_per_epoch` steps, `done` of them
    /// already trained (a resumed run).
    pub fn new(
        verbosity: Verbosity,
        epochs: usize,
        steps_per_epoch: usize,
        done: usize,
    ) -> Progress {
        if verbosity.is_quiet() {
            return Progress::Quiet;
        }
        if !std::io::stderr().is_terminal() {
            return Progress::lines(epochs, String::new(), verbosity == Verbosity::Verbose);
        }
        Progress::bar(ProgressDrawTarget::stderr(), epochs, steps_per_epoch, done)
    }

    /// Plain lines, each prefixed by `label` (compare's runs share one stderr).
    pub fn lines(epochs: usize, label: String, every_epoch: bool) -> Progress {
        Progress::Lines {
            epochs,
            label,
            every_epoch,
            printed: Cell::new(Instant::now()),
            pending: RefCell::new(None),
        }
    }

    fn bar(
        target: ProgressDrawTarget,
        epochs: usize,
        steps_per_epoch: usize,
        done: usize,
    ) -> Progress {
        let total = (epochs as u64).saturating_mul(steps_per_epoch as u64);
        let bar = ProgressBar::with_draw_target(Some(total), target);
        let style = ProgressStyle::with_template(
            "{bar:30.cyan/blue} {percent:>3}% {elapsed_precise} eta {eta}  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_position((done as u64).saturating_mul(steps_per_epoch as u64));
        bar.set_message(format!("epoch {}/{epochs}", (done + 1).min(epochs.max(1))));
        Progress::Bar { bar, epochs }
    }

    /// After every optimizer step.
    pub fn step(&self) {
        if let Progress::Bar { bar, .. } = self {
            bar.inc(1);
        }
    }

    pub fn epoch(&self, m: &EpochMetrics) {
        match self {
            Progress::Bar { bar, epochs } => {
                bar.set_message(epoch_line(m, *epochs));
            }
            Progress::Lines {
                epochs,
                label,
                every_epoch,
                printed,
                pending,
            } => {
                let line = format!("{label}{}", epoch_line(m, *epochs));
                let last = m.epoch + 1 >= *epochs;
                if *every_epoch || last || printed.get().elapsed() >= LINE_INTERVAL {
                    eprintln!("{line}");
                    printed.set(Instant::now());
                    pending.replace(None);
                } else {
                    pending.replace(Some(line));
                }
            }
            Progress::Quiet => {}
        }
    }

    /// A warning or note: above the bar, or a plain line; nothing when quiet.
    pub fn note(&self, text: &str) {
        match self {
            Progress::Bar { bar, .. } => bar.println(text),
            Progress::Lines { .. } => eprintln!("{text}"),
            Progress::Quiet => {}
        }
    }

    /// Ends the display. A completed run's bar fills up; a stopped one stays where the run
    /// stopped (not 100 %). Plain lines print the last epoch if it was held back.
    pub fn finish(&self, ending: Ending) {
        match self {
            Progress::Bar { bar, .. } => match ending {
                Ending::Completed => bar.finish(),
                Ending::Stopped => bar.abandon(),
            },
            Progress::Lines { pending, .. } => {
                if let Some(line) = pending.take() {
                    eprintln!("{line}");
                }
            }
            Progress::Quiet => {}
        }
    }
}

/// `epoch 3/20  lr 1.0000e-2  loss 0.3120 …`: 1-based, as a person counts.
pub fn epoch_line(m: &EpochMetrics, epochs: usize) -> String {
    format!("epoch {}/{epochs}  {}", m.epoch + 1, describe(m))
}

fn describe(m: &EpochMetrics) -> String {
    let mut s = format!("lr {:.4e}  loss {:.4}", m.lr, m.loss);
    if let Some(a) = m.accuracy {
        s += &format!("  acc {a:.4}");
    }
    if let Some(l) = m.val_loss {
        s += &format!("  val_loss {l:.4}");
    }
    if let Some(a) = m.val_accuracy {
        s += &format!("  val_acc {a:.4}");
    }
    s + &format!("  {:.2}s", m.seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(epoch: usize) -> EpochMetrics {
        EpochMetrics {
            epoch,
            lr: 0.01,
            loss: 0.5,
            accuracy: None,
            val_loss: None,
            val_accuracy: None,
            grad_norm: 1.0,
            seconds: 0.25,
            effective_lr: None,
            momentum: None,
            val_loss_ema: None,
            val_accuracy_ema: None,
        }
    }

    #[test]
    fn people_read_epochs_from_one() {
        assert!(epoch_line(&row(0), 20).starts_with("epoch 1/20  lr 1.0000e-2"));
        assert!(epoch_line(&row(19), 20).starts_with("epoch 20/20"));
    }

    #[test]
    fn a_stopped_runs_bar_stays_where_it_stopped_and_a_completed_one_fills() {
        // 10 epochs of 4 steps; 3 epochs done, then a stop (divergence or interrupt).
        let stopped = Progress::bar(ProgressDrawTarget::hidden(), 10, 4, 0);
        for _ in 0..12 {
            stopped.step();
        }
        stopped.finish(Ending::Stopped);
        let Progress::Bar { bar, .. } = &stopped else {
            panic!("a bar")
        };
        assert_eq!(bar.position(), 12);
        assert_eq!(bar.length(), Some(40));

        let done = Progress::bar(ProgressDrawTarget::hidden(), 2, 4, 1);
        let Progress::Bar { bar, .. } = &done else {
            panic!("a bar")
        };
        assert_eq!(bar.position(), 4, "a resumed run starts where it left off");
        assert_eq!(bar.message(), "epoch 2/2");
        for _ in 0..4 {
            done.step();
        }
        done.finish(Ending::Completed);
        assert_eq!(bar.position(), 8);
    }

    #[test]
    fn quiet_beats_verbose() {
        assert_eq!(Verbosity::from_flags(true, true), Verbosity::Quiet);
        assert_eq!(Verbosity::from_flags(false, true), Verbosity::Verbose);
        assert_eq!(Verbosity::from_flags(false, false), Verbosity::Normal);
    }
}
