/**
 * Vite serves the playground cross-origin isolated (COOP `same-origin` + COEP
 * `require-corp`), in dev and in preview: only then does the page get SharedArrayBuffer, so
 * the worker can load recurrent's threaded build. Deploying `dist/` elsewhere needs the same
 * two headers; without them the worker falls back to the single-threaded build.
 */
import { fileURLToPath } from 'node:url';

import { defineConfig } from 'vite';

/** The two headers that make the page cross-origin isolated. */
export const isolationHeaders: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  // The recurrent worker imports comlink; pre-bundling it up front spares the page a reload
  // when the dev server would otherwise discover it on the first visit.
  optimizeDeps: { include: ['recurrent > comlink'] },
  // The recurrent worker and its pool workers are module workers that load chunks.
  worker: { format: 'es' },
  build: { target: 'es2022' },
});
