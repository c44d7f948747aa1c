// Calendar: a week of consultations, one column per day, optionally for
// one attorney; reschedule and cancel (cases:write) through the same
// booking API the agent uses, so every rule (hours, buffers, Clio busy
// time, no double booking) holds here too.

import { api, get, query } from './api.js';
import { h, fill, title, badge, field, onSubmit, time, words, notify, editing } from './ui.js';

const DAY = 24 * 3600 * 1000;
const dayName = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric' });

function monday(d) {
  const x = new Date(d);
  x.setHours(0, 0, 0, 0);
  x.setDate(x.getDate() - ((x.getDay() + 6) % 7));
  return x;
}

function isoDate(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** A `datetime-local` value for the browser's time zone. */
function localInput(iso) {
  const d = new Date(iso);
  return `${isoDate(d)}T${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

export async function render(view, ctx) {
  const start = ctx.query.get('week') ? monday(new Date(`${ctx.query.get('week')}T12:00:00`)) : monday(new Date());
  const attorney = ctx.query.get('attorney') || '';
  const { attorneys } = await get('/api/v1/attorneys');
  const names = Object.fromEntries(attorneys.map((a) => [a.id, a.name]));
  const link = (week, who) => query('#/calendar', { week: isoDate(week), attorney: who });

  const pick = h(
    'form',
    { class: 'filters card', 'aria-label': 'Choose the week and attorney' },
    field('Attorney', 'attorney', {
      kind: 'select',
      value: attorney,
      options: [['', 'Everyone'], ...attorneys.map((a) => [a.id, a.name])],
    }),
    field('Week of', 'week', { kind: 'date', value: isoDate(start) }),
    h('button', { type: 'submit' }, 'Show'),
    h('a', { class: 'button', href: link(new Date(start.getTime() - 7 * DAY), attorney) }, '← Previous week'),
    h('a', { class: 'button', href: link(new Date(start.getTime() + 7 * DAY), attorney) }, 'Next week →'),
  );
  onSubmit(pick, async (v) => {
    location.hash = link(v.week ? new Date(`${v.week}T12:00:00`) : start, v.attorney);
  });
  const week = h('div', { class: 'week', role: 'list', 'aria-label': 'Days of the week' });
  fill(view, title('Calendar'), pick, week);

  const draw = async () => {
    const end = new Date(start.getTime() + 7 * DAY);
    const { bookings } = await get(
      query('/api/v1/bookings', { from: start.toISOString(), to: end.toISOString(), attorney_id: attorney, limit: 500 }),
    );
    const shown = bookings.filter((b) => b.status !== 'held' && b.status !== 'expired');
    const todayKey = isoDate(new Date());
    const days = [];
    for (let i = 0; i < 7; i++) {
      const d = new Date(start.getTime() + i * DAY + 12 * 3600 * 1000);
      const key = isoDate(d);
      const mine = shown.filter((b) => isoDate(new Date(b.start)) === key).sort((a, b) => a.start.localeCompare(b.start));
      days.push(
        h(
          'section',
          { class: `day ${key === todayKey ? 'today' : ''}`, role: 'listitem', 'aria-label': dayName.format(d) },
          h('h3', {}, dayName.format(d)),
          mine.length ? mine.map((b) => slot(b, names, attorneys, ctx, draw)) : h('p', { class: 'empty' }, 'Free'),
        ),
      );
    }
    fill(week, days);
  };
  await draw();
  ctx.onLive((name) => {
    // An open consultation (or a reschedule being typed) stays as it is.
    if (editing(week) || week.querySelector('details[open]')) return;
    if (name === 'booking' || name === 'review' || name === 'resync') draw().catch(() => {});
  });
}

function slot(b, names, attorneys, ctx, redraw) {
  const open = b.status === 'confirmed' || b.status === 'tentative';
  const details = h(
    'details',
    {},
    h('summary', {}, `${time(b.start)} ${b.client.name || 'Client'}`),
    h('div', {}, names[b.attorney_id] || 'Attorney'),
    h('div', {}, words(b.practice_area)),
    b.client.phone ? h('div', {}, b.client.phone) : null,
    b.client.email ? h('div', {}, b.client.email) : null,
    h('div', {}, badge(b.status, b.status === 'confirmed' ? 'ok' : 'warn')),
    b.status === 'tentative' ? h('div', { class: 'hint' }, 'Waiting on a conflict review.') : null,
    open && ctx.can('cases:write') ? actions(b, attorneys, redraw) : null,
  );
  return h('div', { class: `slot ${b.status}` }, details);
}

function actions(b, attorneys, redraw) {
  const eligible = attorneys.filter((a) => a.practice_areas.includes(b.practice_area));
  const form = h(
    'form',
    { 'aria-label': 'Reschedule' },
    field('New time', 'start', { kind: 'datetime-local', value: localInput(b.start), required: true }),
    field('Attorney', 'attorney_id', {
      kind: 'select',
      value: b.attorney_id,
      options: eligible.map((a) => [a.id, a.name]),
    }),
    h(
      'div',
      { class: 'actions' },
      h('button', { type: 'submit', value: 'move' }, 'Reschedule'),
      h('button', { type: 'submit', class: 'danger', value: 'cancel', formnovalidate: true }, 'Cancel booking'),
    ),
  );
  onSubmit(form, async (v, submitter) => {
    if (submitter.value === 'cancel') {
      if (!window.confirm('Cancel this consultation?')) return;
      await api('PATCH', `/api/v1/bookings/${b.id}`, { status: 'cancelled' });
      notify('Consultation cancelled.');
    } else {
      const body = { start: new Date(v.start).toISOString() };
      if (v.attorney_id && v.attorney_id !== b.attorney_id) body.attorney_id = v.attorney_id;
      await api('PATCH', `/api/v1/bookings/${b.id}`, body);
      notify('Consultation moved.');
    }
    await redraw();
  });
  return form;
}
