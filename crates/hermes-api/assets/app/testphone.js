// The test phone: talk to the firm's own agent from this browser, as a
// caller would. Voice goes over the browser voice WebSocket (microphone,
// speaker, keypad); chat over the public text channel the website widget
// uses. Both leave a real call or intake behind, like any other.

import { accessToken, tenantSlug } from './api.js';
import { h, fill, title } from './ui.js';
import { Call } from './call.js';

let call = null;

export async function render(view, ctx) {
  const which = ctx.query.get('tab') === 'chat' ? 'chat' : 'voice';
  const tab = (key, label) =>
    h('a', { class: 'button', href: `#/phone?tab=${key}`, 'aria-current': key === which ? 'page' : false }, label);
  const panel = h('section', { 'aria-label': which === 'voice' ? 'Voice call' : 'Chat' });
  fill(
    view,
    title('Test phone'),
    h('p', { class: 'hint' }, 'Talk to your receptionist the way a caller would. Nothing is dialled; the conversation appears under Calls and Intakes like any other.'),
    h('nav', { class: 'tabs', 'aria-label': 'Voice or chat' }, tab('voice', 'Voice'), tab('chat', 'Chat')),
    panel,
  );
  if (which === 'voice') voice(panel, ctx);
  else chat(panel);
}

function lineOf(speaker, text) {
  return h(
    'li',
    { class: speaker === 'agent' ? 'agent' : 'caller' },
    h('span', { class: 'speaker' }, speaker === 'agent' ? 'Receptionist: ' : 'You: '),
    text,
  );
}

function voice(panel, ctx) {
  const status = h('p', { id: 'phone-status', role: 'status' }, 'Ready. Use a headset if you can.');
  const transcript = h('ol', { class: 'transcript', id: 'phone-transcript', 'aria-live': 'polite' });
  const dial = h('button', { type: 'button', class: 'primary' }, 'Call');
  const hang = h('button', { type: 'button', disabled: true }, 'Hang up');
  const callLink = h('p', {});
  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'].map((d) =>
    h('button', { type: 'button', disabled: true, 'aria-label': `Key ${d}` }, d),
  );
  const inCall = (on) => {
    dial.disabled = on;
    hang.disabled = !on;
    for (const k of keys) k.disabled = !on;
  };
  dial.addEventListener('click', async () => {
    if (call) return;
    transcript.replaceChildren();
    callLink.replaceChildren();
    inCall(true);
    const current = new Call(await accessToken(), {
      line: (speaker, text) => {
        transcript.append(lineOf(speaker, text));
        transcript.lastChild.scrollIntoView({ block: 'nearest' });
      },
      status: (text) => {
        status.textContent = text;
      },
      started: (id) => {
        if (id) fill(callLink, h('a', { href: `#/calls/${id}` }, 'Open this call’s page'));
      },
      ended: (text) => {
        if (call === current) call = null;
        inCall(false);
        status.textContent = text;
      },
    });
    call = current;
    try {
      await current.start();
    } catch (e) {
      current.end(`Could not start the call: ${e.message}`);
    }
  });
  hang.addEventListener('click', () => call && call.hangUp());
  keys.forEach((k) => k.addEventListener('click', () => call && call.digit(k.textContent)));
  ctx.onLeave(() => call && call.hangUp());
  fill(
    panel,
    h('div', { class: 'actions' }, dial, hang),
    status,
    h('div', { class: 'keypad', role: 'group', 'aria-label': 'Keypad' }, keys),
    callLink,
    h('h2', {}, 'Transcript'),
    transcript,
  );
}

function chat(panel) {
  const transcript = h('ol', { class: 'transcript', id: 'chat-transcript', 'aria-live': 'polite' });
  const input = h('input', { id: 'chat-input', name: 'text', autocomplete: 'off', disabled: true });
  const send = h('button', { type: 'submit', class: 'primary', disabled: true }, 'Send');
  const begin = h('button', { type: 'button', class: 'primary' }, 'Start a chat');
  const finish = h('button', { type: 'button', disabled: true }, 'End the chat');
  const status = h('p', { role: 'status', id: 'chat-status' });
  let token = null;
  const say = (speaker, text) => {
    transcript.append(lineOf(speaker, text));
    transcript.lastChild.scrollIntoView({ block: 'nearest' });
  };
  const open = (on) => {
    input.disabled = !on;
    send.disabled = !on;
    finish.disabled = !on;
    begin.disabled = on;
  };
  const post = async (path, body) => {
    const r = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error((answer.error && answer.error.message) || `HTTP ${r.status}`);
    return answer;
  };
  const done = (text) => {
    token = null;
    open(false);
    fill(status, text, ' ', h('a', { href: '#/intakes' }, 'See it under Intakes.'));
  };
  begin.addEventListener('click', async () => {
    transcript.replaceChildren();
    status.textContent = 'Connecting…';
    try {
      const s = await post(`/api/v1/tenants/${encodeURIComponent(tenantSlug())}/conversations`);
      token = s.conversation_id;
      say('agent', s.reply);
      status.textContent = 'Type your answer and press Enter.';
      open(true);
      input.focus();
    } catch (e) {
      status.textContent = `Could not start: ${e.message}`;
    }
  });
  const form = h('form', { class: 'chat-form', 'aria-label': 'Message' }, h('label', { for: 'chat-input', class: 'sr-only' }, 'Your message'), input, send);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || !token) return;
    input.value = '';
    say('caller', text);
    send.disabled = true;
    try {
      const r = await post(`/api/v1/conversations/${encodeURIComponent(token)}/messages`, { text });
      say('agent', r.reply);
      if (r.done) done('The conversation is over.');
    } catch (e) {
      status.textContent = `Not sent: ${e.message}`;
    } finally {
      if (token) {
        send.disabled = false;
        input.focus();
      }
    }
  });
  finish.addEventListener('click', async () => {
    if (!token) return;
    try {
      await post(`/api/v1/conversations/${encodeURIComponent(token)}/end`);
    } catch (e) {
      status.textContent = `Could not end: ${e.message}`;
      return;
    }
    done('You ended the chat.');
  });
  fill(panel, h('div', { class: 'actions' }, begin, finish), status, transcript, form);
}
