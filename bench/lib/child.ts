/**
 * Child process: starts one subject (an engine configuration), runs one workload's selected
 * cases on it, sends the measurements to the parent over IPC, and shuts the engine down.
 * One process per configuration keeps singletons (`init`, tfjs's backend) and thread pools
 * from meeting.
 */
import { workload } from '../workloads/index.js';
import { openSubject } from './subjects.js';
import type { ChildJob, ChildMessage } from './ipc.js';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      console.log(JSON.stringify(message));
      resolve();
      return;
    }
    process.send(message, () => resolve());
  });
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as ChildJob;
  const w = workload(job.workload);
  const subject = await openSubject(job.subject);
  try {
    const measurements = await w.measure(subject, job.subject, {
      timing: job.timing,
      caseFilter: job.caseFilter,
      caseExact: job.caseExact,
      quick: job.quick,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    // Which Node ran it: a subject may run on Node 24 (the relaxed build and the wasm peers' twins).
    await send({ type: 'result', info: { ...subject.info, node: subject.info['node'] ?? process.version }, measurements });
  } finally {
    await subject.close();
  }
}

main().then(
  () => process.exit(0),
  async (e: unknown) => {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    await send({ type: 'error', message });
    process.exit(1);
  },
);
