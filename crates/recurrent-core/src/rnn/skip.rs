//! Skip connections through time (issue 15; the families fixtures' `skip_rnn`):
//! `h_s = f(W_ih x_s + b_ih + W_hh h_{s-1} + W_skip h_{s-d} + b_hh)`, with h0 standing for every
//! state before the direction's first step.
//!
//! The drivers count a direction's steps in its processing order, `g = 0, 1, ...` (forward:
//! g = t; reverse: g = T-1-t), and keep the state each step starts from, `hprev_g`. The skip
//! source of step g is `hprev_{g-d+1}` (the state after step g-d), or h0 when `g-d+1 < 0`. With
//! variable lengths this is the packed rule too: a reverse direction's padded steps come first
//! and leave the state at h0, so for a sequence whose first valid step is `o`, every `hprev_j`
//! with `j <= o` is h0, which is what the rule asks for its steps `s = g - o < d`.
//!
//! Forward keeps the last `d` states in a ring of `d` slots `[B, H]` (slot `g mod d` receives
//! `hprev_g`, slot `(g+1) mod d` holds `hprev_{g-d+1}`, all slots start at h0), so a
//! checkpointed segment restarts from a copy of the ring, and the inference forward needs no
//! record. Backward carries the pending gradients of the states the skip term read, in a ring
//! of `d` slots too: step g adds `dG_g W_skip` to slot `g mod d`, the gradient of
//! `hprev_{g-d+1}` (the state after step g-d), which step g-d takes into its carried `dh`
//! before it goes back through its cell; what is left when the direction is done belongs to
//! h0. A delay longer than the sequence needs `m = T+1` slots only ([`ring_slots`]): with
//! `g < T`, slot `(g+1) mod m = g+1` is never written before it is read (h0, as the rule says),
//! and every deposit stays pending until it goes to h0; so the rings (and a checkpointed tape's
//! copies of them) are never bigger than a tape's states, whatever the delay. The streaming step keeps the last `d-1` states in order instead (no step counter in the
//! state), see `stream.rs`.

use std::ops::Range;

/// Slots of the rings for delay `d` over sequences of at most `seq_len` steps: `min(d, T+1)`
/// (0 without a skip connection). Both directions of one call use the same count.
pub(super) fn ring_slots(d: usize, seq_len: usize) -> usize {
    d.min(seq_len.saturating_add(1))
}

/// A direction's processing index of its k-th step within segment `seg` (see the module
/// comment): forward steps count from the sequence's start, reverse steps from its end.
pub(super) fn processing_index(dir: usize, seq_len: usize, seg: &Range<usize>, k: usize) -> usize {
    if dir == 0 {
        seg.start + k
    } else {
        seq_len - seg.end + k
    }
}

/// Fills every slot of a forward ring (`d` slots of `bh` floats) with the initial state.
pub(super) fn ring_start(ring: &mut [f32], bh: usize, h0: &[f32]) {
    for slot in ring.chunks_exact_mut(bh) {
        slot.copy_from_slice(h0);
    }
}

/// Step g of a forward: stores `hprev` (the state step g starts from) in slot `g mod d` and
/// returns the skip source, slot `(g+1) mod d`.
pub(super) fn ring_push<'a>(
    ring: &'a mut [f32],
    d: usize,
    bh: usize,
    g: usize,
    hprev: &[f32],
) -> &'a [f32] {
    let w = g % d;
    ring[w * bh..(w + 1) * bh].copy_from_slice(hprev);
    let r = (g + 1) % d;
    &ring[r * bh..(r + 1) * bh]
}

/// Step g of a backward, before its cell: the gradient the skip terms of later steps sent to
/// the state after step g (slot `g mod d`) joins the carried `dh`. The slot is then free for
/// this step's own deposit.
pub(super) fn take_pending(dring: &[f32], d: usize, bh: usize, g: usize, dh: &mut [f32]) {
    let s = g % d;
    for (a, b) in dh.iter_mut().zip(&dring[s * bh..(s + 1) * bh]) {
        *a += b;
    }
}

/// The slot step g deposits `dG_g W_skip` into (overwriting: [`take_pending`] emptied it).
pub(super) fn pending_slot(dring: &mut [f32], d: usize, bh: usize, g: usize) -> &mut [f32] {
    let s = g % d;
    &mut dring[s * bh..(s + 1) * bh]
}

/// After a direction's first step went back: what is still pending was sent to states before
/// the first step, i.e. to h0; it joins the carried `dh` (slots in order: the same bits for
/// any thread count).
pub(super) fn fold_pending(dring: &[f32], bh: usize, dh: &mut [f32]) {
    for slot in dring.chunks_exact(bh) {
        for (a, b) in dh.iter_mut().zip(slot) {
            *a += b;
        }
    }
}
