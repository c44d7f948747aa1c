// Settings: the firm as the receptionist knows it — name and profile,
// opening hours, practice areas and their questions, attorneys and when
// they take consultations, who is called when a matter is urgent, the
// phone line, and the Clio connections. One tab per subject so a phone
// screen stays short.
//
// Everyone reads (settings:read); only admins see edit controls
// (settings:write, and integrations:manage for telephony and Clio). Each
// section reads its own document and shows it readably first; saving
// replaces the document as a whole (PUT), as the API does, then reads it
// back. Flat documents get ordinary fields; deeply nested ones (closures,
// the practice-area list, question sets) are edited as JSON, with the
// server's 422 message shown under the form. Secrets are never shown:
// the API answers only their last four characters, and the inputs start
// empty (empty keeps the saved one).

import { api, get, query, accessToken, ApiError } from './api.js';
import { h, fill, title, table, badge, field, onSubmit, when, words, notify, problem, uid } from './ui.js';

const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const DAY_NAMES = {
  monday: 'Monday',
  tuesday: 'Tuesday',
  wednesday: 'Wednesday',
  thursday: 'Thursday',
  friday: 'Friday',
  saturday: 'Saturday',
  sunday: 'Sunday',
};

/** hermes_firm::STANDARD_PRACTICE_AREAS: the name a standard key has when none is set. */
const STANDARD_AREAS = {
  personal_injury: 'Personal injury',
  family: 'Family law',
  criminal_defense: 'Criminal defense',
  estate_planning: 'Estate planning',
  immigration: 'Immigration',
  employment: 'Employment',
  bankruptcy: 'Bankruptcy',
};

const AFTER_HOURS = {
  book: 'Full intake and booking, as during the day',
  take_message: 'Take the caller’s details and a message; no booking',
  escalate_urgent_only: 'Take a message, and put urgent matters through to the on-call contact',
};

const REGIONS = [
  ['us', 'United States'],
  ['eu', 'Europe'],
  ['ca', 'Canada'],
  ['au', 'Australia'],
];

const TABS = [
  ['firm', 'Firm', firmTab],
  ['hours', 'Hours', hoursTab],
  ['areas', 'Practice areas', areasTab],
  ['attorneys', 'Attorneys', attorneysTab],
  ['escalation', 'Escalation', escalationTab],
  ['offices', 'Offices', officesTab],
  ['telephony', 'Telephony', telephonyTab],
  ['integrations', 'Clio and AI model', integrationsTab],
];

export async function render(view, ctx) {
  const current = TABS.find(([k]) => k === ctx.query.get('tab')) || TABS[0];
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': 'Settings sections' },
    TABS.map(([k, label]) =>
      h('a', { class: 'button', href: `#/settings?tab=${k}`, 'aria-current': k === current[0] ? 'page' : false }, label),
    ),
  );
  const parts = current[2](ctx);
  fill(
    view,
    title('Settings'),
    tabs,
    ctx.can('settings:write') ? null : h('p', { class: 'hint' }, 'You can read these settings; an admin changes them.'),
    parts.map((p) => p.box),
  );
  await Promise.all(parts.map((p) => p.draw()));
}

// --- small helpers ---------------------------------------------------------

/** `field`, with its hint tied to the control (aria-describedby). */
export function labelled(label, name, opts = {}) {
  const wrap = field(label, name, opts);
  const hint = wrap.querySelector('small.hint');
  const control = wrap.querySelector('input, select, textarea');
  if (hint && control) {
    hint.id = uid('hint');
    control.setAttribute('aria-describedby', hint.id);
  }
  return wrap;
}

/** A `<dl class="facts">` from [term, value] pairs; falsy pairs are left out. */
function facts(pairs) {
  return h(
    'dl',
    { class: 'facts' },
    pairs
      .filter(Boolean)
      .map(([term, value]) => [h('dt', {}, term), h('dd', {}, value == null || value === '' ? 'Not set' : value)]),
  );
}

/** The label of `key` in a list of [key, label] options (the key when unknown). */
function optionLabel(options, key) {
  const found = options.find(([k]) => k === key);
  return found ? found[1] : key;
}

function card(id, heading, ...children) {
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, heading), children);
}

function orNull(s) {
  const t = String(s ?? '').trim();
  return t === '' ? null : t;
}

/** A phone number as typed, without the spaces and punctuation E.164 forbids. */
function phone(s) {
  const t = orNull(s);
  return t === null ? null : t.replace(/[\s().-]/g, '');
}

function wholeNumber(raw, label, required = true) {
  const s = String(raw ?? '').trim();
  if (s === '' && !required) return null;
  const n = Number(s);
  if (s === '' || !Number.isInteger(n) || n < 0) throw new Error(`${label}: enter a whole number.`);
  return n;
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} is not valid JSON: ${e.message}`);
  }
}

/** A labelled textarea holding a document as pretty-printed JSON. */
function jsonField(label, name, value, hint) {
  const text = JSON.stringify(value, null, 2);
  const wrap = labelled(label, name, {
    kind: 'textarea',
    rows: Math.min(24, Math.max(6, text.split('\n').length + 1)),
    value: text,
    hint,
  });
  const area = wrap.querySelector('textarea');
  area.classList.add('code');
  area.setAttribute('spellcheck', 'false');
  return wrap;
}

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** "2026-12-24" → "Dec 24, 2026" (a local date, no time zone shift). */
function day(iso) {
  const [y, m, d] = String(iso).split('-').map(Number);
  return y && m && d ? dayFormat.format(new Date(y, m - 1, d)) : iso;
}

function minutes(n) {
  if (n >= 1440 && n % 1440 === 0) return `${n / 1440} day${n === 1440 ? '' : 's'}`;
  if (n >= 60 && n % 60 === 0) return `${n / 60} h`;
  return `${n} min`;
}

function areaName(a) {
  return a.name || STANDARD_AREAS[a.key] || words(a.key);
}

/** "09:00–12:00, 13:00–17:00", or '' for a closed day. */
function rangesText(ranges, dash = '–') {
  return (ranges || []).map((r) => `${r.start}${dash}${r.end}`).join(', ');
}

function weekTable(caption, weekly, closed) {
  return table(
    caption,
    [
      ['Day', (d) => DAY_NAMES[d]],
      ['Hours', (d) => rangesText(weekly[d]) || closed],
    ],
    DAYS,
  );
}

/** "Mon 09:00–12:00; Tue 09:00–17:00", or null when there are none. */
function weekSummary(weekly) {
  const days = DAYS.filter((d) => (weekly[d] || []).length);
  return days.length ? days.map((d) => `${DAY_NAMES[d].slice(0, 3)} ${rangesText(weekly[d])}`).join('; ') : null;
}

/** Seven labelled fields, one per weekday, for a weekly schedule. */
function weekFields(legend, weekly, hint) {
  return h(
    'fieldset',
    {},
    h('legend', {}, legend),
    h('p', { class: 'hint' }, hint || 'Times as 09:00-12:00, several separated by commas; leave a day empty when closed.'),
    DAYS.map((d) =>
      field(DAY_NAMES[d], `day:${d}`, { value: rangesText(weekly[d], '-'), placeholder: 'e.g. 09:00-12:00, 13:00-17:00' }),
    ),
  );
}

function hhmm(s) {
  return s.padStart(5, '0');
}

/** The weekday fields back as `{"monday": [{"start", "end"}], …}`. */
function readWeek(v) {
  const week = {};
  for (const d of DAYS) {
    const text = String(v[`day:${d}`] || '').trim();
    if (!text || /^closed$/i.test(text)) {
      week[d] = [];
      continue;
    }
    week[d] = text
      .split(/[,;]/)
      .map((s) => s.trim())
      .filter(Boolean)
      .map((part) => {
        const m = part.match(/^(\d{1,2}:\d{2})\s*(?:-|–|—|to)\s*(\d{1,2}:\d{2})$/i);
        if (!m) throw new Error(`${DAY_NAMES[d]}: “${part}” is not a time range such as 09:00-17:00.`);
        return { start: hhmm(m[1]), end: hhmm(m[2]) };
      });
  }
  return week;
}

/**
 * A section that shows a document and, for those allowed, an edit button
 * that swaps in a form. `form(data)` gives `{ fields, save(values, form) }`;
 * after a save the document is read again and shown.
 */
function editable({ id, heading, load, show, form: makeForm, allowed, editLabel, onSaved }) {
  const box = h('section', { class: 'card', 'aria-labelledby': id });
  const head = () => h('h2', { id }, heading);
  let data = null;

  const showData = (focusEdit) => {
    const edit = allowed ? h('button', { type: 'button' }, editLabel) : null;
    fill(box, head(), show(data), edit ? h('div', { class: 'actions' }, edit) : null);
    if (!edit) return;
    edit.addEventListener('click', openForm);
    if (focusEdit) edit.focus();
  };

  const openForm = () => {
    const { fields, save } = makeForm(data);
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const form = h(
      'form',
      { 'aria-labelledby': id },
      fields,
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save'), cancel),
    );
    cancel.addEventListener('click', () => showData(true));
    onSubmit(form, async (v) => {
      await save(v, form);
      notify(`${heading} saved.`);
      await draw(true);
      if (onSaved) onSaved();
    });
    fill(box, head(), form);
    form.querySelector('input, select, textarea')?.focus();
  };

  const draw = async (focusEdit) => {
    try {
      data = await load();
    } catch (e) {
      fill(box, head(), problem(e));
      return;
    }
    showData(focusEdit);
  };
  return { box, draw };
}

/** A section that needs no request. */
function fixed(box) {
  return { box, draw: async () => {} };
}

// --- Firm: name, time zone, profile ----------------------------------------

function timeZoneField(currentZone) {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  if (!zones.length) {
    return labelled('Time zone', 'time_zone', {
      value: currentZone,
      required: true,
      hint: 'An IANA name such as America/New_York.',
    });
  }
  const list = zones.includes(currentZone) ? zones : [currentZone, ...zones];
  return labelled('Time zone', 'time_zone', {
    kind: 'select',
    value: currentZone,
    options: list.map((z) => [z, z.replace(/_/g, ' ')]),
    hint: 'Hours, availability and on-call times are read in this zone.',
  });
}

function addressText(a) {
  return [a.street, [a.city, [a.region, a.postal_code].filter(Boolean).join(' ')].filter(Boolean).join(', '), a.country]
    .filter(Boolean)
    .join(', ');
}

function firmTab(ctx) {
  const canWrite = ctx.can('settings:write');
  const firm = editable({
    id: 's-firm',
    heading: 'Firm',
    editLabel: 'Edit name and time zone',
    allowed: canWrite,
    load: () => get('/api/v1/settings/firm'),
    show: (t) =>
      facts([
        ['Name', t.name],
        ['Sign-in firm name', t.slug],
        ['Time zone', t.time_zone.replace(/_/g, ' ')],
      ]),
    form: (t) => ({
      fields: [
        labelled('Name', 'name', { value: t.name, required: true, hint: 'The firm’s written name.' }),
        timeZoneField(t.time_zone),
      ],
      save: async (v) => {
        const out = await api('PATCH', '/api/v1/settings/firm', { name: v.name.trim(), time_zone: v.time_zone.trim() });
        // The page header shows the firm's name too.
        ctx.me.tenant.name = out.name;
        const header = document.getElementById('firm-name');
        if (header) header.textContent = out.name;
      },
    }),
  });

  const profile = editable({
    id: 's-profile',
    heading: 'Firm profile',
    editLabel: 'Edit the profile',
    allowed: canWrite,
    load: () => get('/api/v1/settings/profile'),
    show: (p) =>
      facts([
        ['Name as the receptionist says it', p.spoken_name || 'The written name'],
        ['Main phone', p.main_phone],
        ['Address', p.address ? addressText(p.address) : null],
        ['Website', p.website ? h('a', { href: p.website, target: '_blank', rel: 'noopener noreferrer' }, p.website) : null],
        ['States where the firm practises', (p.states || []).join(', ')],
      ]),
    form: (p) => {
      const a = p.address || {};
      return {
        fields: [
          labelled('Name as the receptionist says it', 'spoken_name', {
            value: p.spoken_name || '',
            hint: 'Only if it differs from the written name, e.g. “Smith and Jones”.',
          }),
          labelled('Main phone', 'main_phone', { kind: 'tel', value: p.main_phone || '', hint: 'e.g. +15035550100.' }),
          labelled('Website', 'website', { kind: 'url', value: p.website || '', placeholder: 'https://www.example.com' }),
          labelled('States where the firm practises', 'states', {
            value: (p.states || []).join(', '),
            hint: 'Two-letter codes separated by commas, e.g. OR, WA. They decide where recording a call needs every party’s consent.',
          }),
          h(
            'fieldset',
            {},
            h('legend', {}, 'Address'),
            h('p', { class: 'hint' }, 'Leave every line empty for no address.'),
            field('Street', 'street', { value: a.street || '' }),
            field('City', 'city', { value: a.city || '' }),
            field('State or region', 'region', { value: a.region || '' }),
            field('Postal code', 'postal_code', { value: a.postal_code || '' }),
            labelled('Country', 'country', { value: a.country || 'US', hint: 'Two-letter code, e.g. US.' }),
          ),
        ],
        save: (v) => {
          const hasAddress = ['street', 'city', 'region', 'postal_code'].some((k) => v[k].trim());
          return api('PUT', '/api/v1/settings/profile', {
            spoken_name: orNull(v.spoken_name),
            main_phone: orNull(v.main_phone),
            website: orNull(v.website),
            states: v.states.split(/[\s,;]+/).filter(Boolean),
            address: hasAddress
              ? {
                  street: v.street,
                  city: v.city,
                  region: v.region,
                  postal_code: v.postal_code,
                  country: orNull(v.country) || 'US',
                }
              : null,
          });
        },
      };
    },
  });
  return [firm, profile];
}

// --- Hours and closures -----------------------------------------------------

function hoursTab(ctx) {
  const hours = editable({
    id: 's-hours',
    heading: 'Opening hours',
    editLabel: 'Edit hours and closures',
    allowed: ctx.can('settings:write'),
    load: () => get('/api/v1/settings/hours'),
    show: (hrs) => [
      h(
        'p',
        { class: 'hint' },
        'When the office answers calls, in the firm’s time zone. When each attorney takes consultations is set under Attorneys; closures apply to both.',
      ),
      weekTable('Opening hours by day', hrs.weekly, 'Closed'),
      h('h3', {}, 'Outside these hours'),
      h('p', {}, AFTER_HOURS[hrs.after_hours] || words(hrs.after_hours)),
      h('h3', {}, 'Closures'),
      table(
        'Days the office is closed',
        [
          ['From', (c) => day(c.start)],
          ['To', (c) => day(c.end)],
          ['Reason', (c) => c.reason || '—'],
        ],
        hrs.closures || [],
        'No closure planned.',
      ),
    ],
    form: (hrs) => ({
      fields: [
        weekFields('Opening hours', hrs.weekly),
        labelled('Outside these hours', 'after_hours', {
          kind: 'select',
          value: hrs.after_hours,
          options: Object.entries(AFTER_HOURS),
        }),
        jsonField(
          'Closures (JSON)',
          'closures',
          hrs.closures || [],
          'A list such as [{"start": "2026-12-24", "end": "2026-12-26", "reason": "Holidays"}]; both dates are included. [] for none.',
        ),
      ],
      save: (v) =>
        api('PUT', '/api/v1/settings/hours', {
          weekly: readWeek(v),
          closures: parseJson(v.closures, 'Closures'),
          after_hours: v.after_hours,
        }),
    }),
  });
  return [hours];
}

// --- Practice areas and their questions -------------------------------------

const SOURCES = {
  custom: ['edited by the firm', 'ok'],
  default: ['built-in questions', 'muted'],
  none: ['no questions', 'warn'],
};

function sourceBadge(source) {
  const [text, tone] = SOURCES[source] || [source, 'muted'];
  return badge(text, tone);
}

function areasTab(ctx) {
  const canWrite = ctx.can('settings:write');
  const questions = questionSets(ctx);
  const areas = editable({
    id: 's-areas',
    heading: 'Practice areas',
    editLabel: 'Edit practice areas',
    allowed: canWrite,
    load: async () => {
      const [pa, sets] = await Promise.all([
        get('/api/v1/settings/practice-areas'),
        get('/api/v1/settings/question-sets').catch(() => []),
      ]);
      return { pa, sets };
    },
    show: ({ pa, sets }) => {
      const source = Object.fromEntries(sets.map((s) => [s.practice_area, s.source]));
      return table(
        'The practice areas the firm takes',
        [
          ['Name', (a) => areaName(a)],
          ['Key', (a) => h('code', {}, a.key)],
          ['Consultation', (a) => minutes(a.consultation_minutes)],
          ['First consultation', (a) => (a.free_consultation ? 'Free' : 'Paid')],
          ['Questions', (a) => (source[a.key] ? sourceBadge(source[a.key]) : '—')],
        ],
        pa.areas,
        'No practice area yet: the receptionist cannot book a consultation until one is added.',
      );
    },
    form: ({ pa }) => ({
      fields: [
        jsonField(
          'Practice areas (JSON)',
          'areas',
          pa,
          `Each area: {"key": "family", "name": "Family law", "consultation_minutes": 30, "free_consultation": true}. ` +
            `Standard keys (their name may be left out): ${Object.keys(STANDARD_AREAS).join(', ')}. ` +
            'A key of your own (lower-case letters, digits and _) needs a name. Consultations last 15 to 240 minutes, in steps of 5. ' +
            'An area an attorney still takes cannot be removed: change the attorney first.',
        ),
      ],
      save: (v) => {
        const doc = parseJson(v.areas, 'Practice areas');
        return api('PUT', '/api/v1/settings/practice-areas', Array.isArray(doc) ? { areas: doc } : doc);
      },
    }),
    onSaved: () => questions.draw(),
  });
  return [areas, questions];
}

function kindText(kind) {
  if (typeof kind === 'string') return words(kind);
  if (kind && Array.isArray(kind.choice)) return `choice of ${kind.choice.join(', ')}`;
  return JSON.stringify(kind);
}

function questionList(list) {
  if (!list.length) return h('p', { class: 'empty' }, 'None.');
  return h(
    'ol',
    {},
    list.map((q) =>
      h(
        'li',
        {},
        q.prompt,
        h(
          'div',
          { class: 'hint' },
          [q.id, kindText(q.kind), q.required ? 'required' : 'optional', q.conflict_party ? 'names a party for the conflict check' : null]
            .filter(Boolean)
            .join(' · '),
        ),
      ),
    ),
  );
}

function questionSets(ctx) {
  const id = 's-questions';
  const box = h('section', { class: 'card', 'aria-labelledby': id });
  const head = () => h('h2', { id }, 'Questions the receptionist asks');
  const draw = async () => {
    let sets;
    let pa;
    try {
      [sets, pa] = await Promise.all([get('/api/v1/settings/question-sets'), get('/api/v1/settings/practice-areas')]);
    } catch (e) {
      fill(box, head(), problem(e));
      return;
    }
    const names = Object.fromEntries(pa.areas.map((a) => [a.key, areaName(a)]));
    fill(
      box,
      head(),
      h(
        'p',
        { class: 'hint' },
        'Per practice area: conflict questions are asked first (who the other side is), then the facts. ' +
          'A practice area of the firm’s own has no questions until some are added.',
      ),
      sets.length
        ? sets.map((s) => questionSet(s, names[s.practice_area] || words(s.practice_area), ctx.can('settings:write'), draw))
        : h('p', { class: 'empty' }, 'Add a practice area first.'),
    );
  };
  return { box, draw };
}

function questionSet(s, name, canWrite, redraw) {
  const headId = uid('qs');
  const box = h('div', { class: 'question-set' });
  const head = () => h('h3', { id: headId }, name, ' ', sourceBadge(s.source));
  const set = s.set || { practice_area: s.practice_area, conflict_questions: [], fact_questions: [] };
  const out = h('div', {});

  const showSet = (focus) => {
    const edit = canWrite ? h('button', { type: 'button' }, `Edit the questions for ${name}`) : null;
    const reset = canWrite && s.source === 'custom' ? h('button', { type: 'button', class: 'danger' }, 'Go back to the built-in questions') : null;
    const count = set.conflict_questions.length + set.fact_questions.length;
    fill(
      box,
      head(),
      s.updated_at ? h('p', { class: 'hint' }, `Edited ${when(s.updated_at)}`) : null,
      s.source === 'none'
        ? h('p', {}, 'No questions: the receptionist checks conflicts on the caller alone and takes no facts.')
        : h(
            'details',
            {},
            h('summary', {}, `Show the ${count} question${count === 1 ? '' : 's'}`),
            h('h4', {}, 'Conflict questions'),
            questionList(set.conflict_questions),
            h('h4', {}, 'Facts'),
            questionList(set.fact_questions),
          ),
      edit || reset ? h('div', { class: 'actions' }, edit, reset) : null,
      out,
    );
    if (edit) {
      edit.addEventListener('click', openForm);
      if (focus) edit.focus();
    }
    if (reset) {
      reset.addEventListener('click', async () => {
        if (!window.confirm(`Go back to the built-in questions for ${name}? The firm’s edited questions are lost.`)) return;
        reset.disabled = true;
        try {
          await api('DELETE', `/api/v1/settings/question-sets/${encodeURIComponent(s.practice_area)}`);
          notify(`Questions for ${name} reset to the built-in ones.`);
          await redraw();
        } catch (e) {
          fill(out, problem(e));
          reset.disabled = false;
        }
      });
    }
  };

  const openForm = () => {
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const form = h(
      'form',
      { 'aria-labelledby': headId },
      jsonField(
        `Questions for ${name} (JSON)`,
        'set',
        set,
        'Each question: {"id": "other_party", "prompt": "…", "kind": "person_name", "required": true, "conflict_party": true}. ' +
          'Kinds: text, yes_no, date, number, money, person_name, organization_name, phone, email, or {"choice": ["a", "b"]}. ' +
          'At least one conflict question names a party; ids are lower-case slugs, each used once; prompts must not give legal advice.',
      ),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save'), cancel),
    );
    cancel.addEventListener('click', () => showSet(true));
    onSubmit(form, async (v) => {
      await api('PUT', `/api/v1/settings/question-sets/${encodeURIComponent(s.practice_area)}`, parseJson(v.set, 'The question set'));
      notify(`Questions for ${name} saved.`);
      await redraw();
    });
    fill(box, head(), form);
    form.querySelector('textarea')?.focus();
  };

  showSet(false);
  return box;
}

// --- Attorneys and their availability ---------------------------------------

const NEW_ATTORNEY = {
  name: '',
  email: null,
  user_id: null,
  practice_areas: [],
  availability: {},
  buffer_minutes: 15,
  min_notice_minutes: 120,
  horizon_days: 30,
  max_per_day: null,
  active: true,
};

function attorneysTab(ctx) {
  const id = 's-attorneys';
  const canWrite = ctx.can('settings:write');
  const box = h('section', { class: 'card', 'aria-labelledby': id });
  const head = () => h('h2', { id }, 'Attorneys');
  const editor = h('div', {});
  const out = h('div', {});

  const draw = async () => {
    let list;
    let pa;
    let users;
    let offices;
    try {
      [list, pa, users, offices] = await Promise.all([
        get('/api/v1/attorneys'),
        get('/api/v1/settings/practice-areas'),
        canWrite && ctx.can('users:manage') ? get('/api/v1/users').then((r) => r.users).catch(() => null) : null,
        get('/api/v1/settings/offices').then((r) => r.offices),
      ]);
    } catch (e) {
      fill(box, head(), problem(e));
      return;
    }
    const names = Object.fromEntries(pa.areas.map((a) => [a.key, areaName(a)]));
    const userName = Object.fromEntries((users || []).map((u) => [u.id, u.name]));

    const edit = (a) => {
      fill(out);
      fill(editor, attorneyForm(a, pa.areas, users, offices, draw, () => fill(editor)));
      editor.querySelector('input')?.focus();
    };
    const remove = async (a, button) => {
      const ask = `Remove ${a.name}? This works only for an attorney with no booking; otherwise mark them inactive, which keeps their history.`;
      if (!window.confirm(ask)) return;
      button.disabled = true;
      try {
        await api('DELETE', `/api/v1/attorneys/${a.id}`);
        notify(`${a.name} removed.`);
        await draw();
      } catch (e) {
        fill(out, problem(e));
        button.disabled = false;
      }
    };

    const cols = [
      [
        'Name',
        (a) => [
          a.name,
          a.active ? null : [' ', badge('inactive', 'muted')],
          a.email ? h('div', { class: 'hint' }, a.email) : null,
          a.user_id && userName[a.user_id] ? h('div', { class: 'hint' }, `Signs in as ${userName[a.user_id]}`) : null,
        ],
      ],
      ['Practice areas', (a) => a.practice_areas.map((k) => names[k] || words(k)).join(', ')],
      ['Takes consultations', (a) => weekSummary(a.availability) || 'No time set'],
      offices.length ? ['Office', (a) => officeLabel(offices, a.office)] : null,
      [
        'Calendar rules',
        (a) =>
          [
            `${minutes(a.buffer_minutes)} between meetings`,
            `${minutes(a.min_notice_minutes)} notice`,
            `up to ${a.horizon_days} days ahead`,
            a.max_per_day ? `at most ${a.max_per_day} a day` : null,
          ]
            .filter(Boolean)
            .join(' · '),
      ],
    ];
    if (canWrite) {
      cols.push([
        'Actions',
        (a) => {
          const e = h('button', { type: 'button', 'aria-label': `Edit ${a.name}` }, 'Edit');
          const r = h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${a.name}` }, 'Remove');
          e.addEventListener('click', () => edit(a));
          r.addEventListener('click', () => remove(a, r));
          return h('div', { class: 'actions' }, e, r);
        },
      ]);
    }
    const add = canWrite ? h('button', { type: 'button', class: 'primary' }, 'Add an attorney') : null;
    if (add) add.addEventListener('click', () => edit(null));
    fill(
      box,
      head(),
      h(
        'p',
        { class: 'hint' },
        offices.length
          ? 'Who takes consultations, in which practice areas, and when (in the time zone of the office they work from).'
          : 'Who takes consultations, in which practice areas, and when (in the firm’s time zone).',
      ),
      out,
      table('The firm’s attorneys', cols.filter(Boolean), list.attorneys, 'No attorney yet: add one so the receptionist can book consultations.'),
      add ? h('div', { class: 'actions' }, add) : null,
      editor,
    );
  };
  return [{ box, draw }];
}

function officeLabel(offices, key) {
  if (!key) return 'The firm';
  const o = offices.find((x) => x.key === key);
  return o ? `${o.name} (${o.time_zone.replace(/_/g, ' ')})` : key;
}

function attorneyForm(a, areas, users, offices, saved, close) {
  const x = a || NEW_ATTORNEY;
  const headId = uid('att');
  const cancel = h('button', { type: 'button' }, 'Cancel');
  cancel.addEventListener('click', close);
  const form = h(
    'form',
    { 'aria-labelledby': headId },
    h('h3', { id: headId }, a ? `Edit ${a.name}` : 'Add an attorney'),
    field('Name', 'name', { value: x.name, required: true }),
    field('Email', 'email', { kind: 'email', value: x.email || '' }),
    users
      ? labelled('Signs in to HERMES as', 'user_id', {
          kind: 'select',
          value: x.user_id || '',
          options: [['', 'No HERMES user'], ...users.map((u) => [u.id, `${u.name} (${u.email})`])],
        })
      : null,
    h(
      'fieldset',
      {},
      h('legend', {}, 'Practice areas'),
      areas.length
        ? areas.map((ar) => field(areaName(ar), `area:${ar.key}`, { kind: 'checkbox', value: x.practice_areas.includes(ar.key) }))
        : h('p', { class: 'empty' }, 'The firm has no practice area yet: add one under Practice areas first.'),
    ),
    offices.length
      ? labelled('Works from', 'office', {
          kind: 'select',
          value: x.office || '',
          options: [['', 'The firm (its own time zone and closures)'], ...offices.map((o) => [o.key, officeLabel(offices, o.key)])],
          hint: 'Their consultation times are in this office’s time zone, its closures apply, and callers to its numbers are offered them.',
        })
      : null,
    weekFields(
      'When they take consultations',
      x.availability,
      'Times as 09:00-12:00, several separated by commas; leave a day empty when they take none. Closures apply too.',
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Calendar rules'),
      labelled('Minutes between two meetings', 'buffer_minutes', { kind: 'number', min: 0, max: 240, value: x.buffer_minutes, required: true, hint: '0 to 240.' }),
      labelled('Minutes of notice before a consultation', 'min_notice_minutes', {
        kind: 'number',
        min: 0,
        max: 20160,
        value: x.min_notice_minutes,
        required: true,
        hint: '0 to 20160 (two weeks).',
      }),
      labelled('Days ahead a consultation can be booked', 'horizon_days', { kind: 'number', min: 1, max: 365, value: x.horizon_days, required: true, hint: '1 to 365.' }),
      labelled('Most consultations in a day', 'max_per_day', { kind: 'number', min: 1, max: 50, value: x.max_per_day ?? '', hint: '1 to 50; empty for no limit.' }),
      field('Takes consultations (active)', 'active', { kind: 'checkbox', value: x.active }),
      h('p', { class: 'hint' }, 'An inactive attorney is offered no slots, and keeps their history.'),
    ),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, a ? 'Save' : 'Add the attorney'), cancel),
  );
  onSubmit(form, async (v) => {
    const body = {
      name: v.name.trim(),
      email: orNull(v.email),
      user_id: users ? orNull(v.user_id) : x.user_id,
      practice_areas: areas.filter((ar) => v[`area:${ar.key}`]).map((ar) => ar.key),
      office: offices.length ? orNull(v.office) : x.office || null,
      availability: readWeek(v),
      buffer_minutes: wholeNumber(v.buffer_minutes, 'Minutes between two meetings'),
      min_notice_minutes: wholeNumber(v.min_notice_minutes, 'Minutes of notice'),
      horizon_days: wholeNumber(v.horizon_days, 'Days ahead'),
      max_per_day: wholeNumber(v.max_per_day, 'Most consultations in a day', false),
      active: v.active,
    };
    if (a) await api('PUT', `/api/v1/attorneys/${a.id}`, body);
    else await api('POST', '/api/v1/attorneys', body);
    notify(`${body.name} saved.`);
    close();
    await saved();
  });
  return form;
}

// --- Offices (the Enterprise plan) -------------------------------------------

const OFFICES_EXAMPLE = {
  offices: [
    {
      key: 'seattle',
      name: 'Seattle',
      spoken_name: 'Smith and Jones in Seattle',
      time_zone: 'America/Los_Angeles',
      phone_numbers: ['+12065550100'],
      address: { street: '100 Pine St', city: 'Seattle', region: 'WA', postal_code: '98101', country: 'US' },
      hours: { weekly: { monday: [{ start: '09:00', end: '17:00' }] }, closures: [], after_hours: 'take_message' },
    },
  ],
};

function officesTab(ctx) {
  const offices = editable({
    id: 's-offices',
    heading: 'Offices',
    editLabel: 'Edit offices',
    allowed: ctx.can('settings:write'),
    load: () => get('/api/v1/settings/offices'),
    show: (doc) => [
      h(
        'p',
        { class: 'hint' },
        'A firm with several offices (the Enterprise plan) gives each its phone numbers, hours and time zone. ' +
          'A call to an office’s number is answered in its name and hours and offered its attorneys’ consultations; ' +
          'each attorney’s times are in the zone of the office they work from (under Attorneys).',
      ),
      table(
        'The firm’s offices',
        [
          ['Office', (o) => [o.name, h('div', { class: 'hint' }, o.spoken_name ? `Answers as “${o.spoken_name}”` : o.key)]],
          ['Time zone', (o) => o.time_zone.replace(/_/g, ' ')],
          ['Numbers', (o) => o.phone_numbers.join(', ') || '—'],
          ['Open', (o) => weekSummary(o.hours.weekly) || 'Closed'],
          ['Outside these hours', (o) => AFTER_HOURS[o.hours.after_hours] || words(o.hours.after_hours)],
        ],
        doc.offices,
        'No offices: the firm answers as one office, in its own time zone and hours.',
      ),
    ],
    form: (doc) => ({
      fields: [
        jsonField(
          'Offices (JSON)',
          'offices',
          doc.offices.length ? doc : OFFICES_EXAMPLE,
          'Each office: a key (lower-case, e.g. seattle), a name, an optional spoken_name, an IANA time_zone, its phone_numbers (each in one office only), ' +
            'an optional address, and hours as on the Hours tab. {"offices": []} removes them all (move their attorneys first).',
        ),
      ],
      save: (v) => api('PUT', '/api/v1/settings/offices', parseJson(v.offices, 'The offices')),
    }),
  });
  return [offices];
}

// --- Escalation contacts ----------------------------------------------------

const SHORT_DAYS = Object.fromEntries(DAYS.map((d) => [d.slice(0, 3), d]));

/** "mon", "Tues", "friday" → the day's key, or null. */
function dayKey(word) {
  const w = word.trim().toLowerCase();
  const d = SHORT_DAYS[w.slice(0, 3)];
  return d && d.startsWith(w) ? d : null;
}

/** "mon-fri, sun" → the days, Monday first as written; null when unreadable. */
function parseDays(text) {
  const out = [];
  for (const part of text.replace(/\s*[-–]\s*/g, '-').split(/[\s,]+/).filter(Boolean)) {
    const [a, b] = part.split('-');
    const from = dayKey(a);
    const to = b === undefined ? from : dayKey(b);
    if (!from || !to) return null;
    let i = DAYS.indexOf(from);
    for (;;) {
      if (!out.includes(DAYS[i])) out.push(DAYS[i]);
      if (DAYS[i] === to) break;
      i = (i + 1) % 7;
    }
  }
  return out.length ? out : null;
}

/** Days as runs: ["monday", …, "friday", "sunday"] → "Mon-Fri, Sun". */
function daysText(days) {
  const on = DAYS.map((d) => days.includes(d));
  const runs = [];
  for (let i = 0; i < 7; i++) {
    if (!on[i]) continue;
    let j = i;
    while (j + 1 < 7 && on[j + 1]) j++;
    const name = (k) => DAY_NAMES[DAYS[k]].slice(0, 3);
    runs.push(j - i >= 2 ? `${name(i)}-${name(j)}` : i === j ? name(i) : `${name(i)}, ${name(j)}`);
    i = j;
  }
  return runs.join(', ');
}

function windowText(w) {
  return `${daysText(w.days)} ${w.start}–${w.end}${w.end <= w.start ? ' (until the next day)' : ''}`;
}

function parseOnCall(text, who) {
  return text
    .split(/[;\n]+/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = entry.match(/^(.*?)\s*(\d{1,2}:\d{2})\s*(?:-|–|to)\s*(\d{1,2}:\d{2})$/i);
      const days = m && parseDays(m[1]);
      if (!days) throw new Error(`${who}: “${entry}” is not an on-call window such as “mon-fri 08:00-18:00”.`);
      return { days, start: hhmm(m[2]), end: hhmm(m[3]) };
    });
}

function contactFieldset(c, list) {
  const x = c || { name: '', phone: '', email: null, on_call: [] };
  const up = h('button', { type: 'button' }, 'Move up');
  const remove = h('button', { type: 'button', class: 'danger' }, 'Remove');
  const box = h(
    'fieldset',
    { class: 'contact' },
    h('legend', {}, 'Contact'),
    field('Name', 'name', { value: x.name, required: true }),
    field('Phone', 'phone', { kind: 'tel', value: x.phone, required: true }),
    field('Email', 'email', { kind: 'email', value: x.email || '' }),
    labelled('On call', 'on_call', {
      value: x.on_call.map((w) => `${daysText(w.days)} ${w.start}-${w.end}`).join('; '),
      placeholder: 'e.g. mon-fri 08:00-18:00; fri 18:00-08:00',
      hint: 'Windows separated by “;”. One that ends at or before its start runs into the next day. Empty: always on call (a backup).',
    }),
    h('div', { class: 'actions' }, up, remove),
  );
  up.addEventListener('click', () => {
    if (box.previousElementSibling) list.insertBefore(box, box.previousElementSibling);
    renumber(list);
    up.focus();
  });
  remove.addEventListener('click', () => {
    const next = box.nextElementSibling || box.previousElementSibling;
    box.remove();
    renumber(list);
    next?.querySelector('input')?.focus();
  });
  return box;
}

function renumber(list) {
  [...list.children].forEach((fs, i) => {
    fs.querySelector('legend').textContent = `Contact ${i + 1}${i === 0 ? ' (tried first)' : ''}`;
  });
}

function readContact(fs, i) {
  const val = (n) => fs.querySelector(`[name="${n}"]`).value;
  return {
    name: val('name').trim(),
    phone: phone(val('phone')) || '',
    email: orNull(val('email')),
    on_call: parseOnCall(val('on_call'), `Contact ${i + 1}`),
  };
}

function escalationTab(ctx) {
  const contacts = editable({
    id: 's-escalation',
    heading: 'Escalation contacts',
    editLabel: 'Edit escalation contacts',
    allowed: ctx.can('settings:write'),
    load: () => get('/api/v1/settings/escalation'),
    show: (doc) => [
      h(
        'p',
        { class: 'hint' },
        'Who is called when a matter is urgent, in order of preference: the first one on call is tried first. Times are in the firm’s time zone.',
      ),
      table(
        'Escalation contacts, first choice first',
        [
          ['Order', (c) => String(c.order)],
          ['Name', (c) => c.name],
          ['Phone', (c) => c.phone],
          ['Email', (c) => c.email || '—'],
          ['On call', (c) => (c.on_call.length ? h('ul', { class: 'plain' }, c.on_call.map((w) => h('li', {}, windowText(w)))) : 'Always (backup)')],
        ],
        doc.contacts.map((c, i) => ({ ...c, order: i + 1 })),
        'No escalation contact: urgent matters wait for the office.',
      ),
    ],
    form: (doc) => {
      const list = h('div', {});
      const addContact = (c) => list.append(contactFieldset(c, list));
      doc.contacts.forEach(addContact);
      renumber(list);
      const add = h('button', { type: 'button' }, 'Add a contact');
      add.addEventListener('click', () => {
        addContact(null);
        renumber(list);
        list.lastElementChild.querySelector('input').focus();
      });
      return {
        fields: [list, h('div', { class: 'actions' }, add)],
        save: () => api('PUT', '/api/v1/settings/escalation', { contacts: [...list.children].map(readContact) }),
      };
    },
  });
  return [contacts];
}

// --- Telephony -------------------------------------------------------------

const PROVIDERS = [
  ['twilio', 'Twilio'],
  ['telnyx', 'Telnyx'],
];

/** A write-only credential: empty to keep the saved one. */
function secretField(label, name, masked, hint) {
  return labelled(label, name, {
    kind: 'password',
    autocomplete: 'new-password',
    hint: `${masked ? `Saved (${masked}). Leave empty to keep it, or type a new one to replace it.` : 'Not set.'}${hint ? ` ${hint}` : ''}`,
  });
}

function telephonyTab(ctx) {
  const phoneLine = editable({
    id: 's-telephony',
    heading: 'Telephony',
    editLabel: 'Edit telephony',
    allowed: ctx.can('integrations:manage'),
    load: () => get('/api/v1/settings/telephony'),
    show: (t) => [
      h('h3', {}, 'Provider and numbers'),
      facts([
        ['Provider', optionLabel(PROVIDERS, t.provider)],
        ['The firm’s numbers', t.numbers.length ? h('ul', { class: 'plain' }, t.numbers.map((n) => h('li', {}, n))) : 'None yet'],
        ['Callers who ask for a person go to', t.transfer_number || 'The on-call escalation contact'],
      ]),
      h('h3', {}, 'Provider credentials'),
      facts([
        ['Twilio account SID', t.twilio_account_sid],
        ['Twilio auth token', t.twilio_auth_token],
        ['Telnyx public key', t.telnyx_public_key],
        ['Telnyx API key', t.telnyx_api_key],
      ]),
      h('h3', {}, 'Speech'),
      facts([
        ['Speech recognition', t.speech.stt || 'The server’s default'],
        ['Voice', t.speech.tts || 'The server’s default'],
      ]),
      h('h3', {}, 'Recording'),
      facts([
        ['Calls recorded', t.recording ? 'Yes, only with the caller’s consent' : 'No'],
        ['Recordings kept for', `${t.retention_days} days`],
      ]),
    ],
    form: (t) => ({
      fields: [
        h(
          'fieldset',
          {},
          h('legend', {}, 'Provider and numbers'),
          field('Provider', 'provider', { kind: 'select', value: t.provider, options: PROVIDERS }),
          labelled('The firm’s numbers', 'numbers', {
            kind: 'textarea',
            rows: Math.max(2, t.numbers.length + 1),
            value: t.numbers.join('\n'),
            hint: 'One per line, as +15035550100.',
          }),
          labelled('Callers who ask for a person go to', 'transfer_number', {
            kind: 'tel',
            value: t.transfer_number || '',
            hint: 'A number as +15035550100; empty for the on-call escalation contact.',
          }),
        ),
        h(
          'fieldset',
          {},
          h('legend', {}, 'Twilio'),
          labelled('Account SID', 'twilio_account_sid', { value: t.twilio_account_sid || '', hint: 'AC followed by 32 hex digits.' }),
          secretField('Auth token', 'twilio_auth_token', t.twilio_auth_token),
        ),
        h(
          'fieldset',
          {},
          h('legend', {}, 'Telnyx'),
          labelled('Public key', 'telnyx_public_key', {
            value: t.telnyx_public_key || '',
            hint: 'Mission Control → Keys & Credentials → Public Key. It only verifies webhooks, so it is shown in full.',
          }),
          secretField('API key', 'telnyx_api_key', t.telnyx_api_key, 'Used for warm transfers.'),
        ),
        h(
          'fieldset',
          {},
          h('legend', {}, 'Speech'),
          labelled('Speech recognition engine', 'stt', {
            value: t.speech.stt || '',
            hint: 'The name of an engine this server has; empty for its default. A name it lacks is refused with the list of names it has.',
          }),
          labelled('Voice engine', 'tts', { value: t.speech.tts || '', hint: 'As above, for the receptionist’s voice.' }),
        ),
        h(
          'fieldset',
          {},
          h('legend', {}, 'Recording'),
          field('Record calls (only ever with the caller’s consent)', 'recording', { kind: 'checkbox', value: t.recording }),
          labelled('Days to keep a recording', 'retention_days', {
            kind: 'number',
            min: 1,
            max: 3650,
            value: t.retention_days,
            required: true,
            hint: '1 to 3650; older recordings are deleted.',
          }),
        ),
      ],
      save: (v) => {
        const body = {
          provider: v.provider,
          numbers: v.numbers.split(/[\n,;]+/).map(phone).filter(Boolean),
          twilio_account_sid: orNull(v.twilio_account_sid),
          telnyx_public_key: orNull(v.telnyx_public_key),
          transfer_number: phone(v.transfer_number),
          speech: { stt: orNull(v.stt), tts: orNull(v.tts) },
          recording: v.recording,
          retention_days: wholeNumber(v.retention_days, 'Days to keep a recording'),
        };
        // Only a newly typed secret is sent; an omitted one stays as saved.
        if (v.twilio_auth_token.trim()) body.twilio_auth_token = v.twilio_auth_token.trim();
        if (v.telnyx_api_key.trim()) body.telnyx_api_key = v.telnyx_api_key.trim();
        return api('PUT', '/api/v1/settings/telephony', body);
      },
    }),
  });
  return [phoneLine];
}

// --- Clio, Clio Grow, and the language model --------------------------------

const CLIO_STATUS = {
  connected: ['connected', 'ok'],
  needs_reconnect: ['needs reconnecting', 'urgent'],
  not_connected: ['not connected', 'muted'],
};


/**
 * Clio's authorize page for this firm. The API answers with a redirect to
 * Clio (for API clients) whose JSON body holds the same address; the
 * dashboard must not follow it (the page may talk only to HERMES), so it
 * asks for JSON and reads the body.
 */
async function clioAuthorizeUrl(region) {
  const r = await fetch(query('/api/v1/integrations/clio/connect', { region }), {
    headers: { authorization: `Bearer ${await accessToken()}`, accept: 'application/json' },
    redirect: 'manual',
  });
  if (r.type === 'opaqueredirect') {
    throw new Error(
      'This server answers with a redirect the dashboard cannot read. Connect Clio through the API (GET /api/v1/integrations/clio/connect) or update HERMES.',
    );
  }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    const e = body.error || {};
    throw new ApiError(r.status, e.code || 'error', e.message || `HTTP ${r.status}`, e.details);
  }
  if (!/^https?:\/\//.test(body.authorize_url || '')) throw new Error('The server gave no Clio address to open.');
  return body.authorize_url;
}

function clioSection(ctx) {
  const id = 's-clio';
  const manage = ctx.can('integrations:manage');
  const box = h('section', { class: 'card', 'aria-labelledby': id });
  const head = () => h('h2', { id }, 'Clio Manage');

  const draw = async () => {
    let s;
    try {
      s = await get('/api/v1/integrations/clio');
    } catch (e) {
      fill(box, head(), problem(e));
      return;
    }
    const [label, tone] = CLIO_STATUS[s.status] || [s.status, 'warn'];
    const user = s.clio_user && (s.clio_user.data || s.clio_user);
    const linked = s.status !== 'not_connected';
    const out = h('div', {});
    const actions = [];

    if (manage && s.status !== 'connected') {
      const connect = h(
        'form',
        { class: 'filters', 'aria-label': 'Connect Clio' },
        labelled('Where the firm’s Clio account lives', 'region', { kind: 'select', value: s.region || 'us', options: REGIONS }),
        h('button', { type: 'submit', class: 'primary' }, linked ? 'Reconnect Clio' : 'Connect Clio'),
      );
      onSubmit(connect, async (v) => {
        const url = await clioAuthorizeUrl(v.region);
        const go = h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, 'Continue to Clio to allow HERMES (opens a new tab)');
        const check = h('button', { type: 'button' }, 'I have finished at Clio: check again');
        check.addEventListener('click', () => draw());
        fill(
          out,
          h('p', {}, go),
          h('p', { class: 'hint' }, 'Sign in to Clio as an administrator and allow access; then come back here.'),
          h('div', { class: 'actions' }, check),
        );
        go.focus();
      });
      actions.push(connect);
    }
    if (manage && linked) {
      const sync = h('button', { type: 'button' }, 'Bring the conflict check up to date now');
      const drop = h('button', { type: 'button', class: 'danger' }, 'Disconnect Clio');
      sync.addEventListener('click', async () => {
        sync.disabled = true;
        try {
          await api('POST', '/api/v1/integrations/clio/sync');
          notify('Clio sync queued.');
          await draw();
        } catch (e) {
          fill(out, problem(e));
          sync.disabled = false;
        }
      });
      drop.addEventListener('click', async () => {
        const ask = 'Disconnect Clio? New intakes are no longer sent to Clio, and the conflict check stops seeing the firm’s Clio contacts and matters.';
        if (!window.confirm(ask)) return;
        drop.disabled = true;
        try {
          await api('DELETE', '/api/v1/integrations/clio');
          notify('Clio disconnected.');
          await draw();
        } catch (e) {
          fill(out, problem(e));
          drop.disabled = false;
        }
      });
      actions.push(h('div', { class: 'actions' }, sync, drop));
    }

    fill(
      box,
      head(),
      h(
        'p',
        { class: 'hint' },
        'When connected, finished intakes become Clio contacts, matters, notes and calendar entries; the firm’s Clio contacts and matters feed the conflict check; and attorneys’ Clio calendars count as busy time.',
      ),
      facts([
        ['Status', badge(label, tone)],
        linked && ['Region', optionLabel(REGIONS, s.region)],
        linked && ['Connected as', user ? `${user.name || 'Clio user'}${user.email ? ` (${user.email})` : ''}` : null],
        s.connected_at && ['Connected', when(s.connected_at)],
        linked && ['Conflict check last brought up to date', s.parties_synced_at ? when(s.parties_synced_at) : 'Not yet'],
      ]),
      s.warnings && s.warnings.length ? [h('h3', {}, 'Warnings'), h('ul', {}, s.warnings.map((w) => h('li', {}, w)))] : null,
      actions,
      out,
    );
  };
  return { box, draw };
}

function growSection(ctx) {
  const id = 's-grow';
  const manage = ctx.can('integrations:manage');
  const box = h('section', { class: 'card', 'aria-labelledby': id });
  const head = () => h('h2', { id }, 'Clio Grow');

  const draw = async (focus) => {
    let g;
    try {
      g = await get('/api/v1/integrations/clio-grow');
    } catch (e) {
      fill(box, head(), problem(e));
      return;
    }
    const out = h('div', {});
    let form = null;
    let remove = null;
    if (manage) {
      const formHead = uid('grow');
      form = h(
        'form',
        { 'aria-labelledby': formHead },
        h('h3', { id: formHead }, g.configured ? 'Change the Grow inbox' : 'Post intakes to Clio Grow'),
        field('Where the firm’s Grow account lives', 'region', { kind: 'select', value: g.region || 'us', options: REGIONS }),
        labelled('Inbox token', 'inbox_lead_token', {
          kind: 'password',
          autocomplete: 'new-password',
          required: true,
          hint: 'Grow: Settings → Integrations → Inbox token. Needed each time you save; HERMES keeps it sealed and shows only its last four characters.',
        }),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save the Grow inbox')),
      );
      onSubmit(form, async (v) => {
        await api('PUT', '/api/v1/integrations/clio-grow', { region: v.region, inbox_lead_token: v.inbox_lead_token.trim() });
        notify('Clio Grow saved.');
        await draw(true);
      });
      if (g.configured) {
        remove = h('button', { type: 'button', class: 'danger' }, 'Stop posting to Clio Grow');
        remove.addEventListener('click', async () => {
          if (!window.confirm('Stop posting finished intakes to the Clio Grow inbox?')) return;
          remove.disabled = true;
          try {
            await api('DELETE', '/api/v1/integrations/clio-grow');
            notify('Clio Grow removed.');
            await draw();
          } catch (e) {
            fill(out, problem(e));
            remove.disabled = false;
          }
        });
      }
    }
    fill(
      box,
      head(),
      h(
        'p',
        { class: 'hint' },
        'For firms that run their intake pipeline in Clio Grow: each finished intake is posted to the firm’s Grow lead inbox, where staff accept it.',
      ),
      facts([
        ['Status', g.configured ? badge('on', 'ok') : badge('off', 'muted')],
        g.configured && ['Region', optionLabel(REGIONS, g.region)],
        g.configured && ['Inbox token', g.token_hint],
        g.configured && ['Last changed', when(g.updated_at)],
      ]),
      remove ? h('div', { class: 'actions' }, remove) : null,
      out,
      form,
    );
    if (focus) box.querySelector('input[name="inbox_lead_token"]')?.focus();
  };
  return { box, draw };
}

function integrationsTab(ctx) {
  const llm = card(
    's-llm',
    'AI language model',
    h(
      'p',
      {},
      'The language model the receptionist uses is part of the server’s configuration (the [agent.llm] section of its configuration file), ' +
        'the same for every firm on the server, not a firm setting. Ask whoever runs your HERMES server to change it.',
    ),
  );
  return [clioSection(ctx), growSection(ctx), fixed(llm)];
}
