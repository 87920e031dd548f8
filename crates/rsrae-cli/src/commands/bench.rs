//! `rsrae bench`: training, scoring and memory of rsrae against the PyTorch reference.
//!
//! Every measured run is a fresh child process; rsrae's is a copy of this binary started
//! with the hidden `--child` flag. Both sides thus start cold and get their thread count
//! from the environment: `MATMUL_NUM_THREADS` for rsrae, and `OMP_NUM_THREADS`,
//! `MKL_NUM_THREADS` and `--threads` for torch. Rounds interleave the sides, so each ratio
//! compares runs made seconds apart on a machine whose load may drift.

mod child;
mod machine;
mod reference;
mod summary;

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

use super::demo::data_dir;
use crate::cli::{BenchArgs, BenchChildArg, BenchWorkloadArg, LoaderArg, WaitPolicyArg};
use child::ChildResult;
use machine::Machine;
use reference::{Reference, Settings, WaitPolicy};
use summary::{BenchReport, Run, RSRAE};

/// One measured workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Epochs of the blog model on corrupted MNIST.
    Train,
    /// Scoring the 60,000 MNIST training images.
    Score,
    /// Peak memory of one epoch of the training loop on the 60,000 images.
    MemoryTrain,
    /// Peak memory of `RsraeParams::fit` for one epoch on the 60,000 images.
    MemoryFit,
    /// The second epoch on this many MNIST training images.
    Scaling(usize),
}

/// Checked options of a parent run.
struct BenchOptions {
    workloads: Vec<Workload>,
    threads: Vec<usize>,
    repeats: usize,
    settings: Settings,
    reference: Option<Reference>,
    policies: Vec<WaitPolicy>,
    quiet: bool,
    json: bool,
}

/// Runs `rsrae bench`.
pub fn run(args: &BenchArgs) -> Result<()> {
    let mnist_dir = data_dir(args.data_dir.as_ref())?.join("mnist");
    if let Some(child) = args.child {
        return run_child(args, child, &mnist_dir);
    }
    let options = options(args, mnist_dir)?;
    let report = measure(&options)?;
    if options.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", summary::render(&report));
    }
    Ok(())
}

/// Builds the checked options, holding every cross-flag rule.
fn options(args: &BenchArgs, mnist_dir: PathBuf) -> Result<BenchOptions> {
    let counts = [
        ("--repeats", args.repeats),
        ("--epochs", args.epochs),
        ("--score-passes", args.score_passes),
    ];
    if let Some((flag, _)) = counts.iter().find(|(_, value)| *value == 0) {
        bail!("invalid {flag} 0: --repeats, --epochs and --score-passes must be at least 1");
    }
    if args.threads.is_empty() || args.threads.contains(&0) {
        bail!("--threads must list thread counts of at least 1, such as --threads 1,2");
    }
    if let Some(threads) = super::first_repeated(&args.threads) {
        bail!("--threads lists {threads} twice; list each thread count once");
    }
    let reference = match &args.reference {
        Some(python) => {
            reference::check(python, &args.reference_script)?;
            let loader = match args.reference_loader {
                LoaderArg::Index => "index",
                LoaderArg::Dataloader => "dataloader",
            };
            Some(Reference {
                python: python.clone(),
                script: args.reference_script.clone(),
                loader,
            })
        }
        None => None,
    };
    let policies = args
        .omp_wait_policy
        .iter()
        .map(|p| match p {
            WaitPolicyArg::Default => WaitPolicy::Default,
            WaitPolicyArg::Passive => WaitPolicy::Passive,
        })
        .collect();
    Ok(BenchOptions {
        workloads: workloads(args)?,
        threads: args.threads.clone(),
        repeats: args.repeats,
        settings: Settings {
            mnist_dir,
            epochs: args.epochs,
            score_passes: args.score_passes,
            seed: args.seed,
        },
        reference,
        policies,
        quiet: args.output.quiet,
        json: args.output.json,
    })
}

fn workloads(args: &BenchArgs) -> Result<Vec<Workload>> {
    let mut list = Vec::new();
    for workload in &args.workloads {
        match workload {
            BenchWorkloadArg::Train => list.push(Workload::Train),
            BenchWorkloadArg::Score => list.push(Workload::Score),
            BenchWorkloadArg::Memory => list.extend([Workload::MemoryTrain, Workload::MemoryFit]),
            BenchWorkloadArg::Scaling => {
                if args.scaling_samples.contains(&0) {
                    bail!("--scaling-samples must list sample counts of at least 1");
                }
                list.extend(args.scaling_samples.iter().map(|&n| Workload::Scaling(n)));
            }
        }
    }
    Ok(list)
}

/// Runs every round: each workload and thread count once for rsrae, then once per
/// reference wait policy.
fn measure(options: &BenchOptions) -> Result<BenchReport> {
    let machine = Machine::describe();
    let mut runs = Vec::new();
    for repeat in 1..=options.repeats {
        for &workload in &options.workloads {
            for &threads in &options.threads {
                let rsrae = run_rsrae_child(workload, threads, &options.settings)?;
                record(options, &mut runs, workload, threads, repeat, RSRAE, rsrae);
                let Some(reference) = &options.reference else {
                    continue;
                };
                for &policy in &options.policies {
                    let result = reference.run(workload, threads, policy, &options.settings)?;
                    if let Some(result) = result {
                        record(
                            options,
                            &mut runs,
                            workload,
                            threads,
                            repeat,
                            policy.label(),
                            result,
                        );
                    }
                }
            }
        }
    }
    Ok(BenchReport {
        machine,
        repeats: options.repeats,
        epochs: options.settings.epochs,
        reference_loader: options.reference.as_ref().map(|r| r.loader.to_string()),
        load_average_end: machine::load_average(),
        summary: summary::summarize(&runs),
        runs,
    })
}

fn record(
    options: &BenchOptions,
    runs: &mut Vec<Run>,
    workload: Workload,
    threads: usize,
    repeat: usize,
    side: &str,
    result: ChildResult,
) {
    let samples = match workload {
        Workload::Scaling(n) => Some(n),
        _ => None,
    };
    let name = summary::workload_name(workload);
    if !options.quiet {
        eprintln!(
            "round {repeat}/{}: {name}{} threads={threads} {side}: {:.4} {} (load {})",
            options.repeats,
            samples.map_or(String::new(), |n| format!(" rows={n}")),
            result.value,
            result.unit,
            result
                .load_average_1min
                .map_or("unknown".to_string(), |l| format!("{l:.2}")),
        );
    }
    runs.push(Run {
        workload: name.to_string(),
        samples,
        threads,
        side: side.to_string(),
        repeat,
        result,
    });
}

/// Runs `workload` in a fresh copy of this binary with `threads` matrix-product threads.
fn run_rsrae_child(workload: Workload, threads: usize, settings: &Settings) -> Result<ChildResult> {
    let exe = std::env::current_exe().context("cannot find the path of the rsrae binary")?;
    let (child, samples) = match workload {
        Workload::Train => ("train", None),
        Workload::Score => ("score", None),
        Workload::MemoryTrain => ("memory-train", None),
        Workload::MemoryFit => ("memory-fit", None),
        Workload::Scaling(n) => ("scaling", Some(n)),
    };
    let mut cmd = Command::new(exe);
    cmd.args(["bench", "--child", child])
        .args(["--epochs", &settings.epochs.to_string()])
        .args(["--score-passes", &settings.score_passes.to_string()])
        .args(["--seed", &settings.seed.to_string()])
        .arg("--data-dir")
        .arg(settings.mnist_dir.parent().unwrap_or(&settings.mnist_dir));
    if let Some(n) = samples {
        cmd.args(["--samples", &n.to_string()]);
    }
    reference::set_thread_env(&mut cmd, threads, WaitPolicy::Default);
    let value = reference::run_json(cmd, &format!("the rsrae {child} child"))?;
    Ok(serde_json::from_value(value)?)
}

/// Runs one workload in this process and prints its result as JSON.
fn run_child(args: &BenchArgs, child: BenchChildArg, mnist_dir: &std::path::Path) -> Result<()> {
    let result = match child {
        BenchChildArg::Train => child::train(mnist_dir, args.epochs, args.seed)?,
        BenchChildArg::Score => child::score(mnist_dir, args.score_passes, args.seed)?,
        BenchChildArg::MemoryTrain => child::memory_train(mnist_dir, args.seed)?,
        BenchChildArg::MemoryFit => child::memory_fit(mnist_dir, args.seed)?,
        BenchChildArg::Scaling => {
            let samples = args.samples.context("the scaling child needs --samples")?;
            child::scaling(mnist_dir, samples, args.seed)?
        }
    };
    println!("{}", serde_json::to_string(&result)?);
    Ok(())
}
