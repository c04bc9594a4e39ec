//! Every PyTorch `rnn_parity` fixture through forward_train + backward, checked at the
//! README's default tolerance tier; prints the worst `tol_usage` per cell kind.

mod common;

use common::fixture::{self, Parity};
use common::run::{self, Problem};
use common::tol::{self, to_f64};
use recurrent_core::rnn::{Layout, ParamLayout};
use recurrent_core::Sequential;
use std::collections::BTreeMap;

fn problem(f: &Parity) -> Problem {
    Problem {
        spec: f.spec,
        seq_len: f.seq_len,
        batch: f.batch,
        params: f
            .params
            .iter()
            .flat_map(|t| t.data.iter().copied())
            .collect(),
        x: f.x.data.clone(),
        lengths: f.lengths.clone(),
        h0: f.h0.as_ref().map(|t| t.data.clone()),
        c0: f.c0.as_ref().map(|t| t.data.clone()),
        gy: f.gy.data.clone(),
        ghn: Some(f.ghn.data.clone()),
        gcn: f.gcn.as_ref().map(|t| t.data.clone()),
    }
}

/// (tensor name, tol_usage) of every checked tensor of one case.
fn check_case(f: &Parity, layout: Layout) -> Vec<(String, f64)> {
    let layout_info = ParamLayout::new(&f.spec).expect("valid spec");
    // The crate's layout must be the fixture's param_names, shapes and order.
    let names: Vec<&str> = layout_info
        .tensors()
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(names, f.param_names, "{}: parameter names", f.name);
    for (t, p) in layout_info.tensors().iter().zip(&f.params) {
        assert_eq!(t.shape, p.shape, "{}: shape of {}", f.name, t.name);
    }
    assert_eq!(
        f.spec.kind.gate_order(),
        f.gate_order,
        "{}: gate order",
        f.name
    );
    let r = run::run(&problem(f), &Sequential, layout);
    let mut usages = vec![
        (
            "y".to_string(),
            tol::usage(&to_f64(&r.y), &to_f64(&f.y.data), tol::FORWARD),
        ),
        (
            "h_n".to_string(),
            tol::usage(&to_f64(&r.hn), &to_f64(&f.h_n.data), tol::FORWARD),
        ),
    ];
    if let Some(c_n) = &f.c_n {
        usages.push((
            "c_n".to_string(),
            tol::usage(&to_f64(&r.cn), &to_f64(&c_n.data), tol::FORWARD),
        ));
    }
    for (name, expected) in &f.grads {
        let actual: &[f32] = match name.as_str() {
            "x" => &r.gx,
            "h0" => &r.gh0,
            "c0" => &r.gc0,
            _ => {
                let t = layout_info.get(name).expect("known parameter");
                &r.gparams[t.offset..t.offset + t.len()]
            }
        };
        usages.push((
            format!("grad:{name}"),
            tol::usage(&to_f64(actual), &to_f64(&expected.data), tol::GRADS),
        ));
    }
    // The loss itself, relative 1e-4.
    let dot = |a: &[f32], b: &[f32]| {
        a.iter()
            .zip(b)
            .map(|(a, b)| f64::from(*a) * f64::from(*b))
            .sum::<f64>()
    };
    let mut loss = dot(&r.y, &f.gy.data) + dot(&r.hn, &f.ghn.data);
    if let Some(gcn) = &f.gcn {
        loss += dot(&r.cn, &gcn.data);
    }
    usages.push((
        "loss".to_string(),
        (loss - f.loss).abs() / (1e-4 * f.loss.abs().max(1e-30)),
    ));
    usages
}

#[test]
fn every_parity_fixture_passes_the_default_tier() {
    let cases = fixture::load_all();
    assert_eq!(
        cases.len(),
        28,
        "expected the 28 rnn_parity fixtures in {}",
        fixture::dir().display()
    );
    // Per kind: worst forward tensor, worst gradient tensor, worst loss (usage, where).
    let mut worst: BTreeMap<&str, [(f64, String); 3]> = BTreeMap::new();
    let mut failures = Vec::new();
    for f in &cases {
        for layout in [Layout::TimeMajor, Layout::BatchMajor] {
            for (tensor, usage) in check_case(f, layout) {
                let group = match tensor.as_str() {
                    "loss" => 2,
                    t if t.starts_with("grad:") => 1,
                    _ => 0,
                };
                let entry = &mut worst.entry(f.spec.kind.name()).or_default()[group];
                if usage > entry.0 {
                    *entry = (usage, format!("{} {tensor}", f.name));
                }
                if usage > 1.0 {
                    failures.push(format!(
                        "{} ({layout:?}) {tensor}: tol_usage {usage:.3e}",
                        f.name
                    ));
                }
            }
        }
    }
    println!("worst tol_usage (default tier) per cell kind: forward | gradients | loss (rel 1e-4)");
    for (kind, groups) in &worst {
        let cols: Vec<String> = groups
            .iter()
            .map(|(u, at)| format!("{u:.2e} ({at})"))
            .collect();
        println!("  {kind:<17} {}", cols.join(" | "));
    }
    assert!(
        failures.is_empty(),
        "fixtures out of tolerance:\n{}",
        failures.join("\n")
    );
}
