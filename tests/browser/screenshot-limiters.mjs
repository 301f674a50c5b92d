// SPDX-License-Identifier: MIT
// Refreshes docs/config-generator-limiters.png: the bank caps, limiters and
// the built-in limiters' cards, with a config that uses them all (one
// option refused, to show the limiter's words beside its field).
// Usage: node screenshot-limiters.mjs [OUT.png]
import path from 'node:path';
import { ROOT, launch, openPage, importText } from './helpers.mjs';

const out = process.argv[2] || path.join(ROOT, 'docs/config-generator-limiters.png');
const config = {
  maxChargeCurrent: 300,
  maxDischargeCurrent: 400,
  limiters: ['cell_voltage', 'temperature'],
  strategyOptions: {
    cell_voltage: { chargeTable: { '4.10': 1, '4.15': 0.1, '4.20': 0 }, dischargeTable: { '3.0': 0, '3.2': 1 }, cellMax: 4.20, hysteresis: 0.6 },
    temperature: { unit: 'A', chargeTable: { 0: 10, 5: 'none', 45: 'none', 55: 0 } },
  },
};
const browser = await launch();
try {
  const { page } = await openPage(browser, { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  await importText(page, JSON.stringify(config, null, 2));
  const top = await page.locator('section[data-key=maxChargeCurrent]').boundingBox();
  const bottom = await page.locator('#limiter-temperature').boundingBox();
  const left = await page.locator('#cards').boundingBox();
  await page.screenshot({
    path: out, fullPage: true,
    clip: { x: left.x - 8, y: top.y - 8, width: left.width + 16, height: bottom.y + bottom.height - top.y + 16 },
  });
  if (page.scriptProblems.length) throw new Error(page.scriptProblems.join('\n'));
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
