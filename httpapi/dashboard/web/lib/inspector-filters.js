// inspector-filters.js: the inspector's filters. They live in the page's
// URL (so a filtered view can be shared or reloaded) under the same names
// the list API takes, so the URL's query is, key for key, the API's.

// keys are the filter names, in the URL and in the API's query alike.
export const keys = ["tunnel", "method", "status", "path", "since", "until", "minDurationMs", "errors", "replays"];

// fromQuery reads the filters from URLSearchParams (missing: "").
export function fromQuery(q) {
  const f = {};
  for (const k of keys) f[k] = q.get(k) || "";
  f.errors = f.errors === "true";
  f.replays = f.replays === "true";
  return f;
}

// toQuery is the filters as a setQuery object (empty values remove a key).
export function toQuery(f) {
  const o = {};
  for (const k of keys) o[k] = f[k] === true ? "true" : f[k] || null;
  return o;
}

// active reports whether any filter narrows the list.
export function active(f) {
  return keys.some((k) => f[k] !== "" && f[k] !== false);
}

// listURL is the first page of the list for f: every tunnel's requests
// (osmRouter's /v1/requests, narrowed by ?tunnel=), newest first, with the
// filters applied on the server.
export function listURL(f, limit = 100) {
  const q = new URLSearchParams({ limit: String(limit) });
  for (const [k, v] of Object.entries(toQuery(f))) if (v) q.set(k, v);
  return "/v1/requests?" + q.toString();
}

// streamURL is the live stream for f: one tunnel's, or every tunnel's.
export function streamURL(f) {
  return f.tunnel
    ? "/api/v1/me/tunnels/" + encodeURIComponent(f.tunnel) + "/requests/stream"
    : "/api/v1/me/requests/stream";
}

// matches applies f to one summary, as the server does to the list: the
// live stream is not filtered by the server, so the page filters it here.
export function matches(f, r) {
  if (f.tunnel && r.tunnel !== f.tunnel) return false;
  if (f.method) {
    const ms = f.method.toUpperCase().split(",").map((s) => s.trim()).filter(Boolean);
    if (ms.length && !ms.includes(String(r.method).toUpperCase())) return false;
  }
  if (f.status) {
    const ok = f.status.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean).some((s) =>
      /^[1-5]xx$/.test(s) ? Math.floor(r.status / 100) === Number(s[0]) : Number(s) === r.status);
    if (!ok) return false;
  }
  if (f.path && !String(r.path).includes(f.path)) return false;
  const at = Date.parse(r.createdAt);
  if (f.since && at < Date.parse(f.since)) return false;
  if (f.until && at > Date.parse(f.until)) return false;
  if (f.minDurationMs && Number(r.durationMs) < Number(f.minDurationMs)) return false;
  if (f.errors && !(r.error || r.status >= 500 || !r.status)) return false;
  if (f.replays && !r.replayOf) return false;
  return true;
}

// localInput turns an RFC 3339 time into a datetime-local input's value
// (the browser's zone), and back.
export function localInput(iso) {
  const d = new Date(iso);
  if (!iso || isNaN(d)) return "";
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
// endOfMinute makes an "until" take in the whole minute the field shows.
export function fromLocalInput(v, endOfMinute = false) {
  const d = new Date(v);
  if (!v || isNaN(d)) return "";
  if (endOfMinute) d.setSeconds(59, 999);
  return d.toISOString().replace(/\.000Z$/, "Z");
}
