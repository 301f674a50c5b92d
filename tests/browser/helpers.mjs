// SPDX-License-Identifier: MIT
// Shared by the browser tests: paths, the browser, and a driver that fills
// the config generator's form the way a user does (clicks, typing, selects).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PAGE_DIR = path.join(ROOT, 'docs/config-generator');
export const PAGE_URL = pathToFileURL(path.join(PAGE_DIR, 'index.html')).href;
export const EXAMPLES = path.join(ROOT, 'config/examples');
export const CORPUS = path.join(ROOT, 'tests/data/configs');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export function jsonFiles(dir) {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort().map((n) => path.join(dir, n));
}

export async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

// A page on the generator, failing the test on any script error.
// initScript: run in the page before its own scripts (context.addInitScript).
export async function openPage(browser, contextOptions = {}, initScript = null) {
  const context = await browser.newContext(contextOptions);
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.goto(PAGE_URL);
  await page.locator('#verdict[data-verdict]').waitFor();
  page.scriptProblems = problems;
  return { context, page };
}

export async function output(page) {
  return page.locator('#output').textContent();
}

export async function verdict(page) {
  return page.locator('#verdict').getAttribute('data-verdict');
}

// ---- JSON with its key order -------------------------------------------
// JSON.parse puts integer-like keys ("5") before others ("-40"); a hook's
// thresholds must keep the written order, so the driver reads the examples
// with this small parser: objects become Maps.

export function parseOrdered(text) {
  let i = 0;
  const ws = () => { while (/\s/.test(text[i] ?? '')) i++; };
  const token = (re) => {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) throw new Error(`parseOrdered: unexpected text at ${i}`);
    i += m[0].length;
    return m[0];
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const map = new Map();
      ws();
      if (text[i] === '}') { i++; return map; }
      for (;;) {
        ws();
        const k = JSON.parse(token(/"(?:[^"\\]|\\.)*"/y));
        ws();
        token(/:/y);
        map.set(k, value());
        ws();
        if (token(/[,}]/y) === '}') return map;
      }
    }
    if (c === '[') {
      i++;
      const list = [];
      ws();
      if (text[i] === ']') { i++; return list; }
      for (;;) {
        list.push(value());
        ws();
        if (token(/[,\]]/y) === ']') return list;
      }
    }
    return JSON.parse(token(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null/y));
  };
  const v = value();
  ws();
  if (i !== text.length) throw new Error('parseOrdered: trailing text');
  return v;
}

// Every object's keys in order, by path: {"classes/hooks.X/ccls": ["-40", "5"]}
export function keyOrders(v, at = '', out = {}) {
  if (v instanceof Map) {
    out[at] = [...v.keys()];
    for (const [k, x] of v) keyOrders(x, `${at}/${k}`, out);
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => keyOrders(x, `${at}/${i}`, out));
  }
  return out;
}

// ---- the form driver ------------------------------------------------------

const card = (page, key) => page.locator(`section.card[data-key="${key}"]`);

async function include(page, key) {
  const box = card(page, key).locator('[data-role=include]');
  if (!(await box.isChecked())) await box.check();
}

async function fillPaths(entry, paths) {
  for (const p of paths) {
    await entry.locator('[data-role=add-path]').click();
    await entry.locator('[data-role=path]').last().fill(p);
  }
}

function need(cond, what) {
  if (!cond) throw new Error(`the form driver cannot enter ${what}`);
}

// Services in either form: primaryServices, auxiliaryServices.
async function fillServices(page, key, v) {
  const c = card(page, key);
  await c.locator(`input[type=radio][value=${Array.isArray(v) ? 'list' : 'paths'}]`).check();
  const entries = Array.isArray(v) ? v.map((n) => [n, null]) : [...v];
  for (const [name, paths] of entries) {
    need(typeof name === 'string' && (paths === null || Array.isArray(paths)), `${key} entry`);
    await c.locator('[data-role=add]').last().click();
    const entry = c.locator('[data-role=item]').last();
    await entry.locator('[data-role=name]').fill(name);
    if (paths) await fillPaths(entry, paths);
  }
  await include(page, key);
}

async function fillStrategy(page, key, v) {
  const c = card(page, key);
  const select = c.locator('[data-role=choice]');
  if (await select.locator(`option[value="${v}"]`).count()) {
    await select.selectOption(v);
  } else {
    await select.selectOption({ label: 'another, from a plugin…' });
    await c.locator('[data-role=plugin]').fill(v);
  }
  await include(page, key);
}

async function fillMember(vb, name, paths) {
  await vb.locator('[data-role=add-member]').click();
  const member = vb.locator('[data-role=member]').last();
  const hook = /^class:([^#]*)(?:#(.*))?$/.exec(name);
  if (hook) {
    await member.locator('[data-role=member-kind]').selectOption('hook');
    await member.locator('[data-role=hook-class]').selectOption(hook[1]);
    if (hook[2] !== undefined) await member.locator('[data-role=hook-suffix]').fill(hook[2]);
  } else {
    await member.locator('[data-role=name]').fill(name);
  }
  if (paths) await fillPaths(member, paths);
}

async function fillVirtuals(page, v) {
  const c = card(page, 'virtualBatteries');
  need(v instanceof Map, 'virtualBatteries');
  let n = 0;
  for (const [name, members] of v) {
    await c.locator('[data-role=add-virtual]').click();
    const vb = c.locator('[data-role=virtual]').nth(n++);
    await vb.locator('[data-role=virtual-name]').fill(name);
    if (Array.isArray(members)) {
      for (const m of members) await fillMember(vb, m, null);
    } else {
      await vb.locator('input[type=radio][value=paths]').check();
      for (const [m, paths] of members) await fillMember(vb, m, paths);
    }
  }
  await include(page, 'virtualBatteries');
}

// seriesBatteries: each string's name, then its modules in order.
async function fillSeries(page, v) {
  const c = card(page, 'seriesBatteries');
  need(v instanceof Map, 'seriesBatteries');
  let n = 0;
  for (const [name, modules] of v) {
    need(Array.isArray(modules) && modules.every((m) => typeof m === 'string'), `the modules of ${name}`);
    await c.locator('[data-role=add-series]').click();
    const sb = c.locator('[data-role=series]').nth(n++);
    await sb.locator('[data-role=series-name]').fill(name);
    for (const m of modules) {
      await sb.locator('[data-role=add-module]').click();
      await sb.locator('[data-role=module] [data-role=name]').last().fill(m);
    }
  }
  await include(page, 'seriesBatteries');
}

async function fillClasses(page, v) {
  const c = card(page, 'classes');
  need(v instanceof Map, 'classes');
  for (const [id, options] of v) {
    await c.locator('[data-role=add-hook-options]').click();
    const e = c.locator('[data-role=hook-options]').last();
    await e.locator('[data-role=hook-id]').fill(id);
    need(options instanceof Map, `options of ${id}`);
    if (id.startsWith('hooks.FixedValueHook')) {
      for (const [k, x] of options) {
        need(k === 'path' || k === 'value', `option ${k} of ${id}`);
        await e.locator(k === 'path' ? '[data-role=fixed-path]' : '[data-role=fixed-value]').fill(String(x));
      }
    } else {
      for (const [table, steps] of options) {
        const t = e.locator(`[data-table=${table}]`);
        for (const [threshold, limit] of steps) {
          await t.locator('[data-role=add-step]').click();
          const step = t.locator('[data-role=step]').last();
          await step.locator('[data-role=threshold]').fill(threshold);
          await step.locator('[data-role=limit]').fill(String(limit));
        }
      }
    }
  }
  await include(page, 'classes');
}

// JSON text of a value from parseOrdered, its objects' keys in order.
export function stringifyOrdered(v) {
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${JSON.stringify(k)}: ${stringifyOrdered(x)}`).join(', ')}}`;
  if (Array.isArray(v)) return `[${v.map(stringifyOrdered).join(', ')}]`;
  return JSON.stringify(v);
}

// A built-in limiter's options, in its card: each option's field, a
// table's points row by row (the default's rows removed first).
export async function fillLimiterOptions(page, name, options) {
  const c = page.locator(`#limiter-${name}`);
  need(options instanceof Map, `options of ${name}`);
  for (const [k, x] of options) {
    if (x instanceof Map) {
      const t = c.locator(`[data-role=limiter-table][data-table=${k}]`);
      if (await t.locator('[data-role=write-table]').count()) await t.locator('[data-role=write-table]').click();
      while (await t.locator('[data-role=point]').count()) await t.locator('[data-role=point] [data-role=remove]').first().click();
      for (const [at, value] of x) {
        await t.locator('[data-role=add-point]').click();
        const point = t.locator('[data-role=point]').last();
        await point.locator('[data-role=point-key]').fill(at);
        await point.locator('[data-role=point-value]').fill(String(value));
      }
      continue;
    }
    const field = c.locator(`[data-option=${k}]`);
    need(await field.count() === 1, `option ${k} of ${name}`);
    if (await field.evaluate((el) => el.tagName === 'SELECT')) await field.selectOption(String(x));
    else await field.fill(String(x));
  }
}

// strategyOptions: ir's options in its fields, a built-in limiter's in its
// card, any other's as JSON text.
async function fillStrategyOptions(page, v) {
  const c = card(page, 'strategyOptions');
  need(v instanceof Map, 'strategyOptions');
  for (const [name, options] of v) {
    await c.locator('[data-role=add-strategy-options]').click();
    const e = c.locator('[data-role=strategy-options]').last();
    await e.locator('[data-role=strategy-name]').fill(name);
    if (name === 'cell_voltage' || name === 'temperature') {
      await fillLimiterOptions(page, name, options);
      continue;
    }
    const fields = options instanceof Map && [...options].every(([k, x]) => (k === 'maxPercentageError' || k === 'minVoltageChange') && typeof x === 'number');
    if (name === 'ir' && fields) {
      for (const [k, x] of options) {
        await e.locator(k === 'maxPercentageError' ? '[data-role=mpe]' : '[data-role=mvc]').fill(String(x));
      }
    } else {
      await e.locator('[data-role=strategy-raw]').fill(stringifyOrdered(options));
    }
  }
  await include(page, 'strategyOptions');
}

// Enters the config (from parseOrdered) through the form's controls.
export async function fillForm(page, config) {
  need(config instanceof Map, 'a config that is not an object');
  for (const [key, v] of config) {
    const c = card(page, key);
    switch (key) {
      case 'serviceName':
      case 'pluginDirectory':
      case 'capacity':
      case 'reconnectTimeout':
      case 'startupBatteryWait':
      case 'publishInterval':
      case 'maxChargeCurrent':
      case 'maxDischargeCurrent':
        need(typeof v === 'string' || typeof v === 'number', key);
        await c.locator('[data-role=value]').fill(String(v));
        await include(page, key);
        break;
      case 'excludedServices':
        need(Array.isArray(v), key);
        for (const name of v) {
          await c.locator('[data-role=add]').click();
          await c.locator('[data-role=name]').last().fill(name);
        }
        await include(page, key);
        break;
      case 'primaryServices':
      case 'auxiliaryServices':
        await fillServices(page, key, v);
        break;
      case 'virtualBatteries':
        await fillVirtuals(page, v);
        break;
      case 'seriesBatteries':
        await fillSeries(page, v);
        break;
      case 'classes':
        await fillClasses(page, v);
        break;
      case 'limiters':
        need(Array.isArray(v), key);
        for (const name of v) {
          const add = c.locator(`[data-role=add-limiter][data-name="${name}"]`);
          if (await add.count()) {
            await add.click();
          } else {
            await c.locator('[data-role=add-limiter][data-name="(plugin)"]').click();
            await c.locator('[data-role=limiter-item] [data-role=plugin]').last().fill(name);
          }
        }
        await include(page, key);
        break;
      case 'currentRatioMethod':
      case 'cvlMode':
        await fillStrategy(page, key, v);
        break;
      case 'cclMode':
      case 'logLevel':
        await c.locator('[data-role=value]').selectOption(v);
        await include(page, key);
        break;
      case 'stateFile':
        need(typeof v === 'string' || v === false, key);
        if (v === false) {
          await c.locator('[data-role=choice]').selectOption('false');
        } else {
          await c.locator('[data-role=value]').fill(v);
        }
        await include(page, key);
        break;
      case 'expectedBatteries':
        if (typeof v === 'number') {
          await c.locator('[data-role=value]').fill(String(v));
        } else {
          need(v instanceof Map && [...v.values()].every((x) => typeof x === 'number'), key);
          await c.locator('input[type=radio][value=services]').check();
          for (const [name, count] of v) {
            await c.locator('[data-role=add]').click();
            const row = c.locator('[data-role=item]').last();
            await row.locator('[data-role=name]').fill(name);
            await row.locator('[data-role=count]').fill(String(count));
          }
        }
        await include(page, key);
        break;
      case 'publishPropertiesChanged':
        need(typeof v === 'boolean', key);
        await c.locator('[data-role=value]').selectOption(String(v));
        await include(page, key);
        break;
      case 'ir':
        need(v instanceof Map, key);
        for (const [k, x] of v) {
          await c.locator(k === 'maxPercentageError' ? '[data-role=mpe]' : '[data-role=mvc]').fill(String(x));
        }
        await include(page, key);
        break;
      case 'strategyOptions':
        await fillStrategyOptions(page, v);
        break;
      case 'mergePolicies':
      case 'seriesMergePolicies':
        need(v instanceof Map, key);
        for (const [p, policy] of v) {
          await c.locator('[data-role=add]').click();
          const row = c.locator('[data-role=item]').last();
          await row.locator('[data-role=path]').fill(p);
          await row.locator('[data-role=policy]').fill(policy);
        }
        await include(page, key);
        break;
      default:
        need(false, `the key ${key}`);
    }
  }
}

// Imports a file through the page's file input (as "Load a file…" does).
// The page counts import attempts in data-imports: wait for the next one,
// or for a script error (which would stop the import before it counts).
async function nextImport(page, action) {
  const status = page.locator('#import-status');
  const before = Number((await status.getAttribute('data-imports')) || 0);
  let onError;
  const failed = new Promise((resolve, reject) => {
    onError = (e) => reject(new Error(`script error during the import: ${e.message}`));
    page.on('pageerror', onError);
  });
  const counted = (async () => {
    await action();
    await page.locator(`#import-status[data-imports="${before + 1}"]`).waitFor();
  })();
  failed.catch(() => {});
  counted.catch(() => {});
  try {
    await Promise.race([counted, failed]);
  } finally {
    page.off('pageerror', onError);
  }
}

export async function importFile(page, file) {
  await nextImport(page, () => page.locator('#import-file').setInputFiles(file));
}

export async function importText(page, text) {
  await page.locator('#import-text').fill(text);
  await nextImport(page, () => page.locator('#import-button').click());
}
