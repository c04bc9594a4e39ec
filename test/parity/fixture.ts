/** The fixture file schema (see ../shared/fixtures/README.md), as far as the runner uses it. */
export interface Tensor {
  shape: number[];
  data: number[];
}

export interface RnnParityCase {
  type: 'rnn_parity';
  name: string;
  spec: {
    kind: string;
    input_size: number;
    hidden_size: number;
    num_layers: number;
    bidirectional: boolean;
    has_cell_state: boolean;
    batch: number;
    seq_len: number;
    lengths: number[] | null;
    has_h0: boolean;
  };
  param_names: string[];
  params: Record<string, Tensor>;
  inputs: { x: Tensor; h0: Tensor | null; c0?: Tensor | null };
  outputs: { y: Tensor; h_n: Tensor; c_n?: Tensor };
  loss: { gy: Tensor; ghn: Tensor; gcn?: Tensor; value: number };
  grads: Record<string, Tensor>;
}

export interface CharLmCase {
  type: 'char_lm_step';
  name: string;
  spec: { vocab_size: number; hidden_size: number; batch: number; seq_len: number; lr: number; clip_theta: number; cell: string };
  vocab: string[];
  param_names: string[];
  params: Record<string, Tensor>;
  inputs: { tokens: Tensor; targets: Tensor; h0: Tensor | null; c0: Tensor | null };
  outputs: { logits: Tensor; h_n: Tensor; c_n: Tensor; loss: number; grad_norm: number; clip_scale: number; clipped: boolean };
  grads: Record<string, Tensor>;
  params_after: Record<string, Tensor>;
}

export type FixtureCase = RnnParityCase | CharLmCase | { type: string; name: string };

export function f32(t: Tensor): Float32Array {
  return Float32Array.from(t.data);
}
