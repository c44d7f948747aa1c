// Administration: the firm's users and their roles, API keys, the audit
// log, and this month's usage against the plan. Admin-only pages (the
// router checks the permission; the API refuses everyone else anyway).
//
// A generated password or a new API key is shown exactly once, right
// after it is made: HERMES keeps only a hash, so the page says so and
// offers a copy button. Destructive actions ask first.

import { api, get, query } from './api.js';
import { h, fill, title, table, badge, field, onSubmit, when, words, notify, problem, uid } from './ui.js';
import { labelled } from './settings.js';

const ROLES = [
  ['ADMIN', 'Admin'],
  ['ATTORNEY', 'Attorney'],
  ['STAFF', 'Staff'],
  ['READ_ONLY', 'Read only'],
];

const ROLE_HELP =
  'Admin: everything, including users, settings and integrations. Attorney: cases, and deciding conflicts. ' +
  'Staff: cases and conflict results. Read only: reads cases and settings.';

function roleName(role) {
  const found = ROLES.find(([k]) => k === role);
  return found ? found[1] : words(role);
}

/** Best effort: id → name of the firm's users, for showing who did what. */
async function userNames(ctx) {
  if (!ctx.can('users:manage')) return {};
  const r = await get('/api/v1/users').catch(() => ({ users: [] }));
  return Object.fromEntries(r.users.map((u) => [u.id, u.name]));
}

/**
 * A secret shown this once, with a copy button; `Done` removes it. Put in
 * `into` and focused so screen-reader users hear it at once.
 */
function showOnce(into, heading, note, secret) {
  const id = uid('once');
  const copy = h('button', { type: 'button' }, 'Copy');
  const done = h('button', { type: 'button' }, 'Done');
  const box = h(
    'section',
    { class: 'card', 'aria-labelledby': id },
    h('h2', { id, tabindex: '-1' }, heading),
    h('p', {}, note),
    h('code', { class: 'secret' }, secret),
    h('div', { class: 'actions' }, copy, done),
  );
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(secret);
      notify('Copied.');
    } catch {
      notify('The browser would not copy it: select the text and copy it by hand.', 'error');
    }
  });
  done.addEventListener('click', () => box.remove());
  fill(into, box);
  box.querySelector('h2').focus();
}

// --- Users ------------------------------------------------------------------

export async function users(view, ctx) {
  const list = h('section', { class: 'card', 'aria-labelledby': 'u-list' });
  const shown = h('div', {});
  const editor = h('div', {});
  const out = h('div', {});

  const addForm = h(
    'form',
    { 'aria-labelledby': 'u-add' },
    field('Email', 'email', { kind: 'email', required: true }),
    field('Name', 'name', { required: true }),
    labelled('Role', 'role', { kind: 'select', value: 'STAFF', options: ROLES, hint: ROLE_HELP }),
    labelled('Password', 'password', {
      kind: 'password',
      autocomplete: 'new-password',
      hint: 'At least 12 characters. Leave it empty to have HERMES make one up; it is shown once.',
    }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Add the user')),
  );
  fill(
    view,
    title('Users'),
    shown,
    list,
    editor,
    h('section', { class: 'card', 'aria-labelledby': 'u-add' }, h('h2', { id: 'u-add' }, 'Add a user'), addForm),
  );

  const draw = async () => {
    const { users: people } = await get('/api/v1/users');
    fill(
      list,
      h('h2', { id: 'u-list' }, 'People who sign in'),
      out,
      table(
        'The firm’s users',
        [
          ['Name', (u) => [u.name, u.id === ctx.me.id ? [' ', badge('you', 'muted')] : null]],
          ['Email', (u) => u.email],
          ['Role', (u) => roleName(u.role)],
          ['Status', (u) => (u.active ? badge('active', 'ok') : badge('deactivated', 'muted'))],
          ['Added', (u) => when(u.created_at)],
          ['Actions', (u) => userActions(u)],
        ],
        people,
        'No user.',
      ),
    );
  };

  const act = async (button, work) => {
    fill(out);
    button.disabled = true;
    try {
      await work();
      await draw();
    } catch (e) {
      fill(out, problem(e));
      button.disabled = false;
    }
  };

  function userActions(u) {
    const self = u.id === ctx.me.id;
    const edit = h('button', { type: 'button', 'aria-label': `Edit ${u.name}` }, 'Edit');
    edit.addEventListener('click', () => {
      fill(editor, userEditor(u, self));
      editor.querySelector('input')?.focus();
    });
    if (self) return h('div', { class: 'actions' }, edit);
    const toggle = h(
      'button',
      { type: 'button', 'aria-label': `${u.active ? 'Deactivate' : 'Reactivate'} ${u.name}` },
      u.active ? 'Deactivate' : 'Reactivate',
    );
    toggle.addEventListener('click', () => {
      if (u.active && !window.confirm(`Deactivate ${u.name}? They are signed out at once, and the API keys they created are revoked.`)) return;
      act(toggle, async () => {
        await api('PATCH', `/api/v1/users/${u.id}`, { active: !u.active });
        notify(`${u.name} ${u.active ? 'deactivated' : 'reactivated'}.`);
      });
    });
    const del = h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${u.name}` }, 'Delete');
    del.addEventListener('click', () => {
      const ask = `Delete ${u.name}? This cannot be undone: they are signed out and the API keys they created are revoked. Deactivating instead keeps their account.`;
      if (!window.confirm(ask)) return;
      act(del, async () => {
        await api('DELETE', `/api/v1/users/${u.id}`);
        notify(`${u.name} deleted.`);
        fill(editor);
      });
    });
    return h('div', { class: 'actions' }, edit, toggle, del);
  }

  function userEditor(u, self) {
    const id = uid('u-edit');
    const cancel = h('button', { type: 'button' }, 'Cancel');
    cancel.addEventListener('click', () => fill(editor));
    const form = h(
      'form',
      { 'aria-labelledby': id },
      field('Name', 'name', { value: u.name, required: true }),
      self
        ? h('p', { class: 'hint' }, 'Your own role is changed from another admin’s account.')
        : labelled('Role', 'role', { kind: 'select', value: u.role, options: ROLES, hint: ROLE_HELP }),
      labelled('New password', 'password', {
        kind: 'password',
        autocomplete: 'new-password',
        hint: `At least 12 characters. Leave it empty to keep the current one; a new one signs ${self ? 'you' : 'them'} out everywhere.`,
      }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save'), cancel),
    );
    onSubmit(form, async (v) => {
      const patch = {};
      if (v.name.trim() !== u.name) patch.name = v.name.trim();
      if (!self && v.role !== u.role) patch.role = v.role;
      if (v.password) patch.password = v.password;
      if (!Object.keys(patch).length) {
        notify('Nothing changed.');
        fill(editor);
        return;
      }
      await api('PATCH', `/api/v1/users/${u.id}`, patch);
      notify(`${patch.name || u.name} saved.`);
      fill(editor);
      await draw();
    });
    return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, `Edit ${u.name}`), form);
  }

  onSubmit(addForm, async (v) => {
    const body = { email: v.email.trim(), name: v.name.trim(), role: v.role };
    if (v.password) body.password = v.password;
    const u = await api('POST', '/api/v1/users', body);
    addForm.reset();
    notify(`${u.name} added.`);
    await draw();
    if (u.initial_password) {
      showOnce(
        shown,
        `Password for ${u.name}`,
        'Give it to them safely (not by email): HERMES keeps only a hash and cannot show it again. They can change it once signed in.',
        u.initial_password,
      );
    }
  });

  await draw();
}

// --- API keys -----------------------------------------------------------------

export async function apiKeys(view, ctx) {
  const list = h('section', { class: 'card', 'aria-labelledby': 'k-list' });
  const shown = h('div', {});
  const out = h('div', {});
  const addForm = h(
    'form',
    { 'aria-labelledby': 'k-add' },
    labelled('What it is for', 'name', { required: true, hint: 'e.g. “website intake form”.' }),
    labelled('Role', 'role', {
      kind: 'select',
      value: 'STAFF',
      options: ROLES,
      hint: `What the key may do; give it the lowest role that works. ${ROLE_HELP}`,
    }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Create the key')),
  );
  fill(
    view,
    title('API keys'),
    h('p', { class: 'hint' }, 'Keys let other systems (a website form, a script) use the HERMES API as the firm, with the key’s role.'),
    shown,
    list,
    h('section', { class: 'card', 'aria-labelledby': 'k-add' }, h('h2', { id: 'k-add' }, 'Create an API key'), addForm),
  );
  const names = await userNames(ctx);

  const draw = async () => {
    const { api_keys: keys } = await get('/api/v1/api-keys');
    // Working keys first, newest first within each group.
    keys.sort((a, b) => Boolean(a.revoked_at) - Boolean(b.revoked_at) || b.created_at.localeCompare(a.created_at));
    fill(
      list,
      h('h2', { id: 'k-list' }, 'The firm’s keys'),
      out,
      table(
        'API keys, working ones first',
        [
          ['Name', (k) => k.name],
          ['Role', (k) => roleName(k.role)],
          ['Key begins', (k) => h('code', {}, k.prefix)],
          ['Created', (k) => [when(k.created_at), k.created_by ? h('div', { class: 'hint' }, `by ${names[k.created_by] || k.created_by}`) : null]],
          ['Status', (k) => (k.revoked_at ? [badge('revoked', 'muted'), h('div', { class: 'hint' }, when(k.revoked_at))] : badge('working', 'ok'))],
          ['Actions', (k) => (k.revoked_at ? '—' : revokeButton(k))],
        ],
        keys,
        'No API key yet.',
      ),
    );
  };

  function revokeButton(k) {
    const b = h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${k.name}` }, 'Revoke');
    b.addEventListener('click', async () => {
      if (!window.confirm(`Revoke the key “${k.name}”? Anything using it stops working at once.`)) return;
      fill(out);
      b.disabled = true;
      try {
        await api('DELETE', `/api/v1/api-keys/${k.id}`);
        notify(`Key “${k.name}” revoked.`);
        await draw();
      } catch (e) {
        fill(out, problem(e));
        b.disabled = false;
      }
    });
    return b;
  }

  onSubmit(addForm, async (v) => {
    const k = await api('POST', '/api/v1/api-keys', { name: v.name.trim(), role: v.role });
    addForm.reset();
    await draw();
    showOnce(
      shown,
      `Your new key: ${k.name}`,
      'Copy it now and keep it somewhere safe. HERMES keeps only a hash of it and will never show it again; if it is lost, revoke it and create another. Use it as “Authorization: Bearer <key>”.',
      k.key,
    );
  });

  await draw();
}

// --- Audit log ----------------------------------------------------------------

const OUTCOMES = ['success', 'failure', 'denied'];
const OUTCOME_TONE = { success: 'ok', failure: 'urgent', denied: 'warn' };

/** A `datetime-local` value (the browser's zone) as RFC 3339, or null. */
function instant(local) {
  if (!local) return null;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export async function audit(view, ctx) {
  const q = (k) => ctx.query.get(k) || '';
  const filters = h(
    'form',
    { class: 'filters card', 'aria-label': 'Filter the audit log' },
    field('Action', 'action', { value: q('action'), placeholder: 'e.g. auth.login' }),
    field('Who (user or API key id)', 'actor_id', { value: q('actor_id') }),
    field('Outcome', 'outcome', { kind: 'select', value: q('outcome'), options: [['', 'Any'], ...OUTCOMES.map((o) => [o, words(o)])] }),
    field('From', 'since', { kind: 'datetime-local', value: q('since') }),
    field('Until', 'until', { kind: 'datetime-local', value: q('until') }),
    h('button', { type: 'submit' }, 'Filter'),
    h('a', { class: 'button', href: '#/audit' }, 'Clear'),
  );
  onSubmit(filters, async (v) => {
    location.hash = query('#/audit', v);
  });
  const results = h('div', {});
  fill(
    view,
    title('Audit log'),
    h('p', { class: 'hint' }, 'Every sign-in, change and decision in the firm, newest first. Entries are chained, so none can be altered or removed unnoticed.'),
    filters,
    results,
  );

  const [people, keys] = await Promise.all([
    userNames(ctx),
    ctx.can('api_keys:manage')
      ? get('/api/v1/api-keys').then((r) => Object.fromEntries(r.api_keys.map((k) => [k.id, k.name]))).catch(() => ({}))
      : {},
  ]);
  const who = (a) => {
    if (a.type === 'system') return 'HERMES';
    if (a.type === 'anonymous' || !a.id) return 'Not signed in';
    const name = a.type === 'api_key' ? keys[a.id] && `API key “${keys[a.id]}”` : people[a.id];
    return h('a', { href: query('#/audit', { actor_id: a.id }), title: `Only entries by ${a.id}` }, name || `${words(a.type)} ${a.id}`);
  };
  const more = (e) => {
    const extra = {};
    if (e.details && Object.keys(e.details).length) extra.details = e.details;
    if (e.ip) extra.ip = e.ip;
    if (e.user_agent) extra.browser = e.user_agent;
    if (!Object.keys(extra).length) return '—';
    return h('details', {}, h('summary', {}, 'Show'), h('pre', { class: 'trace' }, JSON.stringify(extra, null, 2)));
  };

  const params = {
    action: q('action'),
    actor_id: q('actor_id'),
    outcome: q('outcome'),
    since: instant(q('since')),
    until: instant(q('until')),
    limit: 50,
  };
  let before = null;
  const rows = [];
  const loadMore = h('button', { type: 'button' }, 'Load older entries');
  const load = async () => {
    const page = await get(query('/api/v1/audit', { ...params, before }));
    rows.push(...page.entries);
    before = page.next_before ?? null;
    fill(
      results,
      table(
        'Audit entries, newest first',
        [
          ['When', (e) => when(e.at)],
          ['Action', (e) => h('a', { href: query('#/audit', { action: e.action }), title: `Only ${e.action}` }, e.action)],
          ['Who', (e) => who(e.actor)],
          ['On', (e) => (e.target ? `${words(e.target.type)}${e.target.id ? ` ${e.target.id}` : ''}` : '—')],
          ['Outcome', (e) => badge(e.outcome, OUTCOME_TONE[e.outcome] || 'muted')],
          ['More', more],
        ],
        rows,
        'No entry matches.',
      ),
      before != null ? h('div', { class: 'actions' }, loadMore) : null,
    );
  };
  loadMore.addEventListener('click', () => load().catch((e) => results.append(problem(e))));
  await load();
}

// --- Usage --------------------------------------------------------------------

const count = new Intl.NumberFormat();

function monthName(month) {
  const [y, m] = String(month).split('-').map(Number);
  if (!y || !m) return month;
  return new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric' }).format(new Date(y, m - 1, 1));
}

export async function usage(view, ctx) {
  const box = h('section', { class: 'card', 'aria-labelledby': 'us-month' });
  fill(view, title('Usage'), box);

  const draw = async () => {
    let u;
    try {
      u = await get('/api/v1/usage');
    } catch (e) {
      if (e.status !== 404) throw e;
      fill(box, h('h2', { id: 'us-month' }, 'This month'), h('p', { class: 'empty' }, 'This server does not report usage yet.'));
      return;
    }
    const included = u.plan ? u.plan.calls_included : null;
    let calls;
    if (included == null) {
      calls = h('p', {}, `${count.format(u.calls)} calls. ${u.plan ? 'Your plan has no limit on calls.' : 'No plan limits calls on this server.'}`);
    } else {
      const id = uid('calls');
      const max = Math.max(included, 1);
      const used = u.metered_calls ?? u.calls;
      const pct = Math.round((used / max) * 100);
      const over = u.calls_over_allowance ?? Math.max(used - included, 0);
      calls = [
        h(
          'div',
          { class: 'field' },
          h('label', { for: id }, `Phone calls: ${count.format(used)} of ${count.format(included)} included`),
          h('progress', { id, max, value: Math.min(used, max) }, `${pct}%`),
        ),
        over > 0
          ? h('p', { class: 'error' }, `${count.format(over)} calls over the plan’s allowance were answered by taking a message; call those callers back (their intakes say “message only”).`)
          : h('p', { class: 'hint' }, `${count.format(included - used)} left this month (${pct}% used). Test-phone calls are not counted.`),
      ];
    }
    fill(
      box,
      h('h2', { id: 'us-month' }, `This month: ${monthName(u.month)}`),
      u.plan ? h('p', {}, 'Plan: ', h('strong', {}, u.plan.name)) : null,
      h('h3', {}, 'Calls'),
      calls,
      h('h3', {}, 'Intakes'),
      h('p', {}, `${count.format(u.intakes)} intake${u.intakes === 1 ? '' : 's'} taken.`),
    );
  };
  await draw();
  let pending = null;
  ctx.onLive((name) => {
    if (name !== 'call' && name !== 'intake' && name !== 'resync') return;
    clearTimeout(pending);
    pending = setTimeout(() => draw().catch(() => {}), 1000);
  });
  ctx.onLeave(() => clearTimeout(pending));
}
