// SPDX-License-Identifier: MIT
// The config generator in Chromium: the form builds each README example, an
// import exports unchanged, errors show beside their field, the page runs
// offline from file://, the embedded schema is the shipped one, Copy and
// Download give the shown JSON.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  EXAMPLES, PAGE_DIR, PAGE_URL, ROOT, jsonFiles, launch, openPage, output, verdict,
  parseOrdered, keyOrders, fillForm, fillLimiterOptions, importFile, importText,
} from './helpers.mjs';
import { BATAGG, bataggAcceptsText, bataggProblemsOfText } from './batagg.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function withPage(fn, contextOptions, initScript) {
  const { context, page } = await openPage(browser, contextOptions, initScript);
  try {
    await fn(page, context);
    assert.deepEqual(page.scriptProblems, [], 'no script errors in the page');
  } finally {
    await context.close();
  }
}

const examples = jsonFiles(EXAMPLES);
assert.ok(examples.length >= 8, 'the README examples are there');

// The thresholds of a hook must keep their order: compare every object's
// key order where it matters (inside "classes").
function assertHookOrder(text, expectedText) {
  const orders = (t) => Object.fromEntries(Object.entries(keyOrders(parseOrdered(t))).filter(([k]) => k.startsWith('/classes/')));
  assert.deepEqual(orders(text), orders(expectedText), 'hook options keep their order');
}

for (const file of examples) {
  const name = path.basename(file);
  const text = fs.readFileSync(file, 'utf8');

  test(`form: filling the controls builds ${name}`, async () => {
    await withPage(async (page) => {
      assert.deepEqual(JSON.parse(await output(page)), {}, 'an untouched form is an empty config');
      await fillForm(page, parseOrdered(text));
      const out = await output(page);
      assert.deepEqual(JSON.parse(out), JSON.parse(text));
      assertHookOrder(out, text);
      assert.equal(await verdict(page), 'valid');
    });
  });

  test(`import: ${name} pasted and loaded as a file exports unchanged`, async () => {
    await withPage(async (page) => {
      await importText(page, text);
      assert.equal(await page.locator('#import-status').getAttribute('data-state'), 'ok');
      let out = await output(page);
      assert.deepEqual(JSON.parse(out), JSON.parse(text));
      assertHookOrder(out, text);
      assert.equal(await verdict(page), 'valid');

      await importFile(page, file);
      assert.equal(await page.locator('#import-status').getAttribute('data-state'), 'ok');
      out = await output(page);
      assert.deepEqual(JSON.parse(out), JSON.parse(text));
      assertHookOrder(out, text);
    });
  });
}

// The error slot that belongs to an input: inside the same .field.
function errorsBeside(input) {
  return input.locator('xpath=ancestor::div[contains(@class,"field")][1]').locator('.field-errors .error');
}

function warningsBeside(input) {
  return input.locator('xpath=ancestor::div[contains(@class,"field")][1]').locator('.field-errors .warning');
}

async function assertBatagg(page, accepts) {
  if (!BATAGG) return; // run.sh always sets it; without it the page alone is checked
  assert.equal(bataggAcceptsText(await output(page)), accepts, `batagg --check-config ${accepts ? 'accepts' : 'refuses'} the shown JSON`);
}

test('errors: a negative capacity is shown beside the capacity field, and batagg agrees', async () => {
  await withPage(async (page) => {
    const input = page.locator('section[data-key=capacity] [data-role=value]');
    await input.fill('-5');
    assert.deepEqual(JSON.parse(await output(page)), { capacity: -5 }, 'typing turns the key on');
    await errorsBeside(input).first().waitFor();
    assert.match(await errorsBeside(input).first().textContent(), /0/, 'the message names the bound');
    assert.equal(await verdict(page), 'invalid');
    await assertBatagg(page, false);
    await input.fill('560');
    assert.equal(await errorsBeside(input).count(), 0, 'the error goes when fixed');
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);
  });
});

test('errors: a serviceName outside com.victronenergy.battery. is shown beside it, and batagg agrees', async () => {
  await withPage(async (page) => {
    const input = page.locator('section[data-key=serviceName] [data-role=value]');
    await input.fill('com.victronenergy.vebus.x');
    await errorsBeside(input).first().waitFor();
    assert.match(await errorsBeside(input).first().textContent(), /com\.victronenergy\.battery\./);
    assert.equal(await verdict(page), 'invalid');
    await assertBatagg(page, false);
    await input.fill('com.victronenergy.battery.aggregator2');
    assert.equal(await errorsBeside(input).count(), 0);
    await assertBatagg(page, true);
  });
});

test('errors: a cvlMode that is no strategy name, imported, is shown beside the cvlMode field', async () => {
  await withPage(async (page) => {
    const config = '{"cvlMode": "max when floating"}';
    await importText(page, config);
    const input = page.locator('section[data-key=cvlMode] [data-role=plugin]');
    assert.equal(await input.inputValue(), 'max when floating');
    await errorsBeside(input).first().waitFor();
    assert.match(await errorsBeside(input).first().textContent(), /max when floating/);
    assert.equal(await verdict(page), 'invalid');
    await assertBatagg(page, false);

    // A value of the wrong type cannot go in the select: it stays JSON text
    // in the card, with its error beside it, and exports unchanged.
    await importFile(page, path.join(ROOT, 'tests/data/configs/bad/cvl_mode_number.json'));
    const raw = page.locator('section[data-key=cvlMode] [data-role=raw]');
    assert.equal(await raw.inputValue(), '1');
    assert.match(await errorsBeside(raw).first().textContent(), /string/);
    assert.deepEqual(JSON.parse(await output(page)), { cvlMode: 1 });
  });
});

// A strategy name no built-in plugin provides: batagg refuses it unless a
// plugin from pluginDirectory provides it.  The page says it in batagg's
// words, with its did-you-mean, beside the field.
for (const [key, config, role, says] of [
  ['cvlMode', '{"cvlMode": "fancy_mode"}', 'plugin',
    'unknown value "fancy_mode"; known: "bulk_until_all_float", "dvcc", "max_always", "max_when_balancing", "max_when_floating", "min_when_balancing"'],
  ['cvlMode', '{"cvlMode": "max_when_charging"}', 'plugin',
    'unknown value "max_when_charging" (did you mean "max_when_balancing"?); known: "bulk_until_all_float", "dvcc", "max_always", "max_when_balancing", "max_when_floating", "min_when_balancing"'],
  ['currentRatioMethod', '{"currentRatioMethod": "fancy"}', 'plugin', 'unknown value "fancy"; known: "capacity", "count", "ir"'],
  ['currentRatioMethod', '{"currentRatioMethod": "IR"}', 'plugin', 'unknown value "IR" (did you mean "ir"?); known: "capacity", "count", "ir"'],
  ['mergePolicies', '{"mergePolicies": {"/Soc": "fancy_mean"}}', 'policy',
    'unknown value "fancy_mean"; known: "alarm", "all", "any", "available_mean", "capacity_time_to_go", "capacity_weighted_mean", "charge_mode", ' +
    '"first", "max", "max_label", "mean", "min", "min_label", "sum", "sum_or_zero"'],
  ['mergePolicies', '{"mergePolicies": {"/Soc": "medain"}}', 'policy', 'unknown value "medain" (did you mean "mean"?); known: "alarm", "all", "any", '],
  ['mergePolicies', '{"mergePolicies": {"/Soc": "hooks.FixedValueHook"}}', 'policy', 'unknown value "hooks.FixedValueHook"; known: "alarm", '],
]) {
  test(`errors: ${config}, no built-in strategy, without pluginDirectory is an error in batagg's words`, async () => {
    await withPage(async (page) => {
      await importText(page, config);
      const input = page.locator(`section[data-key=${key}] [data-role=${role}]`);
      await errorsBeside(input).first().waitFor();
      assert.ok((await errorsBeside(input).first().textContent()).startsWith(says), `${await errorsBeside(input).first().textContent()} says ${says}`);
      assert.equal(await verdict(page), 'invalid');
      if (BATAGG) {
        const batagg = bataggProblemsOfText(config);
        assert.equal(batagg.length, 1);
        assert.equal(batagg[0].key, key);
        assert.equal(await errorsBeside(input).first().textContent(), batagg[0].text, 'batagg says it so');
      }
    });
  });
}

// A value none of those a key allows (cclMode, logLevel): batagg's words,
// with its did-you-mean.
for (const [key, config, says] of [
  ['cclMode', '{"cclMode": "dvcc+battery"}', 'unknown value "dvcc+battery"; allowed: "battery+dvcc", "battery", "dvcc"'],
  ['cclMode', '{"cclMode": "batery"}', 'unknown value "batery" (did you mean "battery"?); allowed: "battery+dvcc", "battery", "dvcc"'],
  ['logLevel', '{"logLevel": "debug"}', 'unknown value "debug" (did you mean "DEBUG"?); allowed: "DEBUG", "INFO", '],
  ['logLevel', '{"logLevel": "verbose"}', 'unknown value "verbose"; allowed: "DEBUG", '],
]) {
  test(`errors: ${config} is an error in batagg's words`, async () => {
    await withPage(async (page) => {
      await importText(page, config);
      const texts = await page.locator(`section[data-key=${key}] .field-errors .error`).allTextContents();
      assert.ok(texts.some((t) => t.startsWith(says)), `${texts.join(' | ')} has ${says}`);
      assert.equal(await verdict(page), 'invalid');
      if (BATAGG) {
        const batagg = bataggProblemsOfText(config);
        assert.equal(batagg.length, 1);
        assert.equal(batagg[0].key, key);
        assert.deepEqual(texts, [batagg[0].text], 'batagg says it so');
      }
    });
  });
}

// Options a hook refuses: batagg's words ("hook 'NAME': WHY"), one problem
// per hook (it stops at the first option it refuses), where it says.
const steps33 = JSON.stringify({ ccls: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [String(i), i])) });
for (const [what, id, options] of [
  ['an unknown option', 'hooks.FixedValueHook#a', '{"valeu": 5, "path": "/Soc"}'],
  ['no options', 'hooks.FixedValueHook', null],
  ['a path without a slash', 'hooks.FixedValueHook', '{"path": "Soc"}'],
  ['thresholds that are no numbers, and a table other than ccls or dcls', 'hooks.CustomChargingHook', '{"ccls": {"x": 5, "y": 6}, "dcl": {"52": 1}}'],
  ['33 steps', 'hooks.TemperatureChargingHook#t', steps33],
]) {
  const config = `{"virtualBatteries": {"com.victronenergy.battery.v": ["class:${id}", "com.victronenergy.battery.a"]}` +
    (options ? `, "classes": {"${id}": ${options}}}` : '}');
  test(`errors: ${what}, which ${id} refuses, in batagg's words`, { skip: !BATAGG && 'BATAGG is not set' }, async () => {
    const batagg = bataggProblemsOfText(config);
    assert.equal(batagg.length, 1, 'batagg says one problem');
    assert.match(batagg[0].text, new RegExp(`^hook '${id.split('#')[0]}': `));
    await withPage(async (page) => {
      await importText(page, config);
      const listed = await page.locator('#problems li.error').allTextContents();
      assert.equal(listed.length, 1, `one problem: ${listed.join(' | ')}`);
      assert.ok(listed[0].endsWith(`: ${batagg[0].text}`), `${listed[0]} says batagg's ${batagg[0].text}`);
      const card = page.locator(`section[data-key=${batagg[0].key.split('.')[0]}]`);
      assert.deepEqual(await card.locator('.field-errors .error').allTextContents(), [batagg[0].text], 'beside the key batagg names');
      assert.equal(await verdict(page), 'invalid');
    });
  });
}

// publishInterval out of its range: batagg's words (the schema's minimum and
// maximum, said as batagg says them).
for (const [config, says] of [
  ['{"publishInterval": 61}', 'expected seconds from 0 to 60, got 61'],
  ['{"publishInterval": -0.5}', 'expected seconds from 0 to 60, got -0.5'],
  ['{"publishInterval": 1e999}', '1e999 is too large a number'],
  ['{"publishInterval": -1E999}', '-1E999 is too large a number'],
]) {
  test(`errors: ${config} is an error in batagg's words`, async () => {
    await withPage(async (page) => {
      await importText(page, config);
      const texts = await page.locator('section[data-key=publishInterval] .field-errors .error').allTextContents();
      assert.deepEqual(texts, [says]);
      assert.equal(await verdict(page), 'invalid');
      if (BATAGG) assert.deepEqual(bataggProblemsOfText(config), [{ warning: false, key: 'publishInterval', text: says }], 'batagg says it so');
    });
  });
}

test('form: publishInterval and publishPropertiesChanged through their fields, as batagg reads them', async () => {
  await withPage(async (page) => {
    const config = { publishInterval: 0.25, publishPropertiesChanged: true };
    await fillForm(page, parseOrdered(JSON.stringify(config)));
    assert.deepEqual(JSON.parse(await output(page)), config);
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);
    await page.locator('section[data-key=publishPropertiesChanged] [data-role=value]').selectOption('false');
    assert.deepEqual(JSON.parse(await output(page)), { ...config, publishPropertiesChanged: false }, 'false is written, not left out');
    await page.locator('section[data-key=publishInterval] [data-role=value]').fill('90');
    assert.equal(await verdict(page), 'invalid');
    await assertBatagg(page, false);
  });
});

// stateFile: an absolute path or false, anything else in batagg's words.
for (const [config, says] of [
  ['{"stateFile": "learned.state"}', '"learned.state" is not an absolute path'],
  ['{"stateFile": "data/"}', '"data/" is not an absolute path'],
  ['{"stateFile": "/data/"}', '"/data/" names a directory, not a file'],
  ['{"stateFile": true}', 'expected an absolute path, or false for no state file, got true'],
  ['{"stateFile": 1}', 'expected an absolute path, or false for no state file, got a number'],
  ['{"stateFile": null}', 'expected an absolute path, or false for no state file, got null'],
  ['{"stateFile": {}}', 'expected an absolute path, or false for no state file, got an object'],
]) {
  test(`errors: ${config} is an error in batagg's words`, async () => {
    await withPage(async (page) => {
      await importText(page, config);
      const texts = await page.locator('section[data-key=stateFile] .field-errors .error').allTextContents();
      assert.deepEqual(texts, [says]);
      assert.equal(await verdict(page), 'invalid');
      if (BATAGG) assert.deepEqual(bataggProblemsOfText(config), [{ warning: false, key: 'stateFile', text: says }], 'batagg says it so');
    });
  });
}

test('form: stateFile through its fields, a file or false, as batagg reads them', async () => {
  await withPage(async (page) => {
    const card = page.locator('section[data-key=stateFile]');
    await fillForm(page, parseOrdered('{"stateFile": "/data/batagg/learned.state"}'));
    assert.deepEqual(JSON.parse(await output(page)), { stateFile: '/data/batagg/learned.state' });
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);
    await card.locator('[data-role=choice]').selectOption('false');
    assert.deepEqual(JSON.parse(await output(page)), { stateFile: false });
    assert.equal(await card.locator('[data-role=value]').isHidden(), true, 'no path to give for false');
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);
    await card.locator('[data-role=choice]').selectOption('file');
    await card.locator('[data-role=value]').fill('learned.state');
    assert.equal(await verdict(page), 'invalid');
    await assertBatagg(page, false);
    // Imported, false shows as false and exports unchanged.
    await importText(page, '{"stateFile": false}');
    assert.equal(await card.locator('[data-role=choice]').inputValue(), 'false');
    assert.equal(await output(page), '{"stateFile": false}\n');
  });
});

// expectedBatteries: a whole number >= 1, or service name -> one, each a
// service batagg publishes; anything else in batagg's words (core/config/keys.c's
// expected() and core/config/relations.c's expected_names()), as many as batagg says.
const AGG = 'com.victronenergy.battery.aggregator';
const notPublished = (name) => `"${name}" is not a service batagg publishes (serviceName, or a virtual or series battery)`;
for (const [config, says] of [
  ['{"expectedBatteries": 0}', ['expected a whole number >= 1, got 0']],
  ['{"expectedBatteries": -0}', ['expected a whole number >= 1, got -0']],
  ['{"expectedBatteries": 1.5}', ['expected a whole number >= 1, got 1.5']],
  ['{"expectedBatteries": 1e999}', ['expected a whole number >= 1, got 1e999']],
  ['{"expectedBatteries": "3"}', ['expected an object, got a string']],
  ['{"expectedBatteries": true}', ['expected an object, got a boolean']],
  ['{"expectedBatteries": null}', ['expected an object, got null']],
  ['{"expectedBatteries": [3]}', ['expected an object, got an array']],
  [`{"expectedBatteries": {"${AGG}": 0}}`, ['expected a whole number >= 1, got 0']],
  [`{"expectedBatteries": {"${AGG}": "2"}}`, ['expected a number, got a string']],
  [`{"expectedBatteries": {"${AGG}": {}}}`, ['expected a number, got an object']],
  ['{"expectedBatteries": {"com.victronenergy.battery.house": 2}}', [notPublished('com.victronenergy.battery.house')]],
  ['{"expectedBatteries": {"foo": 2, "name:Rack": 1, "": 1}}', [notPublished('foo'), notPublished('name:Rack'), notPublished('')]],
  ['{"expectedBatteries": {"foo": 0}}', ['expected a whole number >= 1, got 0']],
  [`{"serviceName": "com.victronenergy.battery.bank2", "expectedBatteries": {"${AGG}": 2}}`, [notPublished(AGG)]],
  ['{"virtualBatteries": {"name:V": ["com.victronenergy.battery.a"]}, "expectedBatteries": {"name:V": 1}}', [notPublished('name:V')]],
  ['{"seriesBatteries": {"com.victronenergy.battery.s": {}}, "expectedBatteries": {"com.victronenergy.battery.s": 1}}',
    [notPublished('com.victronenergy.battery.s')]],
]) {
  test(`errors: ${config}, expectedBatteries in batagg's words`, async () => {
    await withPage(async (page) => {
      await importText(page, config);
      const texts = await page.locator('section[data-key=expectedBatteries] .field-errors .error').allTextContents();
      assert.deepEqual(texts, says);
      assert.equal(await verdict(page), 'invalid');
      if (BATAGG) {
        const batagg = bataggProblemsOfText(config).filter((p) => p.key === 'expectedBatteries');
        assert.deepEqual(batagg, says.map((text) => ({ warning: false, key: 'expectedBatteries', text })), 'batagg says it so');
      }
    });
  });
}

// A whole number the schema takes but batagg does not (a fraction, an
// exponent, beyond an int): batagg's words, and how to write it.
for (const config of ['{"expectedBatteries": 2.0}', '{"expectedBatteries": 1e1}', '{"expectedBatteries": 3000000000}',
  `{"expectedBatteries": {"${AGG}": 2.0}}`]) {
  test(`errors: ${config}, a whole number as batagg reads it`, async () => {
    await withPage(async (page) => {
      await importText(page, config);
      const texts = await page.locator('section[data-key=expectedBatteries] .field-errors .error').allTextContents();
      assert.equal(texts.length, 1, texts.join(' | '));
      assert.match(texts[0], / \(write it without a fraction or exponent, at most 2147483647\)$/);
      assert.equal(await verdict(page), 'invalid');
      if (BATAGG) {
        const batagg = bataggProblemsOfText(config);
        assert.equal(batagg.length, 1);
        assert.ok(texts[0].startsWith(batagg[0].text), `batagg says ${batagg[0].text}`);
      }
    });
  });
}

// expectedBatteries through its card: a number, or per service, the names
// offered those batagg publishes (the aggregate's, virtual and series
// batteries').
test('form: expectedBatteries, a number or per service, as batagg reads it', async () => {
  await withPage(async (page) => {
    const card = page.locator('section[data-key=expectedBatteries]');
    await card.locator('[data-role=value]').fill('3');
    assert.deepEqual(JSON.parse(await output(page)), { expectedBatteries: 3 });
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);
    await card.locator('[data-role=value]').fill('');
    assert.deepEqual(JSON.parse(await output(page)), {}, 'an empty field writes nothing');
    assert.equal(await card.locator('.field-errors .error').first().textContent(), 'enter a number');

    await fillForm(page, parseOrdered(`{"virtualBatteries": {"${B}house": ["${B}bms", "${B}shunt"]}, "seriesBatteries": {"${B}s": ["${B}m1", "${B}m2"]}}`));
    await card.locator('input[type=radio][value=services]').check();
    assert.deepEqual(await page.locator('#published-services option').evaluateAll((os) => os.map((o) => o.value)),
      [AGG, `${B}house`, `${B}s`], 'the services batagg publishes are offered');
    for (const [name, count] of [[AGG, '2'], [`${B}house`, '2'], [`${B}s`, '2']]) {
      await card.locator('[data-role=add]').click();
      await page.keyboard.type(name); // the cursor is in the new row's name
      await card.locator('[data-role=count]').last().fill(count);
    }
    const want = { [AGG]: 2, [`${B}house`]: 2, [`${B}s`]: 2 };
    assert.deepEqual(JSON.parse(await output(page)).expectedBatteries, want);
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);

    // A module is no service batagg publishes: its error beside the name.
    const names = card.locator('[data-role=name]');
    await names.nth(2).fill(`${B}m1`);
    await errorsBeside(names.nth(2)).first().waitFor();
    assert.deepEqual(await errorsBeside(names.nth(2)).allTextContents(), [notPublished(`${B}m1`)]);
    assert.equal(await verdict(page), 'invalid');
    if (BATAGG) assert.deepEqual(bataggProblemsOfText(await output(page)).map((p) => p.text), [notPublished(`${B}m1`)], 'batagg says so');
    await card.locator('[data-role=item]').nth(2).locator('[data-role=remove]').click();
    assert.equal(await verdict(page), 'valid');

    // A renamed aggregate: the new name is offered, the old one no more.
    await fillForm(page, parseOrdered(`{"serviceName": "${B}bank2"}`));
    assert.deepEqual(await page.locator('#published-services option').evaluateAll((os) => os.map((o) => o.value)), [`${B}bank2`, `${B}house`, `${B}s`]);
    assert.deepEqual(await errorsBeside(names.first()).allTextContents(), [notPublished(AGG)]);
    await names.first().fill(`${B}bank2`);
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);

    // Imported, per service shows as rows and exports unchanged.
    const config = `{"expectedBatteries": {"${AGG}": 4}}`;
    await importText(page, config);
    assert.equal(await card.locator('input[type=radio][value=services]').isChecked(), true);
    assert.deepEqual(await card.locator('[data-role=count]').evaluateAll((els) => els.map((e) => e.value)), ['4']);
    assert.deepEqual(JSON.parse(await output(page)), JSON.parse(config));
  });
});

// A hook no built-in plugin provides, or a suffix batagg refuses: batagg's words.
for (const [member, says] of [
  ['class:hooks.MagicHook', 'unknown hook "hooks.MagicHook"; known: "hooks.CustomChargingHook", "hooks.FixedValueHook", "hooks.TemperatureChargingHook"'],
  ['class:hooks.fixedvaluehook#a', 'unknown hook "hooks.fixedvaluehook" (did you mean "hooks.FixedValueHook"?); known: "hooks.CustomChargingHook", '],
  ['class:hooks.FixedValueHok', 'unknown hook "hooks.FixedValueHok" (did you mean "hooks.FixedValueHook"?); known: '],
  ['class:hooks.FixedValueHook#a.b', '"class:hooks.FixedValueHook#a.b": a hook\'s suffix (after \'#\') has only A-Z, a-z, 0-9, \'_\' and \'-\''],
]) {
  test(`errors: a virtual battery member "${member}" is an error in batagg's words`, async () => {
    const config = `{"virtualBatteries": {"com.victronenergy.battery.v": ["${member}"]}}`;
    await withPage(async (page) => {
      await importText(page, config);
      const card = page.locator('section[data-key=virtualBatteries]');
      const texts = await card.locator('.field-errors .error').allTextContents();
      assert.ok(texts.some((t) => t.startsWith(says)), `${texts.join(' | ')} has ${says}`);
      assert.equal(await verdict(page), 'invalid');
      if (BATAGG) {
        const batagg = bataggProblemsOfText(config);
        assert.equal(batagg.length, 1);
        assert.ok(texts.includes(batagg[0].text), `${texts.join(' | ')} has batagg's ${batagg[0].text}`);
      }
    });
  });
}

test('errors: a cvlMode from a plugin, with pluginDirectory, is not an error, but a note says it needs the plugin', async () => {
  await withPage(async (page) => {
    // Not compared with batagg: batagg loads the plugins of pluginDirectory to
    // learn their names, and refuses the config when none provides
    // fancy_mode (here: no such directory, no such plugin).  The page cannot
    // see the plugins, so it says valid with a note.
    await importText(page, '{"pluginDirectory": "/data/batagg-plugins", "cvlMode": "fancy_mode"}');
    const input = page.locator('section[data-key=cvlMode] [data-role=plugin]');
    assert.equal(await verdict(page), 'valid');
    const note = input.locator('xpath=ancestor::div[contains(@class,"field")][1]').locator('.field-errors .warning');
    assert.match(await note.first().textContent(), /fancy_mode.*needs a plugin from pluginDirectory that provides it/);
    assert.equal(await errorsBeside(input).count(), 0);
    // Near a built-in name, the note says which.
    await input.fill('max_when_charging');
    assert.equal(await verdict(page), 'valid');
    assert.match(await note.first().textContent(),
      /"max_when_charging" is not a built-in CVL mode \(did you mean "max_when_balancing"\?\): it needs a plugin from pluginDirectory/);
  });
});

test('warnings: a service both excluded and primary is a warning beside both, and the config valid, as batagg says', async () => {
  const file = path.join(ROOT, 'tests/data/configs/warn/excluded_and_primary.json');
  await withPage(async (page) => {
    await importFile(page, file);
    const excluded = page.locator('section[data-key=excludedServices] [data-role=name]');
    const primary = page.locator('section[data-key=primaryServices] [data-role=name]');
    const says = 'batagg uses it as a primary service, never as a member of the aggregate';
    assert.match(await warningsBeside(excluded).first().textContent(),
      new RegExp(`"com\\.victronenergy\\.battery\\.x" is in excludedServices and in primaryServices: ${says}`));
    assert.match(await warningsBeside(primary).first().textContent(), new RegExp(`battery\\.x" is also in excludedServices: ${says}`));
    assert.equal(await errorsBeside(excluded).count(), 0);
    assert.equal(await errorsBeside(primary).count(), 0);
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);
    // Removing the primary service takes the warnings away.
    await page.locator('section[data-key=primaryServices] [data-role=remove]').click();
    assert.equal(await warningsBeside(excluded).count(), 0);
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);
  });
});

// A name no battery service can have, in each kind of list of services to
// match: batagg runs the config (the name matches nothing) and warns; the
// page says its warning, in its words, in the card of the key, and the
// config is valid.
const LYNX = 'com.victronenergy.battery.lynx.1';
for (const [what, config, key] of [
  ['an excluded service', `{"excludedServices": ["${LYNX}"]}`, 'excludedServices'],
  ['a primary service (object form)', `{"primaryServices": {"${LYNX}": ["/Soc"]}}`, 'primaryServices'],
  ['an auxiliary service with a space', '{"auxiliaryServices": ["com.victronenergy.battery.my shunt"]}', 'auxiliaryServices'],
  ['a virtual battery\'s member', `{"virtualBatteries": {"com.victronenergy.battery.v": ["${LYNX}", "com.victronenergy.battery.b"]}}`, 'virtualBatteries'],
  ['a series battery\'s module', `{"seriesBatteries": {"com.victronenergy.battery.s": ["${LYNX}", "com.victronenergy.battery.b"]}}`, 'seriesBatteries'],
  ['an excluded service of another kind', '{"excludedServices": ["com.victronenergy.solarcharger.ttyS1"]}', 'excludedServices'],
]) {
  test(`warnings: ${what} that can never match a service is batagg's warning, and the config valid`, { skip: !BATAGG && 'BATAGG is not set' }, async () => {
    const batagg = bataggProblemsOfText(config);
    assert.equal(batagg.length, 1, `batagg says one thing: ${batagg.map((p) => p.text).join(' | ')}`);
    assert.ok(batagg[0].warning, 'a warning');
    assert.match(batagg[0].text, /" can never match a service: /);
    await withPage(async (page) => {
      await importText(page, config);
      const place = page.locator(`section[data-key=${key}] .field-errors .warning`);
      await place.first().waitFor();
      const shown = await place.allTextContents();
      assert.ok(shown.includes(`Warning: ${batagg[0].text}`), `the page says "${batagg[0].text}" in the card of ${key}; there: ${shown.join(' | ')}`);
      assert.equal(await page.locator(`section[data-key=${key}] .field-errors .error`).count(), 0, 'no error');
      assert.equal(await verdict(page), 'valid');
      assert.equal(await page.locator('#verdict').getAttribute('data-warnings'), '1');
    });
  });
}

test('warnings: a service listed twice is batagg\'s warning beside the second, and the config valid', async () => {
  await withPage(async (page) => {
    const text = '{"primaryServices": ["com.victronenergy.battery.a", "com.victronenergy.battery.b"]}';
    await fillForm(page, parseOrdered(text));
    const rows = page.locator('section[data-key=primaryServices] [data-role=name]');
    await rows.nth(1).fill('com.victronenergy.battery.a');
    const words = '"com.victronenergy.battery.a" is listed twice: the first counts';
    if (BATAGG) assert.deepEqual(bataggProblemsOfText(await output(page)), [{ warning: true, key: 'primaryServices', text: words }], 'batagg says so');
    await warningsBeside(rows.nth(1)).first().waitFor();
    assert.equal(await warningsBeside(rows.nth(1)).first().textContent(), `Warning: ${words}`, 'in batagg\'s words');
    assert.equal(await warningsBeside(rows.nth(0)).count(), 0, 'the first counts: no warning there');
    assert.equal(await errorsBeside(rows.nth(1)).count(), 0);
    assert.equal(await verdict(page), 'valid');
    assert.equal(await page.locator('#verdict').getAttribute('data-warnings'), '1');
    await assertBatagg(page, true);
  });
});

test('errors: two rows with one name in the paths form are a duplicate, as batagg says', async () => {
  await withPage(async (page) => {
    await fillForm(page, parseOrdered('{"primaryServices": {"com.victronenergy.battery.a": ["/Soc"], "com.victronenergy.battery.b": []}}'));
    const second = page.locator('section[data-key=primaryServices] [data-role=name]').nth(1);
    await second.fill('com.victronenergy.battery.a');
    await errorsBeside(second).first().waitFor();
    assert.equal(await verdict(page), 'invalid');
    await assertBatagg(page, false);
  });
});

test('import: a syntax error names its line and leaves the form alone; a duplicate key is refused', async () => {
  await withPage(async (page) => {
    await importText(page, fs.readFileSync(path.join(EXAMPLES, 'fixed-capacity.json'), 'utf8'));
    const before = await output(page);
    const bad = path.join(ROOT, 'tests/data/configs/bad/syntax_trailing_comma.json');
    await importFile(page, bad);
    const status = page.locator('#import-status');
    assert.equal(await status.getAttribute('data-state'), 'failed');
    // The stray '}' after the comma is on the file's third line.
    const line = fs.readFileSync(bad, 'utf8').split('\n').findIndex((l) => l.trim() === '}') + 1;
    assert.match(await status.textContent(), new RegExp(`line ${line}\\b`));
    assert.equal(await output(page), before, 'the form is unchanged');

    await importFile(page, path.join(ROOT, 'tests/data/configs/bad/duplicate_key.json'));
    assert.equal(await status.getAttribute('data-state'), 'failed');
    assert.match(await status.textContent(), /capacity/);
  });
});

test('import: while the last import failed, the verdict says the text is not valid, until the form is edited or an import works', async () => {
  await withPage(async (page) => {
    const good = fs.readFileSync(path.join(EXAMPLES, 'fixed-capacity.json'), 'utf8');
    await importText(page, good);
    assert.equal(await verdict(page), 'valid');
    const before = await output(page);

    await importText(page, '{"capacity": 5,}');
    assert.equal(await page.locator('#import-status').getAttribute('data-state'), 'failed');
    assert.equal(await verdict(page), 'invalid');
    assert.match(await page.locator('#verdict').textContent(), /pasted text is not valid: line 1, column 16: syntax error/);
    assert.equal(await output(page), before, 'the form is unchanged');

    // Editing the form: the verdict is the form's again.
    await page.locator('section[data-key=capacity] [data-role=value]').fill('600');
    assert.equal(await verdict(page), 'valid');
    assert.doesNotMatch(await page.locator('#verdict').textContent(), /not valid/);

    // A failed import, then one that works.
    await importText(page, '[1]');
    assert.equal(await verdict(page), 'invalid');
    assert.match(await page.locator('#verdict').textContent(), /pasted text is not valid: the config must be a JSON object/);
    await importText(page, good);
    assert.equal(await verdict(page), 'valid');
  });
});

test('offline: the page loads from file:// and asks for nothing else', async () => {
  const asked = [];
  await withPage(async (page) => {
    assert.ok(PAGE_URL.startsWith('file://'));
    await page.reload();
    await importText(page, fs.readFileSync(path.join(EXAMPLES, 'hooks.json'), 'utf8'));
    await page.locator('#copy').click();
    assert.equal(await verdict(page), 'valid');
  }, { offline: true });
  // A second run with every request routed: only file:// may be asked for.
  const { context, page } = await (async () => {
    const context = await browser.newContext({ offline: true });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file://')) return route.continue();
      asked.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    return { context, page };
  })();
  try {
    const failed = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    await page.goto(PAGE_URL);
    await page.locator('#verdict[data-verdict=valid]').waitFor();
    assert.equal(await page.locator('section.card[data-key]').count() >= 16, true, 'every key has its card');
    assert.deepEqual(asked, [], 'no request beyond file://');
    assert.deepEqual(failed, [], 'no request failed');
    for (const f of ['index.html', 'app.js', 'style.css']) {
      assert.doesNotMatch(fs.readFileSync(path.join(PAGE_DIR, f), 'utf8'), /(src|href)=["']?(https?:)?\/\//, `${f} names no remote resource`);
    }
  } finally {
    await context.close();
  }
});

test('schema: schema.js is config/config-schema.json, byte for byte, as make-schema-js.sh writes it', async () => {
  const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'schema-js-')), 'schema.js');
  execFileSync('sh', [path.join(PAGE_DIR, 'make-schema-js.sh'), tmp]);
  assert.equal(fs.readFileSync(path.join(PAGE_DIR, 'schema.js'), 'utf8'), fs.readFileSync(tmp, 'utf8'),
    'schema.js is stale: run docs/config-generator/make-schema-js.sh');
  const shipped = fs.readFileSync(path.join(ROOT, 'config/config-schema.json'), 'utf8');
  assert.ok(fs.readFileSync(tmp, 'utf8').includes(shipped), 'the schema text is embedded unchanged');
  await withPage(async (page) => {
    assert.deepEqual(await page.evaluate(() => window.BATAGG_SCHEMA), JSON.parse(shipped));
  });
});

// The paths the page knows are batagg's: core/base/paths.h's PathIds up to
// N_BATTERY_PATHS, each with its path from core/base/paths.c, those with a
// default policy in core/config/defaults.c merged by a policy, the others limits.
test('paths: the page\'s merged paths and limits are core/base/paths.c\'s, in its order, and core/config/defaults.c\'s', async () => {
  const read = (f) => fs.readFileSync(path.join(ROOT, f), 'utf8');
  const ids = read('core/base/paths.h').match(/typedef enum \{([^}]*)\} PathId;/)[1]
    .split('N_BATTERY_PATHS')[0].match(/\bP_[A-Z0-9_]+/g);
  const table = read('core/base/paths.c').match(/battery_paths\[N_MEMBER_PATHS\] = \{([^]*?)\n\};/)[1];
  const pathOf = Object.fromEntries([...table.matchAll(/\[(P_[A-Z0-9_]+)\]\s*=\s*[^"\]]*?"([^"]+)"/g)].map((m) => [m[1], m[2]]));
  // The parallel table is a macro, PARALLEL_POLICY (.policy = {PARALLEL_POLICY}).
  const defaults = read('core/config/defaults.c');
  assert.match(defaults, /\.policy = \{PARALLEL_POLICY\}/, 'the parallel policies are PARALLEL_POLICY');
  const policies = defaults.match(/#define PARALLEL_POLICY\b([^]*?)\n\n/)[1];
  const withPolicy = new Set([...policies.matchAll(/\[(P_[A-Z0-9_]+)\]\s*=/g)].map((m) => m[1]));
  assert.ok(ids.length > 40 && ids.every((id) => pathOf[id]), 'the test reads core/base/paths.h and core/base/paths.c');
  await withPage(async (page) => {
    const ours = await page.evaluate(() => ({ merged: window.BataggChecks.MERGED_PATHS, limits: window.BataggChecks.LIMIT_PATHS }));
    assert.deepEqual(ours.merged.concat(ours.limits), ids.map((id) => pathOf[id]), 'all of them, in core/base/paths.c\'s order');
    assert.deepEqual(ours.merged, ids.filter((id) => withPolicy.has(id)).map((id) => pathOf[id]), 'merged by a policy');
    assert.deepEqual(ours.limits, ids.filter((id) => !withPolicy.has(id)).map((id) => pathOf[id]), 'the limits');
  });
  // A series battery merges every path by a policy, the limits too: the page
  // takes any of them in seriesMergePolicies.
  // Its table is the parallel one with its overrides after it.
  const series = defaults.match(/\.series_policy = \{([^}]*)\}/)[1];
  assert.match(series, /^\s*PARALLEL_POLICY,/, 'the series policies start from the parallel ones');
  const withSeriesPolicy = new Set([...withPolicy, ...[...series.matchAll(/\[(P_[A-Z0-9_]+)\]\s*=/g)].map((m) => m[1])]);
  assert.deepEqual(ids.filter((id) => !withSeriesPolicy.has(id)), [], 'every path has a series policy');
});

// The built-in strategies the page names are those batagg lists.
test('strategies: the page\'s built-in strategy names are batagg --list-strategies\'', { skip: !BATAGG && 'BATAGG is not set' }, async () => {
  const listed = execFileSync(BATAGG, ['--list-strategies'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const theirs = {};
  for (const m of listed.matchAll(/^(current ratio method|CVL mode|merge policy|hook|limiter) (\S+)$/gm)) (theirs[m[1]] ??= []).push(m[2]);
  await withPage(async (page) => {
    const ours = await page.evaluate(() => {
      const C = window.BataggChecks;
      return {
        'current ratio method': Object.keys(C.RATIO_METHODS), 'CVL mode': Object.keys(C.CVL_MODES),
        'merge policy': Object.keys(C.MERGE_POLICIES), hook: C.HOOKS, limiter: Object.keys(C.LIMITERS),
      };
    });
    for (const kind of Object.keys(ours)) assert.deepEqual([...ours[kind]].sort(), [...(theirs[kind] ?? [])].sort(), `the ${kind} names`);
  });
});

test('schema: the validator implements every keyword the schema uses, and says so when not', async () => {
  await withPage(async (page) => {
    const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, 'config/config-schema.json'), 'utf8'));
    assert.deepEqual(await page.evaluate((s) => window.BataggSchema.unsupportedKeywords(s), shipped), []);
    assert.equal(await page.locator('#schema-banner').isHidden(), true);
    // The check itself can fail: a keyword the validator lacks is reported.
    const extended = structuredClone(shipped);
    extended.properties.serviceName.minLength = 40;
    extended.$defs.paths.maxItems = 1;
    const reported = await page.evaluate((s) => window.BataggSchema.unsupportedKeywords(s), extended);
    assert.equal(reported.length, 2);
    assert.match(reported.join(' '), /minLength.*maxItems|maxItems.*minLength/);
    // The array keywords the schema uses (seriesBatteries), as JSON Schema says.
    const problems = await page.evaluate(() => ['[]', '["a"]', '["a", "b", "a"]', '[1, 1.0]', '[{"x": 1}, {"x": 1}]'].map((text) =>
      window.BataggSchema.validate({ type: 'array', minItems: 1, uniqueItems: true }, window.BataggJSON.parse(text))
        .map((p) => `${p.keyword} at ${JSON.stringify(p.path)}`)));
    assert.deepEqual(problems, [['minItems at []'], [], ['uniqueItems at [2]'], ['uniqueItems at [1]'], ['uniqueItems at [1]']]);
  });
});

test('copy and download give the shown JSON', async () => {
  const file = path.join(EXAMPLES, 'tuned-limits.json');
  await withPage(async (page, context) => {
    await importFile(page, file);
    const shown = await output(page);
    assert.deepEqual(JSON.parse(shown), JSON.parse(fs.readFileSync(file, 'utf8')));

    await page.locator('#copy').click();
    await page.locator('#copy-status', { hasText: /\S/ }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), shown);

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download').click()]);
    assert.equal(download.suggestedFilename(), 'config.json');
    const saved = fs.readFileSync(await download.path(), 'utf8');
    assert.equal(saved, shown);
  }, { permissions: ['clipboard-read', 'clipboard-write'], acceptDownloads: true });
});

// Where navigator.clipboard is undefined (a plain-http page on the LAN, not
// a secure context), Copy falls back to document.execCommand('copy').
test('copy without navigator.clipboard falls back to execCommand and copies the shown JSON', async () => {
  const file = path.join(EXAMPLES, 'tuned-limits.json');
  await withPage(async (page) => {
    assert.equal(await page.evaluate(() => 'clipboard' in navigator), false, 'no navigator.clipboard');
    await importFile(page, file);
    const shown = await output(page);
    await page.locator('#copy').click();
    await page.locator('#copy-status', { hasText: /\S/ }).waitFor();
    assert.equal(await page.locator('#copy-status').textContent(), 'Copied.');
    assert.deepEqual(await page.evaluate(() => window.copiedByTest), [shown], 'the copy event saw the shown JSON selected');
  }, {}, () => {
    delete Navigator.prototype.clipboard;
    // What a copy would put on the clipboard: the selection when it happens.
    window.copiedByTest = [];
    document.addEventListener('copy', () => {
      const el = document.activeElement;
      window.copiedByTest.push(el && el.tagName === 'TEXTAREA' ? el.value.slice(el.selectionStart, el.selectionEnd) : String(document.getSelection()));
    });
  });
});

test('edit as JSON: a key typed as JSON goes back into the form; bad JSON is an error beside it', async () => {
  await withPage(async (page) => {
    const card = page.locator('section[data-key=ir]');
    await card.locator('[data-role=raw-toggle]').click();
    const raw = card.locator('[data-role=raw]');
    await raw.fill('{"maxPercentageError": 0.2');
    assert.equal(await verdict(page), 'invalid');
    assert.match(await errorsBeside(raw).first().textContent(), /JSON/);
    await raw.fill('{"maxPercentageError": 0.2}');
    assert.equal(await verdict(page), 'valid');
    assert.deepEqual(JSON.parse(await output(page)), { ir: { maxPercentageError: 0.2 } });
    await card.locator('[data-role=raw-toggle]').click();
    assert.equal(await card.locator('[data-role=mpe]').inputValue(), '0.2');
    assert.deepEqual(JSON.parse(await output(page)), { ir: { maxPercentageError: 0.2 } });
    // Unticking the key leaves it out of the file.
    await card.locator('[data-role=include]').uncheck();
    assert.deepEqual(JSON.parse(await output(page)), {});
  });
});

test('empty number fields: ticked, or edited as JSON, they write no "" but ask for a number', async () => {
  await withPage(async (page) => {
    const card = page.locator('section[data-key=capacity]');
    const input = card.locator('[data-role=value]');
    await card.locator('[data-role=include]').check();
    assert.deepEqual(JSON.parse(await output(page)), {}, 'the key is left out while its field is empty');
    await errorsBeside(input).first().waitFor();
    assert.equal(await errorsBeside(input).first().textContent(), 'enter a number');
    assert.equal(await verdict(page), 'invalid');
    await input.fill('560');
    assert.deepEqual(JSON.parse(await output(page)), { capacity: 560 });
    assert.equal(await verdict(page), 'valid');

    // "Edit as JSON" on an unticked, empty card: empty JSON text, no "".
    const wait = page.locator('section[data-key=reconnectTimeout]');
    await wait.locator('[data-role=raw-toggle]').click();
    const raw = wait.locator('[data-role=raw]');
    assert.equal(await raw.inputValue(), '');
    assert.deepEqual(JSON.parse(await output(page)), { capacity: 560 });
    assert.match(await errorsBeside(raw).first().textContent(), /enter a JSON value/);
    assert.equal(await verdict(page), 'invalid');
    await wait.locator('[data-role=raw-toggle]').click(); // back to the (empty) form
    assert.equal(await wait.locator('[data-role=value]').inputValue(), '');
    await wait.locator('[data-role=value]').fill('30');
    assert.deepEqual(JSON.parse(await output(page)), { capacity: 560, reconnectTimeout: 30 });
    assert.equal(await verdict(page), 'valid');

    // A hook's step with an empty limit.
    await importText(page, '{"virtualBatteries": {"com.victronenergy.battery.v": ["class:hooks.CustomChargingHook"]}, "classes": {"hooks.CustomChargingHook": {"ccls": {"52": 10}}}}');
    const table = page.locator('section[data-key=classes] [data-table=ccls]');
    await table.locator('[data-role=add-step]').click();
    await table.locator('[data-role=threshold]').last().fill('55');
    const limit = table.locator('[data-role=limit]').last();
    assert.deepEqual(JSON.parse(await output(page)).classes, { 'hooks.CustomChargingHook': { ccls: { 52: 10 } } });
    assert.equal(await errorsBeside(limit).first().textContent(), 'enter a number');
    assert.equal(await verdict(page), 'invalid');
    assert.doesNotMatch(await output(page), /""/);
  });
});

test('import: a hook member with an empty suffix ("#") is a hook row and exports unchanged', async () => {
  await withPage(async (page) => {
    for (const config of [
      '{"virtualBatteries": {"com.victronenergy.battery.v": ["class:hooks.FixedValueHook#", "com.victronenergy.battery.a"]}, "classes": {"hooks.FixedValueHook#": {"path": "/Soc", "value": 50}}}',
      '{"virtualBatteries": {"com.victronenergy.battery.v": {"class:hooks.FixedValueHook#": ["/Soc"], "com.victronenergy.battery.a": []}}, "classes": {"hooks.FixedValueHook#": {"path": "/Soc", "value": 50}}}',
    ]) {
      await importText(page, config);
      const member = page.locator('section[data-key=virtualBatteries] [data-role=member]').first();
      assert.equal(await member.locator('[data-role=member-kind]').inputValue(), 'hook');
      assert.equal(await member.locator('[data-role=hook-class]').inputValue(), 'hooks.FixedValueHook');
      assert.equal(await member.locator('[data-role=hook-suffix]').inputValue(), '');
      assert.deepEqual(JSON.parse(await output(page)), JSON.parse(config), 'exports unchanged');
      assert.equal(await verdict(page), 'valid');
      await assertBatagg(page, true);
    }
    // Editing the suffix: an empty field again writes no "#".
    const suffix = page.locator('section[data-key=virtualBatteries] [data-role=hook-suffix]').first();
    await suffix.fill('x');
    assert.ok('class:hooks.FixedValueHook#x' in JSON.parse(await output(page)).virtualBatteries['com.victronenergy.battery.v']);
    await suffix.fill('');
    assert.ok('class:hooks.FixedValueHook' in JSON.parse(await output(page)).virtualBatteries['com.victronenergy.battery.v']);
  });
});

test('every key of the schema and of the README table has a card with a one-line help', async () => {
  const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'config/config-schema.json'), 'utf8'));
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const table = readme.split('\n## Configuration')[1].split('\n## ')[0];
  const readmeKeys = [...table.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((m) => m[1]);
  assert.ok(readmeKeys.length >= 16, 'the README table is read');
  const keys = new Set([...Object.keys(schema.properties), ...readmeKeys]);
  await withPage(async (page) => {
    for (const key of keys) {
      const card = page.locator(`section.card[data-key="${key}"]`);
      assert.equal(await card.count(), 1, `a card for ${key}`);
      assert.ok((await card.locator('.help').textContent()).trim().length > 20, `help for ${key}`);
      assert.equal(await card.locator('[data-role=include]').isChecked(), false, `${key} is left out until set`);
    }
  });
});

test('keyboard: after each add button, typing goes into the new row', async () => {
  const intended = {
    excludedServices: ['name:Shunt'],
    virtualBatteries: {
      'com.victronenergy.battery.v1': {
        'com.victronenergy.battery.a': ['/Soc', '/Dc/0/Current'],
        'class:hooks.FixedValueHook': [],
      },
    },
    classes: {
      'hooks.FixedValueHook': { path: '/Info/MaxChargeVoltage', value: 55.6 },
      'hooks.CustomChargingHook#x': { ccls: { 52: 10 } },
    },
    mergePolicies: { '/Soc': 'capacity_weighted_mean' },
  };
  await withPage(async (page) => {
    const type = (text) => page.keyboard.type(text);
    const v = page.locator('section[data-key=virtualBatteries]');
    await v.locator('[data-role=add-virtual]').click();
    await type('com.victronenergy.battery.v1');
    await v.locator('[data-role=add-member]').click();
    await type('com.victronenergy.battery.a');
    await v.locator('[data-role=add-member]').click();
    await v.locator('[data-role=member-kind]').last().selectOption('hook');
    await v.locator('input[type=radio][value=paths]').check();
    for (const p of ['/Soc', '/Dc/0/Current']) {
      await v.locator('[data-role=member]').first().locator('[data-role=add-path]').click();
      await type(p);
    }
    const c = page.locator('section[data-key=classes]');
    await c.locator('[data-role=add-used-hook]').click(); // offered: the hook has no options yet
    await type('/Info/MaxChargeVoltage');
    await page.keyboard.press('Tab');
    await type('55.6');
    await c.locator('[data-role=add-hook-options]').click();
    await type('hooks.CustomChargingHook#x'); // the form changes under the typing
    await c.locator('[data-role=hook-options]').last().locator('[data-table=ccls] [data-role=add-step]').click();
    await type('52');
    await page.keyboard.press('Tab');
    await type('10');
    await page.locator('section[data-key=excludedServices] [data-role=add]').click();
    await type('name:Shunt');
    await page.locator('section[data-key=mergePolicies] [data-role=add]').click();
    await type('/Soc');
    await page.keyboard.press('Tab');
    await type('capacity_weighted_mean');
    assert.deepEqual(JSON.parse(await output(page)), intended);
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);
  });
});

// Keys and values named like Object.prototype's properties are ordinary
// names: no script error, shown as batagg would take them, exported unchanged.
for (const config of [
  '{"__proto__": 1}', '{"toString": 1}', '{"constructor": {}}', '{"logLevel": "hasOwnProperty"}',
]) {
  test(`import: ${config}, named like a property of every object, is an error as batagg says`, async () => {
    await withPage(async (page) => {
      await importText(page, config);
      assert.deepEqual(page.scriptProblems, [], 'no script error');
      assert.equal(await page.locator('#import-status').getAttribute('data-state'), 'ok');
      assert.ok(await page.locator('#problems li.error').count() > 0, 'an error is shown');
      assert.equal(await verdict(page), 'invalid');
      await assertBatagg(page, false);
      assert.deepEqual(JSON.parse(await output(page)), JSON.parse(config), 'exports unchanged');
      assert.ok(!/native code/.test(await page.locator('#cards').textContent()), 'no function shown as help');
    });
  });
}

// A strategy named like such a property is no built-in one: it is shown as a
// plugin's name.
for (const [config, field, name] of [
  ['{"cvlMode": "constructor"}', 'section[data-key=cvlMode] [data-role=plugin]', 'constructor'],
  ['{"mergePolicies": {"/Soc": "toString"}}', 'section[data-key=mergePolicies] [data-role=policy]', 'toString'],
]) {
  test(`import: ${config}, a strategy named like a property of every object, is no built-in one, as batagg says`, async () => {
    await withPage(async (page) => {
      await importText(page, config);
      assert.deepEqual(page.scriptProblems, [], 'no script error');
      const input = page.locator(field);
      assert.equal(await input.inputValue(), name);
      assert.match(await errorsBeside(input).first().textContent(), new RegExp(`^unknown value "${name}"; known: `));
      assert.equal(await verdict(page), 'invalid');
      await assertBatagg(page, false);
      assert.deepEqual(JSON.parse(await output(page)), JSON.parse(config), 'exports unchanged');
    });
  });
}

// strategyOptions: the ratio method's and the CVL mode's cards offer the
// chosen strategy's options; ir's go into fields, any other's are typed as
// a JSON object.
test('strategy options: the strategy cards add the chosen strategy\'s options, ir\'s in fields, a plugin\'s as JSON', async () => {
  await withPage(async (page) => {
    const ratio = page.locator('section[data-key=currentRatioMethod]');
    const options = page.locator('section[data-key=strategyOptions]');
    assert.match(await ratio.locator('[data-role=strategy-options-of]').textContent(), /Options of ir: none given/);
    await ratio.locator('[data-role=add-options-for]').click();
    await page.keyboard.type('0.05'); // the cursor is in ir's first field
    assert.deepEqual(JSON.parse(await output(page)), { strategyOptions: { ir: { maxPercentageError: 0.05 } } });
    assert.equal(await options.locator('[data-role=mpe]').inputValue(), '0.05');
    assert.match(await ratio.locator('[data-role=strategy-options-of]').textContent(), /options of ir are in strategyOptions/);
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);

    // A built-in that takes none says so.
    await ratio.locator('[data-role=choice]').selectOption('capacity');
    assert.equal(await ratio.locator('[data-role=strategy-options-of]').textContent(), 'capacity takes no options.');

    // A plugin's strategy: its options as a JSON object.
    const cvl = page.locator('section[data-key=cvlMode]');
    await cvl.locator('[data-role=choice]').selectOption({ label: 'another, from a plugin…' });
    await cvl.locator('[data-role=plugin]').fill('fixed');
    await cvl.locator('[data-role=add-options-for]').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('{"volts": 54.4, "curve": {"low": 1}}');
    assert.deepEqual(JSON.parse(await output(page)), {
      currentRatioMethod: 'capacity',
      cvlMode: 'fixed',
      strategyOptions: { ir: { maxPercentageError: 0.05 }, fixed: { volts: 54.4, curve: { low: 1 } } },
    });
    // No such plugin here: batagg's error, beside the name in both cards.
    assert.equal(await verdict(page), 'invalid');
    await assertBatagg(page, false);
    const name = options.locator('[data-role=strategy-name]').nth(1);
    assert.equal(await name.inputValue(), 'fixed');
    assert.match(await errorsBeside(name).first().textContent(), /no strategy is named "fixed"/);
    // With pluginDirectory, a note instead: the page cannot see the plugins.
    await page.locator('section[data-key=pluginDirectory] [data-role=value]').fill('/data/batagg-plugins');
    assert.equal(await verdict(page), 'valid');
    assert.equal(await errorsBeside(name).count(), 0);
    const note = name.locator('xpath=ancestor::div[contains(@class,"field")][1]').locator('.field-errors .warning');
    assert.match(await note.first().textContent(), /"fixed" is not a built-in strategy: it needs a plugin from pluginDirectory/);
  });
});

test('strategy options: an entry renamed to ir takes its options into the fields, and renamed away gives them back as JSON', async () => {
  await withPage(async (page) => {
    const card = page.locator('section[data-key=strategyOptions]');
    await card.locator('[data-role=add-strategy-options]').click();
    await page.keyboard.type('irx'); // the cursor is in the new entry's name
    const entry = card.locator('[data-role=strategy-options]');
    await entry.locator('[data-role=strategy-raw]').fill('{"minVoltageChange": 0.03}');
    const name = entry.locator('[data-role=strategy-name]');
    await name.click();
    await page.keyboard.press('End');
    await page.keyboard.press('Backspace'); // "ir"
    assert.equal(await entry.locator('[data-role=mvc]').inputValue(), '0.03');
    assert.equal(await entry.locator('[data-role=strategy-raw]').count(), 0);
    assert.equal(await page.evaluate(() => document.activeElement.dataset.role), 'strategy-name', 'typing goes on in the name');
    assert.deepEqual(JSON.parse(await output(page)), { strategyOptions: { ir: { minVoltageChange: 0.03 } } });
    await page.keyboard.type('2');
    assert.equal(await entry.locator('[data-role=strategy-raw]').inputValue(), '{"minVoltageChange": 0.03}');
    assert.deepEqual(JSON.parse(await output(page)), { strategyOptions: { ir2: { minVoltageChange: 0.03 } } });

    // ir's options that do not fit the fields stay JSON, and export unchanged.
    const config = '{"strategyOptions": {"ir": {"maxPercentageError": "0.05"}}}';
    await importText(page, config);
    const raw = card.locator('[data-role=strategy-raw]');
    assert.equal(await raw.inputValue(), '{"maxPercentageError": "0.05"}');
    const entryErrors = raw.locator('xpath=ancestor::fieldset[@data-role="strategy-options"][1]').locator('.field-errors .error');
    assert.match(await entryErrors.first().textContent(), /expected a number, got a string/);
    assert.deepEqual(JSON.parse(await output(page)), JSON.parse(config));
    await raw.fill('{"maxPercentageError": 0.05}');
    await card.locator('[data-role=strategy-form]').click();
    assert.equal(await card.locator('[data-role=mpe]').inputValue(), '0.05');
    assert.equal(await verdict(page), 'valid');
  });
});

// The corpus compares verdicts; here the words: the page says what batagg
// says, beside the field it is about.
for (const [file, role, says] of [
  ['strategy_options_unknown_name', 'strategy-name', /no strategy is named "capacty" \(did you mean "capacity"\?\)/],
  ['strategy_options_array', 'mpe', /expected a number, a string, a boolean or an object, got an array/],
  ['strategy_options_null', 'strategy-raw', /expected a number, a string, a boolean or an object, got null/],
  ['strategy_options_takes_none', 'strategy-raw', /current ratio method 'capacity'.*takes no options/],
  ['strategy_options_ir_refused', 'mpe', /must be > 0, got 0/],
]) {
  test(`strategy options: ${file}.json, in batagg's words beside its field`, async () => {
    const path_ = path.join(ROOT, 'tests/data/configs/bad', `${file}.json`);
    const expect = fs.readFileSync(path_.replace(/\.json$/, '.expect'), 'utf8');
    assert.match(expect, says, 'batagg says it so');
    await withPage(async (page) => {
      await importFile(page, path_);
      const card = page.locator('section[data-key=strategyOptions]');
      let input = card.locator(`[data-role=${role}]`).first();
      if (role === 'mpe' && !(await input.count())) input = card.locator('[data-role=strategy-raw]').first();
      const errors = input.locator('xpath=ancestor::fieldset[@data-role="strategy-options"][1]').locator('.field-errors .error');
      await errors.first().waitFor();
      const texts = await errors.allTextContents();
      assert.ok(texts.some((t) => says.test(t.replace(/^.*could not start: /, ''))), `${texts.join(' | ')} has ${says}`);
      assert.equal(await verdict(page), 'invalid');
    });
  });
}

// ---- series batteries (strings) --------------------------------------------

const B = 'com.victronenergy.battery.';

// A string through its card: the name, then modules in order, each typed
// where the cursor goes after its add button; reordered and removed.
test('series: a string entered through its card, its modules reordered and removed, as batagg reads it', async () => {
  await withPage(async (page) => {
    const card = page.locator('section[data-key=seriesBatteries]');
    await card.locator('[data-role=add-series]').click();
    await page.keyboard.type(`${B}string1`);
    for (const m of ['m2', 'm1', 'mX', 'm3']) {
      await card.locator('[data-role=add-module]').click();
      await page.keyboard.type(`${B}${m}`);
    }
    assert.deepEqual(JSON.parse(await output(page)), { seriesBatteries: { [`${B}string1`]: [`${B}m2`, `${B}m1`, `${B}mX`, `${B}m3`] } });
    const modules = card.locator('[data-role=module]');
    assert.equal(await modules.first().locator('[data-role=move-up]').isDisabled(), true, 'the first module is at the negative end');
    await modules.nth(1).locator('[data-role=move-up]').click();
    await modules.nth(2).locator('[data-role=remove]').click();
    const want = { seriesBatteries: { [`${B}string1`]: [`${B}m1`, `${B}m2`, `${B}m3`] } };
    assert.deepEqual(JSON.parse(await output(page)), want);
    assert.deepEqual(await modules.locator('.order').allTextContents(), ['1', '2', '3'], 'numbered from the negative end');
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);

    // Edit as JSON and back: the same string.
    await card.locator('[data-role=raw-toggle]').click();
    assert.deepEqual(JSON.parse(await card.locator('[data-role=raw]').inputValue()), want.seriesBatteries);
    await card.locator('[data-role=raw-toggle]').click();
    assert.deepEqual(await card.locator('[data-role=module] [data-role=name]').evaluateAll((els) => els.map((e) => e.value)),
      want.seriesBatteries[`${B}string1`]);

    // A second string; removing the first leaves it.
    await card.locator('[data-role=add-series]').click();
    await page.keyboard.type(`${B}string2`);
    await card.locator('[data-role=series]').nth(1).locator('[data-role=add-module]').click();
    await page.keyboard.type('name:Module 9');
    await card.locator('[data-role=series]').first().locator('[data-role=remove-series]').click();
    assert.deepEqual(JSON.parse(await output(page)), { seriesBatteries: { [`${B}string2`]: ['name:Module 9'] } });
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);
  });
});

// Modules that do not fit the form (not strings) stay JSON text, with
// batagg's error, and export unchanged.
test('series: modules that are not all names stay JSON, and export unchanged', async () => {
  await withPage(async (page) => {
    const config = `{"seriesBatteries": {"${B}s": [5, "${B}a"]}}`;
    await importText(page, config);
    const raw = page.locator('section[data-key=seriesBatteries] [data-role=raw]');
    assert.equal(await raw.count(), 1);
    assert.deepEqual(JSON.parse(await output(page)), JSON.parse(config));
    const texts = await errorsBeside(raw).allTextContents();
    assert.ok(texts.includes('expected a string, got a number'), texts.join(' | '));
    assert.equal(await page.locator('#problems li.error').count(), 1, 'that error alone, as batagg says it');
    assert.equal(await verdict(page), 'invalid');
    await assertBatagg(page, false);
  });
});

// Each of batagg's problems with strings, in its words, listed and shown in
// the card of each key it is about (the kinds of battery it names): the
// page says what batagg says, no more and no less.
const seriesWords = [
  ...['series_module_twice', 'series_no_modules', 'series_module_in_two', 'series_module_in_virtual', 'virtual_lists_series',
    'series_lists_virtual', 'series_lists_series', 'series_and_virtual_name', 'series_same_as_aggregate', 'series_lists_aggregate',
    'series_lists_itself', 'series_name_form', 'series_name_empty_custom', 'series_not_object', 'series_merge_policy_unknown',
  ].map((f) => [f, fs.readFileSync(path.join(ROOT, 'tests/data/configs/bad', `${f}.json`), 'utf8')]),
  ...['excluded_and_series', 'path_series_merge']
    .map((f) => [f, fs.readFileSync(path.join(ROOT, 'tests/data/configs/warn', `${f}.json`), 'utf8')]),
  ['a module in a string and in two virtual batteries, listed twice',
    `{"seriesBatteries": {"${B}s": ["${B}a", "${B}a"]}, "virtualBatteries": {"${B}v": ["${B}a"], "${B}w": {"${B}a": ["/Soc"]}}}`],
  ['strings in a loop', `{"seriesBatteries": {"${B}s": ["${B}t"], "${B}t": ["${B}s"]}}`],
  ['a virtual battery and a string in a loop', `{"virtualBatteries": {"${B}v": ["${B}s"]}, "seriesBatteries": {"${B}s": ["${B}v"]}}`],
  ['a string listing itself twice', `{"seriesBatteries": {"${B}s": ["${B}s", "${B}s"]}}`],
  ['a string named as a virtual battery that lists itself',
    `{"virtualBatteries": {"${B}v": ["${B}v", "${B}b"]}, "seriesBatteries": {"${B}v": ["${B}a"]}}`],
  ['a string listing a renamed aggregate, and named as it',
    `{"serviceName": "${B}x", "seriesBatteries": {"${B}s": ["${B}x"], "${B}x": ["${B}b"]}}`],
  ['excluded, a module after a virtual battery', `{"excludedServices": ["${B}a"], "virtualBatteries": {"${B}v": ["${B}b"]}, "seriesBatteries": {"${B}s": ["${B}a"]}}`],
  ['a string of modules batagg refuses', `{"seriesBatteries": {"${B}s": [5, null, "${B}a"]}}`],
  ['a module listed three times, a number between', `{"seriesBatteries": {"${B}s": ["${B}a", 5, "${B}a", "${B}a"]}}`],
  ['a string batagg refuses by its name, a module listed twice', `{"seriesBatteries": {"name:S": ["${B}a", "${B}a"]}}`],
  ['a virtual battery batagg refuses by its name, a member listed twice', `{"virtualBatteries": {"name:V": ["${B}a", "${B}a"]}}`],
  ['an unknown series merge policy, no string', '{"seriesMergePolicies": {"/Soc": "medain", "/TimeToGo": "capacity_time_to_go"}}'],
];
for (const [what, config] of seriesWords) {
  test(`series: ${what}, batagg's problems in its words beside the keys they name`, { skip: !BATAGG && 'BATAGG is not set' }, async () => {
    const batagg = bataggProblemsOfText(config);
    assert.ok(batagg.length > 0, 'batagg says something');
    await withPage(async (page) => {
      await importText(page, config);
      const said = (p) => (p.warning ? 'Warning: ' : '') + p.text;
      // Each item: the place (a link), ": ", what is said.
      const listed = await page.locator('#problems li').evaluateAll((lis) => lis.map((li) => li.textContent.slice(li.querySelector('a').textContent.length + 2)));
      // The page says an excluded service's warning beside its other use too.
      const others = listed.filter((t) => !/^Warning: "[^"]+" is also in excludedServices: /.test(t));
      assert.deepEqual([...new Set(others)].sort(), [...new Set(batagg.map(said))].sort(), 'the page says what batagg says');
      for (const p of batagg) {
        // batagg says a loop under virtualBatteries whatever its batteries'
        // kind: the page says it in the cards of those in the loop.
        const loop = /^virtual batteries in a loop: /.test(p.text);
        const keys = new Set(loop ? [] : [p.key ?? 'seriesBatteries']);
        if (loop || /\bvirtual battery\b/.test(p.text)) keys.add('virtualBatteries');
        if (loop || /\bseries battery\b/.test(p.text)) keys.add('seriesBatteries');
        for (const m of p.text.matchAll(/is in (\w+) and in (\w+)/g)) keys.add(m[1]);
        const where = [];
        for (const key of keys) {
          const shown = await page.locator(`section[data-key=${key}] .field-errors > div`).allTextContents();
          const also = /^"([^"]+)" is in excludedServices and in \w+: (.*)$/.exec(p.text);
          if (shown.includes(said(p)) || (also && shown.includes(`Warning: "${also[1]}" is also in excludedServices: ${also[2]}`))) where.push(key);
          else if (!loop) assert.fail(`shown at ${key}: ${said(p)}; there: ${shown.join(' | ')}`);
        }
        if (loop) {
          const kinds = [...p.text.matchAll(/"([^"]+)" lists/g)].map((m) => (JSON.parse(config).seriesBatteries?.[m[1]] ? 'seriesBatteries' : 'virtualBatteries'));
          assert.deepEqual(where.sort(), [...new Set(kinds)].sort(), `the loop is shown in the cards of its batteries: ${p.text}`);
        }
      }
      assert.equal(await verdict(page), batagg.some((p) => !p.warning) ? 'invalid' : 'valid');
      assert.equal(Number(await page.locator('#verdict').getAttribute('data-warnings')), batagg.some((p) => !p.warning) ? batagg.filter((p) => p.warning).length : batagg.length);
    });
  });
}

// While typing: a module put in a second string is batagg's error beside it
// and beside the first string's module, counted once; it goes when fixed.
test('series: a module typed into a second string is an error beside both modules, until it is changed', async () => {
  await withPage(async (page) => {
    await fillForm(page, parseOrdered(`{"seriesBatteries": {"${B}s": ["${B}a", "${B}b"], "${B}t": ["${B}c", "${B}d"]}}`));
    assert.equal(await verdict(page), 'valid');
    const modules = page.locator('section[data-key=seriesBatteries] [data-role=module] [data-role=name]');
    await modules.nth(3).fill(`${B}a`);
    const says = `"${B}a" is a module of series battery "${B}s" and a module of series battery "${B}t": a module belongs to one series battery only`;
    await errorsBeside(modules.nth(0)).first().waitFor();
    assert.deepEqual(await errorsBeside(modules.nth(0)).allTextContents(), [says], 'where batagg says it');
    assert.deepEqual(await errorsBeside(modules.nth(3)).allTextContents(), [says], 'and at the other string\'s module');
    assert.equal(await verdict(page), 'invalid');
    assert.match(await page.locator('#verdict').textContent(), /^✗ 1 problem:/, 'one problem, as batagg counts it');
    if (BATAGG) assert.deepEqual(bataggProblemsOfText(await output(page)).map((p) => p.text), [says], 'batagg says so');
    await modules.nth(3).fill(`${B}e`);
    assert.equal(await errorsBeside(modules.nth(0)).count(), 0);
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);
  });
});

// seriesMergePolicies: the limits take a policy (in mergePolicies they have
// rules of their own); batagg checks a policy's name with or without a
// string.
test('series merge policies: a limit takes a policy; an unknown name is batagg\'s error, with or without a string', async () => {
  await withPage(async (page) => {
    const card = page.locator('section[data-key=seriesMergePolicies]');
    await card.locator('[data-role=add]').click();
    await page.keyboard.type('/Info/MaxChargeCurrent'); // the cursor is in the new row's path
    await page.keyboard.press('Tab');
    await page.keyboard.type('max');
    assert.deepEqual(JSON.parse(await output(page)), { seriesMergePolicies: { '/Info/MaxChargeCurrent': 'max' } });
    assert.equal(await card.locator('.field-errors > div').count(), 0, 'no warning: a string merges its limits by policy');
    assert.equal(await page.locator('#verdict').getAttribute('data-warnings'), '0');
    assert.ok(await page.locator('#battery-paths option[value="/Info/MaxChargeCurrent"]').count(), 'the limits are offered');
    await assertBatagg(page, true);

    const policy = card.locator('[data-role=policy]');
    const says = 'unknown value "maxx" (did you mean "max"?); known: "alarm", "all", "any", "available_mean", "capacity_time_to_go", ' +
      '"capacity_weighted_mean", "charge_mode", "first", "max", "max_label", "mean", "min", "min_label", "sum", "sum_or_zero"';
    await policy.fill('maxx');
    await errorsBeside(policy).first().waitFor();
    assert.equal(await errorsBeside(policy).first().textContent(), says, 'no string: batagg checks the name all the same');
    assert.equal(await warningsBeside(policy).count(), 0);
    assert.equal(await verdict(page), 'invalid');
    if (BATAGG) assert.deepEqual(bataggProblemsOfText(await output(page)), [{ warning: false, key: 'seriesMergePolicies', text: says }], 'batagg says so');

    await fillForm(page, parseOrdered(`{"seriesBatteries": {"${B}s": ["${B}a"]}}`));
    assert.deepEqual(await errorsBeside(policy).allTextContents(), [says], 'a string: the same error, once');
    assert.equal(await verdict(page), 'invalid');
    if (BATAGG) assert.deepEqual(bataggProblemsOfText(await output(page)), [{ warning: false, key: 'seriesMergePolicies', text: says }], 'batagg says so');
    await policy.fill('all');
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);

    // The same path in mergePolicies: batagg's warning, the value ignored.
    await fillForm(page, parseOrdered('{"mergePolicies": {"/Info/MaxChargeCurrent": "maxx"}}'));
    const merge = page.locator('section[data-key=mergePolicies] [data-role=path]');
    assert.equal(await warningsBeside(merge).first().textContent(),
      'Warning: "/Info/MaxChargeCurrent" is not merged by a policy (the limits have rules of their own): ignored');
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);
  });
});

// ---- protection from cells and temperatures ---------------------------------

// Whether the batagg compared with has the built-in limiter (temperature
// comes with a later batagg than cell_voltage).
function bataggHasLimiter(name) {
  if (!BATAGG) return false;
  const listed = execFileSync(BATAGG, ['--list-strategies'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return new RegExp(`^limiter ${name}$`, 'm').test(listed);
}
const hasCellVoltage = bataggHasLimiter('cell_voltage');
const hasTemperature = bataggHasLimiter('temperature');

// The page's errors are batagg's, each (its text) in the list of problems,
// as many as batagg gives.
async function assertBataggErrors(page, config) {
  const batagg = bataggProblemsOfText(config).filter((p) => !p.warning);
  const listed = await page.locator('#problems li.error').allTextContents();
  assert.equal(listed.length, batagg.length, `as many problems as batagg: ${listed.join(' | ')} / ${batagg.map((p) => p.text).join(' | ')}`);
  for (const p of batagg) assert.ok(listed.some((t) => t.endsWith(`: ${p.text}`)), `the page says batagg's "${p.text}"; it says: ${listed.join(' | ')}`);
  return batagg;
}

test('bank caps: maxChargeCurrent and maxDischargeCurrent through their cards, as batagg reads them', async () => {
  await withPage(async (page) => {
    for (const [key, amps] of [['maxChargeCurrent', '300'], ['maxDischargeCurrent', '450.5']]) {
      const card = page.locator(`section[data-key=${key}]`);
      assert.match(await card.locator('.help').textContent(), /busbars.*0: no cap|0: no cap/);
      await card.locator('[data-role=value]').fill(amps);
    }
    assert.deepEqual(JSON.parse(await output(page)), { maxChargeCurrent: 300, maxDischargeCurrent: 450.5 });
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);
  });
});

for (const [config, key, says] of [
  ['{"maxChargeCurrent": -1}', 'maxChargeCurrent', 'expected amps from 0 (no cap) to 1e+06, got -1'],
  ['{"maxDischargeCurrent": 1000000.5}', 'maxDischargeCurrent', 'expected amps from 0 (no cap) to 1e+06, got 1000000.5'],
  ['{"maxChargeCurrent": 2e6}', 'maxChargeCurrent', 'expected amps from 0 (no cap) to 1e+06, got 2e6'],
  ['{"maxDischargeCurrent": 1e999}', 'maxDischargeCurrent', '1e999 is too large a number'],
]) {
  test(`bank caps: ${config} is an error in batagg's words`, async () => {
    await withPage(async (page) => {
      await importText(page, config);
      const input = page.locator(`section[data-key=${key}] [data-role=value]`);
      assert.deepEqual(await errorsBeside(input).allTextContents(), [says]);
      assert.equal(await verdict(page), 'invalid');
      if (BATAGG) assert.deepEqual(bataggProblemsOfText(config), [{ warning: false, key, text: says }], 'batagg says it so');
    });
  });
}

test('limiters: chosen in order through their card, each built-in one with a card of its options', async () => {
  await withPage(async (page) => {
    const card = page.locator('section[data-key=limiters]');
    const cv = page.locator('#limiter-cell_voltage');
    const temp = page.locator('#limiter-temperature');
    assert.equal(await cv.isHidden(), true, 'no card until the limiter is chosen');
    assert.equal(await temp.isHidden(), true);
    await card.locator('[data-role=add-limiter][data-name=temperature]').click();
    await card.locator('[data-role=add-limiter][data-name=cell_voltage]').click();
    assert.equal(await card.locator('[data-role=add-limiter][data-name=cell_voltage]').count(), 0, 'each once');
    assert.deepEqual(JSON.parse(await output(page)), { limiters: ['temperature', 'cell_voltage'] });
    await card.locator('[data-role=limiter-item]').nth(1).locator('[data-role=move-up]').click();
    assert.deepEqual(JSON.parse(await output(page)), { limiters: ['cell_voltage', 'temperature'] });
    assert.equal(await cv.isVisible(), true);
    assert.equal(await temp.isVisible(), true);
    assert.equal(await verdict(page), 'valid');
    if (hasCellVoltage && hasTemperature) await assertBatagg(page, true);
    // Every option shown, with its default.
    for (const [c, options] of [[cv, ['hysteresis', 'riseRate', 'cellMax', 'cvlMargin', 'balanceAssist', 'balanceSpread', 'balanceHold']], [temp, ['unit', 'hysteresis', 'riseRate']]]) {
      for (const o of options) assert.equal(await c.locator(`[data-option=${o}]`).count(), 1, `a field for ${o}`);
      assert.equal(await c.locator('[data-role=limiter-table]').count(), 2, 'both tables');
      assert.match(await c.locator('[data-role=checks-note]').textContent(), /batagg --check-config/);
    }
    assert.equal(await cv.locator('[data-option=cellMax]').getAttribute('placeholder'), '3.60');
    assert.match(await cv.locator('[data-table=chargeTable]').textContent(), /3\.45 cell V: 1, 3\.55 cell V: 0\.1, 3\.60 cell V: 0/);
    assert.match(await temp.locator('[data-table=chargeTable]').textContent(), /0 °C: 0\.1, 5 °C: none, 50 °C: 0\.5, 55 °C: 0/);
    // Removed from limiters, with no options: its card goes.
    await card.locator('[data-role=limiter-item]').nth(1).locator('[data-role=remove]').click();
    assert.equal(await temp.isHidden(), true);
    assert.deepEqual(JSON.parse(await output(page)), { limiters: ['cell_voltage'] });
    // A plugin's limiter, typed: without pluginDirectory batagg's error.
    await card.locator('[data-role=add-limiter][data-name="(plugin)"]').click();
    await page.keyboard.type('my_limiter');
    assert.deepEqual(JSON.parse(await output(page)), { limiters: ['cell_voltage', 'my_limiter'] });
    assert.equal(await verdict(page), 'invalid');
    if (hasTemperature) await assertBataggErrors(page, await output(page));
  });
});

for (const config of [
  '{"limiters": ["cell_voltage", "cell_voltage"]}',
  '{"limiters": ["cell_votlage"]}',
  '{"limiters": ["temperature", "fancy", "temperature"]}',
]) {
  test(`limiters: ${config} in batagg's words, beside the name`, { skip: !hasTemperature && 'batagg has no temperature limiter' }, async () => {
    await withPage(async (page) => {
      await importText(page, config);
      assert.equal(await verdict(page), 'invalid');
      const batagg = await assertBataggErrors(page, config);
      const shown = await page.locator('section[data-key=limiters] .field-errors .error').allTextContents();
      assert.deepEqual(shown.sort(), batagg.map((p) => p.text).sort(), 'beside the names, in the limiters card');
    });
  });
}

test('limiters: a plugin\'s limiter with pluginDirectory is a note, not an error', async () => {
  await withPage(async (page) => {
    await importText(page, '{"pluginDirectory": "/data/batagg-plugins", "limiters": ["my_limiter"]}');
    assert.equal(await verdict(page), 'valid');
    assert.match(await page.locator('section[data-key=limiters] .field-errors .warning').first().textContent(),
      /"my_limiter" is not a built-in limiter: it needs a plugin from pluginDirectory/);
  });
});

test('cell_voltage: its card writes strategyOptions.cell_voltage; the NMC preset is the README\'s; batagg accepts what it writes', async () => {
  await withPage(async (page) => {
    await page.locator('section[data-key=limiters] [data-role=add-limiter][data-name=cell_voltage]').click();
    const cv = page.locator('#limiter-cell_voltage');
    assert.equal(await cv.locator('[data-role=include]').isChecked(), false, 'no options: the defaults');
    await cv.locator('[data-option=riseRate]').fill('10');
    await cv.locator('[data-option=balanceAssist]').selectOption('true');
    assert.deepEqual(JSON.parse(await output(page)), { limiters: ['cell_voltage'], strategyOptions: { cell_voltage: { riseRate: 10, balanceAssist: true } } });
    assert.equal(await cv.locator('[data-role=include]').isChecked(), true);
    assert.match(await page.locator('section[data-key=strategyOptions] [data-role=strategy-options][data-name=cell_voltage]').textContent(), /Options of the cell_voltage limiter/);
    assert.equal(await verdict(page), 'valid');
    if (hasCellVoltage) await assertBatagg(page, true);

    // The NMC preset: README "### cell_voltage".
    await cv.locator('[data-role=preset]', { hasText: 'NMC' }).click();
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const nmc = JSON.parse(`{${/\*\*NMC\*\*[^`]*```json\n([^`]*)```/.exec(readme)[1]}}`);
    assert.deepEqual(JSON.parse(await output(page)).strategyOptions, nmc.strategyOptions);
    assert.equal(await verdict(page), 'valid');
    if (hasCellVoltage) await assertBatagg(page, true);
    // LFP: the defaults again, nothing written.
    await cv.locator('[data-role=preset]', { hasText: 'LFP' }).click();
    assert.deepEqual(JSON.parse(await output(page)).strategyOptions, { cell_voltage: {} });
    // Unticked: no options.
    await cv.locator('[data-role=include]').uncheck();
    assert.deepEqual(JSON.parse(await output(page)), { limiters: ['cell_voltage'] });

    // A table written point by point, through the form driver; then a point
    // out of order, beside its field, in the limiter's words.
    await fillLimiterOptions(page, 'cell_voltage', parseOrdered('{"chargeTable": {"3.40": 1, "3.50": 0.2, "3.58": 0}, "cellMax": 3.62}'));
    assert.deepEqual(JSON.parse(await output(page)).strategyOptions, { cell_voltage: { chargeTable: { '3.40': 1, '3.50': 0.2, '3.58': 0 }, cellMax: 3.62 } });
    assert.equal(await verdict(page), 'valid');
    if (hasCellVoltage) await assertBatagg(page, true);
    const point = cv.locator('[data-table=chargeTable] [data-role=point]').nth(1);
    await point.locator('[data-role=point-key]').fill('3.30');
    const value = point.locator('[data-role=point-value]');
    await errorsBeside(value).first().waitFor();
    assert.equal(await errorsBeside(value).first().textContent(), "limiter 'cell_voltage': chargeTable: not monotonic: volts must increase (3.3 V after 3.4 V)");
    assert.equal(await verdict(page), 'invalid');
    if (hasCellVoltage) await assertBataggErrors(page, await output(page));
  });
});

// Options cell_voltage refuses: the page says what batagg says (the
// limiter's words), beside the field in its card.
const cellVoltageBad = [
  '{"hysteresis": 0.6}', '{"hysteresis": -0.01}', '{"riseRate": 0}', '{"riseRate": "fast"}', '{"cvlMargin": -1}',
  '{"balanceSpread": 0}', '{"balanceSpread": 1.5}', '{"balanceHold": 86401}', '{"balanceAssist": 1}',
  '{"cellMax": 58.4}', '{"cellMax": 3.45}', '{"cellMax": "3.6"}', '{"chargeTable": 5}', '{"colour": 1}',
  '{"chargeTable": {"3.45": 1}}', '{"chargeTable": {"3.45": 0.5, "3.6": 0}}', '{"chargeTable": {"3.45": 1, "3.40": 0}}',
  '{"chargeTable": {"3.45": 1, "3.5": 0, "3.55": 0.1}}', '{"chargeTable": {"52": 1, "58": 0}}', '{"chargeTable": {"3.45": 1, "3.6": 1.5}}',
  '{"chargeTable": {"x": 1, "3.6": 0}}', '{"chargeTable": {"0x3.8p0": 1, "3.6": 0}, "cellMax": 3.5}',
  '{"dischargeTable": {"2.9": 0, "3.1": 0.5}}', '{"dischargeTable": {"2.9": 1, "2.8": 1}}', '{"dischargeTable": {"3.0": 0, "3.5": 1}}',
  '{"dischargeTable": {"2.9": 0.5, "3.0": 0.2, "3.1": 1}}',
  `{"chargeTable": {${Array.from({ length: 17 }, (_, i) => `"${(3.3 + i * 0.01).toFixed(2)}": ${i ? 0 : 1}`).join(', ')}}}`,
  '{"riseRate": 1e999, "hysteresis": 0.7}', '{"hysteresis": 0.1234567, "cellMax": 0.0000123}',
];
for (const options of cellVoltageBad) {
  test(`cell_voltage: ${options.slice(0, 80)} refused in its words`, { skip: !hasCellVoltage && 'batagg has no cell_voltage limiter' }, async () => {
    const config = `{"limiters": ["cell_voltage"], "strategyOptions": {"cell_voltage": ${options}}}`;
    await withPage(async (page) => {
      await importText(page, config);
      assert.equal(await verdict(page), 'invalid');
      const batagg = await assertBataggErrors(page, config);
      const limiter = batagg.filter((p) => p.text.startsWith("limiter 'cell_voltage': "));
      assert.equal(limiter.length, 1, 'the limiter refuses one option');
      // Beside its field: in the card when the options fit the form, else
      // beside the JSON in strategyOptions.
      const shown = [...await page.locator('#limiter-cell_voltage .field-errors .error').allTextContents(),
        ...await page.locator('section[data-key=strategyOptions] .field-errors .error').allTextContents()];
      assert.ok(shown.includes(limiter[0].text), `shown beside its field: ${shown.join(' | ')}`);
    });
  });
}

test('temperature: its card writes strategyOptions.temperature, a table with "none", in amps; batagg accepts what it writes', { skip: !hasTemperature && 'batagg has no temperature limiter' }, async () => {
  await withPage(async (page) => {
    await fillForm(page, parseOrdered('{"limiters": ["temperature"], "strategyOptions": {"temperature": ' +
      '{"unit": "A", "chargeTable": {"0": 10, "5": "none", "45": "none", "55": 0}, "hysteresis": 3}}}'));
    assert.deepEqual(JSON.parse(await output(page)), {
      limiters: ['temperature'],
      strategyOptions: { temperature: { unit: 'A', chargeTable: { 0: 10, 5: 'none', 45: 'none', 55: 0 }, hysteresis: 3 } },
    });
    assert.equal(await verdict(page), 'valid');
    await assertBatagg(page, true);
    // The same table in C-rates: 10 is more than 10 C? No: 10 is allowed; 11 is not.
    const temp = page.locator('#limiter-temperature');
    await temp.locator('[data-option=unit]').selectOption('');
    const first = temp.locator('[data-table=chargeTable] [data-role=point]').first().locator('[data-role=point-value]');
    await first.fill('11');
    await errorsBeside(first).first().waitFor();
    assert.equal(await errorsBeside(first).first().textContent(), 'limiter \'temperature\': 11 C is more than 10 C: are these amps? write "unit": "A"');
    await assertBataggErrors(page, await output(page));
  });
});

const temperatureBad = [
  '{"unit": "mA"}', '{"unit": 1}', '{"hysteresis": 21}', '{"hysteresis": -1}', '{"hysteresis": "2"}', '{"riseRate": 0}',
  '{"riseRate": 2e6}', '{"chargeTable": 1}', '{"colour": 1}', '{"chargeTable": {"-60": 0}}', '{"chargeTable": {"5": 1, "0": 1}}',
  '{"chargeTable": {"hot": 1}}', '{"chargeTable": {"0": -1}}', '{"chargeTable": {"0": "nothing"}}', '{"chargeTable": {"0": true}}',
  '{"dischargeTable": {"-20": 50, "60": 0}}', '{"unit": "A", "dischargeTable": {"-20": 2e6}}', '{"dischargeTable": {"-20": 50}, "unit": "A", "hysteresis": 30}',
  `{"chargeTable": {${Array.from({ length: 17 }, (_, i) => `"${i}": 0.1`).join(', ')}}}`,
];
for (const options of temperatureBad) {
  test(`temperature: ${options.slice(0, 80)} refused in its words`, { skip: !hasTemperature && 'batagg has no temperature limiter' }, async () => {
    const config = `{"limiters": ["temperature"], "strategyOptions": {"temperature": ${options}}}`;
    await withPage(async (page) => {
      await importText(page, config);
      assert.equal(await verdict(page), 'invalid');
      const batagg = await assertBataggErrors(page, config);
      const limiter = batagg.filter((p) => p.text.startsWith("limiter 'temperature': "));
      assert.equal(limiter.length, 1, 'the limiter refuses one option');
      const shown = [...await page.locator('#limiter-temperature .field-errors .error').allTextContents(),
        ...await page.locator('section[data-key=strategyOptions] .field-errors .error').allTextContents()];
      assert.ok(shown.includes(limiter[0].text), `shown beside its field: ${shown.join(' | ')}`);
    });
  });
}

test('limiters\' options: options that do not fit the form stay JSON in strategyOptions, and export unchanged', async () => {
  await withPage(async (page) => {
    const config = '{"strategyOptions": {"cell_voltage": {"hysteresis": "0.02", "chargeTable": {"3.45": 1, "3.6": 0}}}}';
    await importText(page, config);
    assert.deepEqual(JSON.parse(await output(page)), JSON.parse(config));
    assert.match(await page.locator('#limiter-cell_voltage').textContent(), /do not fit the form/);
    assert.match(await page.locator('section[data-key=strategyOptions] .field-errors .error').first().textContent(),
      /limiter 'cell_voltage': expected a number \(V per cell\)/);
    const raw = page.locator('section[data-key=strategyOptions] [data-role=strategy-raw]');
    await raw.fill('{"hysteresis": 0.03}');
    await page.locator('section[data-key=strategyOptions] [data-role=strategy-form]').click();
    assert.equal(await page.locator('#limiter-cell_voltage [data-option=hysteresis]').inputValue(), '0.03');
    assert.equal(await verdict(page), 'valid');
  });
});
