// inspector-filterbar.js: the inspector's filter controls. onChange gets
// the new filters (lib/inspector-filters.js) after each edit; typing in a
// text field waits for a pause first, so a path search asks the server
// once per word, not once per key.
import { h } from "./dom.js";
import { api } from "./api.js";
import { localInput, fromLocalInput } from "./inspector-filters.js";

const methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const statuses = ["2xx", "3xx", "4xx", "5xx"];

// select makes a <select> whose first option is "any", keeping a value
// from the URL that is not among the options (e.g. "GET,POST" or "404").
function select(id, label, options, value) {
  const opts = [h("option", { value: "" }, label + ": any"), ...options.map((o) => h("option", { value: o }, o))];
  if (value && !options.includes(value)) opts.push(h("option", { value }, value));
  const s = h("select#" + id, { "aria-label": label }, opts);
  s.value = value;
  return s;
}

export function filterBar(initial, onChange) {
  const f = { ...initial };
  const tunnels = h("datalist#tunnel-names");
  const tunnel = h("input#f-tunnel", { type: "text", list: "tunnel-names", placeholder: "tunnel", value: f.tunnel, "aria-label": "Tunnel", size: 10 });
  const method = select("f-method", "Method", methods, f.method);
  const status = select("f-status", "Status", statuses, f.status);
  const path = h("input#f-path", { type: "search", placeholder: "path contains…  ( / )", value: f.path, "aria-label": "Path contains", dataset: { search: "" }, size: 18 });
  const since = h("input#f-since", { type: "datetime-local", value: localInput(f.since), "aria-label": "Since", title: "Since" });
  const until = h("input#f-until", { type: "datetime-local", value: localInput(f.until), "aria-label": "Until", title: "Until" });
  const minDur = h("input#f-min-duration", { type: "number", min: 0, placeholder: "≥ ms", value: f.minDurationMs, "aria-label": "Minimum duration (ms)", title: "Minimum duration (ms)" });
  const errors = h("input#f-errors", { type: "checkbox", checked: f.errors });
  const replays = h("input#f-replays", { type: "checkbox", checked: f.replays });

  let timer = 0;
  function read() {
    clearTimeout(timer);
    const nf = {
      tunnel: tunnel.value.trim(), method: method.value, status: status.value, path: path.value,
      since: fromLocalInput(since.value), until: fromLocalInput(until.value, true),
      minDurationMs: minDur.value.trim(), errors: errors.checked, replays: replays.checked,
    };
    if (JSON.stringify(nf) === JSON.stringify(f)) return;
    Object.assign(f, nf);
    onChange({ ...f });
  }
  const later = () => { clearTimeout(timer); timer = setTimeout(read, 250); };
  for (const el of [method, status, since, until, errors, replays]) el.addEventListener("change", read);
  for (const el of [tunnel, path, minDur]) {
    el.addEventListener("input", later);
    el.addEventListener("change", read);
    el.addEventListener("keydown", (e) => { if (e.key === "Enter") read(); });
  }

  function clear() {
    tunnel.value = path.value = since.value = until.value = minDur.value = "";
    method.value = status.value = "";
    errors.checked = replays.checked = false;
    read();
  }

  // The tunnel names to pick from: every tunnel of the account, live or closed.
  api("/v1/tunnels?limit=100").then((res) => {
    const names = [...new Set((res.tunnels || []).map((t) => t.name || t.subdomain).filter(Boolean))];
    tunnels.replaceChildren(...names.map((n) => h("option", { value: n })));
  }).catch(() => { /* the list still works by typing a name */ });

  const el = h("form.toolbar.filters#filters", { on: { submit: (e) => { e.preventDefault(); read(); } } },
    tunnel, tunnels, method, status, path, since, h("span.muted", "–"), until, minDur,
    h("label.inline", errors, " errors"), h("label.inline", replays, " replays"),
    h("button.btn.small.ghost#clear-filters", { type: "button", on: { click: clear } }, "Clear"));
  return { el, clear };
}
