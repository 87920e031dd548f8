//! The RSR embedding section.

use std::fmt::Write;

use anyhow::Result;
use plotters::style::RGBColor;

use super::{escape, write_chart};
use crate::report::charts;
use crate::report::embedding::Embedding;
use crate::report::{Groups, Report};

/// Writes the RSR embedding section: the 3-D view and the three 2-D pairs.
pub fn write_embedding(page: &mut String, report: &Report) -> Result<()> {
    let embedding = &report.embedding;
    writeln!(
        page,
        "<section id=\"embedding\">\n<h2>RSR embedding</h2>\n<p>{}</p>",
        escape(&embedding_text(embedding))
    )?;
    if embedding.points.is_empty() {
        writeln!(page, "<p class=\"note\">No rows to draw.</p>\n</section>")?;
        return Ok(());
    }
    let (points, rows, groups) = (&embedding.points, &embedding.rows, &report.groups);
    write_legend(page, groups)?;
    page.push_str("<div class=\"charts\">\n");
    let svg = charts::scatter_3d(points, rows, groups)?;
    write_chart(
        page,
        "embedding-3d",
        &svg,
        "A fixed view of the first three components.",
    )?;
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        let svg = charts::scatter_2d(points, rows, groups, (a, b))?;
        let name = format!("embedding-pc{}-pc{}", a + 1, b + 1);
        write_chart(page, &name, &svg, "")?;
    }
    page.push_str("</div>\n</section>\n");
    Ok(())
}

fn write_legend(page: &mut String, groups: &Groups) -> Result<()> {
    page.push_str("<p class=\"legend\">Colours:");
    for (name, &colour) in groups.names.iter().zip(&groups.colours) {
        let RGBColor(r, g, b) = charts::group_colour(colour);
        write!(
            page,
            "<span class=\"swatch\" style=\"background: #{r:02x}{g:02x}{b:02x}\"></span>{}",
            escape(name)
        )?;
    }
    page.push_str("</p>\n");
    Ok(())
}

fn embedding_text(embedding: &Embedding) -> String {
    let ratios: Vec<String> = embedding
        .explained_variance_ratio
        .iter()
        .enumerate()
        .map(|(k, r)| format!("PC{} {:.1}%", k + 1, r * 100.0))
        .collect();
    let mut text = if embedding.rsr_layer {
        format!(
            "The RSR layer maps each sample to a {}-dimensional code Az.",
            embedding.dim
        )
    } else {
        format!(
            "The model has no RSR layer, so the plots show its {}-dimensional latent code z.",
            embedding.dim
        )
    };
    text.push_str(&format!(
        " The principal components of these codes over all {} samples explain {} of their \
         variance.",
        embedding.n_rows,
        ratios.join(", ")
    ));
    if embedding.dim < 3 {
        text.push_str(" Components past the code's width are drawn as 0.");
    }
    if embedding.is_sampled() {
        text.push_str(&format!(
            " The plots show {} of the {} samples, drawn at random with seed {}.",
            embedding.rows.len(),
            embedding.n_rows,
            embedding.seed
        ));
    }
    text
}
