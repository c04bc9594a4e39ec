/**
 * `recurrent/worker`: the model API in a worker (Node `worker_threads` or a browser module
 * Worker), through comlink. The worker owns the engine and its pool of threads; the page or
 * script talks to it with promises.
 */
export { spawnWorker, RecurrentWorker, type SpawnWorkerOptions, type RemoteSequentialOptions, type VocabLike } from './client.js';
export { RemoteModel, RemoteState, type RemoteFitOptions, type RemotePredictOptions } from './remote-model.js';
export { WorkerExitedError } from './errors.js';
export { RemoteTreeClassifier } from './remote-tree.js';
export type { TreeTrainOptions } from './tree-service.js';
export { RemoteSeq2Seq } from './remote-seq2seq.js';
export type { RemoteSeq2SeqFitOptions, TranslateOptions } from './seq2seq-service.js';
export type { EngineInfo, FitData, CorpusData, BatchesData } from './protocol.js';
