//! Grayscale PNG images of samples, inlined in the report as base64 `data:` URIs.

use anyhow::{Context, Result};
use base64::Engine;

/// A grayscale image with values in [0, 1] (others are clamped).
#[derive(Debug, Clone, Copy)]
pub struct Gray<'a> {
    /// Row-major values, `height * width` long.
    pub values: &'a [f32],
    /// Rows of pixels.
    pub height: usize,
    /// Columns of pixels.
    pub width: usize,
}

/// Encodes `image` as an 8-bit grayscale PNG and returns it as a `data:image/png;base64,`
/// URI.
pub fn png_data_uri(image: Gray<'_>) -> Result<String> {
    let bytes = encode_png(image)?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(format!("data:image/png;base64,{encoded}"))
}

fn encode_png(image: Gray<'_>) -> Result<Vec<u8>> {
    let width = u32::try_from(image.width).context("the image is too wide for a PNG")?;
    let height = u32::try_from(image.height).context("the image is too tall for a PNG")?;
    let pixels: Vec<u8> = image
        .values
        .iter()
        .map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect();
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .context("cannot write a PNG header")?;
    writer
        .write_image_data(&pixels)
        .context("cannot encode the PNG image")?;
    writer.finish().context("cannot finish the PNG image")?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trips_pixels() {
        let values = [0.0f32, 0.5, 1.0, 2.0, -1.0, 0.25];
        let image = Gray {
            values: &values,
            height: 2,
            width: 3,
        };
        let bytes = encode_png(image).unwrap();
        let decoder = png::Decoder::new(bytes.as_slice());
        let mut reader = decoder.read_info().unwrap();
        let mut buffer = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buffer).unwrap();
        assert_eq!((info.width, info.height), (3, 2));
        assert_eq!(&buffer[..info.buffer_size()], &[0, 128, 255, 255, 0, 64]);
        assert!(png_data_uri(image)
            .unwrap()
            .starts_with("data:image/png;base64,iVBOR"));
    }

    #[test]
    fn png_rejects_wrong_pixel_count() {
        let image = Gray {
            values: &[0.0; 5],
            height: 2,
            width: 3,
        };
        assert!(encode_png(image).is_err());
    }
}
