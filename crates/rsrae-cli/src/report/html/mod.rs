//! The HTML exporter: one self-contained page with inline CSS, SVG charts and PNG images.
//!
//! The page loads nothing: no scripts, fonts, style sheets or images from elsewhere. Every
//! chart sits in a `<figure class="chart">` and every image is an `<img>` with a `data:`
//! URI, which the browser test counts.

mod embedding;
mod samples;
mod scores;

use std::fmt::Write;

use anyhow::Result;

use super::Report;
use embedding::write_embedding;
use samples::{write_contributions, write_images};
use scores::{write_ranking, write_scores, write_training};

const STYLE: &str = "
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1180px; padding: 0 20px 40px;
  color: #222; background: #fff; }
h1 { margin: 24px 0 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #ddd; }
nav a { margin-right: 14px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; }
figure.chart svg { display: block; border: 1px solid #eee; }
figcaption { font-size: 13px; color: #555; max-width: 520px; }
.note { color: #555; font-style: italic; }
.warning { color: #8a4b00; }
.grid { display: flex; flex-wrap: wrap; gap: 6px; }
.tile { text-align: center; font-size: 11px; color: #333; }
.tile img { width: 56px; height: 56px; image-rendering: pixelated; display: block; }
.tile figcaption { line-height: 1.25; }
.pair { display: flex; gap: 2px; }
span.value { color: #777; font-size: 12px; }
.columns { display: flex; flex-wrap: wrap; gap: 0 32px; align-items: flex-start; }
.columns h3 { margin: 0 0 4px; font-size: 15px; }
.legend span.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 50%;
  margin: 0 4px 0 14px; vertical-align: -1px; }
.flagged { outline: 2px solid #d62728; }
";

/// Renders `report` as an HTML page.
pub fn render(report: &Report) -> Result<String> {
    let mut page = String::new();
    let title = escape(&report.title);
    writeln!(page, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>")?;
    writeln!(page, "<meta charset=\"utf-8\">\n<title>{title}</title>")?;
    writeln!(
        page,
        "<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>"
    )?;
    write_nav(&mut page, report)?;
    write_summary(&mut page, report)?;
    write_training(&mut page, report)?;
    write_scores(&mut page, report)?;
    write_ranking(&mut page, &report.ranking)?;
    write_embedding(&mut page, report)?;
    if let Some(images) = &report.images {
        write_images(&mut page, images)?;
    }
    if let Some(contributions) = &report.contributions {
        write_contributions(&mut page, contributions)?;
    }
    write_hyperparameters(&mut page, report)?;
    writeln!(page, "</body>\n</html>")?;
    Ok(page)
}

fn write_nav(page: &mut String, report: &Report) -> Result<()> {
    let mut links = vec![
        ("summary", "Summary"),
        ("training", "Training"),
        ("scores", "Scores"),
        ("ranking", "ROC and PR"),
        ("embedding", "Embedding"),
    ];
    if report.images.is_some() {
        links.push(("images", "Images"));
    }
    if report.contributions.is_some() {
        links.push(("anomalies", "Top anomalies"));
    }
    links.push(("hyperparameters", "Hyperparameters"));
    page.push_str("<nav>");
    for (id, name) in links {
        write!(page, "<a href=\"#{id}\">{name}</a>")?;
    }
    page.push_str("</nav>\n");
    Ok(())
}

fn write_summary(page: &mut String, report: &Report) -> Result<()> {
    writeln!(page, "<section id=\"summary\">\n<h2>Run summary</h2>")?;
    for warning in &report.warnings {
        writeln!(
            page,
            "<p class=\"warning\">warning: {}</p>",
            escape(warning)
        )?;
    }
    write_key_values(page, &report.summary)?;
    writeln!(page, "</section>")?;
    Ok(())
}

fn write_hyperparameters(page: &mut String, report: &Report) -> Result<()> {
    writeln!(
        page,
        "<section id=\"hyperparameters\">\n<h2>Hyperparameters</h2>\n<div class=\"columns\">"
    )?;
    for table in &report.hyperparameters {
        writeln!(page, "<div>\n<h3>{}</h3>", escape(&table.title))?;
        write_key_values(page, &table.rows)?;
        page.push_str("</div>\n");
    }
    writeln!(page, "</div>\n</section>")?;
    Ok(())
}

fn write_key_values(page: &mut String, rows: &[(String, String)]) -> Result<()> {
    page.push_str("<table>\n");
    for (key, value) in rows {
        writeln!(
            page,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(key),
            escape(value)
        )?;
    }
    page.push_str("</table>\n");
    Ok(())
}

/// Writes `svg` as a named chart figure with a caption.
pub fn write_chart(page: &mut String, name: &str, svg: &str, caption: &str) -> Result<()> {
    writeln!(
        page,
        "<figure class=\"chart\" data-chart=\"{name}\">\n{svg}\n<figcaption>{}</figcaption>\n</figure>",
        escape(caption)
    )?;
    Ok(())
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_replaces_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(escape("plain"), "plain");
    }
}
