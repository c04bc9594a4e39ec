//! How a sequence of `T` steps of `B` rows is laid out in memory, and the masks of
//! variable-length batches.

/// Order of the rows of a sequence tensor whose rows are `width` features wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// `[T, B, width]`: row `t*B + b`. The drivers' own buffers always use it.
    #[default]
    TimeMajor,
    /// `[B, T, width]`: row `b*T + t`.
    BatchMajor,
}

/// A sequence tensor's geometry: which row holds (step t, sequence b).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeqShape {
    pub layout: Layout,
    pub seq_len: usize,
    pub batch: usize,
}

impl SeqShape {
    /// The caller's shape (in `layout`) and the drivers' own, time-major, for `seq_len` steps
    /// of `batch` sequences.
    pub fn user_and_inner(layout: Layout, seq_len: usize, batch: usize) -> (Self, Self) {
        let user = Self {
            layout,
            seq_len,
            batch,
        };
        let inner = Self {
            layout: Layout::TimeMajor,
            ..user
        };
        (user, inner)
    }

    /// Row index of (step `t`, sequence `b`).
    #[inline]
    pub fn row(&self, t: usize, b: usize) -> usize {
        match self.layout {
            Layout::TimeMajor => t * self.batch + b,
            Layout::BatchMajor => b * self.seq_len + t,
        }
    }
}

/// Which (step, sequence) pairs are real: all of them, or `t < lengths[b]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mask<'a> {
    pub lengths: Option<&'a [u32]>,
}

impl Mask<'_> {
    #[inline]
    pub fn valid(&self, t: usize, b: usize) -> bool {
        match self.lengths {
            None => true,
            Some(len) => (t as u64) < u64::from(len[b]),
        }
    }
}

/// Steps of direction `dir` in the order it processes them: forward 0..T, reverse T-1..0.
/// (With lengths, rows past a sequence's end are masked, so the reverse direction of
/// sequence b effectively starts at `lengths[b] - 1`.)
#[inline]
pub(crate) fn step_at(dir: usize, seq_len: usize, k: usize) -> usize {
    if dir == 0 {
        k
    } else {
        seq_len - 1 - k
    }
}

/// A read-only sequence tensor: `rows(shape)` rows of `width` features.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SeqRef<'a> {
    pub data: &'a [f32],
    pub shape: SeqShape,
    pub width: usize,
}

impl<'a> SeqRef<'a> {
    /// The `len` features from column `col` of row (t, b).
    #[inline]
    pub fn at(&self, t: usize, b: usize, col: usize, len: usize) -> &'a [f32] {
        let start = self.shape.row(t, b) * self.width + col;
        &self.data[start..start + len]
    }
}

/// A writable sequence tensor.
#[derive(Debug)]
pub(crate) struct SeqMut<'a> {
    pub data: &'a mut [f32],
    pub shape: SeqShape,
    pub width: usize,
}

impl SeqMut<'_> {
    /// The `len` features from column `col` of row (t, b).
    #[inline]
    pub fn at(&mut self, t: usize, b: usize, col: usize, len: usize) -> &mut [f32] {
        let start = self.shape.row(t, b) * self.width + col;
        &mut self.data[start..start + len]
    }
}
