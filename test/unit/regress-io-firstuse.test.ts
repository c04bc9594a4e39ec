// Issue 11, first use: the loadTorch folder format (meta.json) was undocumented. The README's
// "PyTorch folders" section is checked against the code: its example loads, and the limits it
// states are the ones in force. (The tarball test is test/readme/package-tarball.test.ts.)
import { afterAll, beforeAll, describe, test } from 'vitest';

import {
  DEFAULT_MAX_BYTES,
  DEFAULT_TIMEOUT_MS,
  dense,
  dispose,
  embedding,
  init,
  loadTorch,
  lstm,
  MAX_HEADER_LENGTH,
  MAX_TENSORS,
  saveModel,
  sequential,
} from 'recurrent';

import assert from '../support/assert.js';
import { engineOptions } from '../support/env.js';
import { readDataText, repoPath, withTempFolder } from '../support/files.js';

describe('README: PyTorch folders', () => {
  let section: string;

  beforeAll(async () => {
    const readme = await readDataText(repoPath('README.md'));
    const start = readme.indexOf('\n## PyTorch folders\n');
    assert.ok(start >= 0, 'the README has a "PyTorch folders" section');
    const end = readme.indexOf('\n## ', start + 1);
    section = readme.slice(start, end < 0 ? undefined : end);
    await init(engineOptions);
  });

  afterAll(async () => {
    await dispose();
  });

  test('its meta.json example, with weights of that architecture, loads with loadTorch', () => withTempFolder(async (folder) => {
    const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(json, 'the section shows a meta.json');
    const meta = JSON.parse(json) as {
      architecture: { type: string; name: string; num_embeddings?: number; embedding_dim?: number; hidden_size?: number; out_features?: number }[];
      vocab: string[];
    };
    const [emb, rnn, fc] = meta.architecture;
    assert.deepEqual(meta.architecture.map((m) => m.type), ['embedding', 'lstm', 'linear']);
    // A model of the same architecture saves its tensors under PyTorch's names.
    const source = sequential(
      [
        embedding({ vocabSize: emb!.num_embeddings!, dim: emb!.embedding_dim!, name: emb!.name }),
        lstm({ units: rnn!.hidden_size!, name: rnn!.name }),
        dense({ units: fc!.out_features!, name: fc!.name }),
      ],
      { seed: 4 },
    );
    await folder.write('model.safetensors', saveModel(source));
    await folder.write('meta.json', json);
    const model = await loadTorch(folder.location);
    try {
      assert.equal(model.vocab?.size, meta.vocab.length);
      assert.deepEqual(model.stateDict(), source.stateDict());
    } finally {
      model.dispose();
      source.dispose();
    }
  }));

  test('the limits it states are the ones in force', () => {
    const text = section.replace(/\s+/g, ' ');
    assert.ok(text.includes('may nest at most 32 levels'), 'the meta.json nesting limit (tested in regress-io-load)');
    assert.ok(text.includes(`at most ${MAX_TENSORS.toLocaleString('en-US')} tensors (\`MAX_TENSORS\`)`), 'MAX_TENSORS');
    assert.ok(text.includes(`header of at most ${MAX_HEADER_LENGTH / 1e6} MB`), 'MAX_HEADER_LENGTH');
    assert.ok(text.includes(`(default ${DEFAULT_TIMEOUT_MS / 60_000} minutes, \`DEFAULT_TIMEOUT_MS\`)`), 'DEFAULT_TIMEOUT_MS');
    assert.ok(text.includes(`(default ${DEFAULT_MAX_BYTES / 2 ** 30} GiB, \`DEFAULT_MAX_BYTES\`)`), 'DEFAULT_MAX_BYTES');
  });
});
