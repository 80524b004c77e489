//! Dropout masks as a pure function of five integers, shared by the fused CPU kernels and the
//! candle path.
//!
//! Inverted dropout with probability `p` keeps a unit with probability `1 − p` and scales what
//! it keeps by `1 / (1 − p)`, so the expected value of each unit is unchanged and nothing needs
//! rescaling at validation, sampling or completion time (where dropout is off).
//!
//! Whether unit `unit` of the output `h_t` of recurrent layer `layer`, for batch row
//! `batch_item` at step `step`, is kept in the batch whose dropout seed is `seed` is
//! [`keep`]`(seed, layer, batch_item, step, unit, p)`: a splitmix64-style hash of the five
//! integers, whose top 24 bits, read as a number in `[0, 1)`, are compared with `p`. Nothing
//! else (no random-number generator state, no thread, no work split) enters the decision, so:
//! - the fused kernels and the candle path draw the same masks;
//! - results do not depend on the thread count or on how a batch is cut into work items;
//! - the same seed gives the same masks, so a resumed run repeats its batches exactly (the
//!   trainer derives the per-batch seed from the run seed, the epoch and the batch).
//!
//! `batch_item` is the row's index in the whole batch (not in a work item). The hash is built
//! in two stages, [`row_hash`] (seed, layer, batch row, step) then [`keep_unit`] (unit, p), so a
//! kernel hashes the first four integers once per row; [`keep`] is exactly their composition.

/// splitmix64's increment (the golden ratio in 64-bit fixed point).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// splitmix64's output function (Stafford's "mix13").
#[inline(always)]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One splitmix64 step absorbing `v` into the state `h`.
#[inline(always)]
fn absorb(h: u64, v: u64) -> u64 {
    mix(h.wrapping_add(GOLDEN) ^ v.wrapping_mul(GOLDEN))
}

/// The hash of `(seed, layer, batch_item, step)`: the part of [`keep`] shared by one row of
/// units.
#[inline]
pub fn row_hash(seed: u64, layer: usize, batch_item: usize, step: usize) -> u64 {
    let h = absorb(mix(seed ^ GOLDEN), layer as u64);
    let h = absorb(h, batch_item as u64);
    absorb(h, step as u64)
}

/// Whether `unit` is kept, given its row's [`row_hash`]. `p` is the drop probability: `p <= 0`
/// keeps everything, `p >= 1` drops everything.
#[inline(always)]
pub fn keep_unit(row_hash: u64, unit: usize, p: f32) -> bool {
    let h = absorb(row_hash, unit as u64);
    // 24 bits: exactly representable in f32, so the comparison is the same in f32 and f64.
    let u = (h >> 40) as f32 * (1.0 / (1u64 << 24) as f32);
    u >= p
}

/// Whether unit `unit` of layer `layer`'s output at (`batch_item`, `step`) is kept in the batch
/// with dropout seed `seed` and drop probability `p`. See the module documentation.
#[inline]
pub fn keep(seed: u64, layer: usize, batch_item: usize, step: usize, unit: usize, p: f32) -> bool {
    keep_unit(row_hash(seed, layer, batch_item, step), unit, p)
}

/// The factor a kept unit is multiplied by: `1 / (1 − p)`, computed in f64. (Dropped units are
/// multiplied by 0.)
#[inline]
pub fn keep_scale(p: f32) -> f64 {
    1.0 / (1.0 - p as f64)
}

/// Dropout settings of one training batch: drop probability `p` in `[0, 1)` and the batch's
/// seed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    pub p: f32,
    pub seed: u64,
}

impl Dropout {
    /// `Some` only when `p > 0`: dropout 0 is exactly no dropout.
    pub fn new(p: f32, seed: u64) -> Option<Dropout> {
        (p > 0.0).then_some(Dropout { p, seed })
    }

    /// Fill `out` (`units` values) with the mask of one row: `1 / (1 − p)` where kept, 0 where
    /// dropped.
    pub fn fill_row<F: Copy>(
        &self,
        layer: usize,
        batch_item: usize,
        step: usize,
        out: &mut [F],
        kept: F,
        dropped: F,
    ) {
        let rh = row_hash(self.seed, layer, batch_item, step);
        for (unit, o) in out.iter_mut().enumerate() {
            *o = if keep_unit(rh, unit, self.p) {
                kept
            } else {
                dropped
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_is_the_composition_of_its_two_stages_and_depends_on_every_integer() {
        let base = (7u64, 1usize, 5usize, 3usize, 11usize);
        let mut differs = [false; 5];
        for k in 0..200usize {
            let (s, l, b, t, u) = base;
            let k64 = k as u64;
            let variants = [
                (s + k64, l, b, t, u),
                (s, l + k, b, t, u),
                (s, l, b + k, t, u),
                (s, l, b, t + k, u),
                (s, l, b, t, u + k),
            ];
            for (i, &(s2, l2, b2, t2, u2)) in variants.iter().enumerate() {
                let a = keep(s2, l2, b2, t2, u2, 0.5);
                assert_eq!(a, keep_unit(row_hash(s2, l2, b2, t2), u2, 0.5));
                if a != keep(s, l, b, t, u, 0.5) {
                    differs[i] = true;
                }
            }
        }
        assert_eq!(
            differs, [true; 5],
            "each of the five integers changes some masks"
        );
    }

    #[test]
    fn the_kept_fraction_follows_p_and_the_same_seed_gives_the_same_mask() {
        for p in [0.1f32, 0.3, 0.5, 0.9] {
            let n = 200_000;
            let kept = (0..n)
                .filter(|&i| keep(42, 0, i / 64, i % 7, i % 64, p))
                .count();
            let frac = kept as f64 / n as f64;
            assert!(
                (frac - (1.0 - p as f64)).abs() < 0.01,
                "p {p}: kept fraction {frac}"
            );
        }
        let a: Vec<bool> = (0..1000).map(|u| keep(9, 2, 3, 4, u, 0.3)).collect();
        let b: Vec<bool> = (0..1000).map(|u| keep(9, 2, 3, 4, u, 0.3)).collect();
        let c: Vec<bool> = (0..1000).map(|u| keep(10, 2, 3, 4, u, 0.3)).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn p_zero_keeps_all_p_one_drops_all_and_zero_is_no_dropout() {
        assert!((0..10_000).all(|u| keep(1, 0, 0, 0, u, 0.0)));
        assert!((0..10_000).all(|u| !keep(1, 0, 0, 0, u, 1.0)));
        assert_eq!(Dropout::new(0.0, 5), None);
        assert_eq!(Dropout::new(0.25, 5), Some(Dropout { p: 0.25, seed: 5 }));
        assert_eq!(keep_scale(0.5), 2.0);
    }

    #[test]
    fn fill_row_writes_the_scaled_mask() {
        let d = Dropout { p: 0.4, seed: 3 };
        let mut row = [0.0f64; 50];
        d.fill_row(1, 2, 3, &mut row, keep_scale(0.4), 0.0);
        for (u, &m) in row.iter().enumerate() {
            let want = if keep(3, 1, 2, 3, u, 0.4) {
                keep_scale(0.4)
            } else {
                0.0
            };
            assert_eq!(m, want);
        }
        assert!(row.contains(&0.0) && row.iter().any(|&m| m > 1.0));
    }
}
