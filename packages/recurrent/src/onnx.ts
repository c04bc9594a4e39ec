/**
 * `recurrent/onnx`: ONNX models in (`loadOnnx`) and out (`saveOnnx`), and the protobuf itself
 * (`readOnnx`, `writeOnnx`). A subpath of its own, not part of the main entry, because the
 * protobuf library (protobufjs) is CommonJS: bundlers and Node load it, but a page that imports
 * the package as plain ES modules through an import map could not, and should not have to
 * unless it reads or writes ONNX.
 */
export { loadOnnx, OnnxModel, type OnnxValue } from './model/onnx.js';
export { MIN_ONNX_OPSET } from './model/onnx-graph.js';
export { saveOnnx, ONNX_EXPORT_OPSET } from './model/onnx-export.js';
export { readOnnx, writeOnnx, type OnnxModelProto } from './io/onnx/index.js';
