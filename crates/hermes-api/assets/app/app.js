// The dashboard's shell: sign-in, navigation, routing and live updates.
// Each page is a module exporting `render(view, ctx)`; `ctx` holds who is
// signed in (`me`, with the permissions the server says the role has),
// the route's parameters, and `onLive(handler)` to hear live events while
// the page is shown.

import * as API from './api.js';
import { h, fill, field, onSubmit, title } from './ui.js';
import * as today from './today.js';
import * as calls from './calls.js';
import * as intakes from './intakes.js';
import * as reviews from './reviews.js';
import * as calendar from './calendar.js';
import * as settings from './settings.js';
import * as admin from './admin.js';
import * as testphone from './testphone.js';

// Path pattern, page, the permission it needs, the menu label (none: not in the menu).
const ROUTES = [
  ['today', today.render, 'cases:read', 'Today'],
  ['calls', calls.list, 'cases:read', 'Calls'],
  ['calls/:id', calls.show, 'cases:read'],
  ['intakes', intakes.list, 'cases:read', 'Intakes'],
  ['intakes/:id', intakes.show, 'cases:read'],
  ['reviews', reviews.render, 'conflicts:read', 'Conflict reviews'],
  ['calendar', calendar.render, 'cases:read', 'Calendar'],
  ['settings', settings.render, 'settings:read', 'Settings'],
  ['users', admin.users, 'users:manage', 'Users'],
  ['api-keys', admin.apiKeys, 'api_keys:manage', 'API keys'],
  ['audit', admin.audit, 'audit:read', 'Audit log'],
  ['usage', admin.usage, 'billing:manage', 'Usage'],
  ['phone', testphone.render, 'cases:read', 'Test phone'],
];

let me = null;
let liveStop = null;
const liveHandlers = new Set();
let pageCleanup = [];
let routeSeq = 0;
let loadingMe = null;

const $ = (id) => document.getElementById(id);

function can(permission) {
  return Boolean(me && me.permissions.includes(permission));
}

// Ids in addresses are UUIDs, nothing else: a crafted link cannot steer a
// page's request to another API path (`%2F..`).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function match(hash) {
  const parts = hash.replace(/^#\/?/, '').split('?')[0].split('/').filter(Boolean);
  if (!parts.length) parts.push('today');
  for (const route of ROUTES) {
    const pattern = route[0].split('/');
    if (pattern.length !== parts.length) continue;
    const params = {};
    const fits = pattern.every((p, i) => {
      if (!p.startsWith(':')) return p === parts[i];
      params[p.slice(1)] = parts[i];
      return UUID.test(parts[i]);
    });
    if (fits) return { route, params };
  }
  return null;
}

function drawNav(active) {
  const items = ROUTES.filter((r) => r[3] && can(r[2]));
  fill(
    $('nav'),
    h(
      'ul',
      {},
      items.map((r) =>
        h('li', {}, h('a', { href: `#/${r[0]}`, 'aria-current': r[0] === active ? 'page' : false }, r[3])),
      ),
    ),
  );
}

async function route() {
  // In-page anchors (the skip link) are not pages.
  if (location.hash && !location.hash.startsWith('#/')) return;
  for (const f of pageCleanup) f();
  pageCleanup = [];
  liveHandlers.clear();
  const view = $('main');
  if (!API.isSignedIn()) {
    showSignIn(view);
    return;
  }
  if (!me) {
    try {
      // One request however many routes wait for it.
      loadingMe = loadingMe || API.get('/api/v1/me');
      me = await loadingMe;
    } catch (e) {
      if (!API.isSignedIn()) {
        showSignIn(view);
        return;
      }
      fill(view, h('p', { class: 'error', role: 'alert' }, `Could not load your account: ${e.message}`));
      return;
    } finally {
      loadingMe = null;
    }
    if (!liveStop) startShell();
  }
  // Busy until the page has drawn what it loads (assistive technology
  // waits; so do the browser tests, which also read which route it is).
  const mine = ++routeSeq;
  view.dataset.route = location.hash;
  view.setAttribute('aria-busy', 'true');
  try {
    await draw(view, mine);
  } finally {
    if (mine === routeSeq) view.removeAttribute('aria-busy');
  }
  const heading = $('page-title');
  if (heading && document.activeElement === document.body) heading.focus({ preventScroll: true });
}

/**
 * Draws the page the address names, or says why not. The page draws into
 * its own container: one the user has already left keeps drawing, unseen,
 * into a detached element, and its live handlers are never registered.
 */
async function draw(main, mine) {
  const view = h('div', { class: 'page' });
  main.replaceChildren(view);
  const found = match(location.hash);
  drawNav(found ? found.route[0].split('/')[0] : '');
  $('nav').classList.remove('open');
  $('menu-toggle').setAttribute('aria-expanded', 'false');
  if (!found) {
    fill(view, title('Not found'), h('p', {}, 'There is no such page. ', h('a', { href: '#/today' }, 'Go to Today.')));
    return;
  }
  const [, render, permission] = found.route;
  if (!can(permission)) {
    fill(view, title('Not allowed'), h('p', {}, 'Your role does not give access to this page.'));
    return;
  }
  view.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  const ctx = {
    me,
    can,
    params: found.params,
    query: new URLSearchParams(location.hash.split('?')[1] || ''),
    onLive: (f) => mine === routeSeq && liveHandlers.add(f),
    onLeave: (f) => (mine === routeSeq ? pageCleanup.push(f) : f()),
  };
  try {
    await render(view, ctx);
  } catch (e) {
    if (!API.isSignedIn()) return;
    fill(view, title('Something went wrong'), h('p', { class: 'error', role: 'alert' }, e.message));
  }
}

function startShell() {
  $('top').hidden = false;
  $('firm-name').textContent = me.tenant.name;
  $('who').textContent = `${me.name} · ${me.role.replace('_', ' ').toLowerCase()}`;
  liveStop = API.live((name, data) => {
    $('live-status').classList.toggle('on', name !== 'resync');
    $('live-status').title = name === 'resync' ? 'Live updates: reconnecting' : 'Live updates: on';
    for (const f of liveHandlers) f(name, data);
  });
}

function stopShell() {
  me = null;
  if (liveStop) liveStop();
  liveStop = null;
  $('top').hidden = true;
}

function showSignIn(view) {
  stopShell();
  document.title = 'Sign in · HERMES';
  const form = h(
    'form',
    { class: 'card signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to HERMES'),
    field('Firm', 'tenant', { required: true, autocomplete: 'organization', value: localStorage.getItem('hermes.tenant') || '' }),
    field('Email', 'email', { kind: 'email', required: true, autocomplete: 'username' }),
    field('Password', 'password', { kind: 'password', required: true, autocomplete: 'current-password' }),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
  );
  onSubmit(form, async (v) => {
    await API.signIn(v.tenant.trim(), v.email.trim(), v.password);
    localStorage.setItem('hermes.tenant', v.tenant.trim());
    await route();
  });
  fill(view, form);
  form.querySelector(form.tenant.value ? 'input[name=email]' : 'input')?.focus();
}

API.onSignedOut(() => {
  stopShell();
  route();
});

$('sign-out').addEventListener('click', async () => {
  await API.signOut();
});

$('menu-toggle').addEventListener('click', () => {
  const open = $('nav').classList.toggle('open');
  $('menu-toggle').setAttribute('aria-expanded', String(open));
});

window.addEventListener('hashchange', route);
route();
