/**
 * TensorFlow.js with its plain-JavaScript CPU backend (`@tensorflow/tfjs-backend-cpu`): the
 * backend a user gets with no wasm and no native addon. Measured on one reduced row only
 * (W1 LSTM, few steps): it is an order of magnitude slower than the wasm backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

import type { SubjectInfo } from '../lib/types.js';

export interface TfjsCpuHandle {
  kind: 'tfjs-cpu';
  tf: typeof tf;
  threads: number;
  info: SubjectInfo;
  close(): Promise<void>;
}

export async function openTfjsCpu(): Promise<TfjsCpuHandle> {
  const ok = await tf.setBackend('cpu');
  if (!ok || tf.getBackend() !== 'cpu') throw new Error('tfjs: could not start the cpu backend');
  await tf.ready();
  return {
    kind: 'tfjs-cpu',
    tf,
    threads: 1,
    info: { engine: 'tfjs-cpu', tfjsCore: tf.version_core, backend: 'cpu (JavaScript)', threads: 1 },
    close: async () => {
      tf.disposeVariables();
      tf.engine().reset();
    },
  };
}
