//! The sections that show single samples: image grids and the top anomalies table.

use std::fmt::Write;

use anyhow::Result;

use super::{escape, write_chart};
use crate::report::charts;
use crate::report::contributions::{largest, Contributions, N_TOP_FEATURES};
use crate::report::tiles::{ImageFigures, Tile};

/// Writes the image grids section.
pub fn write_images(page: &mut String, images: &ImageFigures) -> Result<()> {
    writeln!(page, "<section id=\"images\">\n<h2>Images</h2>")?;
    writeln!(
        page,
        "<h3>Inputs and their reconstructions</h3>\n<p>{} samples drawn at random with seed \
         {}, each input on the left of its reconstruction. A red frame marks a flagged \
         sample.</p>",
        images.pairs.len(),
        images.seed
    )?;
    if images.stretched {
        writeln!(
            page,
            "<p>The preprocessing does not map pixels to [0, 1], so each image is shown \
             stretched from its own minimum (black) to its maximum (white).</p>"
        )?;
    }
    write_tiles(page, &images.pairs, "pairs")?;
    writeln!(page, "<h3>The {} highest scores</h3>", images.highest.len())?;
    write_tiles(page, &images.highest, "highest")?;
    writeln!(page, "<h3>The {} lowest scores</h3>", images.lowest.len())?;
    write_tiles(page, &images.lowest, "lowest")?;
    writeln!(page, "</section>")?;
    Ok(())
}

fn write_tiles(page: &mut String, tiles: &[Tile], name: &str) -> Result<()> {
    writeln!(page, "<div class=\"grid\" data-grid=\"{name}\">")?;
    for tile in tiles {
        let class = if tile.flagged { "tile flagged" } else { "tile" };
        write!(page, "<figure class=\"{class}\"><div class=\"pair\">")?;
        write!(
            page,
            "<img src=\"{}\" alt=\"input of row {}\">",
            tile.input, tile.index
        )?;
        if let Some(uri) = &tile.reconstruction {
            write!(
                page,
                "<img src=\"{uri}\" alt=\"reconstruction of row {}\">",
                tile.index
            )?;
        }
        let label = tile
            .label
            .map_or(String::new(), |l| format!("<br>class {l}"));
        writeln!(
            page,
            "</div><figcaption>{:.3}{label}</figcaption></figure>",
            tile.score
        )?;
    }
    page.push_str("</div>\n");
    Ok(())
}

/// Writes the top anomalies section: the table and the heatmap of error shares.
pub fn write_contributions(page: &mut String, contributions: &Contributions) -> Result<()> {
    writeln!(
        page,
        "<section id=\"anomalies\">\n<h2>Top anomalies</h2>\n<p>The {} highest-scoring samples, \
         with each feature's share of the squared reconstruction error in the preprocessed \
         space, (x − x̂)² / ‖x − x̂‖², and its preprocessed value.</p>",
        contributions.rows.len()
    )?;
    write_contribution_table(page, contributions)?;

    let svg = charts::contribution_heatmap(contributions)?;
    let mut caption = format!(
        "Darker cells contain a larger share of the row's squared error, up to the largest \
         share here, {:.1}%. The shares of each row sum to 100%, over all features.",
        contributions.max_heatmap_share() * 100.0
    );
    let n_features = contributions.feature_names.len();
    if contributions.heatmap_features.len() < n_features {
        write!(
            caption,
            " Shown are the {} of {n_features} features with the largest mean share over these rows.",
            contributions.heatmap_features.len()
        )?;
    }
    write_chart(page, "contribution-heatmap", &svg, &caption)?;
    writeln!(page, "</section>")?;
    Ok(())
}

fn write_contribution_table(page: &mut String, contributions: &Contributions) -> Result<()> {
    page.push_str("<table>\n<tr><th class=\"num\">rank</th><th class=\"num\">row</th>");
    page.push_str("<th class=\"num\">score</th><th>label</th><th>flagged</th>");
    writeln!(
        page,
        "<th colspan=\"{N_TOP_FEATURES}\">largest shares of the squared error: feature, \
         share, preprocessed value</th></tr>"
    )?;
    for (rank, row) in contributions.rows.iter().enumerate() {
        let label = row.label.map_or("".to_string(), |l| l.to_string());
        let flagged = if row.flagged { "yes" } else { "no" };
        let top: Vec<String> = largest(&row.shares, N_TOP_FEATURES)
            .into_iter()
            .map(|j| {
                format!(
                    "<td>{} <b>{:.1}%</b> <span class=\"value\">{:+.2}</span></td>",
                    escape(&contributions.feature_names[j]),
                    row.shares[j] * 100.0,
                    row.values[j]
                )
            })
            .collect();
        writeln!(
            page,
            "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.4}</td>\
             <td>{label}</td><td>{flagged}</td>{}</tr>",
            rank + 1,
            row.index,
            row.score,
            top.concat()
        )?;
    }
    page.push_str("</table>\n");
    Ok(())
}
