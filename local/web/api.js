// The API client: who is signed in (kept across reloads), and JSON calls that carry their token
// and turn the API's error shape into an Error with its status and code.

const TOKEN_KEY = 'vod.token';
const NAME_KEY = 'vod.name';

/** The signed-in user; `token` and `name` are null when nobody is. */
export const session = { token: localStorage.getItem(TOKEN_KEY), name: localStorage.getItem(NAME_KEY) };

let sessionExpired = () => {};

/** What to do when the API refuses the session's token (401): the page signs out. */
export function onSessionExpired(handler) {
  sessionExpired = handler;
}

export function startSession(name, token) {
  localStorage.setItem(TOKEN_KEY, token);
  localStorage.setItem(NAME_KEY, name);
  Object.assign(session, { token, name });
}

export function endSession() {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(NAME_KEY);
  Object.assign(session, { token: null, name: null });
}

export const videoPath = (id) => `/videos/${encodeURIComponent(id)}`;

const failure = (status, message, code) => Object.assign(new Error(message), { status, code });

export async function api(method, path, body) {
  const headers = {};
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw failure(0, 'The API cannot be reached; is the twin running?', 'NETWORK');
  }
  if (response.status === 204) return null;
  const payload = await response.json().catch(() => null);
  if (response.ok) return payload;
  if (response.status === 401 && session.token) sessionExpired();
  const error = payload?.error ?? {};
  let message = error.message ?? `${method} ${path} answered ${response.status}.`;
  const retryAfter = response.headers.get('Retry-After');
  if (response.status === 429 && retryAfter) message += ` Retry in ${retryAfter} s.`;
  throw failure(response.status, message, error.code);
}
