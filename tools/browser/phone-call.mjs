// Places a call from the HERMES test phone (/phone) in headless Chromium,
// with Chromium's fake microphone playing a WAV file, the way a person
// would: sign in, press Call, speak, wait for the agent, hang up.
//
//   node phone-call.mjs --url http://127.0.0.1:PORT --tenant T --email E \
//        --password P --wav caller.wav --until 'lopez' [--timeout 90]
//
// Waits until a caller line of the page's live transcript matches
// --until (a case-insensitive regular expression), then hangs up. Prints
// {"transcript":[{"speaker","text"}…],"status":…,"problems":[…]} on
// stdout; `problems` lists console errors, page errors and CSP
// violations, which a working page has none of. Exits 1 when the
// transcript never matched.
import { chromium } from 'playwright-core';

function args() {
  const out = { timeout: '90', chromium: process.env.HERMES_CHROMIUM || '/usr/bin/chromium' };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const k of ['url', 'tenant', 'email', 'password', 'wav', 'until']) {
    if (!out[k]) throw new Error(`--${k} is required`);
  }
  return out;
}

const a = args();
const browser = await chromium.launch({
  executablePath: a.chromium,
  headless: true,
  args: [
    '--no-sandbox',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${a.wav}%noloop`,
    '--autoplay-policy=no-user-gesture-required',
  ],
});
const problems = [];
let result = { transcript: [], status: '', problems };
let matched = false;
try {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
  await page.goto(`${a.url}/phone`);
  await page.getByLabel('Firm', { exact: true }).fill(a.tenant);
  await page.getByLabel('Email', { exact: true }).fill(a.email);
  await page.getByLabel('Password', { exact: true }).fill(a.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Call', exact: true }).waitFor({ state: 'visible', timeout: 10000 });
  await page.getByRole('button', { name: 'Call', exact: true }).click();
  const until = new RegExp(a.until, 'i');
  const deadline = Date.now() + Number(a.timeout) * 1000;
  const lines = () =>
    page.$$eval('#transcript li', (items) =>
      items.map((li) => {
        const who = li.querySelector('.speaker').textContent;
        return {
          speaker: who.startsWith('You') ? 'caller' : 'agent',
          text: li.textContent.slice(who.length),
        };
      }),
    );
  while (Date.now() < deadline) {
    const t = await lines();
    if (t.some((l) => l.speaker === 'caller' && until.test(l.text))) {
      matched = true;
      break;
    }
    if (await page.getByRole('button', { name: 'Hang up' }).isDisabled()) break;
    await page.waitForTimeout(250);
  }
  // Let the agent answer the line before hanging up.
  await page.waitForTimeout(3000);
  if (await page.getByRole('button', { name: 'Hang up' }).isEnabled()) {
    await page.getByRole('button', { name: 'Hang up' }).click();
  }
  result = { transcript: await lines(), status: await page.locator('#status').textContent(), problems };
} catch (e) {
  problems.push(`driver: ${e.message}`);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
process.exit(matched ? 0 : 1);
