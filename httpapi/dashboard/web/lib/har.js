// har.js: HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) built
// in the browser from request details, for an export of a selection, and
// a download of any text through a blob: URL.
import { header } from "./body.js";

const reasons = { 200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently", 302: "Found", 304: "Not Modified",
  400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
  413: "Content Too Large", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout" };

function nv(headers) {
  const out = [];
  for (const [name, vs] of Object.entries(headers || {})) for (const value of vs) out.push({ name, value });
  return out;
}

function query(path) {
  const i = path.indexOf("?");
  return i < 0 ? [] : [...new URLSearchParams(path.slice(i + 1))].map(([name, value]) => ({ name, value }));
}

function cookies(headers, name) {
  const out = [];
  for (const line of (headers || {})[name] || []) {
    for (const c of name === "Cookie" ? line.split(";") : [line.split(";")[0]]) {
      const eq = c.indexOf("=");
      if (eq > 0) out.push({ name: c.slice(0, eq).trim(), value: c.slice(eq + 1).trim() });
    }
  }
  return out;
}

// text is a body as HAR carries it (base64 with encoding when binary), and
// a comment when it is cut or gone.
function text(b) {
  const o = {};
  if (b && b.available && b.data !== null) {
    o.text = b.data;
    if (b.encoding === "base64") o.encoding = "base64";
  }
  if (b && b.truncated) o.comment = `truncated: ${b.stored} of ${b.size} bytes captured`;
  else if (b && !b.available) o.comment = "body pruned by retention";
  return o;
}

// entry is one HAR entry for a detail.
export function entry(d, scheme = location.protocol.replace(":", "")) {
  const ttfb = (d.ttfbUs ?? d.ttfbMs * 1000) / 1000;
  const total = (d.durationUs ?? d.durationMs * 1000) / 1000;
  const reqCT = header(d.request.headers, "Content-Type");
  const respCT = header(d.response.headers, "Content-Type");
  const e = {
    startedDateTime: d.createdAt,
    time: total,
    request: {
      method: d.method, url: scheme + "://" + d.host + d.path, httpVersion: d.proto || "HTTP/1.1",
      cookies: cookies(d.request.headers, "Cookie"), headers: nv(d.request.headers), queryString: query(d.path),
      headersSize: -1, bodySize: d.request.body ? d.request.body.size : 0,
    },
    response: {
      status: d.status, statusText: reasons[d.status] || "", httpVersion: d.proto || "HTTP/1.1",
      cookies: cookies(d.response.headers, "Set-Cookie"), headers: nv(d.response.headers),
      content: { size: d.response.body ? d.response.body.size : 0, mimeType: respCT || "application/octet-stream", ...text(d.response.body) },
      redirectURL: header(d.response.headers, "Location"), headersSize: -1, bodySize: d.response.body ? d.response.body.size : 0,
    },
    cache: {},
    timings: { send: 0, wait: Math.max(ttfb, 0), receive: Math.max(total - ttfb, 0) },
    comment: d.id + (d.replayOf ? " (replay of " + d.replayOf + ")" : ""),
  };
  if (d.request.body && (d.request.body.size || d.request.body.stored)) {
    e.request.postData = { mimeType: reqCT || "application/octet-stream", ...text(d.request.body) };
  }
  return e;
}

// har is the document for details, in the order given.
export function har(details) {
  return { log: { version: "1.2", creator: { name: "Warren", version: "1" }, entries: details.map((d) => entry(d)) } };
}

// download saves text as a file. The link is never in the document, so
// the app's link router does not see its click.
export function download(name, content, type = "application/json") {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
