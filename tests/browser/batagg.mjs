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

// batagg's problems with a config file, as --check-config prints them
// ("FILE:LINE:COL: [warning: ][key 'KEY': ]TEXT"): [{warning, key, text}],
// key null when the message names none.  Its log lines ("WARNING:batagg:
// ...") are no problems of the config.
export function bataggProblems(file) {
  const { message } = bataggCheck(file);
  const out = [];
  for (const line of message.split('\n')) {
    if (!line.startsWith(`${file}:`)) continue;
    const m = /^(?:\d+:\d+:)? ?(warning: )?(?:key '([^']+)': )?(.*)$/.exec(line.slice(file.length + 1));
    out.push({ warning: !!m[1], key: m[2] ?? null, text: m[3] });
  }
  return out;
}

// The same for a config given as text.
export function bataggProblemsOfText(text) {
  return bataggProblems(writeConfig(text));
}

export function bataggAcceptsFile(file) {
  return bataggCheck(file).ok;
}

let dir = null;
let n = 0;
function writeConfig(text) {
  dir = dir || fs.mkdtempSync(path.join(os.tmpdir(), 'batagg-web-'));
  const file = path.join(dir, `config-${++n}.json`);
  fs.writeFileSync(file, text);
  return file;
}

export function bataggAcceptsText(text) {
  return bataggAcceptsFile(writeConfig(text));
}
