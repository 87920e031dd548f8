//! Run summaries (text or JSON on stdout) and score files written atomically.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rsrae::evaluate::Evaluation;
use serde::Serialize;

use crate::interrupt::{self, InterruptibleWriter};

/// What a command reports on stdout.
#[derive(Debug, Serialize)]
pub struct RunReport {
    /// The command that ran.
    pub command: &'static str,
    /// The data that was scored.
    pub input: String,
    /// Features per sample.
    pub n_features: usize,
    /// Recipe of the model.
    pub recipe: String,
    /// Seed of the model.
    pub seed: u64,
    /// Epochs trained, for commands that train.
    pub epochs: Option<usize>,
    /// Wall-clock seconds per training epoch, for commands that train.
    pub seconds_per_epoch: Option<f64>,
    /// Wall-clock seconds of the whole command.
    pub total_seconds: f64,
    /// The outlier threshold, absent when all training scores were equal.
    pub threshold: Option<f64>,
    /// Figures computed from the scores.
    #[serde(flatten)]
    pub evaluation: Evaluation,
    /// Warnings printed on stderr.
    pub warnings: Vec<String>,
}

/// Prints a warning on stderr and keeps it for the report.
pub fn warn(warnings: &mut Vec<String>, message: String) {
    eprintln!("rsrae: warning: {message}");
    warnings.push(message);
}

/// Prints the report as one JSON object or as text.
pub fn print_report(report: &RunReport, json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer(&mut out, report)?;
        writeln!(out)?;
    } else {
        write_text(&mut out, report)?;
    }
    out.flush()?;
    Ok(())
}

fn format_metric(value: Option<f64>) -> String {
    value.map_or_else(|| "undefined".to_string(), |v| format!("{v:.4}"))
}

fn write_text(out: &mut impl Write, r: &RunReport) -> std::io::Result<()> {
    let e = &r.evaluation;
    writeln!(
        out,
        "data           {} ({} samples × {} features)",
        r.input, e.n_samples, r.n_features
    )?;
    if let (Some(epochs), Some(spe)) = (r.epochs, r.seconds_per_epoch) {
        let unit = if epochs == 1 { "epoch" } else { "epochs" };
        writeln!(
            out,
            "training       {} recipe, {epochs} {unit}, {spe:.3} s per epoch, seed {}",
            r.recipe, r.seed
        )?;
    }
    match r.threshold {
        Some(t) => writeln!(
            out,
            "threshold      {t:.6} ({} samples flagged as outliers)",
            e.n_flagged
        )?,
        None => writeln!(out, "threshold      none: every training score was equal")?,
    }
    let s = &e.score_summary;
    writeln!(
        out,
        "scores         count {} mean {:.4} std {:.4} min {:.4} q1 {:.4} median {:.4} q3 {:.4} max {:.4}",
        s.count, s.mean, s.std, s.min, s.q1, s.median, s.q3, s.max
    )?;
    if let Some(n_outliers) = e.n_outliers {
        writeln!(out, "labelled       {n_outliers} outliers")?;
        writeln!(out, "ROC AUC        {}", format_metric(e.roc_auc))?;
        writeln!(out, "average prec.  {}", format_metric(e.average_precision))?;
        writeln!(out, "precision@n    {}", format_metric(e.precision_at_n))?;
        if let Some(reason) = &e.metrics_undefined {
            writeln!(out, "metrics        undefined: {reason}")?;
        }
    }
    if !e.mean_score_per_class.is_empty() {
        let means: Vec<String> = e
            .mean_score_per_class
            .iter()
            .map(|c| format!("{}: {:.4} (n={})", c.class, c.mean_score, c.count))
            .collect();
        writeln!(out, "mean per class {}", means.join(", "))?;
    }
    let top: Vec<String> = e
        .top_scores
        .iter()
        .map(|t| match t.class {
            Some(c) => format!("#{} class {c} ({:.3})", t.index, t.score),
            None => format!("#{} ({:.3})", t.index, t.score),
        })
        .collect();
    writeln!(out, "top scores     {}", top.join(", "))?;
    writeln!(out, "time           {:.1} s", r.total_seconds)
}

/// Writes `index,score,is_outlier[,label]` rows to `path` through a temporary file in the
/// same folder, so a failure leaves no partial file and any old file untouched.
pub fn write_scores(
    path: &Path,
    scores: &[f32],
    flags: &[bool],
    labels: Option<&[i64]>,
) -> Result<()> {
    stage_scores(path, scores, flags, labels)?.commit()
}

/// Writes the rows of [`write_scores`] into a staged file that is not yet in place.
pub fn stage_scores(
    path: &Path,
    scores: &[f32],
    flags: &[bool],
    labels: Option<&[i64]>,
) -> Result<StagedFile> {
    stage_atomic(path, |out| {
        let header = if labels.is_some() {
            "index,score,is_outlier,label"
        } else {
            "index,score,is_outlier"
        };
        writeln!(out, "{header}")?;
        for (i, (&score, &flag)) in scores.iter().zip(flags).enumerate() {
            write!(out, "{i},{score},{}", u8::from(flag))?;
            if let Some(labels) = labels {
                write!(out, ",{}", labels[i])?;
            }
            writeln!(out)?;
        }
        Ok(())
    })
}

/// Writes a file through a temporary sibling that is renamed into place once complete.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    stage_atomic(path, write)?.commit()
}

/// A complete file in a temporary sibling of its destination, not yet in place. Dropping
/// it removes the temporary file; Ctrl-C meanwhile makes [`StagedFile::commit`] fail.
pub struct StagedFile {
    file: tempfile::NamedTempFile,
    path: PathBuf,
    _guard: interrupt::Guard,
}

impl StagedFile {
    /// Renames the file into place, unless Ctrl-C was pressed since it was staged.
    pub fn commit(self) -> Result<()> {
        interrupt::check()?;
        let path = self.path;
        self.file
            .persist(&path)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }
}

/// Writes a file into a temporary sibling of `path` that [`StagedFile::commit`] renames
/// into place.
pub fn stage_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<StagedFile> {
    let guard = interrupt::guard();
    reject_folder(path)?;
    let context = || format!("cannot write {}", path.display());
    let file = temp_file_beside(path)?;
    let mut buffered = std::io::BufWriter::new(InterruptibleWriter(file));
    write(&mut buffered).with_context(context)?;
    let file = buffered
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(context)?
        .0;
    file.as_file().sync_all().with_context(context)?;
    Ok(StagedFile {
        file,
        path: path.to_path_buf(),
        _guard: guard,
    })
}

/// Checks, before any work, that `path` can take an output file: its folder exists and is
/// writable, it is not a folder, and it is none of `inputs`, which it would overwrite.
pub fn check_output_path(path: &Path, inputs: &[&Path]) -> Result<()> {
    reject_folder(path)?;
    if let Ok(target) = path.canonicalize() {
        let same = |input: &&&Path| input.canonicalize().is_ok_and(|i| i == target);
        if let Some(input) = inputs.iter().find(same) {
            bail!(
                "{} is also the input {}, which writing it would overwrite; choose another \
                 output path",
                path.display(),
                input.display()
            );
        }
    }
    temp_file_beside(path).map(drop)
}

fn reject_folder(path: &Path) -> Result<()> {
    if path.is_dir() {
        bail!(
            "{} is a folder; pass the path of a file to write",
            path.display()
        );
    }
    Ok(())
}

/// Creates an empty temporary file in the folder of `path`, readable as the user's umask
/// allows (`tempfile` alone would make it private to the owner).
fn temp_file_beside(path: &Path) -> Result<tempfile::NamedTempFile> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".rsrae-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(parent).with_context(|| {
        format!(
            "cannot create a file in {}; check that the folder exists and is writable",
            parent.display()
        )
    })
}
