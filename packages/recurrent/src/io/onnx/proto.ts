/**
 * ONNX protobuf through protobufjs and the official schema (`onnx.proto`, vendored with its
 * license; `onnx-proto.generated.ts` holds it as a string so browsers need no file). Decoding
 * failures (truncated or corrupt bytes) become {@link FormatError}s.
 */
import protobuf from 'protobufjs';
import { FormatError } from '../format-error.js';
import { ONNX_PROTO } from './onnx-proto.generated.js';
import type { OnnxModelProto } from './types.js';

let root: protobuf.Root | undefined;

/** `onnx.ModelProto`, the schema parsed once. */
function modelType(): protobuf.Type {
  root ??= protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
  return root.lookupType('onnx.ModelProto');
}

/** The ONNX model in `bytes`, with int64 fields as numbers and bytes as Uint8Array. */
export function decodeModel(bytes: Uint8Array): OnnxModelProto {
  const type = modelType();
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (e) {
    throw new FormatError(`ONNX: not a valid ModelProto (${(e as Error).message}); the file is truncated or not an ONNX model`, { cause: e });
  }
  const obj = type.toObject(message, { longs: Number, bytes: Uint8Array as unknown as StringConstructor, defaults: false, arrays: true }) as OnnxModelProto;
  if (!obj.graph) throw new FormatError('ONNX: the ModelProto has no graph (truncated, or not an ONNX model)');
  return obj;
}

/** The bytes of `model` (a plain object in the schema's field names). */
export function encodeModel(model: OnnxModelProto): Uint8Array {
  const type = modelType();
  const err = type.verify(model);
  if (err) throw new FormatError(`ONNX: cannot encode the model: ${err}`);
  return type.encode(type.fromObject(model)).finish();
}
