//! Every `attention_seq2seq` case of the model-family fixtures (`shared/fixtures/families`,
//! PyTorch float64 references, d2l's Bahdanau decoder and the scaled dot-product variant)
//! through the crate: the GRU encoder (`rnn::forward_train` over all S steps, as d2l reads the
//! padding), the attention decoder (`attn_forward` / `attn_backward`), a dense layer and the
//! mean cross-entropy over the valid target tokens written here, at the README's default
//! tolerance tier (`atol * M + rtol * |e|`, no floor). Also: 1 and 2 threads give the same bits.

mod common;

use common::family_fixture::{cases, dir, floats, ints, read, usage, FORWARD, GRADS};
use recurrent_core::rnn::attention::{
    attn_backward, attn_forward, AttnGrads, AttnOutput, AttnShape, AttnSpec, Score,
};
use recurrent_core::rnn::{
    backward, forward_train, CellKind, Layout, ParamLayout, SeqGradInput, SeqGradOutput, SeqInput,
    SeqOutput, StackSpec, Tape,
};
use recurrent_core::{Parallel, Sequential};
use serde_json::Value;
use std::collections::BTreeMap;

/// `[B, T, ...]` (batch-major) from time-major `[T, B, w]`.
fn batch_major(x: &[f32], t: usize, b: usize, w: usize) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    for i in 0..t {
        for j in 0..b {
            out[(j * t + i) * w..(j * t + i + 1) * w]
                .copy_from_slice(&x[(i * b + j) * w..(i * b + j + 1) * w]);
        }
    }
    out
}

/// Every output and gradient of one case, names as in the fixture.
fn run(f: &Value, pool: &dyn Parallel) -> BTreeMap<String, Vec<f32>> {
    let s = &f["spec"];
    let size = |k: &str| s[k].as_u64().expect(k) as usize;
    let (vt, e, h, l) = (
        size("tgt_vocab_size"),
        size("embed_size"),
        size("num_hiddens"),
        size("num_layers"),
    );
    let (b, sl, tl) = (size("batch"), size("src_len"), size("tgt_len"));
    let score = if s["attention"] == "dot" {
        Score::Dot
    } else {
        Score::Additive
    };
    let p = |n: &str| floats(&f["params"][n]);
    let inputs = &f["inputs"];
    let (src, dec_in, tgt) = (
        ints(&inputs["src"]),
        ints(&inputs["dec_input"]),
        ints(&inputs["tgt"]),
    );
    let lengths: Vec<u32> = ints(&inputs["src_valid_len"])
        .iter()
        .map(|&v| v as u32)
        .collect();
    let tgt_valid = ints(&inputs["tgt_valid_len"]);
    // Stacks in the crate's layout, from the fixture's names.
    let stack = |prefix: &str, input: usize| {
        let spec = StackSpec {
            kind: CellKind::Gru,
            input_size: input,
            hidden_size: h,
            num_layers: l,
            bidirectional: false,
            bias: true,
            proj_size: 0,
            skip: 0,
        };
        let lay = ParamLayout::new(&spec).expect("spec");
        let params: Vec<f32> = lay
            .tensors()
            .iter()
            .flat_map(|t| p(&format!("{prefix}.rnn.{}", t.name)))
            .collect();
        (spec, lay, params)
    };
    let (enc_spec, enc_lay, enc_params) = stack("encoder", e);
    let (dec_spec, dec_lay, dec_params) = stack("decoder", h + e);
    let a = if score == Score::Additive {
        p("decoder.attention.W_k.weight").len() / h
    } else {
        h
    };
    let spec = AttnSpec {
        stack: dec_spec,
        embed: e,
        score,
        attn_size: a,
    };
    let attn: Vec<f32> = match score {
        Score::Additive => ["W_k.weight", "W_q.weight", "w_v.weight"]
            .iter()
            .flat_map(|n| p(&format!("decoder.attention.{n}")))
            .collect(),
        Score::Dot => p("decoder.attention.W_q.weight"),
    };
    let (enc_emb, dec_emb) = (p("encoder.embedding.weight"), p("decoder.embedding.weight"));
    let (dense_w, dense_b) = (p("decoder.dense.weight"), p("decoder.dense.bias"));
    // Encoder, time-major, every step.
    let mut x = vec![0.0f32; sl * b * e];
    for t in 0..sl {
        for j in 0..b {
            let id = src[j * sl + t];
            x[(t * b + j) * e..(t * b + j + 1) * e].copy_from_slice(&enc_emb[id * e..(id + 1) * e]);
        }
    }
    let mut enc_y = vec![0.0f32; sl * b * h];
    let mut state = vec![0.0f32; l * b * h];
    let mut tape = Tape::new(&enc_spec, sl, b).expect("tape");
    let input = SeqInput {
        layout: Layout::TimeMajor,
        seq_len: sl,
        batch: b,
        x: &x,
        lengths: None,
        h0: None,
        c0: None,
    };
    forward_train(
        pool,
        &enc_spec,
        &enc_params,
        &input,
        SeqOutput {
            y: &mut enc_y,
            h_n: &mut state,
            c_n: None,
        },
        &mut tape,
    )
    .expect("encoder");
    let enc_state = state.clone();
    // Decoder.
    let mut emb = vec![0.0f32; tl * b * e];
    for t in 0..tl {
        for j in 0..b {
            let id = dec_in[j * tl + t];
            emb[(t * b + j) * e..(t * b + j + 1) * e]
                .copy_from_slice(&dec_emb[id * e..(id + 1) * e]);
        }
    }
    let shape = AttnShape {
        src_len: sl,
        tgt_len: tl,
        batch: b,
    };
    let mut atape = vec![0.0f32; spec.tape_len(shape).expect("tape len")];
    let mut y = vec![0.0f32; tl * b * h];
    let mut alpha = vec![0.0f32; tl * b * sl];
    let out = AttnOutput {
        h: &mut state,
        c: None,
        y: &mut y,
        alpha: Some(&mut alpha),
    };
    attn_forward(
        pool,
        &spec,
        shape,
        &dec_params,
        &attn,
        &enc_y,
        &lengths,
        &emb,
        out,
        &mut atape,
        false,
    )
    .expect("decoder");
    // Dense, cross-entropy over the valid target tokens, and dL/dy.
    let n_valid: usize = tgt_valid.iter().sum();
    let mut logits = vec![0.0f32; tl * b * vt];
    let mut gy = vec![0.0f32; tl * b * h];
    let (mut gw, mut gb) = (vec![0.0f32; vt * h], vec![0.0f32; vt]);
    let mut loss = 0.0f64;
    for t in 0..tl {
        for j in 0..b {
            let r = t * b + j;
            let hr = &y[r * h..(r + 1) * h];
            let lg = &mut logits[r * vt..(r + 1) * vt];
            for v in 0..vt {
                lg[v] = dense_b[v] + (0..h).map(|k| dense_w[v * h + k] * hr[k]).sum::<f32>();
            }
            if t >= tgt_valid[j] {
                continue;
            }
            let max = lg.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
            let z: f64 = lg.iter().map(|&v| (v as f64 - max).exp()).sum();
            let target = tgt[j * tl + t];
            loss += (max + z.ln() - lg[target] as f64) / n_valid as f64;
            for v in 0..vt {
                let pr = ((lg[v] as f64 - max).exp() / z) as f32;
                let d = (pr - if v == target { 1.0 } else { 0.0 }) / n_valid as f32;
                gb[v] += d;
                for k in 0..h {
                    gw[v * h + k] += d * hr[k];
                    gy[r * h + k] += d * dense_w[v * h + k];
                }
            }
        }
    }
    let mut dec_grads = vec![0.0f32; dec_params.len()];
    let mut attn_grads = vec![0.0f32; attn.len()];
    let mut g_enc = vec![0.0f32; enc_y.len()];
    let mut g_emb = vec![0.0f32; emb.len()];
    let mut gh0 = vec![0.0f32; l * b * h];
    let grads = AttnGrads {
        params: &mut dec_grads,
        attn: &mut attn_grads,
        enc: &mut g_enc,
        emb: Some(&mut g_emb),
        h0: &mut gh0,
        c0: None,
    };
    attn_backward(
        pool,
        &spec,
        shape,
        &dec_params,
        &attn,
        &enc_y,
        &lengths,
        &gy,
        grads,
        &mut atape,
    )
    .expect("decoder backward");
    let mut enc_grads = vec![0.0f32; enc_params.len()];
    let mut gx = vec![0.0f32; x.len()];
    let gin = SeqGradInput {
        gy: &g_enc,
        ghn: Some(&gh0),
        gcn: None,
    };
    let gout = SeqGradOutput {
        params: &mut enc_grads,
        x: Some(&mut gx),
        h0: None,
        c0: None,
    };
    backward(pool, &enc_spec, &enc_params, &mut tape, &gin, gout).expect("encoder backward");
    let mut out = BTreeMap::new();
    let (mut ge, mut gd) = (vec![0.0f32; enc_emb.len()], vec![0.0f32; dec_emb.len()]);
    for t in 0..sl {
        for j in 0..b {
            let id = src[j * sl + t];
            for k in 0..e {
                ge[id * e + k] += gx[(t * b + j) * e + k];
            }
        }
    }
    for t in 0..tl {
        for j in 0..b {
            let id = dec_in[j * tl + t];
            for k in 0..e {
                gd[id * e + k] += g_emb[(t * b + j) * e + k];
            }
        }
    }
    out.insert("loss".into(), vec![loss as f32]);
    out.insert("enc_outputs".into(), batch_major(&enc_y, sl, b, h));
    out.insert("enc_state".into(), enc_state);
    out.insert("attention_weights".into(), batch_major(&alpha, tl, b, sl));
    out.insert("logits".into(), batch_major(&logits, tl, b, vt));
    out.insert("dec_state".into(), state.clone());
    out.insert("grad:encoder.embedding.weight".into(), ge);
    out.insert("grad:decoder.embedding.weight".into(), gd);
    out.insert("grad:decoder.dense.weight".into(), gw);
    out.insert("grad:decoder.dense.bias".into(), gb);
    for (prefix, lay, g) in [
        ("encoder", &enc_lay, &enc_grads),
        ("decoder", &dec_lay, &dec_grads),
    ] {
        for t in lay.tensors() {
            out.insert(
                format!("grad:{prefix}.rnn.{}", t.name),
                g[t.offset..t.offset + t.len()].to_vec(),
            );
        }
    }
    let mut off = 0;
    let names: &[&str] = if score == Score::Additive {
        &["W_k", "W_q", "w_v"]
    } else {
        &["W_q"]
    };
    for n in names {
        let len = floats(&f["params"][format!("decoder.attention.{n}.weight")]).len();
        out.insert(
            format!("grad:decoder.attention.{n}.weight"),
            attn_grads[off..off + len].to_vec(),
        );
        off += len;
    }
    out
}

#[test]
fn every_attention_seq2seq_case_matches_pytorch() {
    let cases = cases("attention_seq2seq", 7);
    for path in &cases {
        let f: Value = read(path);
        let name = f["name"].as_str().expect("name").to_string();
        let r = run(&f, &Sequential);
        let mut worst = 0.0f64;
        let loss = r["loss"][0] as f64;
        let want = f["loss"]["value"].as_f64().expect("loss");
        assert!(
            ((loss - want) / want).abs() < 1e-4,
            "{name}: loss {loss} vs {want}"
        );
        for k in [
            "enc_outputs",
            "enc_state",
            "attention_weights",
            "logits",
            "dec_state",
        ] {
            let u = usage(&r[k], &floats(&f["outputs"][k]), FORWARD);
            assert!(u <= 1.0, "{name}: {k} tol_usage {u}");
            worst = worst.max(u);
        }
        for (g, expected) in f["grads"].as_object().expect("grads") {
            let actual = r
                .get(&format!("grad:{g}"))
                .unwrap_or_else(|| panic!("{name}: no gradient {g}"));
            let u = usage(actual, &floats(expected), GRADS);
            assert!(u <= 1.0, "{name}: grad {g} tol_usage {u}");
            worst = worst.max(u);
        }
        eprintln!("{name}: worst tol_usage {worst:.2e}");
    }
}

#[test]
fn the_same_bits_on_one_and_two_threads() {
    let path = dir().join("35_attention_seq2seq_additive_L2_B6_S13_T12_V40x36_E16_H24.json");
    let f = read(&path);
    let one = run(&f, &Sequential);
    let pool = recurrent_core::parallel::ScopedThreads::new(2);
    let two = run(&f, &pool);
    for (k, v) in &one {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(v), bits(&two[k]), "{k}");
    }
}

/// Forward and backward of a decoder large enough for the attention's rows and the GEMMs to
/// be cut over threads (B = 64, S = 30): every output and gradient, as bits.
fn large(pool: &dyn Parallel, score: Score, kind: CellKind, bias: bool) -> Vec<Vec<u32>> {
    let (h, e, l, a) = (32, 8, 2, 24);
    let shape = AttnShape {
        src_len: 30,
        tgt_len: 7,
        batch: 64,
    };
    let stack = StackSpec {
        kind,
        input_size: h + e,
        hidden_size: h,
        num_layers: l,
        bidirectional: false,
        bias,
        proj_size: 0,
        skip: 0,
    };
    let spec = AttnSpec {
        stack,
        embed: e,
        score,
        attn_size: a,
    };
    let mut seed = 12345u64;
    let mut vec = |n: usize, scale: f32| -> Vec<f32> {
        (0..n)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((seed >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
            })
            .collect()
    };
    let (b, sl, tl) = (shape.batch, shape.src_len, shape.tgt_len);
    let params = vec(stack.param_len().expect("len"), 0.3);
    let attn = vec(spec.attn_param_len().expect("len"), 0.5);
    let enc = vec(sl * b * h, 1.0);
    let emb = vec(tl * b * e, 1.0);
    let lengths: Vec<u32> = (0..b).map(|i| 1 + (i * 7 % sl) as u32).collect();
    let has_c = kind == CellKind::Lstm;
    let mut hs = vec(l * b * h, 0.5);
    let mut cs = if has_c {
        vec(l * b * h, 0.5)
    } else {
        Vec::new()
    };
    let gy = vec(tl * b * h, 1.0);
    let mut tape = vec![0.0f32; spec.tape_len(shape).expect("tape")];
    let mut y = vec![0.0f32; tl * b * h];
    let mut alpha = vec![0.0f32; tl * b * sl];
    let out = AttnOutput {
        h: &mut hs,
        c: has_c.then_some(&mut cs[..]),
        y: &mut y,
        alpha: Some(&mut alpha),
    };
    attn_forward(
        pool, &spec, shape, &params, &attn, &enc, &lengths, &emb, out, &mut tape, false,
    )
    .expect("forward");
    let (mut gp, mut ga) = (vec![0.0f32; params.len()], vec![0.0f32; attn.len()]);
    let (mut ge, mut gm, mut gh, mut gc) = (
        vec![0.0f32; enc.len()],
        vec![0.0f32; emb.len()],
        vec![0.0f32; l * b * h],
        vec![0.0f32; l * b * h],
    );
    let grads = AttnGrads {
        params: &mut gp,
        attn: &mut ga,
        enc: &mut ge,
        emb: Some(&mut gm),
        h0: &mut gh,
        c0: has_c.then_some(&mut gc[..]),
    };
    attn_backward(
        pool, &spec, shape, &params, &attn, &enc, &lengths, &gy, grads, &mut tape,
    )
    .expect("backward");
    [y, alpha, hs, cs, gp, ga, ge, gm, gh, gc]
        .iter()
        .map(|v| v.iter().map(|x| x.to_bits()).collect())
        .collect()
}

#[test]
fn large_batches_the_same_bits_on_one_and_two_threads() {
    let two = recurrent_core::parallel::ScopedThreads::new(2);
    for score in [Score::Additive, Score::Dot] {
        for kind in [
            CellKind::Gru,
            CellKind::Lstm,
            CellKind::GruResetBefore,
            CellKind::RnnTanh,
        ] {
            let bias = kind != CellKind::Gru; // the GRU runs without biases (bias: false)
            let (a, b) = (
                large(&Sequential, score, kind, bias),
                large(&two, score, kind, bias),
            );
            for (k, (x, y)) in a.iter().zip(&b).enumerate() {
                assert!(
                    x == y,
                    "{score:?} {kind:?}: output {k} differs between 1 and 2 threads"
                );
            }
            assert!(
                a[5].iter().any(|&g| f32::from_bits(g) != 0.0),
                "attention gradients are zero"
            );
        }
    }
}

#[test]
fn one_step_per_call_with_kept_keys_gives_the_whole_sequence_bits() {
    let (h, e, l, a) = (16, 4, 2, 12);
    let (b, sl, tl) = (6, 9, 5);
    let stack = StackSpec {
        kind: CellKind::Gru,
        input_size: h + e,
        hidden_size: h,
        num_layers: l,
        bidirectional: false,
        bias: true,
        proj_size: 0,
        skip: 0,
    };
    let spec = AttnSpec {
        stack,
        embed: e,
        score: Score::Additive,
        attn_size: a,
    };
    let mut seed = 99u64;
    let mut vec = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect()
    };
    let params = vec(stack.param_len().expect("len"));
    let attn = vec(spec.attn_param_len().expect("len"));
    let enc = vec(sl * b * h);
    let emb = vec(tl * b * e);
    let h0 = vec(l * b * h);
    let lengths: Vec<u32> = (0..b as u32).map(|i| 1 + i * 3 % sl as u32).collect();
    let whole = AttnShape {
        src_len: sl,
        tgt_len: tl,
        batch: b,
    };
    let (mut hs, mut y, mut alpha) = (
        h0.clone(),
        vec![0.0f32; tl * b * h],
        vec![0.0f32; tl * b * sl],
    );
    let mut tape = vec![0.0f32; spec.tape_len(whole).expect("tape")];
    let out = AttnOutput {
        h: &mut hs,
        c: None,
        y: &mut y,
        alpha: Some(&mut alpha),
    };
    attn_forward(
        &Sequential,
        &spec,
        whole,
        &params,
        &attn,
        &enc,
        &lengths,
        &emb,
        out,
        &mut tape,
        false,
    )
    .expect("whole");
    let one = AttnShape {
        tgt_len: 1,
        ..whole
    };
    let mut step_tape = vec![0.0f32; spec.tape_len(one).expect("tape")];
    let mut hs1 = h0;
    for t in 0..tl {
        let (mut yt, mut at) = (vec![0.0f32; b * h], vec![0.0f32; b * sl]);
        let out = AttnOutput {
            h: &mut hs1,
            c: None,
            y: &mut yt,
            alpha: Some(&mut at),
        };
        let x = &emb[t * b * e..(t + 1) * b * e];
        attn_forward(
            &Sequential,
            &spec,
            one,
            &params,
            &attn,
            &enc,
            &lengths,
            x,
            out,
            &mut step_tape,
            t > 0,
        )
        .expect("step");
        assert_eq!(yt, y[t * b * h..(t + 1) * b * h], "y at step {t}");
        assert_eq!(at, alpha[t * b * sl..(t + 1) * b * sl], "alpha at step {t}");
    }
    assert_eq!(hs1, hs);
}

/// `sum(y * gy)` of a decoder forward (f64 sum), for finite differences.
#[allow(clippy::too_many_arguments)]
fn fd_loss(
    spec: &AttnSpec,
    shape: AttnShape,
    params: &[f32],
    attn: &[f32],
    enc: &[f32],
    lengths: &[u32],
    emb: &[f32],
    h0: &[f32],
    c0: &[f32],
    gy: &[f32],
) -> f64 {
    let (mut hs, mut cs) = (h0.to_vec(), c0.to_vec());
    let mut y = vec![0.0f32; gy.len()];
    let has_c = !c0.is_empty();
    let mut tape = vec![0.0f32; spec.tape_len(shape).expect("tape")];
    let out = AttnOutput {
        h: &mut hs,
        c: has_c.then_some(&mut cs[..]),
        y: &mut y,
        alpha: None,
    };
    attn_forward(
        &Sequential,
        spec,
        shape,
        params,
        attn,
        enc,
        lengths,
        emb,
        out,
        &mut tape,
        false,
    )
    .expect("forward");
    y.iter()
        .zip(gy)
        .map(|(a, b)| f64::from(*a) * f64::from(*b))
        .sum()
}

#[test]
fn every_cell_kind_matches_central_differences() {
    let (h, e, l, a) = (5, 3, 2, 4);
    let shape = AttnShape {
        src_len: 5,
        tgt_len: 4,
        batch: 3,
    };
    let (sl, tl, b) = (shape.src_len, shape.tgt_len, shape.batch);
    for kind in [
        CellKind::Lstm,
        CellKind::LstmPeephole,
        CellKind::GruResetBefore,
        CellKind::RnnTanh,
        CellKind::Gru,
    ] {
        for score in [Score::Additive, Score::Dot] {
            let stack = StackSpec {
                kind,
                input_size: h + e,
                hidden_size: h,
                num_layers: l,
                bidirectional: false,
                bias: true,
                proj_size: 0,
                skip: 0,
            };
            let spec = AttnSpec {
                stack,
                embed: e,
                score,
                attn_size: a,
            };
            let mut seed = 7u64;
            let mut vec = |n: usize, scale: f32| -> Vec<f32> {
                (0..n)
                    .map(|_| {
                        seed = seed
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        ((seed >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
                    })
                    .collect()
            };
            let has_c = kind.has_cell_state();
            let mut inputs = [
                vec(stack.param_len().expect("len"), 0.5),
                vec(spec.attn_param_len().expect("len"), 0.8),
                vec(sl * b * h, 1.0),
                vec(tl * b * e, 1.0),
                vec(l * b * h, 0.5),
                if has_c {
                    vec(l * b * h, 0.5)
                } else {
                    Vec::new()
                },
            ];
            let lengths = [5u32, 2, 4];
            let gy = vec(tl * b * h, 1.0);
            // Analytic.
            let [p, at, en, em, h0, c0] = &inputs;
            let (mut hs, mut cs, mut y) = (h0.clone(), c0.clone(), vec![0.0f32; tl * b * h]);
            let mut tape = vec![0.0f32; spec.tape_len(shape).expect("tape")];
            let out = AttnOutput {
                h: &mut hs,
                c: has_c.then_some(&mut cs[..]),
                y: &mut y,
                alpha: None,
            };
            attn_forward(
                &Sequential,
                &spec,
                shape,
                p,
                at,
                en,
                &lengths,
                em,
                out,
                &mut tape,
                false,
            )
            .expect("forward");
            let mut g: Vec<Vec<f32>> = inputs.iter().map(|v| vec![0.0f32; v.len()]).collect();
            {
                let [gp, ga, ge, gm, gh, gc] = &mut g[..] else {
                    unreachable!()
                };
                let grads = AttnGrads {
                    params: gp,
                    attn: ga,
                    enc: ge,
                    emb: Some(gm),
                    h0: gh,
                    c0: has_c.then_some(&mut gc[..]),
                };
                attn_backward(
                    &Sequential,
                    &spec,
                    shape,
                    p,
                    at,
                    en,
                    &lengths,
                    &gy,
                    grads,
                    &mut tape,
                )
                .expect("backward");
            }
            // Numeric, every element of every input.
            let names = ["params", "attn", "enc", "emb", "h0", "c0"];
            for k in 0..inputs.len() {
                for i in 0..inputs[k].len() {
                    let x = inputs[k][i];
                    let eps = 1e-2f32;
                    let mut at_x = |v: f32| {
                        inputs[k][i] = v;
                        let [p, at, en, em, h0, c0] = &inputs;
                        fd_loss(&spec, shape, p, at, en, &lengths, em, h0, c0, &gy)
                    };
                    let num = (at_x(x + eps) - at_x(x - eps)) / (2.0 * f64::from(eps));
                    inputs[k][i] = x;
                    let ana = f64::from(g[k][i]);
                    assert!(
                        (num - ana).abs() <= 3e-3 + 2e-2 * num.abs().max(ana.abs()),
                        "{kind:?} {score:?}: d loss / d {}[{i}]: numeric {num}, analytic {ana}",
                        names[k]
                    );
                }
            }
        }
    }
}
