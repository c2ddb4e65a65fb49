//! Progress on stderr, decided once: a bar on a terminal, one plain line per epoch otherwise,
//! nothing with `--quiet`.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::metrics::EpochMetrics;

pub enum Progress {
    Bar { bar: ProgressBar, epochs: usize },
    Lines { epochs: usize },
    Quiet,
}

impl Progress {
    pub fn new(quiet: bool, epochs: usize, steps_per_epoch: usize) -> Progress {
        if quiet {
            return Progress::Quiet;
        }
        if !std::io::stderr().is_terminal() {
            return Progress::Lines { epochs };
        }
        let total = (epochs as u64).saturating_mul(steps_per_epoch as u64);
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{bar:30.cyan/blue} {percent:>3}% {elapsed_precise} eta {eta}  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(format!("epoch 1/{epochs}"));
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
                bar.set_message(format!("epoch {}/{epochs}  {}", m.epoch + 1, describe(m)));
            }
            Progress::Lines { epochs } => {
                eprintln!("epoch {}/{epochs}  {}", m.epoch + 1, describe(m));
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

    pub fn finish(&self) {
        if let Progress::Bar { bar, .. } = self {
            bar.finish();
        }
    }
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
