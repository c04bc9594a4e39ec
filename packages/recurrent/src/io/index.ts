/** Reading and writing files: bytes from paths or URLs, and safetensors. */
export { readBytes, readText, type PathOrUrl } from './files.js';
export { DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_MS, type ReadOptions } from './read-session.js';
export { ReadAbortedError, type ReadLimit } from './read-error.js';
export { FormatError, MAX_FORMAT_MESSAGE_LENGTH } from './format-error.js';
export {
  readSafetensors,
  readSafetensorsHeader,
  loadSafetensors,
  writeSafetensors,
  SAFETENSORS_DTYPES,
  MAX_HEADER_LENGTH,
  MAX_TENSORS,
  type SafetensorsDtype,
  type SafetensorsTensor,
  type SafetensorsTensorInfo,
  type SafetensorsHeader,
  type SafetensorsFile,
  type ReadSafetensorsOptions,
  type WritableTensor,
  type TensorData,
} from './safetensors.js';
