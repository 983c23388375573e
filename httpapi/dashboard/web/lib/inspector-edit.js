// inspector-edit.js: "replay with edits": a form holding the captured
// method, path, headers and body; only what the user changed is sent as
// an override (POST …/replay {method?, path?, headers?, body?}), so the
// new capture says exactly what was edited.
import { h } from "./dom.js";

// Headers the edge sets for every request: an override of them is refused.
const managed = new Set(["host", "content-length", "transfer-encoding", "connection", "keep-alive",
  "proxy-connection", "te", "trailer", "upgrade"]);

function headerLines(headers) {
  return Object.entries(headers || {}).filter(([k]) => !managed.has(k.toLowerCase()))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, vs]) => k + ": " + vs.join(", ")).join("\n");
}

// parseHeaders reads "Name: value" lines (blank lines skipped).
export function parseHeaders(text) {
  const out = new Map();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const i = line.indexOf(":");
    if (i <= 0) throw new Error(`"${line}" is not "Name: value"`);
    out.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return out;
}

// overrides compares the form with the capture d.
export function overrides(d, v) {
  const o = {};
  if (v.method.trim().toUpperCase() !== d.method) o.method = v.method.trim().toUpperCase();
  if (v.path !== d.path) o.path = v.path;
  const before = parseHeaders(headerLines(d.request.headers));
  const after = parseHeaders(v.headers);
  const hs = {};
  for (const [k, val] of after) if (before.get(k) !== val) hs[k] = val;
  for (const k of before.keys()) if (!after.has(k)) hs[k] = ""; // "" removes it
  if (Object.keys(hs).length) o.headers = hs;
  if (v.bodyChanged) o.body = v.body;
  return o;
}

// editForm is the form for d; send(overrides) replays, cancel closes it.
export function editForm(d, send, cancel) {
  const b = d.request.body;
  const binary = b.encoding === "base64";
  const captured = binary || !b.available ? "" : b.data || "";
  const method = h("input#edit-method", { value: d.method, size: 8, "aria-label": "Method", autocomplete: "off" });
  const path = h("input#edit-path", { value: d.path, "aria-label": "Path", autocomplete: "off" });
  const headers = h("textarea#edit-headers", { rows: 5, "aria-label": "Headers", spellcheck: "false" }, headerLines(d.request.headers));
  const body = h("textarea#edit-body", { rows: 8, "aria-label": "Body", spellcheck: "false",
    placeholder: binary ? "The captured body is binary: it is sent as it was unless you type a new one here." : "" }, captured);
  const err = h("p.error#edit-error", { role: "alert" });
  const note = [];
  if (b.truncated) note.push(h("p.note", "The captured body was cut at the capture limit: a replay needs the whole body, so what you send here replaces it."));
  if (!b.available && b.size) note.push(h("p.note", "The captured body is gone (pruned): type the body to send."));
  return h("form.card.edit#edit-form", {
    on: {
      submit: (e) => {
        e.preventDefault();
        err.textContent = "";
        try {
          const bodyChanged = body.value !== captured || b.truncated || (!b.available && b.size > 0);
          send(overrides(d, { method: method.value, path: path.value, headers: headers.value, body: body.value,
            bodyChanged: binary ? body.value !== "" : bodyChanged }));
        } catch (e2) {
          err.textContent = e2.message;
        }
      },
    },
  },
  h("div.edit-line", method, path),
  h("label", { for: "edit-headers" }, "Headers (Host, Content-Length and the like are set by Warren)"), headers,
  h("label", { for: "edit-body" }, "Body"), body, note, err,
  h("div.toolbar", h("button.btn.primary.small#replay-send", { type: "submit" }, "Replay with edits"),
    h("button.btn.small.ghost", { type: "button", on: { click: cancel } }, "Cancel")));
}
