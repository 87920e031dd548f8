//! HTML reports: written by `fit`, `score`, `demo` and `report`, byte-identical for one seed,
//! and rendered in headless Chromium with no console error and every chart and image drawn.
//!
//! The browser checks run when a Chromium binary is found (`RSRAE_CHROMIUM`, else
//! `chromium`, `chromium-browser` or `google-chrome` on `PATH`) and are skipped with a note
//! otherwise. The tests on real data read `RSRAE_DATA_DIR` and are skipped with a note when
//! it is unset. With `RSRAE_REPORT_ARTIFACTS=DIR` the rendered reports and screenshots are
//! copied to `DIR` for a person to look at.

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

/// How long one Chromium run may take.
const BROWSER_TIMEOUT: Duration = Duration::from_secs(120);

/// Window size of the screenshots, in CSS pixels.
const WINDOW: (u32, u32) = (1280, 2400);

/// Records errors and, once the page has loaded, what every chart and image looks like,
/// into `<pre id="rsrae-probe">` as JSON. Only the test's copy of a report contains it.
const PROBE: &str = r#"<script>
window.rsraeErrors = [];
window.addEventListener('error', function (event) {
  var target = event.target && event.target !== window ? (event.target.src || event.target.tagName) : '';
  window.rsraeErrors.push(String(event.message || target || 'error'));
}, true);
var consoleError = console.error;
console.error = function () {
  window.rsraeErrors.push(Array.prototype.join.call(arguments, ' '));
  consoleError.apply(console, arguments);
};
window.addEventListener('load', function () {
  var charts = Array.prototype.map.call(document.querySelectorAll('figure.chart'), function (figure) {
    var svg = figure.querySelector('svg');
    var box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    var count = function (selector) { return svg ? svg.querySelectorAll(selector).length : 0; };
    var lines = svg ? Array.prototype.slice.call(svg.querySelectorAll('polyline')) : [];
    var longest = lines.reduce(function (most, line) { return Math.max(most, line.points.numberOfItems); }, 0);
    return { name: figure.dataset.chart, width: box.width, height: box.height, longest: longest,
             shapes: count('rect, circle, polyline, path, line, polygon'),
             circles: count('circle'), rects: count('rect'), texts: count('text') };
  });
  var images = Array.prototype.map.call(document.images, function (image) {
    return { complete: image.complete, width: image.naturalWidth, height: image.naturalHeight,
             shown: image.getBoundingClientRect().width, data: image.src.indexOf('data:image/png;base64,') === 0 };
  });
  var resources = performance.getEntriesByType('resource').map(function (entry) { return entry.name; });
  var probe = document.createElement('pre');
  probe.id = 'rsrae-probe';
  probe.textContent = JSON.stringify({ errors: window.rsraeErrors, charts: charts, images: images,
                                       resources: resources, title: document.title });
  document.body.appendChild(probe);
});
</script>"#;

fn rsrae() -> Command {
    Command::cargo_bin("rsrae").expect("the rsrae binary is built")
}

/// Returns the shared data folder, resolving a relative `RSRAE_DATA_DIR` from the workspace
/// root.
fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("RSRAE_DATA_DIR").filter(|dir| !dir.is_empty());
    let Some(dir) = dir.map(PathBuf::from) else {
        eprintln!("note: RSRAE_DATA_DIR is unset, so this test is skipped");
        return None;
    };
    if dir.is_absolute() || dir.exists() {
        return Some(dir);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Some(workspace.join(dir))
}

/// Finds the Chromium binary, or returns `None` with a note when none is installed.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("RSRAE_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    eprintln!(
        "note: no Chromium found, so the browser check is skipped; install it with \
         `apt-get install -y chromium` or set RSRAE_CHROMIUM"
    );
    None
}

/// Runs `cmd`, asserts that it succeeded and returns its stdout.
fn run_ok(cmd: &mut Command) -> String {
    let output = cmd.output().expect("rsrae runs");
    assert!(
        output.status.success(),
        "rsrae failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Writes a CSV of 300 inliers near a 2-D plane in 6-D and 30 scattered outliers, drawn
/// with a fixed linear congruential generator, with a `label` column when `labelled`.
fn write_csv(path: &Path, labelled: bool) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut uniform = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut text = String::from(if labelled {
        "a,b,c,d,e,f,label\n"
    } else {
        "a,b,c,d,e,f\n"
    });
    for row in 0..330 {
        let outlier = row >= 300;
        let (s, t) = (uniform() * 4.0 - 2.0, uniform() * 4.0 - 2.0);
        let plane = [s, t, s + t, s - t, 0.5 * s, -t];
        let values: Vec<String> = plane
            .iter()
            .map(|&v| {
                let noise = uniform() - 0.5;
                let value = if outlier {
                    noise * 8.0
                } else {
                    v + 0.1 * noise
                };
                format!("{value:.6}")
            })
            .collect();
        text.push_str(&values.join(","));
        if labelled {
            text.push_str(&format!(",{}", u8::from(outlier)));
        }
        text.push('\n');
    }
    std::fs::write(path, text).expect("the CSV is written");
}

fn write_tabular_csv(path: &Path) {
    write_csv(path, true);
}

/// Fits on the labelled `csv` with `--report` and returns the JSON summary.
fn fit_report(csv: &Path, model: &Path, report: &Path, seed: &str) -> Value {
    let stdout = run_ok(
        rsrae()
            .args([
                "fit",
                "--quiet",
                "--json",
                "--label-column",
                "label",
                "--seed",
                seed,
            ])
            .arg("--input")
            .arg(csv)
            .arg("--model")
            .arg(model)
            .arg("--report")
            .arg(report),
    );
    serde_json::from_str(&stdout).expect("fit prints one JSON object")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("the report is written")
}

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

/// Checks what a report must contain whatever the browser: the sections, the charts by
/// name, the images, and no reference to anything outside the file.
fn check_static(html: &str, charts: &[(&str, usize)], n_images: usize) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    let sections = [
        "summary",
        "training",
        "scores",
        "ranking",
        "embedding",
        "hyperparameters",
    ];
    for section in sections {
        assert!(
            html.contains(&format!("<section id=\"{section}\">")),
            "section {section} is missing"
        );
    }
    for &(name, expected) in charts {
        let found = count(html, &format!("data-chart=\"{name}\""));
        assert_eq!(found, expected, "charts named {name}");
    }
    assert_eq!(count(html, "<img "), n_images, "images");
    assert_eq!(
        count(html, "<img src=\"data:image/png;base64,"),
        n_images,
        "inline PNG images"
    );
    for (i, uri) in html.split("<img src=\"").skip(1).enumerate() {
        let end = uri.find('"').expect("the src attribute ends");
        check_inline_png(&uri[..end], i);
    }
    let outside = html.replace("http://www.w3.org/", "");
    for reference in ["http://", "https://", "<script", "<link", "@import", "url("] {
        assert!(
            !outside.contains(reference),
            "the report refers to {reference}"
        );
    }
}

/// Decodes the whole PNG in the `data:` URI of image `index`, which a browser would show
/// even when truncated.
fn check_inline_png(uri: &str, index: usize) {
    use base64::Engine;

    let encoded = uri
        .strip_prefix("data:image/png;base64,")
        .expect("an inline PNG");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap_or_else(|e| panic!("image {index} is not valid base64: {e}"));
    let mut reader = png::Decoder::new(bytes.as_slice())
        .read_info()
        .unwrap_or_else(|e| panic!("image {index} has no valid PNG header: {e}"));
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut pixels)
        .unwrap_or_else(|e| panic!("image {index} does not decode: {e}"));
    assert!(info.width > 0, "image {index} width");
    assert!(info.height > 0, "image {index} height");
}

/// What the probe and Chromium's log reported about one page.
struct PageCheck {
    probe: Value,
    console: Vec<String>,
}

/// Runs Chromium headless on `url`, with `mode` such as `--dump-dom`, and returns stdout
/// and the console messages it logged.
fn run_chromium(chromium: &Path, mode: &[String], url: &str) -> (String, Vec<String>) {
    let profile = tempfile::tempdir().expect("a temporary profile folder");
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--window-size={},{}", WINDOW.0, WINDOW.1))
        .args(mode)
        .arg(url)
        .timeout(BROWSER_TIMEOUT)
        .output()
        .expect("Chromium runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "Chromium failed with {:?}: {stderr}",
        output.status
    );
    let console = stderr
        .lines()
        .filter(|line| line.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        console,
    )
}

/// Loads a probed copy of `report` and takes a screenshot of the report itself.
fn check_in_browser(chromium: &Path, report: &Path, screenshot: &Path) -> PageCheck {
    let html = read(report);
    let probed_path = report.with_extension("probed.html");
    let probed = html.replacen("<head>", &format!("<head>\n{PROBE}"), 1);
    std::fs::write(&probed_path, probed).expect("the probed copy is written");

    let url = format!("file://{}", probed_path.display());
    let (dom, mut console) = run_chromium(chromium, &["--dump-dom".to_string()], &url);
    let start = dom
        .find("<pre id=\"rsrae-probe\">")
        .expect("the probe ran after the page loaded")
        + "<pre id=\"rsrae-probe\">".len();
    let end = start + dom[start..].find("</pre>").expect("the probe output ends");
    let json = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let probe: Value = serde_json::from_str(&json).expect("the probe wrote JSON");

    let url = format!("file://{}", report.display());
    let mode = [format!("--screenshot={}", screenshot.display())];
    let (_, screenshot_console) = run_chromium(chromium, &mode, &url);
    console.extend(screenshot_console);
    PageCheck { probe, console }
}

/// Asserts that the page loaded without errors, that every chart has a size and shapes,
/// and that every image decoded and is shown.
fn check_page(page: &PageCheck, charts: &[(&str, usize)], n_images: usize, min_points: usize) {
    assert_eq!(page.console, Vec::<String>::new(), "console messages");
    let probe = &page.probe;
    assert_eq!(probe["errors"], Value::Array(vec![]), "page errors");
    assert_eq!(
        probe["resources"],
        Value::Array(vec![]),
        "fetched resources"
    );

    let drawn = probe["charts"].as_array().expect("a chart list");
    let expected: usize = charts.iter().map(|&(_, n)| n).sum();
    assert_eq!(drawn.len(), expected, "charts in the page");
    for chart in drawn {
        let name = chart["name"].as_str().unwrap_or("?");
        assert!(chart["width"].as_f64().unwrap() >= 200.0, "{name} width");
        assert!(chart["height"].as_f64().unwrap() >= 150.0, "{name} height");
        assert!(
            chart["shapes"].as_u64().unwrap() > 0,
            "{name} has no shapes"
        );
        assert!(chart["texts"].as_u64().unwrap() > 0, "{name} has no text");
        if name.starts_with("embedding") {
            let circles = chart["circles"].as_u64().unwrap() as usize;
            assert!(circles >= min_points, "{name} draws {circles} points");
        }
        if name.ends_with("histogram") {
            assert!(chart["rects"].as_u64().unwrap() >= 40, "{name} bars");
        }
        if name.ends_with("loss") || name.ends_with("curve") {
            let longest = chart["longest"].as_u64().unwrap();
            assert!(longest >= 10, "{name} draws a line of {longest} points");
        }
        if name == "contribution-heatmap" {
            assert!(chart["rects"].as_u64().unwrap() >= 20 * 21, "{name} cells");
        }
    }

    let images = probe["images"].as_array().expect("an image list");
    assert_eq!(images.len(), n_images, "images in the page");
    for (i, image) in images.iter().enumerate() {
        assert_eq!(image["complete"], Value::Bool(true), "image {i} loaded");
        assert_eq!(
            image["data"],
            Value::Bool(true),
            "image {i} is an inline PNG"
        );
        assert!(image["width"].as_u64().unwrap() > 0, "image {i} decoded");
        assert!(image["height"].as_u64().unwrap() > 0, "image {i} decoded");
        assert!(image["shown"].as_f64().unwrap() > 0.0, "image {i} is shown");
    }
}

/// Asserts that the screenshot is a PNG of the window with more than one colour in it.
fn check_screenshot(path: &Path) {
    let file = std::fs::File::open(path).expect("Chromium wrote the screenshot");
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = decoder.read_info().expect("the screenshot is a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut pixels)
        .expect("the screenshot decodes");
    assert_eq!((info.width, info.height), WINDOW);
    let pixels = &pixels[..info.buffer_size()];
    let distinct = pixels
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    assert!(distinct > 16, "the screenshot has {distinct} byte values");
}

/// Copies `files` to `RSRAE_REPORT_ARTIFACTS`, when it is set.
fn keep_artifacts(files: &[&Path]) {
    let Some(dir) = std::env::var_os("RSRAE_REPORT_ARTIFACTS").map(PathBuf::from) else {
        return;
    };
    std::fs::create_dir_all(&dir).expect("the artifact folder is created");
    for file in files {
        let name = file.file_name().expect("a file name");
        std::fs::copy(file, dir.join(name)).expect("the artifact is copied");
    }
}

#[test]
fn mnist_demo_report_renders_in_browser() {
    let Some(data) = data_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("mnist-demo.html");
    let again = dir.path().join("mnist-demo-again.html");
    for path in [&report, &again] {
        run_ok(
            rsrae()
                .args(["demo", "--quiet", "--epochs", "1", "--seed", "0"])
                .arg("--data-dir")
                .arg(&data)
                .arg("--report")
                .arg(path),
        );
    }
    let html = read(&report);
    assert!(
        html == read(&again),
        "two demo runs with seed 0 wrote different reports"
    );

    let charts = [
        ("reconstruction-loss", 1),
        ("rsr-loss", 1),
        ("score-histogram", 1),
        ("class-histogram", 5),
        ("roc-curve", 1),
        ("precision-recall-curve", 1),
        ("embedding-3d", 1),
        ("embedding-pc1-pc2", 1),
        ("embedding-pc1-pc3", 1),
        ("embedding-pc2-pc3", 1),
    ];
    let n_images = 24 * 2 + 60 + 60;
    check_static(&html, &charts, n_images);
    assert!(html.contains("<h1>rsrae demo report</h1>"));
    assert!(html.contains("6242 samples × 784 features (28 × 28 images"));
    assert!(html.contains("The plots show 2000 of the 6242 samples, drawn at random with seed 0."));
    assert_eq!(count(&html, "data-grid="), 3);

    let Some(chromium) = chromium() else { return };
    let screenshot = dir.path().join("mnist-demo.png");
    let page = check_in_browser(&chromium, &report, &screenshot);
    keep_artifacts(&[&report, &screenshot]);
    check_page(&page, &charts, n_images, 2000);
    assert_eq!(page.probe["title"], "rsrae demo report");
    check_screenshot(&screenshot);
}

#[test]
fn cardio_reports_render_in_browser() {
    let Some(data) = data_dir() else { return };
    let csv = data.join("tabular/cardio.csv");
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let report = dir.path().join("cardio-fit.html");
    let summary = fit_report(&csv, &model, &report, "0");
    let auc = format!(
        "ROC curve (AUC {:.4})",
        summary["roc_auc"].as_f64().unwrap()
    );
    let scored = dir.path().join("cardio-report.html");
    run_ok(
        rsrae()
            .args(["report", "--label-column", "label"])
            .arg("--model")
            .arg(&model)
            .arg("--input")
            .arg(&csv)
            .arg("--output")
            .arg(&scored),
    );

    let charts = [
        ("reconstruction-loss", 1),
        ("rsr-loss", 1),
        ("score-histogram", 1),
        ("class-histogram", 2),
        ("roc-curve", 1),
        ("precision-recall-curve", 1),
        ("embedding-3d", 1),
        ("embedding-pc1-pc2", 1),
        ("embedding-pc1-pc3", 1),
        ("embedding-pc2-pc3", 1),
        ("contribution-heatmap", 1),
    ];
    for path in [&report, &scored] {
        let html = read(path);
        check_static(&html, &charts, 0);
        assert!(html.contains("<section id=\"anomalies\">"));
        assert!(html.contains("1831 samples × 21 features (tabular)"));
        assert!(html.contains(&auc), "the fit summary's AUC: {auc}");
        // 20 rows of the top-anomaly table, each with 5 feature cells.
        assert_eq!(count(&html, "<span class=\"value\">"), 20 * 5);
    }
    assert!(read(&scored).contains("<h1>rsrae report</h1>"));

    let Some(chromium) = chromium() else { return };
    let screenshot = dir.path().join("cardio-fit.png");
    let page = check_in_browser(&chromium, &report, &screenshot);
    keep_artifacts(&[&report, &screenshot]);
    check_page(&page, &charts, 0, 1831);
    check_screenshot(&screenshot);
}

#[test]
fn report_same_seed_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("plane.csv");
    write_tabular_csv(&csv);
    let paths: Vec<PathBuf> = ["a", "b", "c"]
        .iter()
        .map(|name| dir.path().join(format!("{name}.html")))
        .collect();
    fit_report(&csv, &dir.path().join("model-a"), &paths[0], "3");
    fit_report(&csv, &dir.path().join("model-b"), &paths[1], "3");
    fit_report(&csv, &dir.path().join("model-c"), &paths[2], "4");
    let (a, b, c) = (read(&paths[0]), read(&paths[1]), read(&paths[2]));
    assert!(a == b, "two fits with seed 3 wrote different reports");
    assert!(a != c, "seeds 3 and 4 wrote the same report");
}

#[test]
fn report_command_reads_saved_history() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("plane.csv");
    write_tabular_csv(&csv);
    let model = dir.path().join("model");
    fit_report(&csv, &model, &dir.path().join("fit.html"), "0");
    assert!(model.join("history.json").is_file());

    let output = dir.path().join("report.html");
    let run_report = |output: &Path| {
        run_ok(
            rsrae()
                .args(["report", "--label-column", "label"])
                .arg("--model")
                .arg(&model)
                .arg("--input")
                .arg(&csv)
                .arg("--output")
                .arg(output),
        )
    };
    run_report(&output);
    let html = read(&output);
    assert!(html.contains("data-chart=\"reconstruction-loss\""));
    assert!(html.contains("data-chart=\"rsr-loss\""));
    assert!(html.contains("data-chart=\"roc-curve\""));

    std::fs::remove_file(model.join("history.json")).unwrap();
    let without = dir.path().join("without-history.html");
    run_report(&without);
    let html = read(&without);
    assert!(!html.contains("data-chart=\"reconstruction-loss\""));
    assert!(html.contains("No training curves: rsrae report did not train"));
}

#[test]
fn report_warns_on_invalid_history() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("plane.csv");
    write_tabular_csv(&csv);
    let model = dir.path().join("model");
    fit_report(&csv, &model, &dir.path().join("fit.html"), "0");
    std::fs::write(model.join("history.json"), "{").unwrap();
    let output = dir.path().join("report.html");
    let result = rsrae()
        .args(["report", "--label-column", "label"])
        .arg("--model")
        .arg(&model)
        .arg("--input")
        .arg(&csv)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    assert!(result.status.success());
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("invalid training history"), "{stderr}");
    assert!(read(&output).contains("invalid training history"));
}

#[test]
fn score_writes_report_without_labels() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("plane.csv");
    write_csv(&csv, false);
    let model = dir.path().join("model");
    run_ok(
        rsrae()
            .args(["fit", "--quiet"])
            .arg("--input")
            .arg(&csv)
            .arg("--model")
            .arg(&model),
    );

    let report = dir.path().join("score.html");
    run_ok(
        rsrae()
            .arg("score")
            .arg("--model")
            .arg(&model)
            .arg("--input")
            .arg(&csv)
            .arg("--output")
            .arg(dir.path().join("scores.csv"))
            .arg("--report")
            .arg(&report),
    );

    let html = read(&report);
    assert!(html.contains("<h1>rsrae score report</h1>"));
    assert!(html.contains("No curves: the data has no outlier labels"));
    assert!(html.contains("flagged as outlier"));
    assert!(html.contains("data-chart=\"reconstruction-loss\""));
    assert!(!html.contains("data-chart=\"class-histogram\""));
}

#[test]
fn report_timings_need_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("plane.csv");
    write_tabular_csv(&csv);
    let plain = dir.path().join("plain.html");
    fit_report(&csv, &dir.path().join("model"), &plain, "0");
    assert!(!read(&plain).contains("seconds per epoch"));

    let timed = dir.path().join("timed.html");
    run_ok(
        rsrae()
            .args([
                "fit",
                "--quiet",
                "--label-column",
                "label",
                "--report-timings",
            ])
            .arg("--input")
            .arg(&csv)
            .arg("--model")
            .arg(dir.path().join("model-timed"))
            .arg("--report")
            .arg(&timed),
    );
    let html = read(&timed);
    assert!(html.contains("seconds per epoch"));
    assert!(html.contains("seconds in total"));

    rsrae()
        .args(["fit", "--quiet", "--report-timings"])
        .arg("--input")
        .arg(&csv)
        .arg("--model")
        .arg(dir.path().join("model-no-report"))
        .assert()
        .failure();
}

#[test]
fn report_rejects_missing_model() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("plane.csv");
    write_tabular_csv(&csv);
    let output = dir.path().join("report.html");
    let result = rsrae()
        .arg("report")
        .arg("--model")
        .arg(dir.path().join("no-such-model"))
        .arg("--input")
        .arg(&csv)
        .arg("--output")
        .arg(&output)
        .output()
        .unwrap();
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(stderr.contains("cannot load the model"), "{stderr}");
    assert!(!output.exists());
}
