//! Bad input and failures: every run either succeeds or exits with code 2 and one
//! `rsrae: ` message naming the file, the place, the value and the fix, and no failed run
//! leaves a partial output or replaces an earlier one.
//!
//! Each test writes tiny generated files into its own temporary folder and runs the binary
//! there, so messages name relative paths and can be compared in full.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

/// A temporary folder that is also the working directory of every run.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        Workspace {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) {
        std::fs::write(self.path(name), bytes).unwrap();
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut command = Command::cargo_bin("rsrae").unwrap();
        command.current_dir(self.dir.path()).args(args);
        command.output().unwrap()
    }

    /// Names in the folder, sorted, so that leftovers such as `.rsrae-*` files show.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts exit code 2 and that stderr is exactly `message` after the `rsrae: ` prefix.
fn assert_fails_with(output: &Output, message: &str) {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert_eq!(text, format!("rsrae: {message}\n"));
}

/// Asserts exit code 2, the `rsrae: ` prefix and each part somewhere in the message.
fn assert_fails_containing(output: &Output, parts: &[&str]) {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.starts_with("rsrae: "), "{text}");
    for part in parts {
        assert!(text.contains(part), "missing {part:?} in: {text}");
    }
}

fn assert_succeeds(output: &Output) {
    assert!(output.status.success(), "{}", stderr(output));
}

fn json(output: &Output) -> Value {
    assert_succeeds(output);
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

/// Reads the score column of a score file, asserting that every score is finite.
fn finite_scores(path: &Path) -> Vec<f64> {
    let text = std::fs::read_to_string(path).unwrap();
    let scores: Vec<f64> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse().unwrap())
        .collect();
    for (i, s) in scores.iter().enumerate() {
        assert!(s.is_finite(), "score {i} is {s}");
    }
    scores
}

/// Builds a deterministic CSV of `rows` rows and `cols` varied columns `c0…`.
fn varied_csv(rows: usize, cols: usize) -> String {
    let header: Vec<String> = (0..cols).map(|j| format!("c{j}")).collect();
    let mut text = header.join(",") + "\n";
    for i in 0..rows {
        let row: Vec<String> = (0..cols)
            .map(|j| {
                format!(
                    "{:.4}",
                    ((i * 31 + j * 17) as f64 * 0.37).sin() * (j + 1) as f64
                )
            })
            .collect();
        text += &(row.join(",") + "\n");
    }
    text
}

fn fit_args<'a>(input: &'a str, model: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["fit", "--quiet", "--input", input, "--model", model];
    args.extend_from_slice(extra);
    args
}

/// Reads every file of a folder with its bytes, to compare a model before and after a run.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).unwrap())
        })
        .collect();
    files.sort();
    files
}

// CSV input.

#[test]
fn empty_csv_rejected() {
    let ws = Workspace::new();
    ws.write("empty.csv", "");
    let output = ws.run(&fit_args("empty.csv", "model", &[]));
    assert_fails_with(
        &output,
        "empty.csv: file is empty; expected a header line such as f0,f1,label, then one line \
         per sample",
    );
    assert_eq!(ws.names(), vec!["empty.csv"]);
}

#[test]
fn header_only_csv_rejected() {
    let ws = Workspace::new();
    ws.write("header.csv", "f0,f1,label\n");
    let output = ws.run(&fit_args(
        "header.csv",
        "model",
        &["--label-column", "label"],
    ));
    assert_fails_with(
        &output,
        "header.csv: the file has a header but no data rows; add one line per sample",
    );
    assert_eq!(ws.names(), vec!["header.csv"]);
}

#[test]
fn ragged_row_names_line_and_counts() {
    let ws = Workspace::new();
    ws.write("ragged.csv", "a,b,c\n1,2,3\n4,5\n");
    let output = ws.run(&fit_args("ragged.csv", "model", &[]));
    assert_fails_with(
        &output,
        "ragged.csv: line 3 has 2 cells, but the header has 3 columns; every line needs one \
         cell per column",
    );
}

#[test]
fn non_numeric_cell_names_line_column_and_value() {
    let ws = Workspace::new();
    ws.write("text.csv", "a,b\n1,2\n3,abc\n");
    let output = ws.run(&fit_args("text.csv", "model", &[]));
    assert_fails_with(
        &output,
        "text.csv: line 3, column \"b\": \"abc\" is not a number; feature columns must be \
         numeric, so remove or encode this column",
    );
}

#[test]
fn missing_values_reported_with_count_and_first_positions() {
    let ws = Workspace::new();
    ws.write("gaps.csv", "a,b\n1,NaN\ninf,2\n3,\n4,-Infinity\n");
    let output = ws.run(&fit_args("gaps.csv", "model", &[]));
    assert_fails_with(
        &output,
        "gaps.csv: 4 cells are NaN, infinite or empty (first at line 2 column \"b\" (\"NaN\"), \
         line 3 column \"a\" (\"inf\"), line 4 column \"b\" (empty), line 5 column \"b\" \
         (\"-Infinity\")); remove or impute these values before loading the file",
    );
    assert_eq!(ws.names(), vec!["gaps.csv"]);
}

#[test]
fn quoted_numbers_accepted() {
    let ws = Workspace::new();
    ws.write(
        "quoted.csv",
        "\"a\",b\n\"1.5\",\" 2 \"\n\"-3\",4\n\"0.25\",\"1e1\"\n",
    );
    let output = ws.run(&fit_args(
        "quoted.csv",
        "model",
        &["--epochs", "2", "--scores", "s.csv"],
    ));
    assert_succeeds(&output);
    assert_eq!(finite_scores(&ws.path("s.csv")).len(), 3);
}

#[test]
fn missing_label_column_lists_columns() {
    let ws = Workspace::new();
    ws.write("data.csv", "f0,f1,y\n1,2,0\n");
    let output = ws.run(&fit_args("data.csv", "model", &["--label-column", "label"]));
    assert_fails_with(
        &output,
        "data.csv: label column \"label\" not found; the header has the columns \"f0\", \"f1\", \
         \"y\", so pass one of them as the label column, or none",
    );
}

#[test]
fn label_outside_zero_one_names_row_and_value() {
    let ws = Workspace::new();
    ws.write("data.csv", "a,b,label\n1,2,0\n3,4,2\n5,1,1\n");
    let output = ws.run(&fit_args("data.csv", "model", &["--label-column", "label"]));
    assert_fails_with(
        &output,
        "data.csv: label column \"label\" has the value 2 in data row 2; labels must be 1 for \
         an outlier and 0 for an inlier",
    );
    assert_eq!(ws.names(), vec!["data.csv"]);
}

#[test]
fn non_integer_label_rejected() {
    let ws = Workspace::new();
    ws.write("data.csv", "a,label\n1,0\n2,yes\n");
    let output = ws.run(&fit_args("data.csv", "model", &["--label-column", "label"]));
    assert_fails_with(
        &output,
        "data.csv: line 3, label column \"label\": \"yes\" is not an integer; labels must be \
         integer classes, such as 1 for an outlier and 0 for an inlier",
    );
}

// Constant data.

#[test]
fn constant_column_warns_and_still_scores() {
    let ws = Workspace::new();
    let mut text = String::from("a,flat,b\n");
    for i in 0..30 {
        text += &format!("{},7,{}\n", i % 5, (i * 3) % 4);
    }
    ws.write("data.csv", &text);
    let report = json(&ws.run(&fit_args(
        "data.csv",
        "model",
        &["--epochs", "3", "--json", "--scores", "s.csv"],
    )));
    let warning = "column \"flat\" is constant, so it carries no information";
    assert!(report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w == warning));
    assert!(report["threshold"].as_f64().is_some());
    assert_eq!(finite_scores(&ws.path("s.csv")).len(), 30);

    let output = ws.run(&[
        "score", "-q", "--model", "model", "--input", "data.csv", "--output", "t.csv",
    ]);
    assert_succeeds(&output);
    assert_eq!(finite_scores(&ws.path("t.csv")).len(), 30);
}

#[test]
fn all_zero_matrix_reports_no_threshold() {
    let ws = Workspace::new();
    ws.write("zero.csv", "a,b\n0,0\n0,0\n0,0\n0,0\n");
    let report = json(&ws.run(&fit_args(
        "zero.csv",
        "model",
        &["--epochs", "2", "--json", "--scores", "s.csv"],
    )));
    assert_eq!(report["threshold"], Value::Null);
    assert_eq!(report["n_flagged"], 0);
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("every training score is equal"),
        "{warnings}"
    );
    assert!(warnings.contains("no threshold was set"), "{warnings}");
    let scores = finite_scores(&ws.path("s.csv"));
    assert!(scores.iter().all(|&s| s == scores[0]), "{scores:?}");

    let output = ws.run(&[
        "score", "--json", "--model", "model", "--input", "zero.csv", "--output", "t.csv",
    ]);
    let report = json(&output);
    assert_eq!(report["threshold"], Value::Null);
    assert!(stderr(&output).contains("the model has no threshold"));
    let rows = std::fs::read_to_string(ws.path("t.csv")).unwrap();
    assert!(rows.lines().skip(1).all(|l| l.ends_with(",0")), "{rows}");
}

// Few rows, many columns.

#[test]
fn small_row_counts_train_and_score() {
    // Fewer rows than a batch, one and two rows, and a final batch of one row.
    let cases: [(usize, &[&str]); 4] = [
        (10, &[]),
        (1, &[]),
        (2, &[]),
        (65, &["--batch-size", "64", "--keep-last"]),
    ];
    for (rows, extra) in cases {
        let ws = Workspace::new();
        ws.write("data.csv", varied_csv(rows, 4));
        let mut args = vec!["--epochs", "3", "--scores", "s.csv"];
        args.extend_from_slice(extra);
        assert_succeeds(&ws.run(&fit_args("data.csv", "model", &args)));
        assert_eq!(finite_scores(&ws.path("s.csv")).len(), rows, "{rows} rows");

        let output = ws.run(&[
            "score", "-q", "--model", "model", "--input", "data.csv", "--output", "t.csv",
        ]);
        assert_succeeds(&output);
        assert_eq!(finite_scores(&ws.path("t.csv")).len(), rows, "{rows} rows");
    }
}

#[test]
fn single_row_columns_are_constant() {
    let ws = Workspace::new();
    ws.write("one.csv", varied_csv(1, 3));
    let report = json(&ws.run(&fit_args("one.csv", "model", &["--epochs", "2", "--json"])));
    let warnings = report["warnings"].to_string();
    assert!(
        warnings.contains("column \\\"c2\\\" is constant"),
        "{warnings}"
    );
    assert_eq!(report["threshold"], Value::Null);
}

#[test]
fn more_columns_than_rows_trains() {
    let ws = Workspace::new();
    ws.write("wide.csv", varied_csv(5, 60));
    let output = ws.run(&fit_args(
        "wide.csv",
        "model",
        &["--epochs", "2", "--scores", "s.csv"],
    ));
    assert_succeeds(&output);
    assert_eq!(finite_scores(&ws.path("s.csv")).len(), 5);
}

#[test]
fn very_wide_input_rejected_with_memory_estimate() {
    let ws = Workspace::new();
    ws.write("wide.csv", varied_csv(3, 20_000));
    let output = ws.run(&fit_args("wide.csv", "model", &["--max-memory", "1G"]));
    assert_fails_with(
        &output,
        "fitting needs about 6.7 GiB (6.7 GiB for 451967816 parameters with their gradients \
         and AdamW moments, 1.4 MiB for activations of batches of 3 rows, 234.4 KiB for the \
         data), more than the 1.0 GiB limit set with --max-memory; use fewer columns, narrower \
         --encoder-widths or a smaller --batch-size, or set the limit with --max-memory",
    );
    assert_eq!(ws.names(), vec!["wide.csv"]);
}

#[test]
fn single_column_needs_encoder_widths() {
    let ws = Workspace::new();
    ws.write("one.csv", "x\n1\n2\n3\n4\n");
    let output = ws.run(&fit_args("one.csv", "model", &[]));
    assert_fails_with(
        &output,
        "invalid architecture: the data has 1 column, so the default latent width D is 1 and \
         leaves no room for a subspace of d < D; pass --encoder-widths ending in 2 or more, \
         such as --encoder-widths 8,2",
    );
    let args = [
        "--epochs",
        "2",
        "--encoder-widths",
        "8,2",
        "--scores",
        "s.csv",
    ];
    assert_succeeds(&ws.run(&fit_args("one.csv", "model", &args)));
    assert_eq!(finite_scores(&ws.path("s.csv")).len(), 4);
}

// Scoring data that does not fit the model.

fn fitted_workspace() -> Workspace {
    let ws = Workspace::new();
    ws.write("train.csv", varied_csv(40, 3));
    assert_succeeds(&ws.run(&fit_args("train.csv", "model", &["--epochs", "2"])));
    ws
}

fn score(ws: &Workspace, model: &str, input: &str) -> Output {
    ws.run(&[
        "score", "-q", "--model", model, "--input", input, "--output", "out.csv",
    ])
}

#[test]
fn score_with_other_column_count_rejected() {
    let ws = fitted_workspace();
    ws.write("narrow.csv", varied_csv(4, 2));
    assert_fails_with(
        &score(&ws, "model", "narrow.csv"),
        "narrow.csv: the data has 2 columns but the model was fitted on 3; score data with the \
         same columns as the training data",
    );
    assert!(!ws.path("out.csv").exists());
}

#[test]
fn score_with_renamed_column_rejected() {
    let ws = fitted_workspace();
    ws.write("renamed.csv", "c0,x,c2\n1,2,3\n");
    assert_fails_with(
        &score(&ws, "model", "renamed.csv"),
        "renamed.csv: column 2 is named \"x\" but the model was fitted with \"c1\" there; score \
         data with the same columns in the same order",
    );
}

#[test]
fn one_class_labels_leave_metrics_undefined() {
    let ws = Workspace::new();
    let mut text = String::from("a,b,label\n");
    for i in 0..20 {
        text += &format!("{},{},0\n", i % 7, (i * 5) % 3);
    }
    ws.write("data.csv", &text);
    let args = [
        "--label-column",
        "label",
        "--epochs",
        "2",
        "--json",
        "--scores",
        "s.csv",
    ];
    let report = json(&ws.run(&fit_args("data.csv", "model", &args)));
    assert_eq!(report["roc_auc"], Value::Null);
    assert_eq!(report["average_precision"], Value::Null);
    assert_eq!(
        report["metrics_undefined"],
        "only one class in the labels: 0 outliers among 20 samples; the metric needs both \
         outliers and inliers"
    );
    assert_eq!(finite_scores(&ws.path("s.csv")).len(), 20);
    let rows = std::fs::read_to_string(ws.path("s.csv")).unwrap();
    assert!(rows.starts_with("index,score,is_outlier,label\n"), "{rows}");
}

// IDX input.

fn idx_bytes(magic: u32, dims: &[u32], payload: &[u8]) -> Vec<u8> {
    let mut bytes = magic.to_be_bytes().to_vec();
    for d in dims {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(payload);
    bytes
}

#[test]
fn idx_wrong_magic_rejected() {
    let ws = Workspace::new();
    ws.write("x-images-idx3-ubyte", idx_bytes(2049, &[2], &[1, 2]));
    let output = ws.run(&fit_args("x-images-idx3-ubyte", "model", &[]));
    assert_fails_with(
        &output,
        "x-images-idx3-ubyte: wrong IDX magic number 2049 (0x00000801), expected 2051 \
         (0x00000803); this is a label file, so pass the image file instead",
    );
}

#[test]
fn idx_truncated_rejected() {
    let ws = Workspace::new();
    ws.write("x-images-idx3-ubyte", idx_bytes(2051, &[2, 3, 3], &[7; 17]));
    let output = ws.run(&fit_args("x-images-idx3-ubyte", "model", &[]));
    assert_fails_with(
        &output,
        "x-images-idx3-ubyte: the header declares 2 images of 3×3 bytes (18 bytes), but the \
         file holds 17 bytes after its 16-byte header; the file is truncated, so download it \
         again",
    );
}

#[test]
fn idx_count_larger_than_file_rejected() {
    let ws = Workspace::new();
    ws.write("x-images-idx3-ubyte", idx_bytes(2051, &[1, 2, 2], &[7; 9]));
    let output = ws.run(&fit_args("x-images-idx3-ubyte", "model", &[]));
    assert_fails_with(
        &output,
        "x-images-idx3-ubyte: the header declares 1 images of 2×2 bytes (4 bytes), but the \
         file holds 9 bytes after its 16-byte header; the file is not a valid IDX file",
    );
}

#[test]
fn idx_label_count_mismatch_rejected() {
    let ws = Workspace::new();
    ws.write("x-images-idx3-ubyte", idx_bytes(2051, &[3, 2, 2], &[9; 12]));
    ws.write("x-labels-idx1-ubyte", idx_bytes(2049, &[2], &[1, 2]));
    let output = ws.run(&fit_args("x-images-idx3-ubyte", "model", &[]));
    assert_fails_with(
        &output,
        "x-labels-idx1-ubyte has 2 labels, but x-images-idx3-ubyte has 3 images; use the label \
         file that belongs to the images",
    );
}

#[test]
fn idx_zero_images_rejected() {
    let ws = Workspace::new();
    ws.write(
        "x-images-idx3-ubyte",
        idx_bytes(2051, &[0, 525_101, 7_939], &[]),
    );
    let output = ws.run(&fit_args("x-images-idx3-ubyte", "model", &[]));
    assert_fails_with(
        &output,
        "x-images-idx3-ubyte: the header declares 0 images of 525101×7939 pixels, so the file \
         holds no data; use a file with at least one image",
    );
}

// Damaged model directories.

#[test]
fn score_with_missing_weights_rejected() {
    let ws = fitted_workspace();
    std::fs::remove_file(ws.path("model/model.safetensors")).unwrap();
    assert_fails_with(
        &score(&ws, "model", "train.csv"),
        "cannot load the model from model: model model/model.safetensors: not found; the model \
         directory is incomplete, so refit the model",
    );
    assert!(!ws.path("out.csv").exists());
}

#[test]
fn score_with_missing_model_dir_rejected() {
    let ws = fitted_workspace();
    assert_fails_with(
        &score(&ws, "absent", "train.csv"),
        "cannot load the model from absent: model absent/config.json: not found; pass the \
         directory that `rsrae fit --model DIR` wrote",
    );
}

#[test]
fn score_with_newer_format_rejected() {
    let ws = fitted_workspace();
    let path = ws.path("model/config.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("\"format_version\": 2", "\"format_version\": 3"),
    )
    .unwrap();
    assert_fails_with(
        &score(&ws, "model", "train.csv"),
        "cannot load the model from model: model model/config.json: format version 3 is newer \
         than this rsrae reads (2); upgrade rsrae",
    );
}

#[test]
fn score_with_weights_of_other_model_rejected() {
    let ws = fitted_workspace();
    ws.write("wide.csv", varied_csv(40, 5));
    assert_succeeds(&ws.run(&fit_args("wide.csv", "wide", &["--epochs", "2"])));
    std::fs::copy(
        ws.path("wide/model.safetensors"),
        ws.path("model/model.safetensors"),
    )
    .unwrap();
    assert_fails_containing(
        &score(&ws, "model", "train.csv"),
        &[
            "cannot load the model from model: model model/model.safetensors: tensor",
            "but config.json expects F32",
            "the weights and configuration come from different models",
        ],
    );
}

#[test]
fn score_with_truncated_weights_rejected() {
    let ws = fitted_workspace();
    let path = ws.path("model/model.safetensors");
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(40).unwrap();
    assert_fails_containing(
        &score(&ws, "model", "train.csv"),
        &[
            "model model/model.safetensors: the file has 40 bytes, but config.json describes",
            "the file is truncated or belongs to another model, so refit the model",
        ],
    );
}

#[test]
fn score_with_tampered_weights_rejected() {
    let ws = fitted_workspace();
    let path = ws.path("model/model.safetensors");
    let mut bytes = std::fs::read(&path).unwrap();
    let end = bytes.len();
    bytes[end - 4..].copy_from_slice(&f32::INFINITY.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
    assert_fails_containing(
        &score(&ws, "model", "train.csv"),
        &["is inf; the file is corrupted, refit the model"],
    );
}

// Training that fails.

#[test]
fn diverging_training_names_epoch_step_and_lower_lr() {
    let ws = Workspace::new();
    ws.write("data.csv", varied_csv(200, 3));
    let output = ws.run(&fit_args(
        "data.csv",
        "model",
        &["--lr", "1e30", "--epochs", "5"],
    ));
    assert_fails_with(
        &output,
        "training diverged at epoch 1, step 2: the reconstruction loss is NaN; lower the \
         learning rate (for example --lr 1e29)",
    );
    assert_eq!(ws.names(), vec!["data.csv"], "no model folder is created");
}

// Output paths.

#[test]
fn unwritable_output_folder_leaves_nothing() {
    let ws = fitted_workspace();
    ws.write("file", "not a folder");
    let before = ws.names();
    for output in ["absent/out.csv", "file/out.csv"] {
        let run = ws.run(&[
            "score",
            "-q",
            "--model",
            "model",
            "--input",
            "train.csv",
            "--output",
            output,
        ]);
        let folder = output.split('/').next().unwrap();
        let message = format!("cannot create a file in {folder}; check that the folder exists");
        assert_fails_containing(&run, &[&message]);
        assert_eq!(ws.names(), before);
    }
}

#[test]
fn output_that_is_a_folder_rejected() {
    let ws = fitted_workspace();
    let run = ws.run(&[
        "score",
        "-q",
        "--model",
        "model",
        "--input",
        "train.csv",
        "--output",
        "model",
    ]);
    assert_fails_with(&run, "model is a folder; pass the path of a file to write");
}

#[test]
fn output_equal_to_input_rejected() {
    let ws = fitted_workspace();
    let before = std::fs::read(ws.path("train.csv")).unwrap();
    let run = ws.run(&[
        "score",
        "-q",
        "--model",
        "model",
        "--input",
        "train.csv",
        "--output",
        "./train.csv",
    ]);
    assert_fails_with(
        &run,
        "./train.csv is also the input train.csv, which writing it would overwrite; choose \
         another output path",
    );
    assert_eq!(std::fs::read(ws.path("train.csv")).unwrap(), before);
}

#[test]
fn model_path_checked_before_training() {
    let ws = Workspace::new();
    ws.write("data.csv", varied_csv(50, 3));
    std::fs::create_dir(ws.path("results")).unwrap();
    ws.write("results/notes.txt", "keep me");
    let start = Instant::now();
    let output = ws.run(&fit_args("data.csv", "results", &["--epochs", "100000"]));
    assert_fails_with(
        &output,
        "model results: exists and contains \"notes.txt\", which is not part of an rsrae model, \
         so saving would delete it; choose another --model path or empty the folder",
    );
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "it trained first"
    );
    assert_eq!(
        std::fs::read(ws.path("results/notes.txt")).unwrap(),
        b"keep me"
    );

    let output = ws.run(&fit_args("data.csv", "absent/model", &[]));
    assert_fails_with(
        &output,
        "model absent/model: absent does not exist; create that folder or choose another \
         --model path",
    );
}

// Earlier outputs survive failed runs.

#[test]
fn failed_fit_keeps_previous_model() {
    let ws = fitted_workspace();
    ws.write("scores.csv", "earlier scores\n");
    let model_before = snapshot(&ws.path("model"));
    let names_before = ws.names();

    // Training diverges, after the output paths were checked.
    let args = ["--lr", "1e30", "--scores", "scores.csv"];
    let output = ws.run(&fit_args("train.csv", "model", &args));
    assert_fails_containing(&output, &["training diverged"]);
    // The scores path is invalid, which stops the run before training.
    let args = ["--epochs", "2", "--scores", "absent/s.csv"];
    let output = ws.run(&fit_args("train.csv", "model", &args));
    assert_fails_containing(&output, &["cannot create a file in absent"]);

    assert_eq!(snapshot(&ws.path("model")), model_before);
    assert_eq!(ws.names(), names_before);
    let scores = std::fs::read_to_string(ws.path("scores.csv")).unwrap();
    assert_eq!(scores, "earlier scores\n");
}

#[test]
fn failed_score_keeps_previous_output() {
    let ws = fitted_workspace();
    assert_succeeds(&score(&ws, "model", "train.csv"));
    let before = std::fs::read(ws.path("out.csv")).unwrap();
    let names_before = ws.names();

    ws.write("narrow.csv", varied_csv(4, 2));
    assert_fails_containing(&score(&ws, "model", "narrow.csv"), &["2 columns"]);
    ws.write("gaps.csv", "c0,c1,c2\n1,,3\n");
    assert_fails_containing(&score(&ws, "model", "gaps.csv"), &["empty"]);
    assert_fails_containing(&score(&ws, "absent", "train.csv"), &["not found"]);

    assert_eq!(std::fs::read(ws.path("out.csv")).unwrap(), before);
    let mut expected = names_before;
    expected.extend(["gaps.csv".to_owned(), "narrow.csv".to_owned()]);
    expected.sort();
    assert_eq!(ws.names(), expected);
}

// Ctrl-C and a full disk.

#[test]
fn interrupt_during_training_exits_130_without_model() {
    let ws = Workspace::new();
    ws.write("data.csv", varied_csv(2000, 20));
    let binary = assert_cmd::cargo::cargo_bin("rsrae");
    let mut child = std::process::Command::new(binary)
        .current_dir(ws.dir.path())
        .args(fit_args("data.csv", "model", &["--epochs", "100000"]))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();

    std::thread::sleep(Duration::from_millis(1500));
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: `kill` only sends a signal to the child process started above.
    let sent = unsafe { libc::kill(pid, libc::SIGINT) };
    assert_eq!(sent, 0, "SIGINT was sent");
    let sent_at = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if sent_at.elapsed() > Duration::from_secs(5) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("rsrae still ran 5 s after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };

    let mut text = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut text).unwrap();
    assert_eq!(status.code(), Some(130), "{text}");
    assert!(
        text.starts_with("rsrae: training interrupted at epoch "),
        "{text}"
    );
    assert!(text.ends_with("rsrae: nothing was written\n"), "{text}");
    assert_eq!(
        ws.names(),
        vec!["data.csv"],
        "no model and no temporary files"
    );
}

/// Mounts a 64 KiB tmpfs, which needs root; `None` with a note where that is not possible.
fn small_tmpfs(ws: &Workspace) -> Option<PathBuf> {
    let mount_point = ws.path("full");
    std::fs::create_dir(&mount_point).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&mount_point)
        .output()
        .is_ok_and(|o| o.status.success());
    if !mounted {
        eprintln!(
            "note: cannot mount a tmpfs here (root is needed), so the full-disk test is skipped"
        );
        return None;
    }
    Some(mount_point)
}

fn unmount(mount_point: &Path) {
    let status = std::process::Command::new("umount")
        .arg(mount_point)
        .status()
        .unwrap();
    assert!(status.success(), "umount failed");
}

#[test]
fn full_disk_leaves_no_partial_file() {
    let ws = Workspace::new();
    let Some(full) = small_tmpfs(&ws) else { return };
    ws.write("data.csv", varied_csv(6000, 3));
    ws.write("wide.csv", varied_csv(20, 300));
    // The scores of 6000 rows and the weights of a 300-column model exceed 64 KiB.
    let scores = ws.run(&fit_args(
        "data.csv",
        "model",
        &["--epochs", "1", "--scores", "full/scores.csv"],
    ));
    let model = ws.run(&fit_args("wide.csv", "full/model", &["--epochs", "1"]));
    let left: Vec<String> = std::fs::read_dir(&full)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    unmount(&full);

    assert_fails_containing(
        &scores,
        &["cannot write full/scores.csv", "No space left on device"],
    );
    assert_fails_containing(
        &model,
        &["cannot save the model to full/model", "No space left"],
    );
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(
        !ws.path("model").exists(),
        "the model is not saved without its scores"
    );
}

#[test]
fn overflowing_row_named_instead_of_nan_score() {
    let ws = Workspace::new();
    ws.write("train.csv", varied_csv(100, 20));
    assert_succeeds(&ws.run(&fit_args("train.csv", "model", &["--epochs", "3"])));
    let mut text = varied_csv(0, 20);
    for k in 0..6 {
        let row: Vec<&str> = (0..20)
            .map(|j| {
                if (j * (k + 1)) % 3 == 0 {
                    "-3e38"
                } else {
                    "3e38"
                }
            })
            .collect();
        text += &(row.join(",") + "\n");
    }
    ws.write("extreme.csv", &text);
    let output = score(&ws, "model", "extreme.csv");
    assert_fails_containing(
        &output,
        &[
            "rsrae: extreme.csv: data row ",
            " scores NaN because its values overflow the network (its largest value is ",
            "check that row, or rescale the data to the range of the training data",
        ],
    );
    assert!(!ws.path("out.csv").exists());
}

#[test]
fn scores_inside_model_folder_rejected() {
    let ws = fitted_workspace();
    let before = snapshot(&ws.path("model"));
    let output = ws.run(&fit_args(
        "train.csv",
        "model",
        &["--scores", "model/s.csv"],
    ));
    assert_fails_with(
        &output,
        "model/s.csv is inside the --model folder model, which saving the model replaces; \
         write it elsewhere",
    );
    assert_eq!(snapshot(&ws.path("model")), before);
}

#[test]
fn label_only_csv_rejected() {
    let ws = Workspace::new();
    ws.write("labels.csv", "label\n0\n1\n");
    let output = ws.run(&fit_args(
        "labels.csv",
        "model",
        &["--label-column", "label"],
    ));
    assert_fails_with(
        &output,
        "labels.csv: the only column is the label column \"label\"; add the feature columns",
    );
}

#[test]
fn experiment_rejects_a_class_outside_the_data_set() {
    let Ok(root) = std::env::var("RSRAE_DATA_DIR") else {
        return;
    };
    let ws = Workspace::new();
    let args = ["--methods", "pca", "--c", "0.1", "--output", "out"];
    for (dataset, class, last) in [("fashion-mnist", "10", 9), ("20newsgroups", "20", 19)] {
        let mut run = vec!["experiment", "--data-dir", &root, "--dataset", dataset];
        run.extend(["--classes", class]);
        run.extend(args);
        let output = ws.run(&run);
        assert_fails_with(
            &output,
            &format!("invalid --classes {class}: {dataset} has classes 0 to {last}"),
        );
    }
    assert!(ws.names().is_empty(), "{:?}", ws.names());
}

#[test]
fn experiment_rejects_zero_runs_and_repeated_values() {
    let ws = Workspace::new();
    let cases: [(&[&str], &str); 3] = [
        (
            &["--runs", "0"],
            "invalid --runs 0: pass at least 1 run per class and ratio",
        ),
        (
            &["--c", "0.1,0.1"],
            "--c lists 0.1 twice; list each ratio once",
        ),
        (
            &["--methods", "pca,ae,pca"],
            "--methods lists pca twice; list each method once",
        ),
    ];
    for (flags, message) in cases {
        let mut run = vec!["experiment", "--output", "out"];
        run.extend(flags);
        assert_fails_with(&ws.run(&run), message);
    }
    assert!(ws.names().is_empty(), "{:?}", ws.names());
}
