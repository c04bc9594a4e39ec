//! Reader of the PyTorch `rnn_parity` fixtures (see the fixtures' README).

use recurrent_core::rnn::{CellKind, StackSpec};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Directory of the fixtures: `$PARITY_FIXTURES`, or `shared/fixtures/parity` beside the repo.
pub fn dir() -> PathBuf {
    match std::env::var_os("PARITY_FIXTURES") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/parity"),
    }
}

#[derive(Debug, Clone)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

#[derive(Debug, Clone)]
pub struct Parity {
    pub name: String,
    pub spec: StackSpec,
    pub seq_len: usize,
    pub batch: usize,
    pub lengths: Option<Vec<u32>>,
    pub gate_order: Vec<String>,
    pub param_names: Vec<String>,
    pub params: Vec<Tensor>,
    pub x: Tensor,
    pub h0: Option<Tensor>,
    pub c0: Option<Tensor>,
    pub y: Tensor,
    pub h_n: Tensor,
    pub c_n: Option<Tensor>,
    pub gy: Tensor,
    pub ghn: Tensor,
    pub gcn: Option<Tensor>,
    pub loss: f64,
    /// d loss / d each name in `param_names`, then `x`, `h0`, `c0` when present.
    pub grads: Vec<(String, Tensor)>,
}

fn tensor(v: &Value) -> Option<Tensor> {
    let shape = v
        .get("shape")?
        .as_array()?
        .iter()
        .map(|d| d.as_u64().map(|d| d as usize))
        .collect::<Option<Vec<_>>>()?;
    // Stored values are exact f32 numbers: parsing as f64 and rounding gives the same bits.
    let data = v
        .get("data")?
        .as_array()?
        .iter()
        .map(|d| d.as_f64().map(|d| d as f32))
        .collect::<Option<Vec<_>>>()?;
    assert_eq!(
        shape.iter().product::<usize>(),
        data.len(),
        "tensor shape and data disagree"
    );
    Some(Tensor { shape, data })
}

fn opt_tensor(v: Option<&Value>) -> Option<Tensor> {
    v.filter(|v| !v.is_null()).and_then(tensor)
}

fn usize_of(v: &Value, key: &str) -> usize {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("spec.{key} missing")) as usize
}

/// Every `rnn_parity` case in the directory, sorted by file name.
pub fn load_all() -> Vec<Parity> {
    let dir = dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "fixtures not found in {} ({e}); set PARITY_FIXTURES",
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

/// One case, or `None` if the file is not of type `rnn_parity`.
pub fn load(path: &Path) -> Option<Parity> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if v["type"] != "rnn_parity" {
        return None;
    }
    let s = &v["spec"];
    let kind = CellKind::from_name(s["kind"].as_str().expect("spec.kind")).expect("known kind");
    let spec = StackSpec {
        kind,
        input_size: usize_of(s, "input_size"),
        hidden_size: usize_of(s, "hidden_size"),
        num_layers: usize_of(s, "num_layers"),
        bidirectional: s["bidirectional"].as_bool().expect("spec.bidirectional"),
        bias: true,
        proj_size: 0,
        skip: 0,
    };
    let names: Vec<String> = v["param_names"]
        .as_array()
        .expect("param_names")
        .iter()
        .map(|n| n.as_str().expect("name").to_string())
        .collect();
    let get =
        |sect: &str, key: &str| tensor(&v[sect][key]).unwrap_or_else(|| panic!("{sect}.{key}"));
    let params = names.iter().map(|n| get("params", n)).collect();
    let mut grads: Vec<(String, Tensor)> =
        names.iter().map(|n| (n.clone(), get("grads", n))).collect();
    for k in ["x", "h0", "c0"] {
        if let Some(t) = opt_tensor(v["grads"].get(k)) {
            grads.push((k.to_string(), t));
        }
    }
    Some(Parity {
        name: v["name"].as_str().expect("name").to_string(),
        spec,
        seq_len: usize_of(s, "seq_len"),
        batch: usize_of(s, "batch"),
        lengths: s["lengths"].as_array().map(|a| {
            a.iter()
                .map(|l| l.as_u64().expect("length") as u32)
                .collect()
        }),
        gate_order: s["gate_order"]
            .as_array()
            .expect("gate_order")
            .iter()
            .map(|g| g.as_str().expect("gate").to_string())
            .collect(),
        param_names: names,
        params,
        x: get("inputs", "x"),
        h0: opt_tensor(v["inputs"].get("h0")),
        c0: opt_tensor(v["inputs"].get("c0")),
        y: get("outputs", "y"),
        h_n: get("outputs", "h_n"),
        c_n: opt_tensor(v["outputs"].get("c_n")),
        gy: get("loss", "gy"),
        ghn: get("loss", "ghn"),
        gcn: opt_tensor(v["loss"].get("gcn")),
        loss: v["loss"]["value"].as_f64().expect("loss.value"),
        grads,
    })
}
