//! Where each parameter tensor of a stack lives in the one flat parameter buffer.
//!
//! Order (PyTorch's `param_names`): for each layer, for each direction: `weight_ih [G*H, I_l]`,
//! `weight_hh [G*H, H]`, `bias_ih [G*H]`, `bias_hh [G*H]`, then the cell kind's extra `[H]`
//! vectors in its row's order (`peephole_i`, `peephole_f`, `peephole_o` for the peephole LSTM),
//! then, with a projection (`StackSpec::proj_size` P > 0), `weight_hr [P, H]` (PyTorch's
//! order too); `weight_hh` is then `[G*H, P]`;
//! then `weight_skip [H, H]` with a skip connection (the families fixtures' order).
//! A stack without biases (`StackSpec::bias` false, PyTorch's `bias=False`) has no `bias_ih` and
//! `bias_hh` tensors: its views give empty bias slices, which the cells read as zeros.
//! Gradients use the same layout.

use super::kind::CellKind;
use super::spec::StackSpec;
use crate::error::CoreResult;
use crate::mem;

/// What a parameter tensor is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamRole {
    /// Input-to-hidden weights `[G*H, I_l]`.
    WeightIh,
    /// Hidden-to-hidden weights `[G*H, H]`.
    WeightHh,
    /// Input-side bias `[G*H]`.
    BiasIh,
    /// Hidden-side bias `[G*H]`.
    BiasHh,
    /// The projection `[P, H]` of an LSTM with `proj_size` (PyTorch's `weight_hr`).
    WeightHr,
    /// The cell kind's `k`-th extra `[H]` vector (its row's `per_unit[k]`, e.g. the peepholes
    /// `p_i`, `p_f`, `p_o` of the peephole LSTM).
    PerUnit(usize),
    /// Skip-connection weights `[H, H]` (a stack with `skip >= 2`).
    WeightSkip,
}

impl ParamRole {
    /// The name stem: `weight_ih`, ..., or the row's name of a per-unit vector.
    fn stem(self, kind: CellKind) -> &'static str {
        match self {
            ParamRole::WeightIh => "weight_ih",
            ParamRole::WeightHh => "weight_hh",
            ParamRole::BiasIh => "bias_ih",
            ParamRole::BiasHh => "bias_hh",
            ParamRole::WeightHr => "weight_hr",
            ParamRole::PerUnit(k) => kind.row().per_unit.get(k).copied().unwrap_or("per_unit"),
            ParamRole::WeightSkip => "weight_skip",
        }
    }
}

/// One tensor of the flat buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamTensor {
    /// PyTorch name, e.g. `weight_hh_l1_reverse`.
    pub name: String,
    /// First element in the flat buffer.
    pub offset: usize,
    /// Row-major shape: `[rows, cols]` for weights, `[len]` for vectors.
    pub shape: Vec<usize>,
    /// Layer index l.
    pub layer: usize,
    /// Direction d: 0 forward, 1 reverse.
    pub direction: usize,
    /// What it is.
    pub role: ParamRole,
}

impl ParamTensor {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether it has no elements (never, for a valid spec).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Names, offsets and shapes of every parameter tensor of a stack, in storage order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamLayout {
    tensors: Vec<ParamTensor>,
    len: usize,
}

impl ParamLayout {
    /// The layout of `spec` (validated first). Allocates fallibly: an error, not an abort,
    /// when memory is short.
    pub fn new(spec: &StackSpec) -> CoreResult<Self> {
        const OP: &str = "ParamLayout::new";
        let len = spec.param_len()?;
        let h = spec.hidden_size;
        let gh = spec.gates() * h;
        // `proj_size` (LSTM only) and `skip` (plain RNN only) never both apply.
        let per_dir = 2
            + spec.bias_vectors()
            + spec.kind.peepholes()
            + usize::from(spec.proj_size > 0)
            + usize::from(spec.skip > 0);
        let count = spec.state_count() * per_dir;
        let mut tensors = mem::with_capacity(OP, "parameter table", count)?;
        for l in 0..spec.num_layers {
            for d in 0..spec.directions() {
                let o = DirOffsets::new(spec, l, d);
                let sfx = if d == 1 { "_reverse" } else { "" };
                let mut push = |role: ParamRole, offset: usize, shape: &[usize]| {
                    tensors.push(ParamTensor {
                        name: mem::format(
                            OP,
                            "parameter table",
                            format_args!("{}_l{l}{sfx}", role.stem(spec.kind)),
                        )?,
                        offset,
                        shape: mem::copy_of(OP, "parameter table", shape)?,
                        layer: l,
                        direction: d,
                        role,
                    });
                    CoreResult::Ok(())
                };
                push(ParamRole::WeightIh, o.w_ih, &[gh, o.input])?;
                push(ParamRole::WeightHh, o.w_hh, &[gh, spec.state_size()])?;
                if spec.bias {
                    push(ParamRole::BiasIh, o.b_ih, &[gh])?;
                    push(ParamRole::BiasHh, o.b_hh, &[gh])?;
                }
                for k in 0..spec.kind.peepholes() {
                    push(ParamRole::PerUnit(k), o.peep + k * h, &[h])?;
                }
                if spec.proj_size > 0 {
                    push(ParamRole::WeightHr, o.w_hr, &[spec.proj_size, h])?;
                }
                if spec.skip > 0 {
                    push(ParamRole::WeightSkip, o.w_skip, &[h, h])?;
                }
            }
        }
        Ok(Self { tensors, len })
    }

    /// Total number of `f32` parameters.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no parameters (never, for a valid spec).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every tensor, in storage (= PyTorch `param_names`) order.
    pub fn tensors(&self) -> &[ParamTensor] {
        &self.tensors
    }

    /// The tensor with PyTorch name `name`.
    pub fn get(&self, name: &str) -> Option<&ParamTensor> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// The tensor of `role` in layer `layer`, direction `direction`.
    pub fn find(&self, layer: usize, direction: usize, role: ParamRole) -> Option<&ParamTensor> {
        self.tensors
            .iter()
            .find(|t| t.layer == layer && t.direction == direction && t.role == role)
    }
}

/// Offsets of one layer/direction's tensors, computed arithmetically (no allocation), for the
/// drivers. Only meaningful for a validated spec, whose total length bounds every sum here.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DirOffsets {
    /// Rows of the weights, `G*H`.
    pub gh: usize,
    pub input: usize,
    pub w_ih: usize,
    pub w_hh: usize,
    pub b_ih: usize,
    pub b_hh: usize,
    pub peep: usize,
    pub w_hr: usize,
    pub w_skip: usize,
    pub end: usize,
}

impl DirOffsets {
    pub fn new(spec: &StackSpec, layer: usize, dir: usize) -> Self {
        let d = spec.directions();
        let first = spec.dir_block_len(spec.input_size);
        let start = if layer == 0 {
            dir * first
        } else {
            d * first + ((layer - 1) * d + dir) * spec.dir_block_len(spec.output_size())
        };
        let h = spec.hidden_size;
        let gh = spec.gates() * h;
        let input = spec.layer_input_size(layer);
        let w_ih = start;
        let w_hh = w_ih + gh * input;
        // Without biases their slices are empty (b_ih == b_hh == peep).
        let bias_len = if spec.bias { gh } else { 0 };
        let b_ih = w_hh + gh * spec.state_size();
        let b_hh = b_ih + bias_len;
        let peep = b_hh + bias_len;
        let w_hr = peep + spec.kind.peepholes() * h;
        let w_skip = w_hr + spec.proj_len();
        let end = w_skip + spec.skip_len();
        Self {
            gh,
            input,
            w_ih,
            w_hh,
            b_ih,
            b_hh,
            peep,
            w_hr,
            w_skip,
            end,
        }
    }

    /// Read-only views into a buffer of at least `self.end` elements.
    pub fn view<'a>(&self, p: &'a [f32]) -> DirParams<'a> {
        DirParams {
            gh: self.gh,
            w_ih: &p[self.w_ih..self.w_hh],
            w_hh: &p[self.w_hh..self.b_ih],
            b_ih: &p[self.b_ih..self.b_hh],
            b_hh: &p[self.b_hh..self.peep],
            peep: &p[self.peep..self.w_hr],
            w_hr: &p[self.w_hr..self.w_skip],
            w_skip: &p[self.w_skip..self.end],
        }
    }

    /// Mutable views into a buffer of at least `self.end` elements (the gradients).
    pub fn view_mut<'a>(&self, p: &'a mut [f32]) -> DirParamsMut<'a> {
        let (_, rest) = p.split_at_mut(self.w_ih);
        let (w_ih, rest) = rest.split_at_mut(self.w_hh - self.w_ih);
        let (w_hh, rest) = rest.split_at_mut(self.b_ih - self.w_hh);
        let (b_ih, rest) = rest.split_at_mut(self.b_hh - self.b_ih);
        let (b_hh, rest) = rest.split_at_mut(self.peep - self.b_hh);
        let (peep, rest) = rest.split_at_mut(self.w_hr - self.peep);
        let (w_hr, rest) = rest.split_at_mut(self.w_skip - self.w_hr);
        let w_skip = &mut rest[..self.end - self.w_skip];
        DirParamsMut {
            w_ih,
            w_hh,
            b_ih,
            b_hh,
            peep,
            w_hr,
            w_skip,
        }
    }
}

/// One layer/direction's parameters; `peep` is empty unless the cell has per-unit vectors,
/// `b_ih` and `b_hh` are empty when the stack has no biases, `w_skip` (`[H, H]`) unless the
/// stack has a skip connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DirParams<'a> {
    /// Rows of the weights, `G*H`.
    pub gh: usize,
    pub w_ih: &'a [f32],
    pub w_hh: &'a [f32],
    pub b_ih: &'a [f32],
    pub b_hh: &'a [f32],
    pub peep: &'a [f32],
    /// `[P, H]` the projection, empty without one.
    pub w_hr: &'a [f32],
    pub w_skip: &'a [f32],
}

/// One layer/direction's gradients, same shapes as [`DirParams`] (empty biases without bias).
#[derive(Debug)]
pub(crate) struct DirParamsMut<'a> {
    pub w_ih: &'a mut [f32],
    pub w_hh: &'a mut [f32],
    pub b_ih: &'a mut [f32],
    pub b_hh: &'a mut [f32],
    pub peep: &'a mut [f32],
    pub w_hr: &'a mut [f32],
    pub w_skip: &'a mut [f32],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_offsets_and_shapes_tile_the_buffer() {
        let spec = StackSpec {
            kind: CellKind::LstmPeephole,
            input_size: 3,
            hidden_size: 2,
            num_layers: 2,
            bidirectional: true,
            bias: true,
            proj_size: 0,
            skip: 0,
        };
        let layout = ParamLayout::new(&spec).expect("valid spec");
        let mut next = 0;
        for t in layout.tensors() {
            assert_eq!(t.offset, next, "{}", t.name);
            next += t.len();
        }
        assert_eq!(next, layout.len());
        assert_eq!(layout.tensors().len(), 2 * 2 * 7);
        let w = layout.get("weight_ih_l1_reverse").expect("present");
        assert_eq!(w.shape, vec![8, 4]);
        assert_eq!(layout.tensors()[7].name, "weight_ih_l0_reverse");
        assert_eq!(layout.tensors()[6].name, "peephole_o_l0");

        // bias=False: no bias tensors, the rest still tiles the buffer.
        let spec = StackSpec {
            bias: false,
            proj_size: 0,
            ..spec
        };
        let layout = ParamLayout::new(&spec).expect("valid spec");
        let mut next = 0;
        for t in layout.tensors() {
            assert_eq!(t.offset, next, "{}", t.name);
            assert!(!t.name.starts_with("bias_"), "{}", t.name);
            next += t.len();
        }
        assert_eq!(next, layout.len());
        assert_eq!(layout.tensors().len(), 2 * 2 * 5);
        let o = DirOffsets::new(&spec, 1, 1);
        assert_eq!((o.b_ih, o.b_hh), (o.peep, o.peep));
    }
}
