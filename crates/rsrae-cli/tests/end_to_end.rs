//! End-to-end runs of the `rsrae` binary on the staged real data.
//!
//! The data-backed tests read `RSRAE_DATA_DIR` (CI sets it to `../shared/data`) and are
//! skipped with a note when it is unset.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("RSRAE_DATA_DIR").map(PathBuf::from);
    if dir.is_none() {
        eprintln!("note: RSRAE_DATA_DIR is unset, so this test is skipped");
    }
    dir
}

fn rsrae() -> Command {
    Command::cargo_bin("rsrae").expect("the rsrae binary is built")
}

fn run_json(cmd: &mut Command) -> Value {
    let output = cmd.output().expect("rsrae runs");
    assert!(
        output.status.success(),
        "rsrae failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

fn score_column(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("score file exists");
    text.lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap_or_default().to_string())
        .collect()
}

#[test]
fn demo_with_default_recipe_finds_outliers() {
    let Some(dir) = data_dir() else { return };
    let report = run_json(
        rsrae()
            .args(["demo", "--seed", "0", "--json", "--data-dir"])
            .arg(&dir),
    );
    assert_eq!(report["n_samples"], 6242);
    assert_eq!(report["n_outliers"], 400);
    assert_eq!(report["seed"], 0);
    assert!(report["seconds_per_epoch"].as_f64().unwrap() > 0.0);
    assert_eq!(report["score_summary"]["count"], 6242);
    // The combined score reaches 0.97 with this seed; the L2 score alone reached 0.93.
    let auc = report["roc_auc"].as_f64().unwrap();
    assert!(auc >= 0.95, "ROC AUC {auc} is below 0.95");
    let ap = report["average_precision"].as_f64().unwrap();
    assert!(
        ap > 400.0 / 6242.0,
        "average precision {ap} is no better than chance"
    );
}

#[test]
fn fit_then_score_cardio_reproduces_training_scores() {
    let Some(dir) = data_dir() else { return };
    let input = dir.join("tabular/cardio.csv");
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model");
    let train_scores = tmp.path().join("train.csv");
    let fit = run_json(
        rsrae()
            .args(["fit", "--label-column", "label", "--json", "--input"])
            .arg(&input)
            .arg("--model")
            .arg(&model)
            .arg("--scores")
            .arg(&train_scores),
    );
    assert_eq!(fit["n_samples"], 1831);
    assert_eq!(fit["n_outliers"], 176);
    assert!(fit["roc_auc"].as_f64().unwrap() > 0.5);
    assert!(model.join("config.json").is_file());
    assert!(model.join("model.safetensors").is_file());

    let output = tmp.path().join("scores.csv");
    let score = run_json(
        rsrae()
            .args(["score", "--label-column", "label", "--json", "--model"])
            .arg(&model)
            .arg("--input")
            .arg(&input)
            .arg("--output")
            .arg(&output),
    );
    assert_eq!(score["n_samples"], 1831);
    assert_eq!(score["roc_auc"], fit["roc_auc"]);
    let text = std::fs::read_to_string(&output).unwrap();
    assert_eq!(text.lines().next(), Some("index,score,is_outlier,label"));
    assert_eq!(text.lines().count(), 1832);
    assert_eq!(score_column(&output), score_column(&train_scores));
}

#[test]
fn same_seed_gives_identical_model_and_scores() {
    let Some(dir) = data_dir() else { return };
    let input = dir.join("tabular/cardio.csv");
    let tmp = tempfile::tempdir().unwrap();
    let fit = |name: &str, seed: &str| {
        let model = tmp.path().join(name);
        let scores = tmp.path().join(format!("{name}.csv"));
        rsrae()
            .args([
                "fit",
                "--quiet",
                "--label-column",
                "label",
                "--seed",
                seed,
                "--input",
            ])
            .arg(&input)
            .arg("--model")
            .arg(&model)
            .arg("--scores")
            .arg(&scores)
            .assert()
            .success();
        let read = |file: &str| std::fs::read(model.join(file)).unwrap();
        (
            read("config.json"),
            read("model.safetensors"),
            std::fs::read(scores).unwrap(),
        )
    };
    let first = fit("a", "7");
    let second = fit("b", "7");
    assert_eq!(first.0, second.0, "config.json differs");
    assert_eq!(first.1, second.1, "model.safetensors differs");
    assert_eq!(first.2, second.2, "scores differ");
    let other = fit("c", "8");
    assert_ne!(first.1, other.1, "another seed gives the same weights");
}

#[test]
fn missing_input_exits_with_code_two() {
    let tmp = tempfile::tempdir().unwrap();
    let model = tmp.path().join("model");
    let assert = rsrae()
        .args(["fit", "--input", "no-such-file.csv", "--model"])
        .arg(&model)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.starts_with("rsrae: "), "stderr: {stderr}");
    assert!(stderr.contains("no-such-file.csv"), "stderr: {stderr}");
    assert!(!model.exists());
}

/// Serves the files of `root` over HTTP on 127.0.0.1, corrupting every byte when `corrupt`.
fn serve(root: PathBuf, corrupt: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { continue };
            let mut request_line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).map_or(true, |n| n <= 2) {
                    break;
                }
            }
            let name = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .trim_start_matches('/');
            let body = std::fs::File::open(root.join(name)).and_then(|mut f| {
                let mut bytes = Vec::new();
                f.read_to_end(&mut bytes).map(|_| bytes)
            });
            let _ = match body {
                Ok(mut bytes) => {
                    if corrupt {
                        bytes.iter_mut().for_each(|b| *b ^= 0xff);
                    }
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        bytes.len()
                    );
                    stream
                        .write_all(head.as_bytes())
                        .and_then(|_| stream.write_all(&bytes))
                }
                Err(_) => stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
            };
        }
    });
    address
}

#[test]
fn demo_downloads_missing_mnist_from_a_mirror() {
    let Some(dir) = data_dir() else { return };
    let mirror = serve(dir.join("mnist"), false);
    let cache = tempfile::tempdir().unwrap();
    let report = run_json(
        rsrae()
            .args([
                "demo",
                "--epochs",
                "1",
                "--json",
                "--mirror",
                &mirror,
                "--data-dir",
            ])
            .arg(cache.path()),
    );
    assert_eq!(report["n_samples"], 6242);
    for name in ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"] {
        let copy = std::fs::read(cache.path().join("mnist").join(name)).unwrap();
        assert_eq!(
            copy,
            std::fs::read(dir.join("mnist").join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn demo_rejects_a_mirror_with_wrong_checksums() {
    let Some(dir) = data_dir() else { return };
    let mirror = serve(dir.join("mnist"), true);
    let cache = tempfile::tempdir().unwrap();
    let assert = rsrae()
        .args(["demo", "--epochs", "1", "--mirror", &mirror, "--data-dir"])
        .arg(cache.path())
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("sha"), "stderr: {stderr}");
    let left: Vec<_> = std::fs::read_dir(cache.path().join("mnist"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

#[test]
fn experiment_on_20_newsgroups() {
    let Some(dir) = data_dir() else { return };
    let out = tempfile::tempdir().unwrap();
    let protocol = [
        "experiment",
        "--dataset",
        "20newsgroups",
        "--methods",
        "pca",
    ];
    let output = rsrae()
        .args(protocol)
        .args(["--c", "0.5", "--classes", "0", "--runs", "1", "--data-dir"])
        .arg(&dir)
        .arg("--output")
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");

    let results: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("results.json")).unwrap()).unwrap();
    let run = &results[0]["runs"][0];
    assert_eq!(run["class"], 0);
    // The set has 799 posts of alt.atheism and 180 outliers from the other 19 newsgroups.
    // PCA scored ROC AUC 0.874 on it.
    let auc = run["roc_auc"].as_f64().unwrap();
    assert!(auc > 0.85, "ROC AUC {auc}");

    let table = std::fs::read_to_string(out.path().join("results.md")).unwrap();
    assert!(table.contains("all documents of 20newsgroups"), "{table}");
}
