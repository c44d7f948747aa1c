// Today: what needs someone now. Live calls, urgent intakes, the conflict
// reviews waiting for an attorney, and today's consultations; redrawn on
// every live event.

import { get, query } from './api.js';
import { h, fill, title, table, badge, urgencyBadge, time, when, words } from './ui.js';

export async function render(view, ctx) {
  const live = h('section', { class: 'card', 'aria-labelledby': 't-live' });
  const urgent = h('section', { class: 'card', 'aria-labelledby': 't-urgent' });
  const reviews = h('section', { class: 'card', 'aria-labelledby': 't-reviews' });
  const consults = h('section', { class: 'card', 'aria-labelledby': 't-consults' });
  fill(
    view,
    title('Today'),
    h('div', { class: 'grid' }, live, urgent, ctx.can('conflicts:read') ? reviews : null, consults),
  );

  const draw = async () => {
    const start = new Date();
    start.setHours(0, 0, 0, 0);
    const end = new Date(start.getTime() + 24 * 3600 * 1000);
    const week = new Date(start.getTime() - 7 * 24 * 3600 * 1000);
    const [ringing, inProgress, emergency, urgentOnes, bookings, open] = await Promise.all([
      get(query('/api/v1/calls', { status: 'ringing', limit: 20 })),
      get(query('/api/v1/calls', { status: 'in_progress', limit: 20 })),
      get(query('/api/v1/intakes', { urgency: 'emergency', from: week.toISOString(), limit: 20 })),
      get(query('/api/v1/intakes', { urgency: 'urgent', from: week.toISOString(), limit: 20 })),
      get(query('/api/v1/bookings', { from: start.toISOString(), to: end.toISOString(), limit: 100 })),
      ctx.can('conflicts:read') ? get('/api/v1/conflicts/reviews?status=open') : { reviews: [] },
    ]);
    const calls = [...ringing.calls, ...inProgress.calls];
    fill(
      live,
      h('h2', { id: 't-live' }, 'Live calls ', badge(String(calls.length), calls.length ? 'ok' : 'muted')),
      table(
        '',
        [
          ['Started', (c) => h('a', { href: `#/calls/${c.id}` }, time(c.started_at))],
          ['From', (c) => c.from || c.provider],
          ['Status', (c) => badge(c.status, 'ok')],
        ],
        calls,
        'No call in progress.',
      ),
    );
    const pressing = [...emergency.intakes, ...urgentOnes.intakes].filter(
      (i) => i.status !== 'declined',
    );
    fill(
      urgent,
      h('h2', { id: 't-urgent' }, 'Urgent intakes (7 days)'),
      table(
        '',
        [
          ['Caller', (i) => h('a', { href: `#/intakes/${i.id}` }, i.caller_name || 'Unknown caller')],
          ['Urgency', (i) => urgencyBadge(i.urgency)],
          ['Area', (i) => words(i.practice_area)],
          ['When', (i) => when(i.created_at)],
        ],
        pressing,
        'Nothing urgent.',
      ),
    );
    fill(
      reviews,
      h('h2', { id: 't-reviews' }, 'Conflict reviews waiting'),
      table(
        '',
        [
          ['Subject', (r) => h('a', { href: '#/reviews' }, r.subject)],
          ['Severity', (r) => badge(r.severity, r.severity === 'conflict' ? 'urgent' : 'warn')],
          ['Since', (r) => when(r.created_at)],
        ],
        open.reviews,
        'No review waiting.',
      ),
    );
    const todays = bookings.bookings.filter((b) => b.status === 'confirmed' || b.status === 'tentative');
    fill(
      consults,
      h('h2', { id: 't-consults' }, "Today's consultations"),
      table(
        '',
        [
          ['Time', (b) => time(b.start)],
          ['Client', (b) => b.client.name || '—'],
          ['Area', (b) => words(b.practice_area)],
          ['Status', (b) => badge(b.status, b.status === 'tentative' ? 'warn' : 'ok')],
        ],
        todays,
        'No consultation today.',
      ),
    );
  };
  await draw();
  let pending = null;
  ctx.onLive((name) => {
    if (name === 'call_line' || name === 'connected') return;
    clearTimeout(pending);
    pending = setTimeout(() => draw().catch(() => {}), 300);
  });
  ctx.onLeave(() => clearTimeout(pending));
}
