// A call to the firm's agent from this browser, over the browser voice
// WebSocket (/voice/browser). Used by the dashboard's test phone and the
// stand-alone /phone page.
//
// Audio both ways is 16 kHz 16-bit little-endian mono PCM. The page
// reports marks when the audio before them has actually played (and at
// once when the agent is interrupted and its queued audio dropped), so the
// agent knows what the caller heard.

const RATE = 16000;

export class Call {
  /**
   * `events`: { line(speaker, text), status(text), started(callId), ended(text) }.
   */
  constructor(token, events) {
    this.token = token;
    this.events = events;
    this.ws = null;
    this.ctx = null;
    this.mic = null;
    this.playAt = 0;
    this.sources = new Set();
    this.marks = [];
    this.timer = null;
    this.started = false;
    this.over = false;
  }

  async start() {
    this.events.status('Connecting…');
    this.ctx = new AudioContext({ sampleRate: RATE });
    await this.ctx.audioWorklet.addModule('/app/capture.js');
    if (this.over) return;
    this.mic = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true },
    });
    // Hung up (or left the page) while the browser asked for the microphone.
    if (this.over) {
      for (const t of this.mic.getTracks()) t.stop();
      return;
    }
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
      this.ws.send(JSON.stringify({ type: 'start', token: this.token, marks: true }));
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
        this.events.started(m.call_id);
        this.events.status('Connected. Speak when the receptionist has finished.');
        break;
      case 'transcript':
        this.events.line(m.speaker, m.text);
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
      this.events.line('caller', `[keypad] ${d}`);
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
    if (this.over) return;
    this.over = true;
    clearInterval(this.timer);
    if (this.mic) for (const t of this.mic.getTracks()) t.stop();
    if (this.ctx) {
      // Let the agent finish its goodbye before the speaker goes quiet.
      const ctx = this.ctx;
      const left = Math.max(0, this.playAt - ctx.currentTime);
      setTimeout(() => ctx.close(), left * 1000);
    }
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close();
    this.events.ended(text);
  }
}
