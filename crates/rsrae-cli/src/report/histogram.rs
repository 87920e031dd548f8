//! Equal-width histograms of scores, sharing their bins across classes.

/// Bins of a score histogram.
pub const N_BINS: usize = 40;

/// Equal-width bins over `[low, low + N_BINS · width]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bins {
    /// Left edge of the first bin.
    pub low: f64,
    /// Width of every bin.
    pub width: f64,
}

impl Bins {
    /// Bins spanning the smallest to the largest of `values`, widened to 1 around a single
    /// value; `None` when no value is finite.
    pub fn spanning(values: &[f32]) -> Option<Self> {
        let finite = values
            .iter()
            .filter(|v| v.is_finite())
            .map(|&v| f64::from(v));
        let (low, high) = finite.fold(None, |range, v| match range {
            None => Some((v, v)),
            Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
        })?;
        if high > low {
            Some(Bins {
                low,
                width: (high - low) / N_BINS as f64,
            })
        } else {
            Some(Bins {
                low: low - 0.5,
                width: 1.0 / N_BINS as f64,
            })
        }
    }

    /// Right edge of the last bin.
    pub fn high(&self) -> f64 {
        self.low + self.width * N_BINS as f64
    }

    /// Counts `values` per bin; the largest value falls in the last bin and non-finite
    /// values are skipped.
    pub fn count(&self, values: impl IntoIterator<Item = f32>) -> Vec<usize> {
        let mut counts = vec![0; N_BINS];
        for value in values.into_iter().filter(|v| v.is_finite()) {
            let position = (f64::from(value) - self.low) / self.width;
            let bin = (position.max(0.0) as usize).min(N_BINS - 1);
            counts[bin] += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_min_to_max() {
        let bins = Bins::spanning(&[2.0, 6.0, 4.0]).unwrap();
        assert_eq!(bins.low, 2.0);
        assert_eq!(bins.high(), 6.0);
        let counts = bins.count([2.0, 6.0, 4.0, 4.05]);
        assert_eq!(counts.iter().sum::<usize>(), 4);
        assert_eq!(counts[0], 1);
        assert_eq!(counts[N_BINS - 1], 1);
        assert_eq!(counts[N_BINS / 2], 2);
    }

    #[test]
    fn bins_around_single_value() {
        let bins = Bins::spanning(&[3.0, 3.0]).unwrap();
        assert!(bins.low < 3.0);
        assert!(bins.high() > 3.0);
        assert_eq!(bins.count([3.0, 3.0]).iter().sum::<usize>(), 2);
        assert_eq!(Bins::spanning(&[]), None);
        assert_eq!(Bins::spanning(&[f32::NAN]), None);
    }
}
