// The HERMES test phone: sign in with the dashboard's account, then call
// the firm's agent over the browser voice WebSocket (/voice/browser).
//
// Audio both ways is 16 kHz 16-bit little-endian mono PCM. The page
// reports marks when the audio before them has actually played (and at
// once when the agent is interrupted and its queued audio dropped), so the
// agent knows what the caller heard.
'use strict';

const RATE = 16000;
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

class Call {
  constructor() {
    this.ws = null;
    this.ctx = null;
    this.mic = null;
    this.playAt = 0;
    this.sources = new Set();
    this.marks = [];
    this.timer = null;
    this.started = false;
  }

  async start() {
    setInCall(true);
    say('Connecting…');
    this.ctx = new AudioContext({ sampleRate: RATE });
    await this.ctx.audioWorklet.addModule('/phone/capture.js');
    this.mic = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true },
    });
    const source = this.ctx.createMediaStreamSource(this.mic);
    const capture = new AudioWorkletNode(this.ctx, 'capture');
    // Chromium only runs a worklet that leads somewhere: a muted sink.
    const sink = this.ctx.createGain();
    sink.gain.value = 0;
    source.connect(capture).connect(sink).connect(this.ctx.destination);

    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    this.ws = new WebSocket(`${scheme}://${location.host}/voice/browser`);
    this.ws.binaryType = 'arraybuffer';
    this.ws.onopen = () =>
      this.ws.send(JSON.stringify({ type: 'start', token: accessToken, marks: true }));
    this.ws.onmessage = (e) => this.receive(e.data);
    this.ws.onclose = () => this.end('Call ended.');
    capture.port.onmessage = (e) => {
      if (this.started && this.ws.readyState === WebSocket.OPEN) this.ws.send(e.data);
    };
    this.timer = setInterval(() => this.reportPlayed(), 20);
  }

  receive(data) {
    if (typeof data !== 'string') {
      this.play(new Int16Array(data));
      return;
    }
    const m = JSON.parse(data);
    switch (m.type) {
      case 'started':
        this.started = true;
        say('Connected. Speak when the receptionist has finished.');
        break;
      case 'transcript':
        addLine(m.speaker, m.text);
        break;
      case 'mark':
        this.marks.push({ at: Math.max(this.playAt, this.ctx.currentTime), name: m.name });
        break;
      case 'clear':
        for (const s of this.sources) s.stop();
        this.sources.clear();
        this.playAt = 0;
        this.reportPlayed(true);
        break;
      case 'end':
        this.end('The receptionist ended the call.');
        break;
      case 'error':
        this.end(`HERMES refused the call: ${m.error}`);
        break;
      default:
        break;
    }
  }

  play(pcm) {
    const buffer = this.ctx.createBuffer(1, pcm.length, RATE);
    const samples = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) samples[i] = pcm[i] / 32768;
    const node = this.ctx.createBufferSource();
    node.buffer = buffer;
    node.connect(this.ctx.destination);
    // A little lead keeps frames that arrive a few ms late gapless.
    const earliest = this.ctx.currentTime + 0.06;
    if (this.playAt < earliest) this.playAt = earliest;
    node.start(this.playAt);
    this.playAt += buffer.duration;
    this.sources.add(node);
    node.onended = () => this.sources.delete(node);
  }

  reportPlayed(all = false) {
    while (this.marks.length && (all || this.marks[0].at <= this.ctx.currentTime)) {
      const { name } = this.marks.shift();
      if (this.ws.readyState === WebSocket.OPEN) {
        this.ws.send(JSON.stringify({ type: 'mark', name }));
      }
    }
  }

  digit(d) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ type: 'dtmf', digit: d }));
      addLine('caller', `[keypad] ${d}`);
    }
  }

  hangUp() {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify({ type: 'hangup' }));
    }
    for (const s of this.sources) s.stop();
    this.playAt = 0;
    this.end('You hung up.');
  }

  end(text) {
    if (call !== this) return;
    call = null;
    clearInterval(this.timer);
    if (this.mic) for (const t of this.mic.getTracks()) t.stop();
    if (this.ctx) {
      // Let the agent finish its goodbye before the speaker goes quiet.
      const ctx = this.ctx;
      const left = Math.max(0, this.playAt - ctx.currentTime);
      setTimeout(() => ctx.close(), left * 1000);
    }
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close();
    setInCall(false);
    say(text);
  }
}

$('call').addEventListener('click', async () => {
  if (call) return;
  $('transcript').replaceChildren();
  call = new Call();
  try {
    await call.start();
  } catch (e) {
    call.end(`Could not start the call: ${e.message}`);
  }
});

$('hangup').addEventListener('click', () => call && call.hangUp());

for (const b of document.querySelectorAll('.keypad button')) {
  b.addEventListener('click', () => call && call.digit(b.dataset.digit));
}
