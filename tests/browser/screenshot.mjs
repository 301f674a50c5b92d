// SPDX-License-Identifier: MIT
// Refreshes docs/config-generator/screenshot.png: the page with
// config/examples/hooks.json imported.  Usage: node screenshot.mjs [OUT.png]
import path from 'node:path';
import { EXAMPLES, PAGE_DIR, launch, openPage, importFile } from './helpers.mjs';

const out = process.argv[2] || path.join(PAGE_DIR, 'screenshot.png');
const browser = await launch();
try {
  const { page } = await openPage(browser, { viewport: { width: 1280, height: 860 }, deviceScaleFactor: 1 });
  await importFile(page, path.join(EXAMPLES, 'hooks.json'));
  // Open the hook options, so the picture shows a virtual battery with hooks.
  await page.locator('section[data-key=virtualBatteries]').scrollIntoViewIfNeeded();
  await page.evaluate(() => window.scrollTo(0, document.querySelector('section[data-key=virtualBatteries]').offsetTop - 12));
  await page.screenshot({ path: out });
  if (page.scriptProblems.length) throw new Error(page.scriptProblems.join('\n'));
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
