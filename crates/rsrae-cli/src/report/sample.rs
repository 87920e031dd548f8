//! Seeded sampling of row indices, so that a report drawn twice from one seed is identical.

use rand::seq::index;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Independent random streams of one seed, one per use in the report.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    /// Points of the embedding scatter plots.
    Scatter = 1,
    /// Images shown beside their reconstructions.
    ImagePairs = 2,
}

/// Returns `k` distinct indices below `n` drawn uniformly with `seed`, in ascending order, or
/// every index when `n ≤ k`.
pub fn indices(n: usize, k: usize, seed: u64, stream: Stream) -> Vec<usize> {
    if n <= k {
        return (0..n).collect();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream as u64);
    let mut picked = index::sample(&mut rng, n, k).into_vec();
    picked.sort_unstable();
    picked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_is_seeded_sorted_and_distinct() {
        let a = indices(1000, 50, 7, Stream::Scatter);
        assert_eq!(a, indices(1000, 50, 7, Stream::Scatter));
        assert_eq!(a.len(), 50);
        assert!(a.windows(2).all(|w| w[0] < w[1]));
        assert!(a.iter().all(|&i| i < 1000));
        assert_ne!(a, indices(1000, 50, 8, Stream::Scatter));
        assert_ne!(a, indices(1000, 50, 7, Stream::ImagePairs));
    }

    #[test]
    fn sample_keeps_every_index_when_few() {
        assert_eq!(indices(3, 10, 0, Stream::Scatter), vec![0, 1, 2]);
        assert_eq!(indices(0, 10, 0, Stream::Scatter), Vec::<usize>::new());
    }
}
