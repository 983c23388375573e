// api.js: the JSON API, called with the session cookie. Writes send JSON
// (the server refuses any other body type on cookie-authenticated writes)
// and errors become ApiError with the server's {error, message}.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || "HTTP " + status);
    this.status = status;
    this.code = code;
  }
}

export async function api(path, { method = "GET", body, headers = {}, raw = false, signal } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers }, signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (!res.ok) {
    let code = "", message = "";
    try {
      const j = await res.json();
      code = j.error;
      message = j.message;
    } catch { /* not JSON */ }
    if (res.status === 401 && !path.startsWith("/api/v1/session")) {
      window.dispatchEvent(new CustomEvent("warren:signed-out"));
    }
    throw new ApiError(res.status, code, message);
  }
  if (raw) return res;
  if (res.status === 204) return null;
  const ct = res.headers.get("Content-Type") || "";
  return ct.includes("json") ? res.json() : res.text();
}

// stream opens an SSE stream (the session cookie authenticates it) and
// calls onEvent(type, data, id) for each event of the named types (and
// unnamed ones); returns a close function. EventSource reconnects by
// itself, sending Last-Event-ID, so a blip loses nothing.
export function stream(path, types, onEvent, onState = () => {}) {
  const es = new EventSource(path, { withCredentials: true });
  es.onopen = () => onState("open");
  es.onerror = () => onState(es.readyState === EventSource.CLOSED ? "closed" : "reconnecting");
  const handler = (e) => {
    let data = e.data;
    try { data = JSON.parse(e.data); } catch { /* text */ }
    onEvent(e.type, data, e.lastEventId);
  };
  es.onmessage = handler;
  for (const t of types) es.addEventListener(t, handler);
  return () => es.close();
}
