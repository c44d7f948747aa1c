// The one way the dashboard talks to HERMES: the same HTTP API as every
// other client, with the signed-in user's bearer token.
//
// Tokens live in sessionStorage (this tab only, gone when it closes), not
// in cookies: no cookie means no cross-site request can carry the user's
// credentials, so there is nothing for CSRF to forge. Scripts could read
// them, which is why the page runs under a CSP that allows only its own
// files and renders every value as text.

const KEY = 'hermes.session';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let session = JSON.parse(sessionStorage.getItem(KEY) || 'null');
let refreshing = null;
const signedOut = new Set();

function save(s) {
  session = s;
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

function fromTokens(answer, tenant) {
  return {
    tenant,
    access: answer.access_token,
    refresh: answer.refresh_token,
    // Refresh a minute early so a request never leaves with a stale token.
    expiresAt: Date.now() + (answer.expires_in - 60) * 1000,
  };
}

export function isSignedIn() {
  return session !== null;
}

export function tenantSlug() {
  return session ? session.tenant : null;
}

/** Called when the session ends (signed out, refresh refused). */
export function onSignedOut(f) {
  signedOut.add(f);
}

async function errorOf(r) {
  const body = await r.json().catch(() => ({}));
  const e = body.error || {};
  return new ApiError(r.status, e.code || 'error', e.message || `HTTP ${r.status}`, e.details);
}

export async function signIn(tenant, email, password) {
  const r = await fetch('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenant, email, password }),
  });
  if (!r.ok) throw await errorOf(r);
  save(fromTokens(await r.json(), tenant));
}

export async function signOut() {
  if (session) {
    // A current token (refreshed if need be), so the server really ends
    // the session and its refresh token.
    const token = await accessToken().catch(() => null);
    if (token) {
      await fetch('/api/v1/auth/logout', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      }).catch(() => {});
    }
  }
  end();
}

function end() {
  save(null);
  for (const f of signedOut) f();
}

/** A current access token, refreshed quietly when it is about to expire. */
export async function accessToken() {
  if (!session) throw new ApiError(401, 'unauthorized', 'Not signed in.');
  if (Date.now() < session.expiresAt) return session.access;
  if (!refreshing) {
    refreshing = (async () => {
      const r = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: session.refresh }),
      });
      if (!r.ok) {
        end();
        throw await errorOf(r);
      }
      save(fromTokens(await r.json(), session.tenant));
    })().finally(() => {
      refreshing = null;
    });
  }
  await refreshing;
  return session.access;
}

/** One API request; throws ApiError with the server's message. */
export async function api(method, path, body) {
  const headers = { authorization: `Bearer ${await accessToken()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status === 401) {
    end();
    throw await errorOf(r);
  }
  if (!r.ok) throw await errorOf(r);
  if (r.status === 204) return null;
  const type = r.headers.get('content-type') || '';
  return type.includes('json') ? r.json() : r.blob();
}

export const get = (path) => api('GET', path);

/** Builds `path?k=v&…`, leaving out empty values. */
export function query(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v != null) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** Hands one event to the page; a page's mistake never stops the stream. */
function deliver(handler, name, data) {
  try {
    handler(name, typeof data === 'string' ? JSON.parse(data) : data);
  } catch (e) {
    console.warn('live update not handled', name, e);
  }
}

/**
 * The firm's live updates (GET /api/v1/events, server-sent events read
 * with fetch so the token goes in a header, not the URL). Calls
 * `handler(name, data)` for each; reconnects with a fresh token when the
 * stream ends. Returns a function that stops it.
 */
export function live(handler) {
  let stopped = false;
  let controller = null;
  (async () => {
    let backoff = 500;
    while (!stopped && session) {
      controller = new AbortController();
      try {
        const r = await fetch('/api/v1/events', {
          headers: { authorization: `Bearer ${await accessToken()}`, accept: 'text/event-stream' },
          signal: controller.signal,
        });
        if (r.status === 401) {
          end();
          return;
        }
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        backoff = 500;
        deliver(handler, 'connected', {});
        const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value.replace(/\r\n?/g, '\n');
          let cut;
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            let name = 'message';
            const data = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) name = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
            }
            if (data.length) deliver(handler, name, data.join('\n'));
          }
        }
      } catch (e) {
        if (stopped) return;
      } finally {
        controller.abort();
      }
      if (stopped) return;
      handler('resync', {});
      await new Promise((ok) => setTimeout(ok, backoff));
      backoff = Math.min(backoff * 2, 10000);
    }
  })();
  return () => {
    stopped = true;
    if (controller) controller.abort();
  };
}
