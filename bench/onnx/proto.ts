/**
 * A minimal protobuf writer for ONNX models: just the wire format (varints, length-delimited
 * fields, fixed32 floats) and the handful of ONNX messages the bench needs (ModelProto,
 * GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto). Field numbers are
 * those of `onnx/onnx.proto` (IR version 8). No dependency, so `pnpm bench` needs neither
 * Python nor the `onnx` package; `generate.ts` writes the models to disk for inspection.
 */

/** Collects encoded bytes as chunks (raw tensor data is appended without copying). */
export class Writer {
  readonly parts: Uint8Array[] = [];
  length = 0;
  #scratch: number[] = [];

  #flush(): void {
    if (this.#scratch.length === 0) return;
    const b = Uint8Array.from(this.#scratch);
    this.parts.push(b);
    this.length += b.length;
    this.#scratch = [];
  }

  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let byte = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) byte |= 0x80;
      this.#scratch.push(byte);
    } while (x !== 0n);
    return this;
  }

  tag(field: number, wire: 0 | 2 | 5): this {
    return this.varint((field << 3) | wire);
  }

  raw(bytes: Uint8Array): this {
    this.#flush();
    this.parts.push(bytes);
    this.length += bytes.length;
    return this;
  }

  /** Field of wire type 0 (int32, int64, enum). */
  int(field: number, v: number | bigint): this {
    return this.tag(field, 0).varint(v);
  }

  /** Field of wire type 5 (float). */
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.#scratch.push(...b);
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    return this.raw(b);
  }

  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  /** A length-delimited sub-message written by `body`. */
  message(field: number, body: (w: Writer) => void): this {
    const sub = new Writer();
    body(sub);
    sub.#flush();
    this.tag(field, 2).varint(sub.length);
    this.#flush();
    for (const p of sub.parts) this.raw(p);
    return this;
  }

  finish(): Uint8Array {
    this.#flush();
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

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

function writeTensor(w: Writer, t: Initializer): void {
  for (const d of t.dims) w.int(1, d); // dims (repeated int64, unpacked is accepted)
  w.int(2, t.data instanceof Float32Array ? FLOAT : INT64); // data_type
  w.string(8, t.name); // name
  // raw_data: little-endian, which is the memory order of typed arrays on every host here.
  w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
}

function writeValueInfo(w: Writer, v: ValueInfo): void {
  w.string(1, v.name); // name
  w.message(2, (tp) => // type: TypeProto
    tp.message(1, (tt) => { // tensor_type: TypeProto.Tensor
      tt.int(1, v.elemType ?? FLOAT); // elem_type
      tt.message(2, (shape) => { // shape: TensorShapeProto
        for (const d of v.shape) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d))); // dim_value | dim_param
        }
      });
    }),
  );
}

function writeAttr(w: Writer, name: string, v: AttrValue): void {
  w.string(1, name);
  if (typeof v === 'number') {
    w.int(3, v).int(20, 2); // i, type INT
  } else if (typeof v === 'string') {
    w.bytes(4, new TextEncoder().encode(v)).int(20, 3); // s, type STRING
  } else {
    for (const x of v) w.int(8, x); // ints
    w.int(20, 7); // type INTS
  }
}

function writeNode(w: Writer, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.op);
  for (const [k, v] of Object.entries(n.attrs ?? {})) w.message(5, (a) => writeAttr(a, k, v));
}

/** Serialises a model: IR version 8, default-domain opset 17. */
export function encodeModel(g: OnnxGraph, producer = 'recurrent-bench'): Uint8Array {
  const w = new Writer();
  w.int(1, 8); // ir_version
  w.string(2, producer); // producer_name
  w.message(8, (o) => o.string(1, '').int(2, 17)); // opset_import: domain "", version 17
  w.message(7, (gw) => { // graph
    for (const n of g.nodes) gw.message(1, (nw) => writeNode(nw, n));
    gw.string(2, g.name);
    for (const t of g.initializers) gw.message(5, (tw) => writeTensor(tw, t));
    for (const v of g.inputs) gw.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of g.outputs) gw.message(12, (vw) => writeValueInfo(vw, v));
  });
  return w.finish();
}
