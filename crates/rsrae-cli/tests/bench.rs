//! `rsrae bench` argument checks and failures that need no MNIST files: each run exits with
//! code 2 and one `rsrae: ` message that names the problem.

use assert_cmd::Command;
use predicates::str::contains;

fn bench(dir: &tempfile::TempDir) -> Command {
    let mut cmd = Command::cargo_bin("rsrae").unwrap();
    cmd.current_dir(dir.path())
        .arg("bench")
        .arg("--data-dir")
        .arg(dir.path());
    cmd
}

#[test]
fn rejects_zero_threads() {
    let dir = tempfile::tempdir().unwrap();
    bench(&dir)
        .args(["--threads", "1,0"])
        .assert()
        .code(2)
        .stderr(contains("--threads must list thread counts of at least 1"));
}

#[test]
fn rejects_zero_repeats() {
    let dir = tempfile::tempdir().unwrap();
    bench(&dir)
        .args(["--repeats", "0"])
        .assert()
        .code(2)
        .stderr(contains(
            "invalid --repeats 0: --repeats, --epochs and --score-passes must be at least 1",
        ));
}

#[test]
fn rejects_missing_reference_script() {
    let dir = tempfile::tempdir().unwrap();
    bench(&dir)
        .args(["--reference", "python3", "--reference-script", "missing.py"])
        .assert()
        .code(2)
        .stderr(contains("the reference script missing.py was not found"));
}

#[test]
fn child_reports_missing_mnist() {
    let dir = tempfile::tempdir().unwrap();
    bench(&dir)
        .args(["--child", "train", "--epochs", "1"])
        .assert()
        .code(2)
        .stderr(contains("rsrae: "))
        .stdout("");
}
