//! The `rsrae` command-line tool.
//!
//! Exit codes: 0 on success (also when stdout is closed early), 2 on any error, 130 when
//! interrupted by Ctrl-C.

mod cli;
mod commands;
mod interrupt;
mod options;
mod output;
mod progress;
mod report;

use clap::Parser;

use cli::{Cli, Command};

fn run(cli: &Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Fit(args) => commands::fit::run(args),
        Command::Score(args) => commands::score::run(args),
        Command::Demo(args) => commands::demo::run(args),
        Command::Experiment(args) => commands::experiment::run(args),
        Command::Report(args) => commands::report::run(args),
        Command::Bench(args) => commands::bench::run(args),
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Checks whether training stopped on Ctrl-C, which happens before any output is written.
fn is_training_interrupt(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<rsrae::Error>(),
            Some(rsrae::Error::Train(
                rsrae::error::TrainError::Interrupted { .. }
            ))
        )
    })
}

fn main() {
    let cli = Cli::parse();
    interrupt::install();
    let code = match run(&cli) {
        Ok(()) => 0,
        Err(error) if is_broken_pipe(&error) => 0,
        Err(error) => {
            eprintln!("rsrae: {error:#}");
            let training = is_training_interrupt(&error);
            if training {
                eprintln!("rsrae: nothing was written");
            }
            if training || interrupt::requested() {
                interrupt::EXIT_CODE
            } else {
                2
            }
        }
    };
    std::process::exit(code);
}
