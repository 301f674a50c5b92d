// SPDX-License-Identifier: MIT
// batagg --check-config, the reference the page's verdicts are held to.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BATAGG = process.env.BATAGG || '';

// {ok: batagg accepts the config file, message: what it said on stderr}
export function bataggCheck(file) {
  const r = spawnSync(BATAGG, ['--check-config', file], { encoding: 'utf8' });
  if (r.error) throw r.error;
  if (r.status !== 0 && !r.stderr.trim()) throw new Error(`batagg exited ${r.status} without a message for ${file}`);
  return { ok: r.status === 0, message: r.stderr };
}

export function bataggAcceptsFile(file) {
  return bataggCheck(file).ok;
}

let dir = null;
let n = 0;
export function bataggAcceptsText(text) {
  dir = dir || fs.mkdtempSync(path.join(os.tmpdir(), 'batagg-web-'));
  const file = path.join(dir, `config-${++n}.json`);
  fs.writeFileSync(file, text);
  return bataggAcceptsFile(file);
}
