//! A scalar float64 reference of the tree cells, node by node in node order, written from the
//! fixtures' README equations (no GEMM, no levels), and random forests to run it on.

use super::rng::Rng;
use recurrent_core::tree::TreeKind;

pub struct RandomForest {
    pub kind: TreeKind,
    pub input_size: usize,
    pub hidden_size: usize,
    pub num_inputs: usize,
    pub offsets: Vec<u32>,
    pub children: Vec<u32>,
    pub x_rows: Vec<i32>,
    pub params: Vec<f32>,
    pub x: Vec<f32>,
    pub gh: Vec<f32>,
    pub gc: Vec<f32>,
}

/// `nodes` nodes, children before parents, trees interleaved: each node takes its children
/// from the nodes that have no parent yet.
pub fn random_forest(
    rng: &mut Rng,
    kind: TreeKind,
    nodes: usize,
    i: usize,
    h: usize,
) -> RandomForest {
    let i = if kind == TreeKind::Rnn { h } else { i };
    let num_inputs = 1 + nodes / 2;
    let (mut offsets, mut children, mut x_rows) = (vec![0u32], Vec::new(), Vec::new());
    let mut free: Vec<u32> = Vec::new();
    for j in 0..nodes {
        let want = match kind {
            TreeKind::Rnn => 2 * rng.below(2),
            TreeKind::NaryLstm => rng.below(3),
            TreeKind::ChildSumLstm => rng.below(5),
        };
        let take = if want > free.len() {
            if kind == TreeKind::Rnn {
                0
            } else {
                free.len()
            }
        } else {
            want
        };
        for _ in 0..take {
            let at = rng.below(free.len());
            children.push(free.swap_remove(at));
        }
        offsets.push(children.len() as u32);
        let row = rng.below(num_inputs) as i32;
        x_rows.push(match kind {
            TreeKind::Rnn => {
                if take == 0 {
                    row
                } else {
                    -1
                }
            }
            _ if take == 0 && kind == TreeKind::NaryLstm => row,
            _ => {
                if rng.below(3) == 0 {
                    -1
                } else {
                    row
                }
            }
        });
        free.push(j as u32);
    }
    let k = 1.0 / (h as f64).sqrt();
    let plen = match kind {
        TreeKind::Rnn => 2 * h * h + h,
        TreeKind::ChildSumLstm => 4 * h * i + 4 * h * h + 8 * h,
        TreeKind::NaryLstm => 4 * h * i + 10 * h * h + 8 * h,
    };
    RandomForest {
        kind,
        input_size: i,
        hidden_size: h,
        num_inputs,
        params: rng.vec_uniform(plen, k),
        x: rng.vec_normal(num_inputs * i, 1.0),
        gh: rng.vec_normal(nodes * h, 1.0),
        gc: if kind == TreeKind::Rnn {
            Vec::new()
        } else {
            rng.vec_normal(nodes * h, 1.0)
        },
        offsets,
        children,
        x_rows,
    }
}

fn sig(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `(h, c)` of every node in node order (children must come before parents), in f64.
pub fn forward(f: &RandomForest, params: &[f64], x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let (n, i, h) = (f.x_rows.len(), f.input_size, f.hidden_size);
    let (mut hs, mut cs) = (vec![0.0; n * h], vec![0.0; n * h]);
    for j in 0..n {
        let kids: Vec<usize> = f.children[f.offsets[j] as usize..f.offsets[j + 1] as usize]
            .iter()
            .map(|&k| k as usize)
            .collect();
        let xj: Vec<f64> = match usize::try_from(f.x_rows[j]) {
            Ok(r) => x[r * i..(r + 1) * i].to_vec(),
            Err(_) => vec![0.0; i],
        };
        match f.kind {
            TreeKind::Rnn => {
                for u in 0..h {
                    hs[j * h + u] = if kids.is_empty() {
                        xj[u]
                    } else {
                        let mut a = params[2 * h * h + u];
                        for v in 0..h {
                            a += params[u * 2 * h + v] * hs[kids[0] * h + v]
                                + params[u * 2 * h + h + v] * hs[kids[1] * h + v];
                        }
                        a.tanh()
                    };
                }
            }
            TreeKind::ChildSumLstm | TreeKind::NaryLstm => {
                let nary = f.kind == TreeKind::NaryLstm;
                let (w_ih, rest) = params.split_at(4 * h * i);
                let (w_hh, rest) = rest.split_at(if nary { 10 * h * h } else { 4 * h * h });
                let (b_ih, b_hh) = rest.split_at(4 * h);
                let kin = if nary { 2 * h } else { h };
                // Recurrent input: h~ (child-sum) or [h_0; h_1] (N-ary).
                let mut hin = vec![0.0; kin];
                for (l, &k) in kids.iter().enumerate() {
                    for v in 0..h {
                        if nary {
                            hin[l * h + v] = hs[k * h + v]
                        } else {
                            hin[v] += hs[k * h + v]
                        }
                    }
                }
                let xpart = |r: usize| {
                    b_ih[r] + b_hh[r] + (0..i).map(|v| w_ih[r * i + v] * xj[v]).sum::<f64>()
                };
                let hpart = |r: usize, inp: &[f64]| {
                    (0..kin).map(|v| w_hh[r * kin + v] * inp[v]).sum::<f64>()
                };
                // weight_hh row of gate block `b` (child-sum i f g o; N-ary i f0 f1 g o).
                let (bi, bg, bo) = if nary { (0, 3, 4) } else { (0, 2, 3) };
                for u in 0..h {
                    let ig = sig(xpart(u) + hpart(bi * h + u, &hin));
                    let gg = (xpart(2 * h + u) + hpart(bg * h + u, &hin)).tanh();
                    let og = sig(xpart(3 * h + u) + hpart(bo * h + u, &hin));
                    let mut c = ig * gg;
                    for (l, &k) in kids.iter().enumerate() {
                        let fg = if nary {
                            sig(xpart(h + u) + hpart((1 + l) * h + u, &hin))
                        } else {
                            let hk: Vec<f64> = hs[k * h..(k + 1) * h].to_vec();
                            sig(xpart(h + u) + hpart(h + u, &hk))
                        };
                        c += fg * cs[k * h + u];
                    }
                    cs[j * h + u] = c;
                    hs[j * h + u] = og * c.tanh();
                }
            }
        }
    }
    (hs, cs)
}

/// `sum(h * gh) + sum(c * gc)` of the reference.
pub fn loss(f: &RandomForest, params: &[f64], x: &[f64]) -> f64 {
    let (h, c) = forward(f, params, x);
    let mut l: f64 = h.iter().zip(&f.gh).map(|(a, &b)| a * f64::from(b)).sum();
    l += c
        .iter()
        .zip(&f.gc)
        .map(|(a, &b)| a * f64::from(b))
        .sum::<f64>();
    l
}
