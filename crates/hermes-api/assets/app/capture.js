// AudioWorklet: the microphone as 20 ms chunks of 16-bit PCM at the
// context's rate (the page opens its AudioContext at 16 kHz, so the
// browser resamples the microphone for us).
class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.chunk = new Int16Array(Math.round(sampleRate / 50));
    this.filled = 0;
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) {
      for (let i = 0; i < channel.length; i++) {
        const x = Math.max(-1, Math.min(1, channel[i]));
        this.chunk[this.filled++] = Math.round(x * 32767);
        if (this.filled === this.chunk.length) {
          this.port.postMessage(this.chunk.buffer.slice(0));
          this.filled = 0;
        }
      }
    }
    return true;
  }
}

registerProcessor('capture', Capture);
