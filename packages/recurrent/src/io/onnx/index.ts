/** ONNX protobuf as plain objects (field names as in onnx.proto), for tools and tests. */
import { decodeModel, encodeModel } from './proto.js';
import type { OnnxModelProto } from './types.js';

export type { OnnxModelProto } from './types.js';

/** The `ModelProto` in `bytes`; a FormatError when they are not one (truncated, corrupt). */
export function readOnnx(bytes: Uint8Array): OnnxModelProto {
  return decodeModel(bytes);
}

/** The bytes of `model` (a `ModelProto` as a plain object). */
export function writeOnnx(model: OnnxModelProto): Uint8Array {
  return encodeModel(model);
}
