//! Every `leaky_rnn` case of the model-family fixtures (`shared/fixtures/families`, PyTorch
//! float64 references) through the crate's forward_train + backward, at that README's default
//! tolerance tier (`atol * M + rtol * |e|`, no floor at 1), in both layouts. The fixed leak
//! rates (`constants.leak_a_l{l}{sfx}`) are the `rnn_leaky_fixed` kind's per-unit `leak_a`
//! vectors; the learned logits (`leak_l{l}{sfx}`) are `rnn_leaky`'s `leak`.

mod common;

use common::family_fixture::{cases, floats, read};
use common::rnn_family;
use common::run;
use recurrent_core::rnn::{CellKind, Layout, ParamLayout};
use recurrent_core::Sequential;
use serde_json::Value;
use std::path::Path;

fn check(path: &Path, layout: Layout) -> f64 {
    let f: Value = read(path);
    let s = &f["spec"];
    let learned = s["leak"] == "learned";
    let kind = if learned {
        CellKind::RnnLeaky
    } else {
        CellKind::RnnLeakyFixed
    };
    let spec = rnn_family::stack(&f, kind, 0);
    let layout_info = ParamLayout::new(&spec).expect("valid spec");
    // The crate's names for the fixed rates are the fixture's constants.
    let value_of = |name: &str| -> Vec<f32> {
        f["params"]
            .get(name)
            .or_else(|| f["constants"].get(name))
            .map(floats)
            .unwrap_or_else(|| panic!("{name} in params or constants"))
    };
    let name = f["name"].as_str().expect("name");
    let pb = rnn_family::problem(&f, spec, &layout_info, value_of);
    let r = run::run(&pb, &Sequential, layout);
    let mut worst = 0.0f64;
    let mut record = |what: &str, u: f64| {
        assert!(u <= 1.0, "{name} ({layout:?}): {what} tol_usage {u}");
        worst = worst.max(u);
    };
    rnn_family::compare(&f, &layout_info, &r, &mut record);
    // The fixed rates are constants: no gradient reaches them.
    if !learned {
        for t in layout_info
            .tensors()
            .iter()
            .filter(|t| t.name.starts_with("leak_a"))
        {
            assert!(
                r.gparams[t.offset..t.offset + t.len()]
                    .iter()
                    .all(|&v| v == 0.0),
                "{name}: {} has a gradient",
                t.name
            );
        }
    }
    worst
}

#[test]
fn every_leaky_rnn_case_matches_pytorch() {
    let cases = cases("leaky_rnn", 8);
    for path in &cases {
        for layout in [Layout::TimeMajor, Layout::BatchMajor] {
            let worst = check(path, layout);
            eprintln!(
                "{} {layout:?}: worst tol_usage {worst:.2e}",
                path.file_name().expect("file name").to_string_lossy()
            );
        }
    }
}
