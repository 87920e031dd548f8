//! The training progress bar, which also stops training once Ctrl-C is pressed.

use std::io::IsTerminal;
use std::ops::ControlFlow;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rsrae::train::StepReport;

use crate::interrupt;

/// A progress bar over optimizer steps that shows both losses; hidden when stderr is not a
/// terminal or with `--quiet`.
pub struct TrainProgress {
    bar: ProgressBar,
}

impl TrainProgress {
    /// Creates the bar.
    pub fn new(quiet: bool) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if quiet || !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        let style = ProgressStyle::with_template(
            "{spinner} epoch {prefix} [{bar:30}] {pos}/{len} steps, {msg} ({elapsed}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        TrainProgress { bar }
    }

    /// Records one step; returns `Break` once Ctrl-C was pressed during training, which
    /// the caller guards with [`interrupt::guard`].
    pub fn on_step(&self, report: &StepReport) -> ControlFlow<()> {
        if self.bar.length().is_none() {
            self.bar.set_length(report.total_steps as u64);
        }
        self.bar.set_prefix(report.epoch.to_string());
        self.bar.set_message(format!(
            "reconstruction {:.4}, rsr {:.4}",
            report.reconstruction, report.rsr
        ));
        self.bar.inc(1);
        if interrupt::requested() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
