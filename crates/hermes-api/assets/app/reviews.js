// Conflict reviews: the queue of potential conflicts waiting for a
// lawyer. Only roles that may decide (ATTORNEY, ADMIN) see the buttons;
// the API refuses everyone else anyway. Clearing confirms the tentative
// consultation that waited on the review; declining cancels it.

import { api, get, query } from './api.js';
import { h, fill, title, badge, field, onSubmit, when, words, notify, editing } from './ui.js';

export async function render(view, ctx) {
  const which = ctx.query.get('status') || 'open';
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': 'Which reviews' },
    [
      ['open', 'Waiting'],
      ['all', 'History'],
    ].map(([k, label]) =>
      h('a', { class: 'button', href: `#/reviews?status=${k}`, 'aria-current': k === which ? 'page' : false }, label),
    ),
  );
  const list = h('div', {});
  fill(view, title('Conflict reviews'), tabs, list);

  const draw = async () => {
    const page = await get(query('/api/v1/conflicts/reviews', { status: which, limit: 100 }));
    if (!page.reviews.length) {
      fill(list, h('p', { class: 'empty' }, which === 'open' ? 'No review is waiting.' : 'No review yet.'));
      return;
    }
    fill(list, page.reviews.map((r) => card(r, ctx, draw)));
  };
  await draw();
  ctx.onLive((name) => {
    // A note being written is never wiped by someone else's decision.
    if (editing(list)) return;
    if (name === 'review' || name === 'resync') draw().catch(() => {});
  });
}

function card(r, ctx, redraw) {
  const headId = `rev-${r.id}`;
  const decide =
    r.status === 'open' && ctx.can('conflicts:decide')
      ? h(
          'form',
          { 'aria-label': `Decide the review of ${r.subject}` },
          field('Note for the file', 'note', { kind: 'textarea', rows: 2 }),
          h(
            'div',
            { class: 'actions' },
            h('button', { type: 'submit', class: 'primary', value: 'cleared' }, 'Clear'),
            h('button', { type: 'submit', class: 'danger', value: 'declined' }, 'Decline'),
          ),
        )
      : null;
  if (decide) {
    onSubmit(decide, async (v, submitter) => {
      const decision = submitter.value;
      const out = await api('POST', `/api/v1/conflicts/reviews/${r.id}/decision`, {
        decision,
        note: v.note.trim() || null,
      });
      const n = out.bookings.length;
      notify(
        decision === 'cleared'
          ? `Cleared. ${n ? `${n} consultation(s) confirmed.` : 'No consultation was waiting.'}`
          : `Declined. ${n ? `${n} consultation(s) cancelled.` : ''}`,
      );
      await redraw();
    });
  }
  return h(
    'article',
    { class: 'card', 'aria-labelledby': headId },
    h(
      'h2',
      { id: headId },
      r.subject,
      ' ',
      badge(r.severity, r.severity === 'conflict' ? 'urgent' : 'warn'),
      ' ',
      badge(r.status, r.status === 'open' ? 'warn' : 'muted'),
    ),
    h('p', { class: 'hint' }, `Opened ${when(r.created_at)}`),
    h('h3', {}, 'People named'),
    h('ul', {}, r.parties.map((p) => h('li', {}, `${p.name} — ${words(p.role)}`))),
    h('h3', {}, 'What matched'),
    h(
      'ul',
      {},
      r.hits.map((hit) =>
        h(
          'li',
          {},
          h('strong', {}, hit.matched_name),
          ` (${words(hit.party_role)}${hit.matter_ref ? `, matter ${hit.matter_ref}` : ''}${hit.matter_status ? `, ${hit.matter_status}` : ''}) `,
          badge(hit.severity, hit.severity === 'conflict' ? 'urgent' : 'warn'),
          h('div', {}, hit.explanation),
          h('div', { class: 'hint' }, `Matched by ${hit.reasons.map(words).join(', ')}; score ${hit.score.toFixed(2)}; ${hit.rule}`),
        ),
      ),
    ),
    r.decided_at
      ? h('p', {}, `Decided ${when(r.decided_at)}`, r.decision_note ? `: “${r.decision_note}”` : '')
      : null,
    decide,
  );
}
