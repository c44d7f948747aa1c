// Small helpers to build the page from data. Every value goes in as text
// (textContent, attributes), never as HTML: what a caller said cannot
// become markup.

/**
 * h('a', { href: '#/calls', class: 'x' }, 'text', child, [more]) — an
 * element. `on*` keys attach listeners; `false`/`null` attributes and
 * children are left out.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v == null) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === false || c == null) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces `el`'s content. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
/** A unique id for label/field pairs. */
export function uid(prefix = 'f') {
  ids += 1;
  return `${prefix}-${ids}`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

export function when(iso) {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

export function time(iso) {
  return iso ? timeOnly.format(new Date(iso)) : '—';
}

export function ms(n) {
  if (n == null) return '—';
  return n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`;
}

export function duration(msTotal) {
  if (msTotal == null) return '—';
  const s = Math.round(msTotal / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** "needs_review" → "needs review". */
export function words(s) {
  return s == null ? '—' : String(s).replace(/_/g, ' ');
}

/** A coloured label; `tone` is a CSS modifier (urgent, ok, warn, muted). */
export function badge(text, tone) {
  return h('span', { class: `badge ${tone || ''}` }, words(text));
}

export function urgencyBadge(level) {
  const tone = { emergency: 'urgent', urgent: 'urgent', soon: 'warn' }[level];
  return badge(level, tone || 'muted');
}

/** A table with a caption; `cols` are [heading, row => cell]. */
export function table(caption, cols, rows, empty = 'Nothing here yet.') {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('caption', { class: caption ? '' : 'sr-only' }, caption || 'List'),
      h('thead', {}, h('tr', {}, cols.map(([head]) => h('th', { scope: 'col' }, head)))),
      h(
        'tbody',
        {},
        rows.map((r) => h('tr', {}, cols.map(([, cell]) => h('td', {}, cell(r))))),
      ),
    ),
  );
}

/** A labelled form control. `kind`: input type, 'select' or 'textarea'. */
export function field(label, name, opts = {}) {
  const id = uid(name);
  let control;
  if (opts.kind === 'select') {
    control = h(
      'select',
      { id, name, required: opts.required },
      (opts.options || []).map(([value, text]) =>
        h('option', { value, selected: String(opts.value ?? '') === String(value) }, text),
      ),
    );
  } else if (opts.kind === 'textarea') {
    control = h('textarea', { id, name, rows: opts.rows || 3, required: opts.required }, opts.value ?? '');
  } else {
    control = h('input', {
      id,
      name,
      type: opts.kind || 'text',
      value: opts.value ?? '',
      required: opts.required,
      autocomplete: opts.autocomplete || 'off',
      placeholder: opts.placeholder,
      min: opts.min,
      max: opts.max,
      step: opts.step,
    });
    if (opts.kind === 'checkbox') control.checked = Boolean(opts.value);
  }
  if (opts.readonly) control.disabled = true;
  return h(
    'div',
    { class: `field ${opts.kind === 'checkbox' ? 'check' : ''}` },
    h('label', { for: id }, label),
    control,
    opts.hint ? h('small', { class: 'hint' }, opts.hint) : null,
  );
}

/** The form's values by name (checkboxes as booleans). */
export function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    out[el.name] = el.type === 'checkbox' ? el.checked : el.value;
  }
  return out;
}

/** A message in the page's status area (announced to screen readers). */
export function notify(text, tone = 'ok') {
  const box = document.getElementById('toast');
  fill(box, h('p', { class: `toast ${tone}` }, text));
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => box.replaceChildren(), 6000);
}

/** An error shown where it happened, with the server's words. */
export function problem(e) {
  return h('p', { class: 'error', role: 'alert' }, e && e.message ? e.message : String(e));
}

/**
 * Runs `action` for a form's submit, showing its error under the form and
 * disabling the submit button meanwhile.
 */
export function onSubmit(form, action) {
  const out = h('div', { class: 'form-problem' });
  form.append(out);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    out.replaceChildren();
    const buttons = form.querySelectorAll('button');
    for (const b of buttons) b.disabled = true;
    try {
      await action(values(form), event.submitter);
    } catch (e) {
      out.append(problem(e));
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  });
  return form;
}

/** A page heading that takes focus, so keyboard and screen-reader users land on it. */
export function title(text, ...extra) {
  document.title = `${text} · HERMES`;
  return h('div', { class: 'page-head' }, h('h1', { tabindex: '-1', id: 'page-title' }, text), extra);
}

/**
 * Whether someone is in the middle of something in `root`: typing in a
 * form, or a form they changed. Live redraws wait, rather than wipe it.
 */
export function editing(root) {
  const active = document.activeElement;
  if (active && root.contains(active) && active.closest('form')) return true;
  return [...root.querySelectorAll('form')].some((f) => f.dataset.dirty === 'yes');
}

// Forms remember that they were changed (see `editing`).
document.addEventListener('input', (e) => {
  const form = e.target.closest && e.target.closest('form');
  if (form) form.dataset.dirty = 'yes';
});
