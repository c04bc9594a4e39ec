//! The plain-RNN cases of the `families` fixtures (leaky and skip RNNs, see their README): the
//! stack a case describes, the case as a [`Problem`] for the crate's stack, and the comparison
//! of a run with the case's outputs and gradients.

use super::family_fixture::{floats, usage, FORWARD, GRADS};
use super::run::{self, Problem};
use recurrent_core::rnn::{CellKind, ParamLayout, StackSpec};
use serde_json::Value;

/// The size `k` of case `f`'s `spec`.
pub fn size(f: &Value, k: &str) -> usize {
    f["spec"][k].as_u64().expect(k) as usize
}

/// The stack of case `f` (sizes and direction from its `spec`) as `kind` with skip delay
/// `skip`; biases, no projection.
pub fn stack(f: &Value, kind: CellKind, skip: usize) -> StackSpec {
    StackSpec {
        kind,
        input_size: size(f, "input_size"),
        hidden_size: size(f, "hidden_size"),
        num_layers: size(f, "num_layers"),
        bidirectional: f["spec"]["bidirectional"].as_bool().expect("bidirectional"),
        bias: true,
        proj_size: 0,
        skip,
    }
}

/// Case `f` as a problem for `spec`: the parameters in the order of `layout`, each tensor read
/// by `value_of` (given its name); inputs, lengths, `h0` and the loss's gradients from the case.
pub fn problem(
    f: &Value,
    spec: StackSpec,
    layout: &ParamLayout,
    value_of: impl Fn(&str) -> Vec<f32>,
) -> Problem {
    Problem {
        spec,
        seq_len: size(f, "seq_len"),
        batch: size(f, "batch"),
        params: layout
            .tensors()
            .iter()
            .flat_map(|t| value_of(&t.name))
            .collect(),
        x: floats(&f["inputs"]["x"]),
        lengths: f["spec"]["lengths"].as_array().map(|a| {
            a.iter()
                .map(|v| v.as_u64().expect("length") as u32)
                .collect()
        }),
        h0: f["inputs"].get("h0").filter(|v| !v.is_null()).map(floats),
        c0: None,
        gy: floats(&f["loss"]["gy"]),
        ghn: Some(floats(&f["loss"]["ghn"])),
        gcn: None,
    }
}

/// The tolerance usage of `r` against case `f`, handed to `record` per tensor: `y`, `h_n`,
/// then `grad:<name>` for every gradient of the case (`x`, `h0`, the parameters in `layout`).
pub fn compare(
    f: &Value,
    layout: &ParamLayout,
    r: &run::Result,
    mut record: impl FnMut(&str, f64),
) {
    record("y", usage(&r.y, &floats(&f["outputs"]["y"]), FORWARD));
    record("h_n", usage(&r.hn, &floats(&f["outputs"]["h_n"]), FORWARD));
    for (g, expected) in f["grads"].as_object().expect("grads") {
        let actual: &[f32] = match g.as_str() {
            "x" => &r.gx,
            "h0" => &r.gh0,
            _ => {
                let t = layout.get(g).expect("known parameter");
                &r.gparams[t.offset..t.offset + t.len()]
            }
        };
        record(
            &format!("grad:{g}"),
            usage(actual, &floats(expected), GRADS),
        );
    }
}
