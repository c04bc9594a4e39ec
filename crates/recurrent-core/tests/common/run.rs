//! Running the crate's f32 stack on a problem given time-major, in either layout.

use super::reference;
use super::rng::Rng;
use super::tol::to_f64;
use recurrent_core::rnn::{
    backward_recomputing, forward_train_masked, Dropout, Layout, SeqGradDiagnostics, SeqGradInput,
    SeqGradOutput, SeqInput, SeqOutput, StackSpec, Tape,
};
use recurrent_core::Parallel;

/// A problem in f32, sequences time-major `[T, B, ..]`.
#[derive(Debug, Clone)]
pub struct Problem {
    pub spec: StackSpec,
    pub seq_len: usize,
    pub batch: usize,
    pub params: Vec<f32>,
    pub x: Vec<f32>,
    pub lengths: Option<Vec<u32>>,
    pub h0: Option<Vec<f32>>,
    pub c0: Option<Vec<f32>>,
    pub gy: Vec<f32>,
    pub ghn: Option<Vec<f32>>,
    pub gcn: Option<Vec<f32>>,
}

impl Problem {
    /// The forward's input: `x` (the problem's, already in `layout`) with the problem's
    /// lengths and initial states.
    pub fn input<'a>(&'a self, layout: Layout, x: &'a [f32]) -> SeqInput<'a> {
        SeqInput {
            layout,
            seq_len: self.seq_len,
            batch: self.batch,
            x,
            lengths: self.lengths.as_deref(),
            h0: self.h0.as_deref(),
            c0: self.c0.as_deref(),
        }
    }

    /// The backward's input: `gy` (already in the forward's layout) with the problem's `ghn`,
    /// `gcn`.
    pub fn grad_input<'a>(&'a self, gy: &'a [f32]) -> SeqGradInput<'a> {
        SeqGradInput {
            gy,
            ghn: self.ghn.as_deref(),
            gcn: self.gcn.as_deref(),
        }
    }
}

/// A backward's outputs: every gradient, `gc0` only for the LSTM family (`has_c`).
pub fn grad_outputs<'a>(
    gparams: &'a mut [f32],
    gx: &'a mut [f32],
    gh0: &'a mut [f32],
    gc0: &'a mut [f32],
    has_c: bool,
) -> SeqGradOutput<'a> {
    SeqGradOutput {
        params: gparams,
        x: Some(gx),
        h0: Some(gh0),
        c0: has_c.then_some(gc0),
    }
}

/// A forward's outputs into `y`, `hn` and, for the LSTM family (`has_c`), `cn`.
pub fn outputs<'a>(
    y: &'a mut [f32],
    hn: &'a mut [f32],
    cn: &'a mut [f32],
    has_c: bool,
) -> SeqOutput<'a> {
    SeqOutput {
        y,
        h_n: hn,
        c_n: has_c.then_some(cn),
    }
}

/// Everything a forward + backward returns, time-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Result {
    pub y: Vec<f32>,
    pub hn: Vec<f32>,
    pub cn: Vec<f32>,
    pub gparams: Vec<f32>,
    pub gx: Vec<f32>,
    pub gh0: Vec<f32>,
    pub gc0: Vec<f32>,
    /// The backward's step norms `[D*L * T]` when asked for ([`Opts::norms`]), else empty.
    pub norms: Vec<f32>,
}

/// Random problem: parameters uniform in +-1/sqrt(H) like PyTorch's init, inputs normal.
pub fn generate(
    rng: &mut Rng,
    spec: StackSpec,
    seq_len: usize,
    batch: usize,
    varlen: bool,
    with_h0: bool,
) -> Problem {
    let n = spec.param_len().expect("valid spec");
    let k = 1.0 / (spec.hidden_size as f64).sqrt();
    // `h` states are P wide (the projection's size, else H), `c` states H wide.
    let states = spec.state_count() * batch * spec.state_size();
    let c_states = spec.state_count() * batch * spec.hidden_size;
    let has_c = spec.kind.has_cell_state();
    let params = rng.vec_uniform(n, k);
    let x = rng.vec_normal(seq_len * batch * spec.input_size, 1.0);
    let lengths = varlen.then(|| {
        let mut l: Vec<u32> = (0..batch).map(|_| 1 + rng.below(seq_len) as u32).collect();
        l[batch / 2] = seq_len as u32;
        l
    });
    let h0 = with_h0.then(|| rng.vec_normal(states, 0.5));
    let c0 = (with_h0 && has_c).then(|| rng.vec_normal(c_states, 0.5));
    let gy = rng.vec_normal(seq_len * batch * spec.output_size(), 1.0);
    let ghn = Some(rng.vec_normal(states, 1.0));
    let gcn = has_c.then(|| rng.vec_normal(c_states, 1.0));
    Problem {
        spec,
        seq_len,
        batch,
        params,
        x,
        lengths,
        h0,
        c0,
        gy,
        ghn,
        gcn,
    }
}

/// `[T, B, w]` <-> `[B, T, w]`.
pub fn transpose_tb(
    v: &[f32],
    t_len: usize,
    batch: usize,
    w: usize,
    to_batch_major: bool,
) -> Vec<f32> {
    let mut out = vec![0.0; v.len()];
    for t in 0..t_len {
        for b in 0..batch {
            let (tm, bm) = ((t * batch + b) * w, (b * t_len + t) * w);
            let (src, dst) = if to_batch_major { (tm, bm) } else { (bm, tm) };
            out[dst..dst + w].copy_from_slice(&v[src..src + w]);
        }
    }
    out
}

/// Forward (training) + backward with `layout`; results converted back to time-major.
pub fn run(pb: &Problem, pool: &dyn Parallel, layout: Layout) -> Result {
    run_checkpointed(pb, pool, layout, 0)
}

/// [`run`] with a checkpointed tape of `k`-step segments (`k` = 0: a full tape).
pub fn run_checkpointed(pb: &Problem, pool: &dyn Parallel, layout: Layout, k: usize) -> Result {
    run_with(
        pb,
        pool,
        Opts {
            layout,
            k,
            ..Opts::default()
        },
    )
}

/// How [`run_with`] trains.
#[derive(Debug, Clone, Copy)]
pub struct Opts<'a> {
    pub layout: Layout,
    /// Checkpoint every `k` steps; 0: a full tape.
    pub k: usize,
    pub dropout: Dropout,
    /// The variational masks (as `forward_train_masked` takes them); `None`: drawn.
    pub masks: Option<&'a [f32]>,
    /// Record the backward's step norms into [`Result::norms`].
    pub norms: bool,
}

impl Default for Opts<'_> {
    /// Time-major, a full tape, no dropout, no norms.
    fn default() -> Self {
        Self {
            layout: Layout::TimeMajor,
            k: 0,
            dropout: Dropout::NONE,
            masks: None,
            norms: false,
        }
    }
}

/// Forward (training) + backward as `o` says; results converted back to time-major.
pub fn run_with(pb: &Problem, pool: &dyn Parallel, o: Opts<'_>) -> Result {
    let (layout, k) = (o.layout, o.k);
    let spec = &pb.spec;
    let (t, b) = (pb.seq_len, pb.batch);
    let bm = layout == Layout::BatchMajor;
    let conv = |v: &[f32], w: usize| {
        if bm {
            transpose_tb(v, t, b, w, true)
        } else {
            v.to_vec()
        }
    };
    let back = |v: &[f32], w: usize| {
        if bm {
            transpose_tb(v, t, b, w, false)
        } else {
            v.to_vec()
        }
    };
    let has_c = spec.kind.has_cell_state();
    let states = spec.state_count() * b * spec.state_size();
    let c_states = spec.state_count() * b * spec.hidden_size;
    let x = conv(&pb.x, spec.input_size);
    let gy = conv(&pb.gy, spec.output_size());
    let mut y = vec![f32::NAN; pb.gy.len()];
    let mut hn = vec![f32::NAN; states];
    let mut cn = vec![f32::NAN; if has_c { c_states } else { 0 }];
    let mut tape = match k {
        0 => Tape::new(spec, t, b),
        k => Tape::checkpointed(spec, t, b, k),
    }
    .expect("tape");
    let input = pb.input(layout, &x);
    let output = outputs(&mut y, &mut hn, &mut cn, has_c);
    let (params, dropout, masks) = (&pb.params, o.dropout, o.masks);
    forward_train_masked(
        pool, spec, params, &input, output, &mut tape, dropout, masks,
    )
    .expect("forward");
    let mut gparams = vec![0.0; pb.params.len()];
    let mut gx = vec![f32::NAN; pb.x.len()];
    let mut gh0 = vec![f32::NAN; states];
    let mut gc0 = vec![f32::NAN; if has_c { c_states } else { 0 }];
    let mut norms = vec![f32::NAN; if o.norms { spec.state_count() * t } else { 0 }];
    let gin = pb.grad_input(&gy);
    let gout = grad_outputs(&mut gparams, &mut gx, &mut gh0, &mut gc0, has_c);
    let diagnostics = SeqGradDiagnostics {
        step_norms: if o.norms { Some(&mut norms) } else { None },
    };
    backward_recomputing(pool, spec, params, &mut tape, &x, &gin, gout, diagnostics)
        .expect("backward");
    Result {
        y: back(&y, spec.output_size()),
        hn,
        cn,
        gparams,
        gx: back(&gx, spec.input_size),
        gh0,
        gc0,
        norms,
    }
}

/// The same problem for the f64 reference.
pub fn to_reference(pb: &Problem) -> reference::Problem {
    let spec = &pb.spec;
    let states = spec.state_count() * pb.batch * spec.hidden_size;
    reference::Problem {
        spec: reference::Spec {
            kind: spec.kind.name().to_string(),
            input: spec.input_size,
            hidden: spec.hidden_size,
            layers: spec.num_layers,
            bidirectional: spec.bidirectional,
        },
        seq_len: pb.seq_len,
        batch: pb.batch,
        params: to_f64(&pb.params),
        x: to_f64(&pb.x),
        lengths: pb
            .lengths
            .as_ref()
            .map(|l| l.iter().map(|&v| v as usize).collect()),
        h0: pb.h0.as_deref().map(to_f64),
        c0: pb.c0.as_deref().map(to_f64),
        gy: to_f64(&pb.gy),
        ghn: pb.ghn.as_deref().map_or(vec![0.0; states], to_f64),
        gcn: pb.gcn.as_deref().map_or(
            vec![
                0.0;
                if spec.kind.has_cell_state() {
                    states
                } else {
                    0
                }
            ],
            to_f64,
        ),
    }
}
