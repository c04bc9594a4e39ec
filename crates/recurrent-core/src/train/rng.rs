//! A counter-based random generator: the value for element `i` is a hash of `(seed, i)`.
//!
//! Nothing is carried from one draw to the next, so a value depends only on the seed and the
//! element's index: not on the thread count, the tiling or the order of calls. The hash is
//! SplitMix64 (Steele, Lea, Flood 2014) evaluated at position `i + 1` of a stream whose start
//! is the mixed seed; consecutive seeds therefore give unrelated streams.

/// SplitMix64's increment (the golden ratio in 64-bit fixed point).
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's output function: a bijection of `u64` with full avalanche.
#[inline]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// 64 random bits for element `index` of the stream `seed`.
#[inline]
pub fn counter_hash(seed: u64, index: u64) -> u64 {
    mix64(mix64(seed).wrapping_add(index.wrapping_add(1).wrapping_mul(GOLDEN)))
}

/// A uniform `f32` in `[0, 1)` for element `index` of the stream `seed`: the top 24 bits of
/// [`counter_hash`] times `2^-24`, so every value is exact and `1.0` never comes.
#[inline]
pub fn counter_uniform(seed: u64, index: u64) -> f32 {
    (counter_hash(seed, index) >> 40) as f32 * (1.0 / (1u64 << 24) as f32)
}

/// A seed for sub-stream `stream` of `seed` (e.g. one per layer and per time step, so each
/// dropout call draws fresh bits from one user seed).
#[inline]
pub fn derive_seed(seed: u64, stream: u64) -> u64 {
    mix64(counter_hash(seed, stream) ^ 0x5851_f42d_4c95_7f2d)
}
