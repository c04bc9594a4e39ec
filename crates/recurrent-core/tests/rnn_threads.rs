//! One thread and two threads give the same bits, forward and backward.

mod common;

use common::bits;

use common::rng::Rng;
use common::run;
use recurrent_core::parallel::ScopedThreads;
use recurrent_core::rnn::{CellKind, Layout, StackSpec};
use recurrent_core::Sequential;

#[test]
fn two_threads_give_identical_bits() {
    // Small odd shapes; one big enough for the GEMMs to be cut into several tiles; one whose
    // element-wise passes are split by batch rows (B * G * H >= 2^15 for every cell).
    let shapes = [
        (2, true, (5, 3, 17, 3)),
        (1, false, (4, 40, 33, 64)),
        (1, true, (3, 256, 5, 128)),
    ];
    for (k, kind) in CellKind::ALL.into_iter().enumerate() {
        for (s, &(layers, bidirectional, (t, b, i, h))) in shapes.iter().enumerate() {
            let spec = StackSpec {
                kind,
                input_size: i,
                hidden_size: h,
                num_layers: layers,
                bidirectional,
                bias: true,
                proj_size: 0,
                skip: 0,
            };
            let mut rng = Rng::new((k * 10 + s) as u64);
            let pb = run::generate(&mut rng, spec, t, b, true, true);
            let one = run::run(&pb, &Sequential, Layout::TimeMajor);
            let two = run::run(&pb, &ScopedThreads::new(2), Layout::TimeMajor);
            let pairs = [
                ("y", &one.y, &two.y),
                ("h_n", &one.hn, &two.hn),
                ("c_n", &one.cn, &two.cn),
                ("grad params", &one.gparams, &two.gparams),
                ("grad x", &one.gx, &two.gx),
                ("grad h0", &one.gh0, &two.gh0),
                ("grad c0", &one.gc0, &two.gc0),
            ];
            for (what, a, b) in pairs {
                assert_eq!(
                    bits(a),
                    bits(b),
                    "{} shape {s}: {what} differs between 1 and 2 threads",
                    kind.name()
                );
            }
        }
    }
}
