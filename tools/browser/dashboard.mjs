// Drives the HERMES dashboard in headless Chromium (Debian's) the way the
// firm's people use it, and checks what they see. Run by the Rust tests in
// crates/hermes/tests/api/dashboard.rs:
//
//   node dashboard.mjs CONFIG.json
//
// CONFIG: { url, tenant, mode: "ui" | "call", users: {ROLE: {email, password}},
//   ui: { menus: {ROLE: [labels]}, chat: {opening: [..], answers: {state: text}},
//         caller: "Maria Lopez", review: {subject, client, week}, intake_id },
//   call: { wav, until }, screenshots: DIR? }
//
// Prints {"ok": bool, "failures": [...], "problems": [...], "notes": {...}}
// on stdout; `problems` lists console errors, page errors and CSP
// violations, which a working page has none of. Exits 1 unless ok.
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const failures = [];
const problems = [];
const notes = {};
const fail = (m) => failures.push(m);
const check = (cond, m) => {
  if (!cond) fail(m);
};

const args = ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'];
if (cfg.mode === 'call') {
  args.push(
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${cfg.call.wav}%noloop`,
  );
}
const browser = await chromium.launch({
  executablePath: process.env.HERMES_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args,
});

/** A fresh browser session (its own storage), signed in as `role`. */
async function signedIn(role, viewport = { width: 1366, height: 850 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${role} console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${role} page: ${e.message}`));
  await page.goto(`${cfg.url}/`);
  const u = cfg.users[role];
  await page.getByLabel('Firm', { exact: true }).fill(cfg.tenant);
  await page.getByLabel('Email', { exact: true }).fill(u.email);
  await page.getByLabel('Password', { exact: true }).fill(u.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#top').waitFor();
  await page.locator('main[data-route]:not([aria-busy])').waitFor();
  return { context, page };
}

/** Opens a page of the dashboard and waits until it has drawn its data. */
async function go(page, hash) {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
  await page.locator(`main[data-route="${hash}"]:not([aria-busy])`).waitFor();
}

async function heading(page) {
  return (await page.locator('#page-title').textContent()).trim();
}

async function roles() {
  for (const role of Object.keys(cfg.ui.menus)) {
    const { context, page } = await signedIn(role);
    const menu = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    check(
      JSON.stringify(menu) === JSON.stringify(cfg.ui.menus[role]),
      `${role} menu is ${JSON.stringify(menu)}, expected ${JSON.stringify(cfg.ui.menus[role])}`,
    );
    const may = (label) => cfg.ui.menus[role].includes(label);
    // Pages the menu leaves out are refused when typed in, too.
    for (const [hash, label] of [
      ['#/users', 'Users'],
      ['#/audit', 'Audit log'],
      ['#/reviews', 'Conflict reviews'],
      ['#/usage', 'Usage'],
    ]) {
      await go(page, hash);
      const h = await heading(page);
      check(may(label) ? h === label : h === 'Not allowed', `${role} at ${hash} sees "${h}"`);
    }
    if (may('Conflict reviews')) {
      await go(page, '#/reviews');
      const buttons = await page.getByRole('button', { name: 'Clear', exact: true }).count();
      const decides = role === 'ADMIN' || role === 'ATTORNEY';
      check(decides ? buttons > 0 : buttons === 0, `${role} sees ${buttons} Clear buttons on the review queue`);
    }
    await go(page, `#/intakes/${cfg.ui.intake_id}`);
    const correct = await page.getByRole('button', { name: 'Correct fields' }).count();
    check((role === 'READ_ONLY') === (correct === 0), `${role} sees ${correct} "Correct fields" buttons`);
    // Everyone reads the settings; only an admin is offered changes.
    await go(page, '#/settings');
    const edits = await page.locator('main button', { hasText: /^(Edit|Save|Add)/ }).count();
    check((role === 'ADMIN') === (edits > 0), `${role} sees ${edits} Edit buttons in Settings`);
    await go(page, `#/calendar?week=${cfg.ui.review.week}`);
    await page.locator('.slot summary').first().click();
    const reschedule = await page.getByRole('button', { name: 'Reschedule' }).count();
    check((role === 'READ_ONLY') === (reschedule === 0), `${role} sees ${reschedule} Reschedule buttons`);
    await context.close();
  }
}

/** STAFF takes a text intake in the test phone's chat tab; ADMIN watches Intakes live. */
async function chat() {
  const watcher = await signedIn('ADMIN');
  await go(watcher.page, '#/intakes');
  const { context, page } = await signedIn('STAFF');
  await go(page, '#/phone?tab=chat');
  await page.getByRole('button', { name: 'Start a chat' }).click();
  await page.locator('#chat-transcript li').first().waitFor();
  const send = async (text) => {
    const answer = page.waitForResponse((r) => r.url().includes('/messages') && r.request().method() === 'POST');
    await page.getByLabel('Your message').fill(text);
    await page.getByLabel('Your message').press('Enter');
    const r = await answer;
    return r.json();
  };
  let reply = null;
  for (const line of cfg.ui.chat.opening) reply = await send(line);
  for (let i = 0; i < 40 && !reply.done; i++) {
    let text = cfg.ui.chat.answers[reply.state];
    if (reply.state === 'scheduling') text = /which/i.test(reply.reply) ? 'the first one' : 'as soon as possible';
    if (!text) {
      fail(`the chat reached state ${reply.state} with no answer for it: ${reply.reply}`);
      break;
    }
    reply = await send(text);
  }
  check(reply.done, 'the chat did not finish');
  const lines = await page.locator('#chat-transcript li').count();
  check(lines > 20, `only ${lines} lines in the chat transcript`);
  notes.chat_lines = lines;
  // The admin's Intakes list got it live, without a reload.
  try {
    await watcher.page.getByRole('link', { name: cfg.ui.caller }).first().waitFor({ timeout: 10000 });
  } catch {
    fail('the intake did not appear live on an open Intakes page');
  }
  await watcher.context.close();
  // And staff find it under Intakes.
  await page.getByRole('link', { name: 'See it under Intakes.' }).click();
  await page.getByRole('link', { name: cfg.ui.caller }).first().click();
  await page.locator('#page-title', { hasText: cfg.ui.caller }).waitFor();
  const fields = await page.locator('main table').first().textContent();
  check(fields.includes(cfg.ui.chat.expect_field), `the intake's fields lack ${cfg.ui.chat.expect_field}: ${fields}`);
  await context.close();
}

/** An attorney clears a review; the tentative consultation is confirmed. */
async function review() {
  const { context, page } = await signedIn('ATTORNEY');
  await go(page, '#/reviews');
  const card = page.locator('article', { has: page.getByRole('heading', { name: cfg.ui.review.subject }) });
  await card.getByLabel('Note for the file').fill('Different person: other middle name and date of birth.');
  await card.getByRole('button', { name: 'Clear', exact: true }).click();
  try {
    await page.locator('#toast', { hasText: '1 consultation(s) confirmed' }).waitFor({ timeout: 10000 });
  } catch {
    fail(`no confirmation shown after clearing: ${await page.locator('#toast').textContent()}`);
  }
  await go(page, `#/calendar?week=${cfg.ui.review.week}`);
  const slot = page.locator('.slot', { hasText: cfg.ui.review.client });
  await slot.locator('summary').click();
  const text = await slot.textContent();
  check(/confirmed/.test(text) && !/tentative/.test(text), `the booking reads: ${text}`);
  await context.close();
}

// axe-core, evaluated into the page by the driver (page scripts could not
// load it: the CSP allows only HERMES's own files, as it should).
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** WCAG 2.1 A and AA violations on the page as it is now (labels, contrast, names, landmarks). */
async function accessibility(page, where) {
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
  });
  for (const v of found) fail(`${where}: ${v}`);
}

async function screenshots() {
  const dir = cfg.screenshots;
  mkdirSync(dir, { recursive: true });
  const pages = [
    ['today', '#/today'],
    ['calls', '#/calls'],
    ['intakes', '#/intakes'],
    ['intake', `#/intakes/${cfg.ui.intake_id}`],
    ['reviews', '#/reviews?status=all'],
    ['calendar', `#/calendar?week=${cfg.ui.review.week}`],
    ['settings', '#/settings'],
    ['users', '#/users'],
    ['audit', '#/audit'],
    ['usage', '#/usage'],
    ['phone', '#/phone?tab=chat'],
  ];
  for (const [size, viewport] of [
    ['laptop', { width: 1366, height: 850 }],
    ['phone', { width: 390, height: 844 }],
  ]) {
    const { context, page } = await signedIn('ADMIN', viewport);
    for (const [name, hash] of pages) {
      await go(page, hash);
      await page.screenshot({ path: `${dir}/${name}-${size}.png`, fullPage: true });
      await accessibility(page, `${name} at ${size}`);
      // Nothing wider than the screen (a layout that breaks scrolls sideways).
      const wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      check(wide <= 1, `${name} at ${size} is ${wide}px wider than the screen`);
    }
    await page.goto(`${cfg.url}/`);
    await context.close();
  }
  // The sign-in page too.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(`${cfg.url}/`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.screenshot({ path: `${dir}/signin-phone.png` });
  await accessibility(page, 'sign-in');
  await context.close();
}

/** ADMIN calls from the test phone; STAFF watches it live on Today and the call's page. */
async function call() {
  const watcher = await signedIn('STAFF');
  await go(watcher.page, '#/today');
  const caller = await signedIn('ADMIN');
  await go(caller.page, '#/phone');
  await caller.page.getByRole('button', { name: 'Call', exact: true }).click();
  // The call shows up on Today while it happens; open it.
  const live = watcher.page.locator('section', { has: watcher.page.getByRole('heading', { name: /Live calls/ }) });
  await live.getByRole('link').first().click({ timeout: 30000 });
  await watcher.page.locator('#page-title', { hasText: 'Call' }).waitFor();
  const until = new RegExp(cfg.call.until, 'i');
  const deadline = Date.now() + 90000;
  let heard = false;
  while (Date.now() < deadline && !heard) {
    // Lines that arrived as live events (not read with the page).
    const lines = await watcher.page.locator('#call-transcript li.caller[data-live="yes"]').allTextContents();
    heard = lines.some((l) => until.test(l));
    if (!heard) await watcher.page.waitForTimeout(250);
  }
  check(heard, 'the caller\'s words never arrived live on the call page');
  notes.live_lines = await watcher.page.locator('#call-transcript li').allTextContents();
  notes.phone_lines = await caller.page.locator('#phone-transcript li').allTextContents();
  check(notes.phone_lines.length > 0 && /not a lawyer/i.test(notes.phone_lines[0]), 'the test phone did not show the disclosure');
  await caller.page.waitForTimeout(2000);
  await caller.page.getByRole('button', { name: 'Hang up' }).click();
  // The call page turns to ended by itself; the list has it.
  try {
    await watcher.page.locator('#call-status', { hasText: 'ended' }).waitFor({ timeout: 20000 });
  } catch {
    fail('the call page did not show the call ended');
  }
  await go(watcher.page, '#/calls');
  const first = await watcher.page.locator('main tbody tr').first().textContent();
  check(/browser/.test(first) && /ended/.test(first), `the newest call reads: ${first}`);
  await watcher.context.close();
  await caller.context.close();
}

try {
  if (cfg.mode === 'call') {
    await call();
  } else {
    await roles();
    await chat();
    await review();
    if (cfg.screenshots) await screenshots();
  }
} catch (e) {
  fail(`driver: ${e.message}`);
} finally {
  await browser.close();
}
const ok = failures.length === 0 && problems.length === 0;
console.log(JSON.stringify({ ok, failures, problems, notes }));
process.exit(ok ? 0 : 1);
