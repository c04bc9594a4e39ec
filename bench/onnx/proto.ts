/**
 * The bench's ONNX graphs, described compactly and serialised by `recurrent`'s `writeOnnx`
 * (protobufjs with the official `onnx.proto` schema; no hand-written wire encoder).
 * `generate.ts` writes the models to disk for inspection.
 */
import { writeOnnx, type OnnxModelProto } from 'recurrent/onnx';

/** TensorProto.DataType values used here. */
export const FLOAT = 1;
export const INT64 = 7;

export interface Initializer {
  name: string;
  dims: number[];
  /** FLOAT data, or INT64 data as a BigInt64Array. */
  data: Float32Array | BigInt64Array;
}

export type AttrValue = number | string | number[];

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  /** Integers (INT / INTS) and strings; floats are not needed by these graphs. */
  attrs?: Record<string, AttrValue>;
}

/** A graph input or output: name and shape (strings are symbolic dimensions). */
export interface ValueInfo {
  name: string;
  shape: (number | string)[];
  elemType?: number;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: Initializer[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

type Graph = NonNullable<OnnxModelProto['graph']>;

function attr(name: string, v: AttrValue): NonNullable<NonNullable<Graph['node']>[number]['attribute']>[number] {
  if (typeof v === 'number') return { name, type: 2, i: v }; // INT
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) }; // STRING
  return { name, type: 7, ints: v }; // INTS
}

function valueInfo(v: ValueInfo): NonNullable<Graph['input']>[number] {
  return {
    name: v.name,
    type: { tensor_type: { elem_type: v.elemType ?? FLOAT, shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  };
}

/** Serialises a model: IR version 8, default-domain opset 17. */
export function encodeModel(g: OnnxGraph, producer = 'recurrent-bench'): Uint8Array {
  return writeOnnx({
    ir_version: 8,
    producer_name: producer,
    opset_import: [{ domain: '', version: 17 }],
    graph: {
      name: g.name,
      node: g.nodes.map((n) => ({ op_type: n.op, input: n.inputs, output: n.outputs, ...(n.name ? { name: n.name } : {}), attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attr(k, v)) })),
      // raw_data: little-endian, which is the memory order of typed arrays on every host here.
      initializer: g.initializers.map((t) => ({
        name: t.name,
        dims: t.dims,
        data_type: t.data instanceof Float32Array ? FLOAT : INT64,
        raw_data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      })),
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
    },
  });
}
