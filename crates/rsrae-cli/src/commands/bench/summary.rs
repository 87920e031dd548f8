//! Medians, paired ratios and the printed table of a benchmark.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::Serialize;

use super::child::{median, ChildResult};
use super::machine::Machine;
use super::Workload;

/// The side of a comparison that rsrae runs are filed under.
pub const RSRAE: &str = "rsrae";

/// One measured child process.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The workload's name.
    pub workload: String,
    /// Training rows of a scaling run.
    pub samples: Option<usize>,
    /// The thread count the run was given.
    pub threads: usize,
    /// `rsrae` or the reference's label.
    pub side: String,
    /// The round, from 1; runs of one round ran back to back.
    pub repeat: usize,
    /// The run's result.
    pub result: ChildResult,
}

/// The runs of one side for one workload and thread count.
#[derive(Debug, Clone, Serialize)]
pub struct SideSummary {
    /// `rsrae` or the reference's label.
    pub side: String,
    /// Median of the runs' headline figures.
    pub median: f64,
    /// Smallest headline figure.
    pub min: f64,
    /// Largest headline figure.
    pub max: f64,
    /// Number of runs.
    pub runs: usize,
    /// Median of the runs' 1-minute load averages.
    pub load_average_median: Option<f64>,
    /// Median over runs of the median CPU seconds per epoch or pass (rsrae only).
    pub cpu_seconds_median: Option<f64>,
    /// Median over runs of the summed seconds per epoch or pass that the threads waited
    /// for a CPU (rsrae only).
    pub wait_seconds_median: Option<f64>,
    /// Median ratio rsrae ÷ this side over the rounds that measured both, so that each
    /// ratio compares runs made seconds apart; `None` for rsrae itself.
    pub ratio_to_rsrae: Option<f64>,
}

/// All sides of one workload and thread count.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryRow {
    /// The workload's name.
    pub workload: String,
    /// Training rows of a scaling row.
    pub samples: Option<usize>,
    /// The thread count.
    pub threads: usize,
    /// Unit of the figures.
    pub unit: String,
    /// One entry per side, rsrae first.
    pub sides: Vec<SideSummary>,
}

/// The whole benchmark record, printed as JSON with `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// The machine and when the benchmark started.
    pub machine: Machine,
    /// Rounds of every workload and thread count.
    pub repeats: usize,
    /// Epochs of each training run.
    pub epochs: usize,
    /// The reference's `--loader`, when a reference ran.
    pub reference_loader: Option<String>,
    /// The 1-minute load average when the benchmark ended.
    pub load_average_end: Option<f64>,
    /// Medians and ratios.
    pub summary: Vec<SummaryRow>,
    /// Every run.
    pub runs: Vec<Run>,
}

/// Groups `runs` by workload, rows and threads, in the order they first appear.
pub fn summarize(runs: &[Run]) -> Vec<SummaryRow> {
    let mut keys: Vec<(String, Option<usize>, usize)> = Vec::new();
    for run in runs {
        let key = (run.workload.clone(), run.samples, run.threads);
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys.into_iter()
        .map(|(workload, samples, threads)| {
            let group: Vec<&Run> = runs
                .iter()
                .filter(|r| r.workload == workload && r.samples == samples && r.threads == threads)
                .collect();
            summarize_group(workload, samples, threads, &group)
        })
        .collect()
}

fn summarize_group(
    workload: String,
    samples: Option<usize>,
    threads: usize,
    group: &[&Run],
) -> SummaryRow {
    let mut sides: Vec<String> = vec![RSRAE.to_string()];
    for run in group {
        if !sides.contains(&run.side) {
            sides.push(run.side.clone());
        }
    }
    let unit = group
        .first()
        .map_or(String::new(), |r| r.result.unit.clone());
    let sides = sides
        .iter()
        .filter_map(|side| summarize_side(side, group))
        .collect();
    SummaryRow {
        workload,
        samples,
        threads,
        unit,
        sides,
    }
}

fn summarize_side(side: &str, group: &[&Run]) -> Option<SideSummary> {
    let runs: Vec<&&Run> = group.iter().filter(|r| r.side == side).collect();
    if runs.is_empty() {
        return None;
    }
    let values: Vec<f64> = runs.iter().map(|r| r.result.value).collect();
    let loads: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.result.load_average_1min)
        .collect();
    let ratio_to_rsrae = (side != RSRAE).then(|| paired_ratio(side, group)).flatten();
    let median_of = |field: fn(&ChildResult) -> &Vec<f64>| {
        let medians: Vec<f64> = runs
            .iter()
            .map(|r| field(&r.result))
            .filter(|values| !values.is_empty())
            .map(|values| median(values))
            .collect();
        (!medians.is_empty()).then(|| median(&medians))
    };
    Some(SideSummary {
        side: side.to_string(),
        median: median(&values),
        min: values.iter().copied().fold(f64::INFINITY, f64::min),
        max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        runs: values.len(),
        load_average_median: (!loads.is_empty()).then(|| median(&loads)),
        cpu_seconds_median: median_of(|r| &r.cpu_seconds),
        wait_seconds_median: median_of(|r| &r.wait_seconds),
        ratio_to_rsrae,
    })
}

/// Median over rounds of rsrae's figure divided by `side`'s figure in the same round.
fn paired_ratio(side: &str, group: &[&Run]) -> Option<f64> {
    let rounds: BTreeSet<usize> = group.iter().map(|r| r.repeat).collect();
    let value = |side: &str, round: usize| {
        group
            .iter()
            .find(|r| r.side == side && r.repeat == round)
            .map(|r| r.result.value)
    };
    let ratios: Vec<f64> = rounds
        .into_iter()
        .filter_map(|round| Some(value(RSRAE, round)? / value(side, round)?))
        .collect();
    (!ratios.is_empty()).then(|| median(&ratios))
}

/// Renders the text table: one line per workload, thread count and side.
pub fn render(report: &BenchReport) -> String {
    let mut out = String::new();
    let machine = &report.machine;
    let _ = writeln!(
        out,
        "{} ({} CPUs, {}), {} UTC, load average at start {}",
        machine.cpu_model.as_deref().unwrap_or("unknown CPU"),
        machine.cpus,
        machine.simd_flags.join(" "),
        machine.date_utc,
        machine
            .load_average_start
            .map_or("unknown".to_string(), |l| format!(
                "{:.2} {:.2} {:.2}",
                l[0], l[1], l[2]
            )),
    );
    let _ = writeln!(
        out,
        "medians of {} runs per row, each in a fresh process; ratio = rsrae / reference, \
         the median over rounds of runs made back to back; cpu s and wait s: CPU seconds \
         and run-queue seconds per epoch or pass",
        report.repeats
    );
    let _ = writeln!(
        out,
        "{:<13} {:>6} {:>7}  {:<19} {:>16} {:>17} {:>7} {:>5} {:>7} {:>7}",
        "workload",
        "rows",
        "threads",
        "side",
        "median",
        "min..max",
        "ratio",
        "load",
        "cpu s",
        "wait s"
    );
    for row in &report.summary {
        for side in &row.sides {
            let _ = writeln!(
                out,
                "{:<13} {:>6} {:>7}  {:<19} {:>16} {:>17} {:>7} {:>5} {:>7} {:>7}",
                row.workload,
                row.samples.map_or("-".to_string(), |s| s.to_string()),
                row.threads,
                side.side,
                format!("{} {}", format_value(side.median), row.unit),
                format!("{}..{}", format_value(side.min), format_value(side.max)),
                side.ratio_to_rsrae
                    .map_or(String::new(), |r| format!("{r:.3}")),
                side.load_average_median
                    .map_or(String::new(), |l| format!("{l:.2}")),
                side.cpu_seconds_median
                    .map_or(String::new(), |c| format!("{c:.3}")),
                side.wait_seconds_median
                    .map_or(String::new(), |w| format!("{w:.3}")),
            );
        }
    }
    render_derived(&report.summary, &mut out);
    out
}

/// Thread speed-up of rsrae's training and the per-sample cost of the scaling runs.
fn render_derived(summary: &[SummaryRow], out: &mut String) {
    let rsrae_median = |workload: &str, samples: Option<usize>, threads: usize| {
        summary
            .iter()
            .find(|r| r.workload == workload && r.samples == samples && r.threads == threads)
            .and_then(|r| r.sides.iter().find(|s| s.side == RSRAE))
            .map(|s| s.median)
    };
    if let (Some(one), Some(two)) = (
        rsrae_median("train", None, 1),
        rsrae_median("train", None, 2),
    ) {
        let _ = writeln!(
            out,
            "rsrae training, 2 threads vs 1: {:.2}x as fast",
            one / two
        );
    }
    for row in summary.iter().filter(|r| r.workload == "scaling") {
        if let (Some(samples), Some(side)) = (row.samples, row.sides.first()) {
            let _ = writeln!(
                out,
                "scaling, {} threads, {samples} rows: {:.1} µs per row and epoch",
                row.threads,
                side.median / samples as f64 * 1e6
            );
        }
    }
}

fn format_value(value: f64) -> String {
    if value >= 1000.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.3}")
    }
}

/// Returns the label of `workload` in records.
pub fn workload_name(workload: Workload) -> &'static str {
    match workload {
        Workload::Train => "train",
        Workload::Score => "score",
        Workload::MemoryTrain => "memory-train",
        Workload::MemoryFit => "memory-fit",
        Workload::Scaling(_) => "scaling",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(side: &str, repeat: usize, value: f64) -> Run {
        Run {
            workload: "train".to_string(),
            samples: None,
            threads: 1,
            side: side.to_string(),
            repeat,
            result: ChildResult {
                value,
                unit: "s/epoch".to_string(),
                samples: vec![value],
                rows: 10,
                matmul_threads: None,
                load_average_1min: Some(1.0),
                peak_rss_mib: None,
                peak_rss_mib_after_data_load: None,
                cpu_seconds: vec![value, 3.0 * value],
                wait_seconds: Vec::new(),
            },
        }
    }

    #[test]
    fn summary_pairs_rounds_for_ratios() {
        let runs = vec![
            run(RSRAE, 1, 1.0),
            run("torch", 1, 4.0),
            run(RSRAE, 2, 3.0),
            run("torch", 2, 3.0),
            run(RSRAE, 3, 2.0),
        ];
        let summary = summarize(&runs);
        assert_eq!(summary.len(), 1);
        let sides = &summary[0].sides;
        assert_eq!(sides[0].side, RSRAE);
        assert_eq!(sides[0].median, 2.0);
        assert_eq!(sides[0].runs, 3);
        assert_eq!(sides[0].ratio_to_rsrae, None);
        assert_eq!(sides[0].cpu_seconds_median, Some(4.0));
        assert_eq!(sides[0].wait_seconds_median, None);
        // Rounds 1 and 2 have both sides: ratios 0.25 and 1.0, median 0.625.
        assert_eq!(sides[1].ratio_to_rsrae, Some(0.625));
        assert_eq!(sides[1].median, 3.5);
    }

    #[test]
    fn median_of_even_odd_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
