//! A bidirectional inference forward on two threads runs its two directions at once
//! (`rnn/dir_pair.rs`): the same bits as on one thread, and as the training forward, for
//! every cell kind, with lengths, both layouts, skip connections and projections, and with
//! the kept second scratch reused by a later, smaller call.

mod common;

use common::bits;

use common::rng::Rng;
use common::run::{self, Problem};
use recurrent_core::parallel::{Parallel, ScopedThreads};
use recurrent_core::rnn::{forward_infer, CellKind, InferScratch, Layout, StackSpec};
use recurrent_core::Sequential;

/// (y, h_n, c_n) of an inference forward of `pb` with `scratch`, input in `layout` (y in it too).
fn infer(
    pb: &Problem,
    pool: &dyn Parallel,
    layout: Layout,
    scratch: &mut InferScratch,
) -> [Vec<f32>; 3] {
    let s = &pb.spec;
    let has_c = s.kind.has_cell_state();
    let mut y = vec![f32::NAN; pb.seq_len * pb.batch * s.output_size()];
    let mut hn = vec![f32::NAN; s.state_count() * pb.batch * s.state_size()];
    let mut cn = vec![
        f32::NAN;
        if has_c {
            s.state_count() * pb.batch * s.hidden_size
        } else {
            0
        }
    ];
    let x = match layout {
        Layout::TimeMajor => pb.x.clone(),
        Layout::BatchMajor => run::transpose_tb(&pb.x, pb.seq_len, pb.batch, s.input_size, true),
    };
    let out = run::outputs(&mut y, &mut hn, &mut cn, has_c);
    forward_infer(pool, s, &pb.params, &pb.input(layout, &x), out, scratch).expect("forward_infer");
    [y, hn, cn]
}

fn spec(
    kind: CellKind,
    (i, h, layers): (usize, usize, usize),
    skip: usize,
    proj: usize,
) -> StackSpec {
    StackSpec {
        skip,
        proj_size: proj,
        ..common::spec(kind, i, h, layers, true)
    }
}

#[test]
fn both_directions_at_once_give_the_bits_of_one_thread() {
    let mut cases = Vec::new();
    for kind in CellKind::ALL {
        // Odd small sizes; one large enough for several projection chunks and GEMM tiles.
        cases.push((spec(kind, (17, 3, 2), 0, 0), (5, 3)));
        cases.push((spec(kind, (7, 33, 3), 0, 0), (40, 33)));
    }
    cases.push((spec(CellKind::RnnTanh, (9, 6, 2), 3, 0), (11, 5)));
    cases.push((spec(CellKind::Lstm, (5, 8, 2), 0, 3), (9, 4)));
    for (n, (s, (t, b))) in cases.into_iter().enumerate() {
        let pb = run::generate(&mut Rng::new(900 + n as u64), s, t, b, true, true);
        let train = run::run(&pb, &Sequential, Layout::TimeMajor);
        for layout in [Layout::TimeMajor, Layout::BatchMajor] {
            let mut one_scratch = InferScratch::new(&s, t, b).expect("scratch");
            let mut two_scratch = InferScratch::new(&s, t, b).expect("scratch");
            let one = infer(&pb, &Sequential, layout, &mut one_scratch);
            let two = infer(&pb, &ScopedThreads::new(2), layout, &mut two_scratch);
            let what = format!("{} case {n} {layout:?}", s.kind.name());
            for (k, name) in ["y", "h_n", "c_n"].iter().enumerate() {
                assert_eq!(
                    bits(&one[k]),
                    bits(&two[k]),
                    "{what}: {name}, 1 vs 2 threads"
                );
            }
            if layout == Layout::TimeMajor {
                assert_eq!(
                    bits(&two[0]),
                    bits(&train.y),
                    "{what}: y against the training forward"
                );
                assert_eq!(
                    bits(&two[1]),
                    bits(&train.hn),
                    "{what}: h_n against the training forward"
                );
            }
            // The kept second scratch serves a later, shorter call with fewer sequences.
            if t > 1 && b > 1 {
                let small =
                    run::generate(&mut Rng::new(990 + n as u64), s, t - 1, b - 1, true, true);
                let one = infer(&small, &Sequential, layout, &mut one_scratch);
                let two = infer(&small, &ScopedThreads::new(2), layout, &mut two_scratch);
                assert_eq!(
                    bits(&one[0]),
                    bits(&two[0]),
                    "{what}: y of the smaller call"
                );
                assert_eq!(
                    bits(&one[1]),
                    bits(&two[1]),
                    "{what}: h_n of the smaller call"
                );
            }
        }
    }
}
