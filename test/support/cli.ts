/**
 * The `recurrent` CLI as a user runs it: a child process of the built bin
 * (packages/recurrent/dist/cli/main.js) under this Node, without colours. Node only: call it
 * from tests gated with `nodeOnly(...)`.
 */
import * as childProcess from 'node:child_process';

import { repoPath } from './files.js';

/** How a run ended: the exit code (-1 when killed or not started), and what it printed. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `args` (in `cwd` when given), for at most a minute. */
export function runCli(args: string[], cwd?: string): Promise<CliRun> {
  const cli = repoPath('packages/recurrent/dist/cli/main.js');
  return new Promise((resolve) => {
    childProcess.execFile(process.execPath, [cli, ...args], { cwd, timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
