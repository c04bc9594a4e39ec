//! A naive f64 reference, written straight from the fixtures' README equations and
//! independently of the crate's drivers: per sequence (so variable lengths are just shorter
//! sequences), per step, per gate, with nested `Vec`s and plain loops. Its hand-written BPTT
//! is itself checked against central differences (`rnn_reference_gradcheck.rs`).
//!
//! Kinds are the README's `spec.kind` strings; all tensors are flat row-major, time-major
//! `[T, B, ..]` for sequences and `[L*D, B, H]` for states, parameters in PyTorch order.

pub type Mat = Vec<Vec<f64>>;

/// The stack, described by the README's words.
#[derive(Debug, Clone)]
pub struct Spec {
    pub kind: String,
    pub input: usize,
    pub hidden: usize,
    pub layers: usize,
    pub bidirectional: bool,
}

impl Spec {
    pub fn dirs(&self) -> usize {
        if self.bidirectional {
            2
        } else {
            1
        }
    }

    pub fn gates(&self) -> usize {
        match self.kind.as_str() {
            "rnn_tanh" | "rnn_relu" | "rnn_residual" | "rnn_leaky" | "rnn_leaky_fixed" => 1,
            "gru" | "gru_reset_before" | "lstm_cifg" | "lstm_no_forget" => 3,
            "lstm" | "lstm_peephole" => 4,
            k => panic!("unknown kind {k}"),
        }
    }

    pub fn has_c(&self) -> bool {
        self.kind.starts_with("lstm")
    }

    fn layer_input(&self, l: usize) -> usize {
        if l == 0 {
            self.input
        } else {
            self.dirs() * self.hidden
        }
    }
}

/// One layer/direction's parameters.
#[derive(Debug, Clone)]
pub struct Dir {
    pub w_ih: Mat,
    pub w_hh: Mat,
    pub b_ih: Vec<f64>,
    pub b_hh: Vec<f64>,
    /// p_i, p_f, p_o (peephole only), the leak logit (`rnn_leaky`) or rate
    /// (`rnn_leaky_fixed`); else empty.
    pub peep: Mat,
}

impl Dir {
    fn zeros(spec: &Spec, l: usize) -> Dir {
        let (gh, h) = (spec.gates() * spec.hidden, spec.hidden);
        let np = match spec.kind.as_str() {
            "lstm_peephole" => 3,
            "rnn_leaky" | "rnn_leaky_fixed" => 1,
            _ => 0,
        };
        Dir {
            w_ih: vec![vec![0.0; spec.layer_input(l)]; gh],
            w_hh: vec![vec![0.0; h]; gh],
            b_ih: vec![0.0; gh],
            b_hh: vec![0.0; gh],
            peep: vec![vec![0.0; h]; np],
        }
    }

    /// Every number, in PyTorch `param_names` order.
    fn flat_mut(&mut self) -> Vec<&mut f64> {
        let mut v: Vec<&mut f64> = Vec::new();
        v.extend(self.w_ih.iter_mut().flatten());
        v.extend(self.w_hh.iter_mut().flatten());
        v.extend(self.b_ih.iter_mut());
        v.extend(self.b_hh.iter_mut());
        v.extend(self.peep.iter_mut().flatten());
        v
    }
}

/// All parameters, index `l*D + d`.
pub fn unflatten(spec: &Spec, flat: &[f64]) -> Vec<Dir> {
    let mut dirs: Vec<Dir> = (0..spec.layers * spec.dirs())
        .map(|k| Dir::zeros(spec, k / spec.dirs()))
        .collect();
    let mut it = flat.iter();
    for d in dirs.iter_mut() {
        for slot in d.flat_mut() {
            *slot = *it.next().expect("flat parameters too short");
        }
    }
    assert!(it.next().is_none(), "flat parameters too long");
    dirs
}

pub fn flatten(dirs: &mut [Dir]) -> Vec<f64> {
    dirs.iter_mut()
        .flat_map(|d| d.flat_mut().into_iter().map(|v| *v).collect::<Vec<_>>())
        .collect()
}

/// A whole problem: inputs and upstream gradients.
#[derive(Debug, Clone)]
pub struct Problem {
    pub spec: Spec,
    pub seq_len: usize,
    pub batch: usize,
    pub params: Vec<f64>,
    pub x: Vec<f64>,
    pub lengths: Option<Vec<usize>>,
    pub h0: Option<Vec<f64>>,
    pub c0: Option<Vec<f64>>,
    pub gy: Vec<f64>,
    pub ghn: Vec<f64>,
    pub gcn: Vec<f64>,
}

#[derive(Debug, Clone)]
pub struct Outputs {
    pub y: Vec<f64>,
    pub hn: Vec<f64>,
    pub cn: Vec<f64>,
}

#[derive(Debug, Clone)]
pub struct Grads {
    pub params: Vec<f64>,
    pub x: Vec<f64>,
    pub h0: Vec<f64>,
    pub c0: Vec<f64>,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// `b[k*H + j] + sum_m w[k*H + j][m] v[m]` for j < H: one gate block of an affine map.
fn affine(w: &Mat, b: &[f64], k: usize, h: usize, v: &[f64]) -> Vec<f64> {
    (0..h)
        .map(|j| b[k * h + j] + w[k * h + j].iter().zip(v).map(|(a, b)| a * b).sum::<f64>())
        .collect()
}

/// What one step remembers for backward.
#[derive(Debug, Clone)]
struct Cache {
    x: Vec<f64>,
    hp: Vec<f64>,
    cp: Vec<f64>,
    /// Per gate block: the activation (r, z, n / i, f, g, o / the RNN's pre-activation).
    gate: Mat,
    /// GRU: `W_hn h + b_hn` (after) or `r * h` (before).
    aux: Vec<f64>,
    c: Vec<f64>,
}

/// The leak rate of a leaky unit: `sigma(leak)` (`rnn_leaky`) or the stored rate itself.
fn leak_rate(kind: &str, v: f64) -> f64 {
    if kind == "rnn_leaky" {
        sigmoid(v)
    } else {
        v
    }
}

/// One step of one cell, straight from the equations.
fn cell_forward(
    kind: &str,
    p: &Dir,
    h: usize,
    x: &[f64],
    hp: &[f64],
    cp: &[f64],
) -> (Vec<f64>, Vec<f64>, Cache) {
    let ax = |k: usize| affine(&p.w_ih, &p.b_ih, k, h, x);
    let ah = |k: usize, v: &[f64]| affine(&p.w_hh, &p.b_hh, k, h, v);
    let mut cache = Cache {
        x: x.to_vec(),
        hp: hp.to_vec(),
        cp: cp.to_vec(),
        gate: vec![],
        aux: vec![],
        c: vec![],
    };
    let add = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a + b).collect::<Vec<f64>>();
    let (hn, cn) = match kind {
        "rnn_tanh" | "rnn_relu" | "rnn_residual" | "rnn_leaky" | "rnn_leaky_fixed" => {
            let a = add(&ax(0), &ah(0, hp));
            let out: Vec<f64> = match kind {
                "rnn_tanh" => a.iter().map(|v| v.tanh()).collect(),
                "rnn_relu" => a.iter().map(|v| v.max(0.0)).collect(),
                "rnn_leaky" | "rnn_leaky_fixed" => (0..h)
                    .map(|j| {
                        let s = leak_rate(kind, p.peep[0][j]);
                        s * hp[j] + (1.0 - s) * a[j].tanh()
                    })
                    .collect(),
                _ => a.iter().zip(hp).map(|(v, hp)| hp + v.tanh()).collect(),
            };
            cache.gate = vec![a];
            (out, vec![])
        }
        "gru" | "gru_reset_before" => {
            let r: Vec<f64> = add(&ax(0), &ah(0, hp))
                .iter()
                .map(|v| sigmoid(*v))
                .collect();
            let z: Vec<f64> = add(&ax(1), &ah(1, hp))
                .iter()
                .map(|v| sigmoid(*v))
                .collect();
            let xn = ax(2);
            let (n, aux): (Vec<f64>, Vec<f64>) = if kind == "gru" {
                let hn = ah(2, hp);
                ((0..h).map(|j| (xn[j] + r[j] * hn[j]).tanh()).collect(), hn)
            } else {
                let rh: Vec<f64> = (0..h).map(|j| r[j] * hp[j]).collect();
                let hn = ah(2, &rh);
                ((0..h).map(|j| (xn[j] + hn[j]).tanh()).collect(), rh)
            };
            let out = (0..h).map(|j| (1.0 - z[j]) * n[j] + z[j] * hp[j]).collect();
            cache.gate = vec![r, z, n];
            cache.aux = aux;
            (out, vec![])
        }
        "lstm" | "lstm_peephole" => {
            let pre = |k: usize| add(&ax(k), &ah(k, hp));
            let peep = kind == "lstm_peephole";
            let (pi, pf, po) = if peep {
                (p.peep[0].clone(), p.peep[1].clone(), p.peep[2].clone())
            } else {
                (vec![0.0; h], vec![0.0; h], vec![0.0; h])
            };
            let (ai, af, ag, ao) = (pre(0), pre(1), pre(2), pre(3));
            let i: Vec<f64> = (0..h).map(|j| sigmoid(ai[j] + pi[j] * cp[j])).collect();
            let f: Vec<f64> = (0..h).map(|j| sigmoid(af[j] + pf[j] * cp[j])).collect();
            let g: Vec<f64> = ag.iter().map(|v| v.tanh()).collect();
            let c: Vec<f64> = (0..h).map(|j| f[j] * cp[j] + i[j] * g[j]).collect();
            let o: Vec<f64> = (0..h).map(|j| sigmoid(ao[j] + po[j] * c[j])).collect();
            let out = (0..h).map(|j| o[j] * c[j].tanh()).collect();
            cache.gate = vec![i, f, g, o];
            cache.c = c.clone();
            (out, c)
        }
        "lstm_cifg" | "lstm_no_forget" => {
            let pre = |k: usize| add(&ax(k), &ah(k, hp));
            let i: Vec<f64> = pre(0).iter().map(|v| sigmoid(*v)).collect();
            let g: Vec<f64> = pre(1).iter().map(|v| v.tanh()).collect();
            let o: Vec<f64> = pre(2).iter().map(|v| sigmoid(*v)).collect();
            let c: Vec<f64> = (0..h)
                .map(|j| {
                    if kind == "lstm_cifg" {
                        (1.0 - i[j]) * cp[j] + i[j] * g[j]
                    } else {
                        cp[j] + i[j] * g[j]
                    }
                })
                .collect();
            let out = (0..h).map(|j| o[j] * c[j].tanh()).collect();
            cache.gate = vec![i, g, o];
            cache.c = c.clone();
            (out, c)
        }
        k => panic!("unknown kind {k}"),
    };
    (hn, cn, cache)
}

/// Gradients of one step: per gate block, of its input-side sum `W_i x + b_i` (`dax`) and of
/// its hidden-side sum `W_h v + b_h` (`dah`, v = h_prev, or r*h_prev for the reset-before
/// n block), plus what flows to h_prev and c_prev directly and to the peepholes.
struct StepGrads {
    dax: Mat,
    dah: Mat,
    dhp: Vec<f64>,
    dcp: Vec<f64>,
    dpeep: Mat,
}

fn cell_backward(
    kind: &str,
    p: &Dir,
    h: usize,
    cache: &Cache,
    dh: &[f64],
    dc: &[f64],
) -> StepGrads {
    let hp = &cache.hp;
    let zeros = || vec![0.0; h];
    match kind {
        "rnn_tanh" | "rnn_relu" | "rnn_residual" | "rnn_leaky" | "rnn_leaky_fixed" => {
            let a = &cache.gate[0];
            if kind.starts_with("rnn_leaky") {
                // h = s hp + (1 - s) tanh(a): s = sigma(leak) (learned) or the rate (fixed).
                let s: Vec<f64> = (0..h).map(|j| leak_rate(kind, p.peep[0][j])).collect();
                let g: Vec<f64> = a.iter().map(|v| v.tanh()).collect();
                let da: Vec<f64> = (0..h)
                    .map(|j| dh[j] * (1.0 - s[j]) * (1.0 - g[j] * g[j]))
                    .collect();
                let dleak = (0..h)
                    .map(|j| {
                        if kind == "rnn_leaky" {
                            dh[j] * (hp[j] - g[j]) * s[j] * (1.0 - s[j])
                        } else {
                            0.0
                        }
                    })
                    .collect();
                return StepGrads {
                    dax: vec![da.clone()],
                    dah: vec![da],
                    dhp: (0..h).map(|j| dh[j] * s[j]).collect(),
                    dcp: vec![],
                    dpeep: vec![dleak],
                };
            }
            let da: Vec<f64> = (0..h)
                .map(|j| match kind {
                    "rnn_relu" => {
                        if a[j] > 0.0 {
                            dh[j]
                        } else {
                            0.0
                        }
                    }
                    _ => dh[j] * (1.0 - a[j].tanh().powi(2)),
                })
                .collect();
            let dhp = if kind == "rnn_residual" {
                dh.to_vec()
            } else {
                zeros()
            };
            StepGrads {
                dax: vec![da.clone()],
                dah: vec![da],
                dhp,
                dcp: vec![],
                dpeep: vec![],
            }
        }
        "gru" | "gru_reset_before" => {
            let (r, z, n) = (&cache.gate[0], &cache.gate[1], &cache.gate[2]);
            let dn: Vec<f64> = (0..h).map(|j| dh[j] * (1.0 - z[j])).collect();
            let dz: Vec<f64> = (0..h).map(|j| dh[j] * (hp[j] - n[j])).collect();
            let mut dhp: Vec<f64> = (0..h).map(|j| dh[j] * z[j]).collect();
            let dan: Vec<f64> = (0..h).map(|j| dn[j] * (1.0 - n[j] * n[j])).collect();
            let (dah_n, dr): (Vec<f64>, Vec<f64>) = if kind == "gru" {
                // n = tanh(xn + r * hn): hn's gradient is dan * r, r's is dan * hn.
                (
                    (0..h).map(|j| dan[j] * r[j]).collect(),
                    (0..h).map(|j| dan[j] * cache.aux[j]).collect(),
                )
            } else {
                // n = tanh(xn + W_hn (r*h) + b_hn): d(r*h) = W_hn^T dan.
                let drh: Vec<f64> = (0..h)
                    .map(|m| (0..h).map(|j| p.w_hh[2 * h + j][m] * dan[j]).sum())
                    .collect();
                for m in 0..h {
                    dhp[m] += drh[m] * r[m];
                }
                (dan.clone(), (0..h).map(|m| drh[m] * hp[m]).collect())
            };
            let dar: Vec<f64> = (0..h).map(|j| dr[j] * r[j] * (1.0 - r[j])).collect();
            let daz: Vec<f64> = (0..h).map(|j| dz[j] * z[j] * (1.0 - z[j])).collect();
            StepGrads {
                dax: vec![dar.clone(), daz.clone(), dan],
                dah: vec![dar, daz, dah_n],
                dhp,
                dcp: vec![],
                dpeep: vec![],
            }
        }
        _ => {
            let three = kind == "lstm_cifg" || kind == "lstm_no_forget";
            let peep = kind == "lstm_peephole";
            let (i, g, o) = if three {
                (&cache.gate[0], &cache.gate[1], &cache.gate[2])
            } else {
                (&cache.gate[0], &cache.gate[2], &cache.gate[3])
            };
            let (c, cp) = (&cache.c, &cache.cp);
            let mut dai = zeros();
            let mut daf = zeros();
            let mut dag = zeros();
            let mut dao = zeros();
            let mut dcp = zeros();
            let mut dpeep = if peep {
                vec![zeros(), zeros(), zeros()]
            } else {
                vec![]
            };
            for j in 0..h {
                let tc = c[j].tanh();
                dao[j] = dh[j] * tc * o[j] * (1.0 - o[j]);
                let mut dct = dc[j] + dh[j] * o[j] * (1.0 - tc * tc);
                if peep {
                    dct += dao[j] * p.peep[2][j];
                    dpeep[2][j] = dao[j] * c[j];
                }
                dag[j] = dct * i[j] * (1.0 - g[j] * g[j]);
                match kind {
                    "lstm_cifg" => {
                        dai[j] = dct * (g[j] - cp[j]) * i[j] * (1.0 - i[j]);
                        dcp[j] = dct * (1.0 - i[j]);
                    }
                    "lstm_no_forget" => {
                        dai[j] = dct * g[j] * i[j] * (1.0 - i[j]);
                        dcp[j] = dct;
                    }
                    _ => {
                        let f = cache.gate[1][j];
                        dai[j] = dct * g[j] * i[j] * (1.0 - i[j]);
                        daf[j] = dct * cp[j] * f * (1.0 - f);
                        dcp[j] = dct * f;
                        if peep {
                            dcp[j] += dai[j] * p.peep[0][j] + daf[j] * p.peep[1][j];
                            dpeep[0][j] = dai[j] * cp[j];
                            dpeep[1][j] = daf[j] * cp[j];
                        }
                    }
                }
            }
            let blocks = if three {
                vec![dai, dag, dao]
            } else {
                vec![dai, daf, dag, dao]
            };
            StepGrads {
                dax: blocks.clone(),
                dah: blocks,
                dhp: zeros(),
                dcp,
                dpeep,
            }
        }
    }
}

/// Per-sequence forward record: `caches[l*D + d][t]`.
struct SeqRun {
    caches: Vec<Vec<Option<Cache>>>,
    y: Mat,
    hn: Mat,
    cn: Mat,
}

fn state_of(v: &Option<Vec<f64>>, spec: &Spec, batch: usize, k: usize, b: usize) -> Vec<f64> {
    let h = spec.hidden;
    match v {
        Some(v) => v[(k * batch + b) * h..(k * batch + b + 1) * h].to_vec(),
        None => vec![0.0; h],
    }
}

fn run_sequence(pb: &Problem, dirs_p: &[Dir], b: usize) -> SeqRun {
    let spec = &pb.spec;
    let (h, nd) = (spec.hidden, spec.dirs());
    let n = pb.lengths.as_ref().map_or(pb.seq_len, |l| l[b]);
    let i = spec.input;
    let mut inp: Mat = (0..n)
        .map(|t| pb.x[(t * pb.batch + b) * i..(t * pb.batch + b + 1) * i].to_vec())
        .collect();
    let mut caches = vec![vec![None; n]; spec.layers * nd];
    let mut hn = vec![vec![]; spec.layers * nd];
    let mut cn = vec![vec![]; spec.layers * nd];
    for l in 0..spec.layers {
        let mut out = vec![vec![0.0; nd * h]; n];
        for d in 0..nd {
            let k = l * nd + d;
            let mut hs = state_of(&pb.h0, spec, pb.batch, k, b);
            let mut cs = if spec.has_c() {
                state_of(&pb.c0, spec, pb.batch, k, b)
            } else {
                vec![]
            };
            let order: Vec<usize> = if d == 0 {
                (0..n).collect()
            } else {
                (0..n).rev().collect()
            };
            for t in order {
                let (h2, c2, cache) = cell_forward(&spec.kind, &dirs_p[k], h, &inp[t], &hs, &cs);
                out[t][d * h..(d + 1) * h].copy_from_slice(&h2);
                caches[k][t] = Some(cache);
                hs = h2;
                cs = c2;
            }
            hn[k] = hs;
            cn[k] = cs;
        }
        inp = out;
    }
    SeqRun {
        caches,
        y: inp,
        hn,
        cn,
    }
}

pub fn forward(pb: &Problem) -> Outputs {
    let spec = &pb.spec;
    let dirs_p = unflatten(spec, &pb.params);
    let (h, nd, bsz) = (spec.hidden, spec.dirs(), pb.batch);
    let dh = nd * h;
    let states = spec.layers * nd * bsz * h;
    let mut out = Outputs {
        y: vec![0.0; pb.seq_len * bsz * dh],
        hn: vec![0.0; states],
        cn: if spec.has_c() {
            vec![0.0; states]
        } else {
            vec![]
        },
    };
    for b in 0..bsz {
        let run = run_sequence(pb, &dirs_p, b);
        for (t, row) in run.y.iter().enumerate() {
            out.y[(t * bsz + b) * dh..(t * bsz + b + 1) * dh].copy_from_slice(row);
        }
        for k in 0..spec.layers * nd {
            out.hn[(k * bsz + b) * h..(k * bsz + b + 1) * h].copy_from_slice(&run.hn[k]);
            if spec.has_c() {
                out.cn[(k * bsz + b) * h..(k * bsz + b + 1) * h].copy_from_slice(&run.cn[k]);
            }
        }
    }
    out
}

/// `sum(y * gy) + sum(h_n * ghn) + sum(c_n * gcn)`.
pub fn loss(pb: &Problem, out: &Outputs) -> f64 {
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a * b).sum::<f64>();
    dot(&out.y, &pb.gy) + dot(&out.hn, &pb.ghn) + dot(&out.cn, &pb.gcn)
}

pub fn backward(pb: &Problem) -> Grads {
    let spec = &pb.spec;
    let dirs_p = unflatten(spec, &pb.params);
    let mut gdirs: Vec<Dir> = (0..spec.layers * spec.dirs())
        .map(|k| Dir::zeros(spec, k / spec.dirs()))
        .collect();
    let (h, nd, bsz, i) = (spec.hidden, spec.dirs(), pb.batch, spec.input);
    let states = spec.layers * nd * bsz * h;
    let mut g = Grads {
        params: vec![],
        x: vec![0.0; pb.seq_len * bsz * i],
        h0: vec![0.0; states],
        c0: vec![0.0; states],
    };
    let ghn = Some(pb.ghn.clone());
    let gcn = if spec.has_c() {
        Some(pb.gcn.clone())
    } else {
        None
    };
    for b in 0..bsz {
        let run = run_sequence(pb, &dirs_p, b);
        let n = run.y.len();
        let mut dout: Mat = (0..n)
            .map(|t| pb.gy[(t * bsz + b) * nd * h..(t * bsz + b + 1) * nd * h].to_vec())
            .collect();
        for l in (0..spec.layers).rev() {
            let mut din = vec![vec![0.0; spec.layer_input(l)]; n];
            for d in 0..nd {
                let k = l * nd + d;
                let (p, gp) = (&dirs_p[k], &mut gdirs[k]);
                let mut dh = state_of(&ghn, spec, bsz, k, b);
                let mut dc = if spec.has_c() {
                    state_of(&gcn, spec, bsz, k, b)
                } else {
                    vec![]
                };
                let order: Vec<usize> = if d == 0 {
                    (0..n).rev().collect()
                } else {
                    (0..n).collect()
                };
                for t in order {
                    let cache = run.caches[k][t]
                        .as_ref()
                        .expect("forward visited every step");
                    let dtot: Vec<f64> = (0..h).map(|j| dh[j] + dout[t][d * h + j]).collect();
                    let sg = cell_backward(&spec.kind, p, h, cache, &dtot, &dc);
                    let mut dhp = sg.dhp.clone();
                    for (blk, (dax, dah)) in sg.dax.iter().zip(&sg.dah).enumerate() {
                        // What the hidden-side matrix of this block multiplied.
                        let v: &[f64] = if spec.kind == "gru_reset_before" && blk == 2 {
                            &cache.aux
                        } else {
                            &cache.hp
                        };
                        for j in 0..h {
                            let row = blk * h + j;
                            gp.b_ih[row] += dax[j];
                            gp.b_hh[row] += dah[j];
                            for m in 0..cache.x.len() {
                                gp.w_ih[row][m] += dax[j] * cache.x[m];
                                din[t][m] += p.w_ih[row][m] * dax[j];
                            }
                            for m in 0..h {
                                gp.w_hh[row][m] += dah[j] * v[m];
                                // The reset-before n block reached h_prev through r*h: done in cell_backward.
                                if !(spec.kind == "gru_reset_before" && blk == 2) {
                                    dhp[m] += p.w_hh[row][m] * dah[j];
                                }
                            }
                        }
                    }
                    for (q, dq) in sg.dpeep.iter().enumerate() {
                        for j in 0..h {
                            gp.peep[q][j] += dq[j];
                        }
                    }
                    dh = dhp;
                    dc = sg.dcp;
                }
                g.h0[(k * bsz + b) * h..(k * bsz + b + 1) * h].copy_from_slice(&dh);
                if spec.has_c() {
                    g.c0[(k * bsz + b) * h..(k * bsz + b + 1) * h].copy_from_slice(&dc);
                }
            }
            dout = din;
        }
        for (t, row) in dout.iter().enumerate() {
            g.x[(t * bsz + b) * i..(t * bsz + b + 1) * i].copy_from_slice(row);
        }
    }
    g.params = flatten(&mut gdirs);
    g
}
