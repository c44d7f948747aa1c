// Intakes: the list with filters, and one intake as a paralegal reads it:
// the fields (low-confidence ones marked), urgency and why, the conflict
// result and what each hit matched, how the agent decided, the booking,
// the Clio sync step by step, and corrections (audited).

import { api, get, query } from './api.js';
import { h, fill, title, table, badge, urgencyBadge, field, onSubmit, when, words, notify, problem, editing } from './ui.js';
import { dayStart, dayEnd } from './calls.js';

const STATUSES = ['in_progress', 'completed', 'needs_review', 'abandoned', 'declined'];
const URGENCIES = ['routine', 'soon', 'urgent', 'emergency'];
/** Below this the agent was unsure: staff should check the value. */
const LOW = 0.6;

function statusBadge(s) {
  return badge(s, { needs_review: 'warn', completed: 'ok', declined: 'muted', abandoned: 'muted' }[s]);
}

export async function list(view, ctx) {
  const areas = await get('/api/v1/settings/practice-areas').catch(() => []);
  const filters = h(
    'form',
    { class: 'filters card', 'aria-label': 'Filter intakes' },
    field('Status', 'status', {
      kind: 'select',
      value: ctx.query.get('status') || '',
      options: [['', 'Any'], ...STATUSES.map((s) => [s, words(s)])],
    }),
    field('Urgency', 'urgency', {
      kind: 'select',
      value: ctx.query.get('urgency') || '',
      options: [['', 'Any'], ...URGENCIES.map((s) => [s, words(s)])],
    }),
    field('Practice area', 'practice_area', {
      kind: 'select',
      value: ctx.query.get('practice_area') || '',
      options: [['', 'Any'], ...areaOptions(areas)],
    }),
    field('From', 'from', { kind: 'date', value: ctx.query.get('from') || '' }),
    field('To', 'to', { kind: 'date', value: ctx.query.get('to') || '' }),
    h('button', { type: 'submit' }, 'Filter'),
  );
  const results = h('div', {});
  fill(view, title('Intakes', h('a', { href: '#/intakes?status=needs_review' }, 'Needs review')), filters, results);
  onSubmit(filters, async (v) => {
    location.hash = query('#/intakes', v);
  });
  const params = {
    status: ctx.query.get('status'),
    urgency: ctx.query.get('urgency'),
    practice_area: ctx.query.get('practice_area'),
    from: dayStart(ctx.query.get('from')),
    to: dayEnd(ctx.query.get('to')),
    limit: 50,
  };
  let before = null;
  const rows = [];
  const more = h('button', { type: 'button' }, 'Load more');
  const load = async () => {
    const page = await get(query('/api/v1/intakes', { ...params, before }));
    rows.push(...page.intakes);
    before = page.next_before;
    fill(
      results,
      table(
        'Intakes, newest first',
        [
          ['Caller', (i) => h('a', { href: `#/intakes/${i.id}` }, i.caller_name || 'Unknown caller')],
          ['Status', (i) => statusBadge(i.status)],
          ['Urgency', (i) => urgencyBadge(i.urgency)],
          ['Area', (i) => words(i.practice_area)],
          ['Channel', (i) => i.channel],
          ['When', (i) => when(i.created_at)],
        ],
        rows,
        'No intake matches.',
      ),
      before ? h('div', { class: 'actions' }, more) : null,
    );
  };
  more.addEventListener('click', () => load().catch((e) => results.append(problem(e))));
  await load();
  let pending = null;
  ctx.onLive((name) => {
    if (name !== 'intake' && name !== 'resync') return;
    clearTimeout(pending);
    pending = setTimeout(() => {
      rows.length = 0;
      before = null;
      load().catch(() => {});
    }, 300);
  });
  ctx.onLeave(() => clearTimeout(pending));
}

function areaOptions(areas) {
  const list = Array.isArray(areas) ? areas : areas.areas || [];
  return list.map((a) => [a.key, a.name || a.key]);
}

/** "hearing_soon" {date} → "hearing soon (2026-12-01)". */
export function reason(r) {
  if (typeof r === 'string') return words(r);
  const [k, v] = Object.entries(r)[0];
  const detail = v && (v.date || v.level);
  return detail ? `${words(k)} (${detail})` : words(k);
}

const DECISIONS = {
  practice_area: 'Practice area',
  adverse_party: 'Other party',
  urgency: 'Urgency',
  next_step: 'Next step',
};

/** A reasoning trace as a sentence and its votes. */
function trace(t, transcript) {
  const said = transcript[t.turn];
  const pct = `${Math.round(t.confidence * 100)}%`;
  const sure = t.confidence >= t.threshold;
  return h(
    'li',
    {},
    h('strong', {}, `${DECISIONS[t.decision] || words(t.decision)}: `),
    t.choice ? `${words(t.choice)} — ${pct} agreement` : `undecided (${pct})`,
    ' ',
    badge(sure ? 'confident' : 'asked or flagged', sure ? 'ok' : 'warn'),
    said ? h('div', { class: 'hint' }, `About: “${said.text}”`) : null,
    t.readings && t.readings.length
      ? h('div', {}, 'Readings: ', t.readings.map((r) => `${r.source} → ${r.value ? words(r.value) : 'no opinion'}`).join('; '))
      : null,
    h(
      'div',
      {},
      'Candidates: ',
      t.candidates.map((c) => `${words(c.value)} ${c.score.toFixed(2)}${c.why ? ` (${c.why})` : ''}`).join('; ') || 'none',
    ),
  );
}

export async function show(view, ctx) {
  const id = ctx.params.id;
  const draw = async () => {
    const i = await get(`/api/v1/intakes/${id}`);
    const rec = i.record;
    const review =
      rec.conflict && rec.conflict.review_id && ctx.can('conflicts:read')
        ? await get(`/api/v1/conflicts/reviews/${rec.conflict.review_id}`).catch(() => null)
        : null;
    const booking = rec.booking ? await get(`/api/v1/bookings/${rec.booking.id}`).catch(() => null) : null;
    // A retry is offered only where it can work: Clio connected, and the
    // user may manage integrations.
    const clio = ctx.can('integrations:manage') ? await get('/api/v1/integrations/clio').catch(() => null) : null;
    const fields = Object.entries(rec.fields || {});
    fill(
      view,
      title(i.caller_name || 'Intake', statusBadge(i.status), urgencyBadge(i.urgency)),
      h(
        'div',
        { class: 'grid' },
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'i-summary' },
          h('h2', { id: 'i-summary' }, 'Summary'),
          h('p', {}, rec.summary || 'No summary yet.'),
          h(
            'dl',
            { class: 'facts' },
            h('dt', {}, 'Practice area'),
            h('dd', {}, words(i.practice_area)),
            h('dt', {}, 'Channel'),
            h('dd', {}, i.channel),
            h('dt', {}, 'Started'),
            h('dd', {}, when(i.created_at)),
            h('dt', {}, 'Recording consent'),
            h('dd', {}, rec.recording_consent == null ? 'not asked' : rec.recording_consent ? 'yes' : 'no'),
          ),
          rec.review_notes && rec.review_notes.length
            ? [h('h3', {}, 'For review'), h('ul', {}, rec.review_notes.map((n) => h('li', {}, n)))]
            : null,
        ),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'i-urgency' },
          h('h2', { id: 'i-urgency' }, 'Urgency'),
          h('p', {}, urgencyBadge(i.urgency)),
          rec.triage && rec.triage.reasons.length
            ? h('ul', {}, rec.triage.reasons.map((r) => h('li', {}, reason(r))))
            : h('p', { class: 'empty' }, 'No urgency cue.'),
        ),
        conflictCard(rec, review),
        bookingCard(rec, booking),
      ),
      fieldsCard(i, fields, ctx, draw),
      partiesCard(rec),
      clioCard(i, Boolean(clio && clio.status === 'connected'), draw),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'i-traces' },
        h('h2', { id: 'i-traces' }, 'How the agent decided'),
        rec.traces && rec.traces.length
          ? h('ol', {}, rec.traces.map((t) => trace(t, rec.transcript)))
          : h('p', { class: 'empty' }, 'No recorded decision.'),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'i-transcript' },
        h('h2', { id: 'i-transcript' }, 'Transcript'),
        h(
          'ol',
          { class: 'transcript' },
          rec.transcript.map((t) =>
            h('li', { class: t.speaker }, h('span', { class: 'speaker' }, t.speaker === 'agent' ? 'Receptionist: ' : 'Caller: '), t.text),
          ),
        ),
      ),
    );
  };
  await draw();
  ctx.onLive((name, e) => {
    if (editing(view)) return;
    if ((name === 'intake' && e.id === id) || name === 'resync') draw().catch(() => {});
  });
  // A Clio sync in flight is looked at again until it settles.
  const poll = setInterval(() => {
    const s = view.querySelector('[data-clio-sync]');
    if (s && ['pending', 'syncing', 'retrying'].includes(s.dataset.clioSync) && !editing(view)) draw().catch(() => {});
  }, 5000);
  ctx.onLeave(() => clearInterval(poll));
}

function conflictCard(rec, review) {
  const c = rec.conflict;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'i-conflict' },
    h('h2', { id: 'i-conflict' }, 'Conflict check'),
    !c
      ? h('p', { class: 'empty' }, 'Not checked yet.')
      : [
          h('p', {}, badge(c.status, c.status === 'clear' ? 'ok' : c.status === 'conflict' ? 'urgent' : 'warn')),
          review
            ? [
                h('p', {}, `Review: ${words(review.status)}`, review.decision_note ? ` — “${review.decision_note}”` : ''),
                h(
                  'ul',
                  {},
                  review.hits.map((hit) =>
                    h(
                      'li',
                      {},
                      h('strong', {}, hit.matched_name),
                      ` (${words(hit.party_role)}${hit.matter_ref ? `, ${hit.matter_ref}` : ''}) — ${words(hit.severity)}: `,
                      hit.explanation,
                      h('div', { class: 'hint' }, `Matched by: ${hit.reasons.map(words).join(', ')}`),
                    ),
                  ),
                ),
                review.status === 'open' ? h('a', { href: '#/reviews' }, 'Decide in Conflict reviews') : null,
              ]
            : null,
        ],
  );
}

function bookingCard(rec, booking) {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'i-booking' },
    h('h2', { id: 'i-booking' }, 'Consultation'),
    !rec.booking
      ? h('p', { class: 'empty' }, 'None booked.')
      : [
          h('p', {}, rec.booking.spoken),
          booking
            ? h('p', { id: 'booking-status' }, 'Status: ', badge(booking.status, booking.status === 'confirmed' ? 'ok' : 'warn'))
            : null,
          h('a', { href: '#/calendar' }, 'Open the calendar'),
        ],
  );
}

function partiesCard(rec) {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'i-parties' },
    h('h2', { id: 'i-parties' }, 'People in the matter'),
    table(
      '',
      [
        ['Name', (p) => p.name],
        ['Role', (p) => words(p.role)],
      ],
      rec.parties || [],
      'No one named.',
    ),
  );
}

function fieldsCard(i, fields, ctx, redraw) {
  const box = h('section', { class: 'card', 'aria-labelledby': 'i-fields' });
  const rows = fields.map(([k, f]) => ({ key: k, ...f }));
  const showTable = () =>
    fill(
      box,
      h('h2', { id: 'i-fields' }, 'What the caller told us'),
      table(
        'Fields; those the agent was unsure of are marked',
        [
          ['Field', (f) => words(f.key)],
          ['Value', (f) => h('span', { class: f.flagged || f.confidence < LOW ? 'low' : '' }, f.value)],
          [
            'Confidence',
            (f) => [
              `${Math.round(f.confidence * 100)}%`,
              f.flagged || f.confidence < LOW ? [' ', badge('check this', 'warn')] : null,
            ],
          ],
        ],
        rows,
        'No field collected.',
      ),
      ctx.can('cases:write') ? h('div', { class: 'actions' }, edit) : null,
    );
  const edit = h('button', { type: 'button' }, 'Correct fields');
  edit.addEventListener('click', () => {
    const form = h(
      'form',
      { 'aria-label': 'Correct the intake' },
      rows.map((f) => field(words(f.key), `field:${f.key}`, { value: f.value })),
      field('Status', 'status', { kind: 'select', value: i.status, options: STATUSES.map((s) => [s, words(s)]) }),
      h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Save corrections'), h('button', { type: 'button', class: 'cancel' }, 'Cancel')),
    );
    form.querySelector('.cancel').addEventListener('click', showTable);
    onSubmit(form, async (v) => {
      const changed = {};
      for (const f of rows) if (v[`field:${f.key}`] !== f.value) changed[f.key] = v[`field:${f.key}`];
      const body = { fields: changed };
      if (v.status !== i.status) body.status = v.status;
      await api('PATCH', `/api/v1/intakes/${i.id}`, body);
      notify('Corrections saved.');
      await redraw();
    });
    fill(box, h('h2', { id: 'i-fields' }, 'Correct the intake'), form);
    form.querySelector('input, select')?.focus();
  });
  showTable();
  return box;
}

const STEP_NAMES = {
  contact: 'Contact',
  matter: 'Matter',
  calendar_entry: 'Calendar entry',
  note: 'Note',
  communication: 'Phone call record',
  task: 'Urgent task',
};

function clioCard(i, connected, redraw) {
  const s = i.clio_sync;
  const retry = h('button', { type: 'button' }, 'Retry the Clio sync');
  retry.addEventListener('click', async () => {
    retry.disabled = true;
    try {
      await api('POST', `/api/v1/intakes/${i.id}/clio-sync/retry`);
      notify('Clio sync queued again.');
      await redraw();
    } catch (e) {
      retry.after(problem(e));
      retry.disabled = false;
    }
  });
  const canRetry = connected && ((!s && i.status !== 'in_progress') || (s && s.status === 'dead'));
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'i-clio' },
    h('h2', { id: 'i-clio' }, 'Clio'),
    !s
      ? h('p', { class: 'empty' }, 'Not sent to Clio (not connected, not finished, or waiting on a conflict review).')
      : [
          h('p', { 'data-clio-sync': s.status }, 'Sync: ', badge(s.status, s.status === 'synced' ? 'ok' : s.status === 'dead' ? 'urgent' : 'warn'), ` after ${s.attempts} attempt(s)`),
          s.last_error ? h('p', { class: 'error' }, s.last_error) : null,
          table(
            'Steps',
            [
              ['Step', (st) => STEP_NAMES[st.step] || words(st.step)],
              ['Result', (st) => badge(st.status, st.status === 'done' ? 'ok' : st.status === 'failed' ? 'urgent' : 'muted')],
              ['Clio id', (st) => st.clio_id ?? '—'],
              ['Detail', (st) => st.detail || '—'],
              ['When', (st) => when(st.updated_at)],
            ],
            s.steps,
            'No step done yet.',
          ),
        ],
    canRetry ? h('div', { class: 'actions' }, retry) : null,
  );
}
