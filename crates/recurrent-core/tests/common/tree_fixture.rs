//! Reader of the tree cases of the shared `families` fixtures (see their README, "Tree
//! families"); their tolerance is `family_fixture`'s.

use recurrent_core::tree::TreeKind;
use serde_json::Value;
use std::path::{Path, PathBuf};

use super::family_fixture::dir;
use super::family_fixture::floats as data;

pub struct TreeCase {
    pub name: String,
    pub kind: TreeKind,
    pub input_size: usize,
    pub hidden_size: usize,
    pub num_inputs: usize,
    pub offsets: Vec<u32>,
    pub children: Vec<u32>,
    pub x_rows: Vec<i32>,
    /// Flat, in `param_names` order.
    pub params: Vec<f32>,
    pub param_names: Vec<String>,
    pub param_sizes: Vec<usize>,
    pub x: Vec<f32>,
    pub h: Vec<f32>,
    pub c: Option<Vec<f32>>,
    pub gh: Vec<f32>,
    pub gc: Option<Vec<f32>>,
    pub loss: f64,
    /// Flat, in `param_names` order, then `x`.
    pub grads: Vec<f32>,
    pub gx: Vec<f32>,
}

/// Every tree case, sorted by file name.
pub fn load_all() -> Vec<TreeCase> {
    let dir = dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "fixtures not found in {} ({e}); set FAMILY_FIXTURES",
                dir.display()
            )
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name().is_some_and(|n| n != "index.json")
        })
        .collect();
    files.sort();
    files.iter().filter_map(|p| load(p)).collect()
}

fn load(path: &Path) -> Option<TreeCase> {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    let kind = match v["type"].as_str()? {
        "tree_rnn" => TreeKind::Rnn,
        "child_sum_tree_lstm" => TreeKind::ChildSumLstm,
        "nary_tree_lstm" => TreeKind::NaryLstm,
        _ => return None,
    };
    let s = &v["spec"];
    let us = |k: &str| s[k].as_u64().expect(k) as usize;
    let names: Vec<String> = v["param_names"]
        .as_array()
        .expect("names")
        .iter()
        .map(|n| n.as_str().expect("name").to_string())
        .collect();
    let mut params = Vec::new();
    let mut grads = Vec::new();
    let mut sizes = Vec::new();
    for n in &names {
        let p = data(&v["params"][n]);
        sizes.push(p.len());
        params.extend(p);
        grads.extend(data(&v["grads"][n]));
    }
    let mut offsets = vec![0u32];
    let mut children = Vec::new();
    let mut x_rows = Vec::new();
    for node in v["inputs"]["nodes"].as_array().expect("nodes") {
        children.extend(
            node["children"]
                .as_array()
                .expect("children")
                .iter()
                .map(|c| c.as_u64().expect("child") as u32),
        );
        offsets.push(children.len() as u32);
        x_rows.push(node["x"].as_i64().expect("x") as i32);
    }
    let opt = |sect: &str, k: &str| v[sect].get(k).filter(|t| !t.is_null()).map(data);
    Some(TreeCase {
        name: v["name"].as_str().expect("name").to_string(),
        kind,
        input_size: us("input_size"),
        hidden_size: us("hidden_size"),
        num_inputs: us("num_inputs"),
        offsets,
        children,
        x_rows,
        params,
        param_names: names,
        param_sizes: sizes,
        x: data(&v["inputs"]["x"]),
        h: data(&v["outputs"]["h"]),
        c: opt("outputs", "c"),
        gh: data(&v["loss"]["gh"]),
        gc: opt("loss", "gc"),
        loss: v["loss"]["value"].as_f64().expect("loss"),
        grads,
        gx: data(&v["grads"]["x"]),
    })
}
