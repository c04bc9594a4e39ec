/**
 * The attention panel: trains a small date-format encoder-decoder with attention in its own
 * worker (`attention-worker.ts`), then shows for a date the ISO date it writes and, as a heat
 * map, which source characters each output character was produced from.
 */
import type { AttentionReply, AttentionRequest } from './attention-worker.js';
import { drawAttention } from './attention-view.js';
import { byId } from './dom.js';

/** Wires the panel's form, buttons and heat map. */
export function setupAttentionPanel(): void {
  const form = byId('attention-settings', HTMLFormElement);
  const trainButton = byId('attention-train', HTMLButtonElement);
  const translateForm = byId('attention-translate', HTMLFormElement);
  const translateButton = byId('attention-go', HTMLButtonElement);
  const status = byId('attention-status', HTMLElement);
  const result = byId('attention-result', HTMLElement);
  const map = byId('attention-map', HTMLElement);
  let worker: Worker | undefined;
  let trained = false;

  const send = (r: AttentionRequest) => {
    worker ??= new Worker(new URL('./attention-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<AttentionReply>) => onReply(e.data);
    worker.onerror = (e) => onReply({ kind: 'error', message: e.message || 'the attention worker failed' });
    worker.postMessage(r);
  };
  const setStatus = (text: string, kind: 'info' | 'error' | 'done' = 'info') => {
    status.textContent = text;
    status.dataset['kind'] = kind;
  };
  const translate = () => {
    const text = (translateForm.elements.namedItem('date') as HTMLInputElement).value.trim();
    translateButton.disabled = true;
    send({ kind: 'translate', text });
  };

  function onReply(r: AttentionReply): void {
    if (r.kind === 'epoch') {
      setStatus(`epoch ${r.epoch}: loss ${r.loss.toFixed(3)}, token accuracy ${(100 * r.accuracy).toFixed(1)}%`);
    } else if (r.kind === 'trained') {
      trained = true;
      trainButton.disabled = false;
      setStatus(`trained in ${r.seconds.toFixed(0)} s: ${r.exact} of ${r.heldOut} held-out dates exactly right (greedy)`, 'done');
      translate();
    } else if (r.kind === 'translated') {
      translateButton.disabled = false;
      result.textContent = `${r.text} → ${r.output}`;
      drawAttention(map, r.text, r.output, r.weights);
    } else {
      trainButton.disabled = false;
      translateButton.disabled = !trained;
      setStatus(r.message, 'error');
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = (name: string) => Number((form.elements.namedItem(name) as HTMLInputElement).value);
    trainButton.disabled = true;
    translateButton.disabled = true;
    setStatus('training…');
    send({ kind: 'train', pairs: value('attentionPairs'), epochs: value('attentionEpochs'), units: value('attentionUnits') });
  });
  translateForm.addEventListener('submit', (e) => {
    e.preventDefault();
    if (trained) translate();
  });
}
