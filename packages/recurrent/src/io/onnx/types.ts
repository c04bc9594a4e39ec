/** The parts of the ONNX schema (`onnx.proto`) this package reads and writes, as plain objects. */

/** `TensorProto.DataType` values used here. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11 } as const;

/** `AttributeProto.AttributeType` values used here. */
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export interface OnnxTensor {
  dims?: number[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  double_data?: number[];
  raw_data?: Uint8Array;
  name?: string;
  data_location?: number;
}

export interface OnnxAttribute {
  name?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}

export interface OnnxNode {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: OnnxAttribute[];
}

export interface OnnxDim {
  dim_value?: number;
  dim_param?: string;
}

export interface OnnxValueInfo {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: OnnxDim[] } } };
}

export interface OnnxGraph {
  node?: OnnxNode[];
  name?: string;
  initializer?: OnnxTensor[];
  input?: OnnxValueInfo[];
  output?: OnnxValueInfo[];
}

export interface OnnxModelProto {
  ir_version?: number;
  opset_import?: { domain?: string; version?: number }[];
  producer_name?: string;
  producer_version?: string;
  graph?: OnnxGraph;
}
