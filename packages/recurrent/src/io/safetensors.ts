/**
 * The safetensors format (huggingface/safetensors), read and written in plain TypeScript:
 *
 *   bytes 0..8        N, the header length, unsigned 64-bit little-endian
 *   bytes 8..8+N      the header: UTF-8 JSON object starting with `{` (writers pad it with
 *                     spaces to a multiple of 8), `name -> {dtype, shape, data_offsets}` plus an
 *                     optional `__metadata__` map of strings
 *   bytes 8+N..       the data: each tensor's elements, row-major, little-endian, at
 *                     `data_offsets = [begin, end)` relative to the start of the data
 *
 * Reading validates like the reference implementation (and is meant to survive fuzzing): the
 * header length is checked against the file and a 100 MB cap before anything is decoded, the
 * tensors are counted (at most {@link MAX_TENSORS}) before the JSON is parsed, a key repeated
 * within an object is refused (JSON.parse would silently keep the last), the JSON is parsed
 * into Maps and null-prototype objects (a `__proto__` key is just a name), every name, dtype,
 * shape and offset is checked by the rules the writer also follows (`safetensors-rules.ts`),
 * the tensors must tile the data exactly (no gap, no overlap, nothing after the last), and
 * only then are the tensors copied out. Any violation throws a {@link FormatError} naming the
 * tensor and what is wrong.
 *
 * Writing is deterministic and byte-identical to the Python/Rust library's `serialize` for
 * the same tensors and metadata: tensors ordered by dtype (widest alignment first, the
 * library's enum order) then by name, `__metadata__` first with its keys sorted, compact
 * JSON, the header padded with spaces to 8 bytes.
 */
export { readSafetensorsHeader, checkSafetensorsStart, readSafetensors, loadSafetensors } from './safetensors-read.js';
export { writeSafetensors } from './safetensors-write.js';
export type {
  TensorData, SafetensorsTensor, SafetensorsTensorInfo, SafetensorsHeader, SafetensorsFile, ReadSafetensorsOptions, WritableTensor,
} from './safetensors-types.js';
export { MAX_HEADER_LENGTH, MAX_TENSORS, SAFETENSORS_DTYPES, type SafetensorsDtype } from './safetensors-rules.js';
