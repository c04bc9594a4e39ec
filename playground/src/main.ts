/**
 * The playground page: wires the settings form, the training worker, the charts and the
 * model file buttons together. The numerics all run in workers: the training worker (with
 * the thread count chosen in the page) and a small one for the gradient-flow comparison, so
 * that can run while a model trains.
 */
import { loadTimeMachine } from 'recurrent';
import { spawnWorker, type RecurrentWorker, type RemoteModel } from 'recurrent/worker';

import { setupAttentionPanel } from './attention-panel.js';
import { LineChart, type Series } from './chart.js';
import { byId, el, grouped, messageOf, short } from './dom.js';
import { EngineHost, parseThreads } from './engine-host.js';
import { attenuation, compareGradientFlow, FLOW_NAMES, type FlowCurve, type FlowSettings } from './flow.js';
import { DEFAULT_LR, describeLayers, readSampleSettings, readTrainSettings } from './settings.js';
import { batchesInBook, buildModel, train, type Corpus } from './trainer.js';
import { sampleText, TrainingView } from './training-view.js';

const form = byId('settings', HTMLFormElement);
const trainButton = byId('train', HTMLButtonElement);
const stopButton = byId('stop', HTMLButtonElement);
const threadsSelect = byId('threads', HTMLSelectElement);
const statusLine = byId('status', HTMLElement);
const bookHint = byId('book-hint', HTMLElement);
const bpttHint = byId('bptt-hint', HTMLElement);
const flowForm = byId('flow-settings', HTMLFormElement);
const compareButton = byId('compare', HTMLButtonElement);
const flowSummary = byId('flow-summary', HTMLUListElement);
const modelSummary = byId('model-summary', HTMLElement);
const saveButton = byId('save', HTMLButtonElement);
const loadInput = byId('load', HTMLInputElement);
const loadLabel = byId('load-label', HTMLLabelElement);
const generateButton = byId('generate', HTMLButtonElement);
const generated = byId('generated', HTMLElement);

const host = new EngineHost(byId('engine', HTMLElement));
const view = new TrainingView(byId('ppl-chart', HTMLElement), byId('stats', HTMLElement), byId('samples', HTMLOListElement));
const FLOW_COLORS = { rnn: '#e4572e', leaky: '#b07aa1', gru: '#29a36a', lstm: '#2f6fde' } as const;
const flowChart = new LineChart(byId('flow-chart', HTMLElement), {
  xLabel: 'time step t (the loss is at the last step)',
  yLabel: '‖∂L/∂hₜ‖ (log scale)',
  logY: true,
  legend: 'left',
  empty: 'press Compare: one curve per cell',
});

let corpus: Corpus | undefined;
/** The model the Save and Generate buttons use: the last trained or loaded. */
let current: { model: RemoteModel; origin: string } | undefined;
let running: AbortController | undefined;
/** The training worker is in use (training, loading, restarting). */
let busy = false;
let flowBusy = false;
let flowWorker: RecurrentWorker | undefined;
let generateSeed = 1;

function status(text: string, kind: 'info' | 'error' | 'done' = 'info'): void {
  statusLine.textContent = text;
  statusLine.dataset['kind'] = kind;
}

function refresh(): void {
  const ready = corpus !== undefined && host.remote !== undefined;
  trainButton.disabled = !ready || busy;
  stopButton.disabled = running === undefined;
  threadsSelect.disabled = busy;
  saveButton.disabled = current === undefined || busy;
  generateButton.disabled = current === undefined || busy;
  loadInput.disabled = !ready || busy;
  loadLabel.setAttribute('aria-disabled', String(loadInput.disabled));
  compareButton.disabled = corpus === undefined || flowBusy;
}

/** Runs `task` with the training worker marked busy; reports its error in the status line. */
async function exclusive(task: () => Promise<void>): Promise<void> {
  if (busy) return;
  busy = true;
  refresh();
  try {
    await task();
  } catch (e) {
    status(messageOf(e), 'error');
  } finally {
    busy = false;
    refresh();
  }
}

// ---- the training worker, with the chosen threads -------------------------------------

function fillThreads(): void {
  const cores = navigator.hardwareConcurrency || 1;
  const counts = [...new Set([1, 2, 4, cores])].filter((n) => n <= Math.max(cores, 2)).sort((a, b) => a - b);
  threadsSelect.append(el('option', undefined, `all (${cores})`));
  threadsSelect.lastElementChild!.setAttribute('value', 'auto');
  for (const n of counts) {
    const option = el('option', undefined, String(n));
    option.value = String(n);
    threadsSelect.append(option);
  }
  const wanted = new URLSearchParams(location.search).get('threads');
  threadsSelect.value = wanted && [...threadsSelect.options].some((o) => o.value === wanted) ? wanted : 'auto';
}

/** The training worker with the selected threads; a restart carries the current model over. */
async function trainingWorker(): Promise<RecurrentWorker> {
  const threads = parseThreads(threadsSelect.value);
  if (host.matches(threads)) return host.remote!;
  const carried = current && host.remote ? await current.model.save() : undefined;
  const remote = await host.restart(threads);
  if (current && carried) current = { ...current, model: await remote.loadModel(carried, { transfer: true }) };
  else current = undefined;
  return remote;
}

threadsSelect.addEventListener('change', () => {
  void exclusive(async () => {
    await trainingWorker();
    status(`Worker restarted: ${host.remote?.engine.build} build, ${host.remote?.engine.threads} thread(s).`);
  });
});

// ---- training -------------------------------------------------------------------------

const BPTT_HINTS: Record<string, string> = {
  full: 'Each batch starts from a zero state and back-propagates through all its steps; batches are drawn at random.',
  truncated: 'The book is read in order; the state carries from batch to batch, gradients stop at batch edges.',
  random: 'As truncated, but each batch is cut into segments of random length around the mean segment.',
};

function updateBookHint(): void {
  const mode = (form.elements.namedItem('bptt') as HTMLSelectElement).value;
  bpttHint.textContent = BPTT_HINTS[mode] ?? '';
  for (const label of form.querySelectorAll<HTMLElement>('[data-show-for]')) label.hidden = label.dataset['showFor'] !== mode;
  if (!corpus) return;
  try {
    const s = readTrainSettings(form);
    bookHint.textContent = `One pass over the book is ${grouped(batchesInBook(corpus, s))} batches.`;
  } catch {
    bookHint.textContent = '';
  }
}

form.addEventListener('input', (e) => {
  const target = e.target as HTMLInputElement | HTMLSelectElement;
  if (target.name === 'optimizer') (form.elements.namedItem('lr') as HTMLInputElement).value = String(DEFAULT_LR[target.value as 'sgd' | 'adam']);
  updateBookHint();
});

form.addEventListener('submit', (e) => {
  e.preventDefault();
  if (!corpus) return;
  const book = corpus;
  let settings: ReturnType<typeof readTrainSettings>;
  let sample: ReturnType<typeof readSampleSettings>;
  try {
    settings = readTrainSettings(form);
    sample = readSampleSettings(form);
  } catch (err) {
    status(messageOf(err), 'error');
    return;
  }
  const controller = new AbortController();
  void exclusive(async () => {
    running = controller;
    refresh();
    const perEpoch = Math.min(settings.batchesPerEpoch, batchesInBook(book, settings));
    view.reset(settings.epochs, perEpoch);
    try {
      const remote = await trainingWorker();
      await current?.model.dispose();
      current = undefined;
      const model = await buildModel(remote, book, settings);
      setCurrent(model, 'trained here');
      const what = `${describeLayers(model.configs)} (${grouped(model.parameterCount)} parameters)`;
      status(`Training ${what} on ${remote.engine.build === 'threads' ? `${remote.engine.threads} threads` : 'one thread'}…`);
      let last = Number.NaN;
      await train(model, book, settings, sample, controller.signal, {
        batch: (info, step) => view.batch(info, step),
        epoch: (info, step, text) => {
          last = Math.exp(info.loss); // a language model: perplexity is exp(cross-entropy)
          view.epoch(info, step, sample.prefix, text);
        },
      });
      status(`Done: ${what}, perplexity ${short(last)} after ${settings.epochs} epoch${settings.epochs === 1 ? '' : 's'} in ${view.seconds.toFixed(1)} s. Save it, or generate from it.`, 'done');
    } catch (err) {
      if (!controller.signal.aborted) throw err;
      status('Stopped. The model keeps what it learned so far: save it, or generate from it.');
    } finally {
      running = undefined;
    }
  });
});

stopButton.addEventListener('click', () => {
  running?.abort();
  stopButton.disabled = true;
});

// ---- gradient flow --------------------------------------------------------------------

function readFlowSettings(): FlowSettings {
  const value = (name: string) => (flowForm.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value;
  const int = (name: string, label: string, min: number, max: number) => {
    const n = Number(value(name));
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${label}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value(name))}`);
    return n;
  };
  const bias = value('forgetBias');
  const leak = value('leak');
  return {
    seqLen: int('flowSeqLen', 'Steps', 2, 1000),
    hidden: int('flowHidden', 'Hidden size', 1, 512),
    forgetBias: bias === '' ? null : Number(bias),
    leak: leak === 'learn' ? 'learn' : Number(leak),
    warmup: int('warmup', 'Warm-up steps', 0, 500),
    seed: readTrainSettings(form).seed,
  };
}

function drawFlow(curves: readonly FlowCurve[]): void {
  const series: Series[] = curves.map((c) => ({
    name: FLOW_NAMES[c.cell],
    color: FLOW_COLORS[c.cell],
    points: Array.from(c.norms, (n, t) => [t, n] as const),
    width: 2,
  }));
  flowChart.set(series);
}

function flowLine(c: FlowCurve, s: FlowSettings): HTMLLIElement {
  const T = c.norms.length;
  const item = el('li');
  item.append(el('b', undefined, FLOW_NAMES[c.cell]), ': ');
  const ratio = attenuation(c.norms);
  if (ratio === Infinity) {
    let t = T - 1;
    while (t > 0 && (c.norms[t - 1] ?? 0) > 0) t--;
    item.append(`the gradient falls below float32's range before step ${t}`);
  } else {
    item.append(`‖∂L/∂h₀‖ is ${short(1 / ratio)} × ‖∂L/∂h${subscript(T - 1)}‖`);
  }
  const extra =
    c.cell === 'lstm'
      ? s.forgetBias === null
        ? ', forget bias at PyTorch init'
        : `, forget bias ${s.forgetBias}`
      : c.cell === 'leaky'
        ? s.leak === 'learn'
          ? ', leak learned'
          : `, a = ${s.leak}`
        : '';
  item.append(` (loss ${short(c.loss)}${extra})`);
  return item;
}

function subscript(n: number): string {
  return [...String(n)].map((d) => '₀₁₂₃₄₅₆₇₈₉'[Number(d)]).join('');
}

flowForm.addEventListener('submit', (e) => {
  e.preventDefault();
  if (!corpus || flowBusy) return;
  const book = corpus;
  let s: FlowSettings;
  try {
    s = readFlowSettings();
  } catch (err) {
    status(messageOf(err), 'error');
    return;
  }
  flowBusy = true;
  refresh();
  void (async () => {
    try {
      // Its own single-threaded worker, so the comparison runs even while a model trains.
      if (!flowWorker?.alive) flowWorker = await spawnWorker({ threads: 1 });
      const curves: FlowCurve[] = [];
      drawFlow(curves);
      flowSummary.replaceChildren();
      await compareGradientFlow(flowWorker, book, s, (c) => {
        curves.push(c);
        drawFlow(curves);
        flowSummary.append(flowLine(c, s));
      });
      const warm = s.warmup > 0 ? ` after ${s.warmup} warm-up steps` : ' at initialisation';
      status(`Gradient flow measured over ${s.seqLen} steps${warm}, hidden size ${s.hidden}, batch of 16.`, 'done');
    } catch (err) {
      status(messageOf(err), 'error');
    } finally {
      flowBusy = false;
      refresh();
    }
  })();
});

// ---- model file -----------------------------------------------------------------------

function setCurrent(model: RemoteModel, origin: string): void {
  current = { model, origin };
  const vocab = model.vocab ? `, vocabulary of ${model.vocab.tokens.length}` : ', no vocabulary';
  modelSummary.replaceChildren(el('b', undefined, describeLayers(model.configs) || 'model'), ` · ${grouped(model.parameterCount)} parameters${vocab} · ${origin}`);
}

function fileName(model: RemoteModel): string {
  const slug = describeLayers(model.configs).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `recurrent-${slug || 'model'}.safetensors`;
}

saveButton.addEventListener('click', () => {
  void exclusive(async () => {
    if (!current) return;
    const bytes = await current.model.save();
    const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
    const link = el('a');
    link.href = url;
    link.download = fileName(current.model);
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    status(`Saved ${link.download} (${grouped(bytes.byteLength / 1024)} KiB).`, 'done');
  });
});

async function generateFromCurrent(): Promise<void> {
  if (!current) return;
  const sample = readSampleSettings(form);
  const text = await current.model.generate(sample.prefix, { length: sample.length, temperature: sample.temperature, seed: generateSeed++, exclude: [0] }); // id 0 is <unk>
  generated.hidden = false;
  generated.replaceChildren(sampleText(sample.prefix, text));
}

loadInput.addEventListener('change', () => {
  const file = loadInput.files?.[0];
  loadInput.value = '';
  if (!file) return;
  void exclusive(async () => {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const remote = await trainingWorker();
    const model = await remote.loadModel(bytes, { transfer: true });
    await current?.model.dispose();
    setCurrent(model, `loaded from ${file.name}`);
    status(`Loaded ${file.name}.`, 'done');
    await generateFromCurrent();
  });
});

generateButton.addEventListener('click', () => void exclusive(generateFromCurrent));

// ---- start ----------------------------------------------------------------------------

async function boot(): Promise<void> {
  setupAttentionPanel();
  fillThreads();
  updateBookHint();
  refresh();
  status('Loading The Time Machine and starting the worker…');
  const [book] = await Promise.all([loadTimeMachine(), host.restart(parseThreads(threadsSelect.value))]);
  corpus = { ids: book.corpus, vocab: book.vocab };
  updateBookHint();
  status(`Ready: The Time Machine, ${grouped(book.corpus.length)} characters, ${book.vocab.size} tokens. Choose a model and press Train.`);
}

boot()
  .catch((e: unknown) => status(`Could not start: ${messageOf(e)}`, 'error'))
  .finally(refresh);
