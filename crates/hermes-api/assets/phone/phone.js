// The HERMES test phone: sign in with the dashboard's account, then call
// the firm's agent over the browser voice WebSocket (/voice/browser).
//
// The call itself (audio, marks, keypad) is /app/call.js, shared with the
// dashboard's test phone.
import { Call } from '/app/call.js';

const $ = (id) => document.getElementById(id);
let accessToken = null;
let call = null;

function say(text) {
  $('status').textContent = text;
}

function addLine(speaker, text) {
  const li = document.createElement('li');
  const who = document.createElement('span');
  who.className = 'speaker';
  who.textContent = speaker === 'agent' ? 'Receptionist: ' : 'You: ';
  li.append(who, document.createTextNode(text));
  $('transcript').append(li);
  li.scrollIntoView({ block: 'nearest' });
}

function setInCall(inCall) {
  $('call').disabled = inCall;
  $('hangup').disabled = !inCall;
  for (const b of document.querySelectorAll('.keypad button')) b.disabled = !inCall;
}

$('signin').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('signin-error').textContent = '';
  const body = {
    tenant: $('tenant').value.trim(),
    email: $('email').value.trim(),
    password: $('password').value,
  };
  try {
    const r = await fetch('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = await r.json().catch(() => ({}));
    if (!r.ok) {
      $('signin-error').textContent =
        (answer.error && answer.error.message) || `Sign-in failed (HTTP ${r.status}).`;
      return;
    }
    accessToken = answer.access_token;
    $('password').value = '';
    $('signin').hidden = true;
    $('phone').hidden = false;
    $('call').focus();
  } catch (e) {
    $('signin-error').textContent = `Could not reach HERMES: ${e.message}`;
  }
});

$('call').addEventListener('click', async () => {
  if (call) return;
  $('transcript').replaceChildren();
  setInCall(true);
  const current = new Call(accessToken, {
    line: addLine,
    status: say,
    started: () => {},
    ended: (text) => {
      if (call === current) call = null;
      setInCall(false);
      say(text);
    },
  });
  call = current;
  try {
    await current.start();
  } catch (e) {
    current.end(`Could not start the call: ${e.message}`);
  }
});

$('hangup').addEventListener('click', () => call && call.hangUp());

for (const b of document.querySelectorAll('.keypad button')) {
  b.addEventListener('click', () => call && call.digit(b.dataset.digit));
}
