// Calls: the list with filters, and one call with its transcript (live
// while the call is in progress), recording, per-turn latencies and the
// intake it produced.

import { api, get, query } from './api.js';
import { h, fill, title, table, badge, field, onSubmit, when, time, ms, duration, words, problem } from './ui.js';

export async function list(view, ctx) {
  const filters = h(
    'form',
    { class: 'filters card', 'aria-label': 'Filter calls' },
    field('Status', 'status', {
      kind: 'select',
      value: ctx.query.get('status') || '',
      options: [['', 'Any'], ['ringing', 'Ringing'], ['in_progress', 'In progress'], ['ended', 'Ended']],
    }),
    field('From', 'from', { kind: 'date', value: ctx.query.get('from') || '' }),
    field('To', 'to', { kind: 'date', value: ctx.query.get('to') || '' }),
    h('button', { type: 'submit' }, 'Filter'),
  );
  const results = h('div', {});
  fill(view, title('Calls'), filters, results);
  onSubmit(filters, async (v) => {
    location.hash = query('#/calls', v);
  });

  const params = {
    status: ctx.query.get('status'),
    from: dayStart(ctx.query.get('from')),
    to: dayEnd(ctx.query.get('to')),
    limit: 50,
  };
  let before = null;
  const rows = [];
  const more = h('button', { type: 'button' }, 'Load more');
  const load = async () => {
    const page = await get(query('/api/v1/calls', { ...params, before }));
    rows.push(...page.calls);
    before = page.next_before;
    fill(
      results,
      table(
        'Calls, newest first',
        [
          ['Started', (c) => h('a', { href: `#/calls/${c.id}` }, when(c.started_at))],
          ['From', (c) => c.from || '—'],
          ['Line', (c) => c.provider],
          ['Status', (c) => badge(c.status, c.status === 'ended' ? 'muted' : 'ok')],
          ['Outcome', (c) => words(c.outcome)],
          ['Length', (c) => duration(c.duration_ms)],
          ['Intake', (c) => (c.intake_id ? h('a', { href: `#/intakes/${c.intake_id}` }, 'Open') : '—')],
        ],
        rows,
        'No call matches.',
      ),
      before ? h('div', { class: 'actions' }, more) : null,
    );
  };
  more.addEventListener('click', () => load().catch((e) => results.append(problem(e))));
  await load();
  let pending = null;
  ctx.onLive((name) => {
    if (name !== 'call' && name !== 'resync') return;
    clearTimeout(pending);
    pending = setTimeout(() => {
      rows.length = 0;
      before = null;
      load().catch(() => {});
    }, 300);
  });
  ctx.onLeave(() => clearTimeout(pending));
}

export function dayStart(d) {
  return d ? new Date(`${d}T00:00:00`).toISOString() : null;
}

export function dayEnd(d) {
  return d ? new Date(`${d}T23:59:59.999`).toISOString() : null;
}

function line(t) {
  return h(
    'li',
    { class: t.speaker },
    h('span', { class: 'speaker' }, t.speaker === 'agent' ? 'Receptionist: ' : 'Caller: '),
    t.text,
    t.at ? h('span', { class: 'at' }, time(t.at)) : null,
  );
}

export async function show(view, ctx) {
  const id = ctx.params.id;
  const facts = h('section', { class: 'card', 'aria-labelledby': 'c-facts' });
  const talk = h('section', { class: 'card', 'aria-labelledby': 'c-talk' });
  const timing = h('section', { class: 'card', 'aria-labelledby': 'c-timing' });
  const transcript = h('ol', { class: 'transcript', 'aria-live': 'polite', id: 'call-transcript' });
  fill(view, title('Call'), facts, talk, timing);

  const draw = async () => {
    const c = await get(`/api/v1/calls/${id}`);
    const intake = c.intake_id ? await get(`/api/v1/intakes/${c.intake_id}`).catch(() => null) : null;
    fill(
      facts,
      h('h2', { id: 'c-facts' }, 'Details'),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Status'),
        h('dd', { id: 'call-status' }, badge(c.status, c.status === 'ended' ? 'muted' : 'ok')),
        h('dt', {}, 'Outcome'),
        h('dd', {}, words(c.outcome)),
        h('dt', {}, 'From'),
        h('dd', {}, c.from || '—'),
        h('dt', {}, 'To'),
        h('dd', {}, c.to || '—'),
        h('dt', {}, 'Line'),
        h('dd', {}, c.provider),
        h('dt', {}, 'Started'),
        h('dd', {}, when(c.started_at)),
        h('dt', {}, 'Length'),
        h('dd', {}, duration(c.duration_ms)),
        h('dt', {}, 'Recording consent'),
        h('dd', {}, c.recording_consent == null ? 'not asked' : c.recording_consent ? 'yes' : 'no'),
        h('dt', {}, 'Intake'),
        h('dd', {}, c.intake_id ? h('a', { href: `#/intakes/${c.intake_id}` }, intake?.caller_name || 'Open the intake') : '—'),
      ),
      recording(c, ctx),
    );
    if (intake) fill(transcript, intake.record.transcript.map(line));
    fill(
      talk,
      h('h2', { id: 'c-talk' }, 'Transcript'),
      c.status !== 'ended' ? h('p', { class: 'hint' }, 'Live: lines appear as they are spoken.') : null,
      transcript,
      !intake && c.status === 'ended' ? h('p', { class: 'empty' }, 'Nothing was said.') : null,
    );
    const turns = Array.isArray(c.turns) ? c.turns : [];
    fill(
      timing,
      h('h2', { id: 'c-timing' }, 'Response time per turn'),
      table(
        'Milliseconds from the end of the caller’s turn',
        [
          ['Turn', (t) => t.turn],
          ['Caller spoke', (t) => ms(t.speech_ms)],
          ['Recognised', (t) => ms(t.transcript_ms)],
          ['Reply decided', (t) => ms(t.reply_ms)],
          ['First audio', (t) => ms(t.first_audio_ms)],
          ['Caller heard', (t) => ms(t.first_frame_ms)],
          ['Notes', (t) => [t.speculative && 'early transcript', t.filler && 'filler', t.interrupted && 'interrupted'].filter(Boolean).join(', ') || '—'],
        ],
        turns,
        'No turn timings recorded.',
      ),
    );
  };
  // Listening before the first read, so no line said meanwhile is missed.
  ctx.onLive((name, e) => {
    if (name === 'call_line' && e.call === id) {
      // The transcript read at load may already hold the newest line.
      const last = transcript.lastElementChild;
      const fresh = line({ speaker: e.speaker, text: e.text });
      if (last && last.className === fresh.className && last.textContent.startsWith(fresh.textContent)) return;
      fresh.dataset.live = 'yes';
      transcript.append(fresh);
      fresh.scrollIntoView({ block: 'nearest' });
    } else if ((name === 'call' && e.id === id) || name === 'resync') {
      // A recording being listened to is not interrupted.
      if (facts.querySelector('audio')) return;
      draw().catch(() => {});
    }
  });
  await draw();
}

function recording(c, ctx) {
  if (!c.has_recording || !ctx.can('recordings:listen')) return null;
  const box = h('div', { class: 'actions' });
  const play = h('button', { type: 'button' }, 'Play recording');
  play.addEventListener('click', async () => {
    play.disabled = true;
    try {
      // Fetched with the token (every listen is audited), played from memory.
      const blob = await api('GET', `/api/v1/calls/${c.id}/recording`);
      const url = URL.createObjectURL(blob);
      const audio = h('audio', { controls: true, src: url, 'aria-label': 'Call recording' });
      fill(box, audio);
      ctx.onLeave(() => URL.revokeObjectURL(url));
      audio.play().catch(() => {});
    } catch (e) {
      box.append(problem(e));
      play.disabled = false;
    }
  });
  box.append(play, h('small', { class: 'hint' }, 'Listening is recorded in the audit log.'));
  return box;
}
