//! Every `skip_rnn` case of the model-family fixtures (`shared/fixtures/families`, PyTorch
//! float64 references) through the crate's forward_train + backward (full and, for
//! unidirectional stacks, checkpointed tapes), at that README's default tolerance tier
//! (`atol * M + rtol * |e|`, no floor at 1), in both layouts: a tanh RNN stack with
//! `skip = spec.skip_delay` and its `weight_skip_l{l}{sfx}`.

mod common;

use common::family_fixture::{cases, floats, read};
use common::rnn_family;
use common::run;
use recurrent_core::rnn::{CellKind, Layout, ParamLayout};
use recurrent_core::Sequential;
use serde_json::Value;
use std::path::Path;

fn check(path: &Path, layout: Layout, checkpoint_every: usize) -> f64 {
    let f: Value = read(path);
    let skip = rnn_family::size(&f, "skip_delay");
    let spec = rnn_family::stack(&f, CellKind::RnnTanh, skip);
    let layout_info = ParamLayout::new(&spec).expect("valid spec");
    let value_of = |name: &str| -> Vec<f32> {
        f["params"]
            .get(name)
            .map(floats)
            .unwrap_or_else(|| panic!("{name} in params"))
    };
    let names: Vec<&str> = layout_info
        .tensors()
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    let expected: Vec<&str> = f["param_names"]
        .as_array()
        .expect("param_names")
        .iter()
        .map(|v| v.as_str().expect("name"))
        .collect();
    assert_eq!(names, expected, "parameter names and order");
    let name = f["name"].as_str().expect("name");
    let pb = rnn_family::problem(&f, spec, &layout_info, value_of);
    let r = match checkpoint_every {
        0 => run::run(&pb, &Sequential, layout),
        k => run::run_checkpointed(&pb, &Sequential, layout, k),
    };
    let mut worst = 0.0f64;
    let mut record = |what: &str, u: f64| {
        assert!(
            u <= 1.0,
            "{name} ({layout:?}, k={checkpoint_every}): {what} tol_usage {u}"
        );
        worst = worst.max(u);
    };
    rnn_family::compare(&f, &layout_info, &r, &mut record);
    worst
}

#[test]
fn every_skip_rnn_case_matches_pytorch() {
    let cases = cases("skip_rnn", 7);
    for path in &cases {
        let text = std::fs::read_to_string(path).expect("read");
        let bidirectional = text.contains("\"bidirectional\": true");
        // Checkpointed tapes (unidirectional stacks): segments shorter than, equal to and
        // longer than the delay, so the kept rings and the carried pending gradients cross
        // segment boundaries.
        let plans: &[usize] = if bidirectional {
            &[0]
        } else {
            &[0, 1, 2, 3, 5]
        };
        for layout in [Layout::TimeMajor, Layout::BatchMajor] {
            for &k in plans {
                let worst = check(path, layout, k);
                eprintln!(
                    "{} {layout:?} k={k}: worst tol_usage {worst:.2e}",
                    path.file_name().expect("file name").to_string_lossy()
                );
            }
        }
    }
}
