// console.js: what the account and operator pages share. Every error the
// API returns ({error, message}) is shown as its message, next to what
// failed; lists page through next_page_uri; what cannot be undone asks for
// a second press instead of a modal, so it stays keyboard-friendly.
import { h, mount } from "./dom.js";
import { api } from "./api.js";

// errorText is what a person reads for a failure: the server's message
// (ApiError carries it), else the error itself.
export function errorText(e) {
  return (e && e.message) || String(e);
}

// alertBox is a region that announces errors; show(el, e) fills it and
// show(el) empties it.
export function alertBox(id) {
  return h("p.error.alert", { role: "alert", id, "aria-live": "assertive" });
}
export function show(el, e) {
  el.textContent = e ? errorText(e) : "";
}

// failed replaces the page with why its data could not be read.
export function failed(main, what, e) {
  mount(main, h("div.card.failed", { role: "alert" },
    h("h3", "Could not load " + what),
    h("p.error", errorText(e)),
    h("button.btn.small", { type: "button", on: { click: () => location.reload() } }, "Retry")));
}

// head is a page's title row; extra nodes go to its right.
export function head(title, ...extra) {
  return h("div.page-head", h("h2", title), h("div.spacer"), extra);
}

// table draws rows under columns [{title, cell(row) → node|string, cls}]
// (cols.rowClass(row), when set, names a row's class); an empty list
// shows emptyNode instead (when given).
export function table(cols, rows, { id, emptyNode } = {}) {
  if (!rows.length && emptyNode) return emptyNode;
  return h("table.list", { id },
    h("thead", h("tr", cols.map((c) => h("th", { class: c.cls }, c.title)))),
    h("tbody", rows.map((r) => row(cols, r))));
}
export function row(cols, r) {
  const tr = h("tr", cols.map((c) => h("td", { class: c.cls }, c.cell(r))));
  if (cols.rowClass) tr.className = cols.rowClass(r) || "";
  return tr;
}

// kv lays [label, value] pairs out in two columns.
export function kv(pairs, cls = "") {
  return h("div.kv" + (cls ? "." + cls : ""), pairs.flatMap(([k, v]) => [h("span.k", k), h("span.v", v)]));
}

// when is a timestamp as a short local time, the exact UTC one on hover.
export function when(s) {
  if (!s) return "—";
  return h("time", { datetime: s, title: s }, fmtShort(s));
}
export function fmtShort(s) {
  const d = new Date(s);
  if (isNaN(d)) return String(s);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
export function fmtNum(n) {
  return n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US");
}

// meter is one quota: used against limit (null = unlimited), formatted by fmt.
export function meter(label, used, limit, fmt = fmtNum, id) {
  const unlimited = limit === null || limit === undefined || limit < 0;
  const pct = unlimited ? 0 : limit === 0 ? 100 : Math.min(100, (100 * used) / limit);
  const bar = h("span");
  bar.style.width = pct.toFixed(1) + "%"; // CSSOM, which the CSP allows (a style attribute it would not)
  return h("div.card.stat", { id },
    h("div.label", label),
    h("div.value", fmt(used), h("span.of", " / ", unlimited ? "unlimited" : fmt(limit))),
    h("div.meter" + (pct >= 100 ? ".full" : pct >= 80 ? ".high" : ""), {
      role: "meter", "aria-label": label, "aria-valuemin": 0, "aria-valuemax": unlimited ? undefined : limit, "aria-valuenow": used,
    }, bar));
}

// busy runs fn for a button press: the button is disabled meanwhile and a
// failure lands in alertEl. It resolves to fn's value, or undefined on failure.
export async function busy(btn, alertEl, fn) {
  if (btn) btn.disabled = true;
  show(alertEl);
  try {
    return await fn();
  } catch (e) {
    show(alertEl, e);
    return undefined;
  } finally {
    if (btn) btn.disabled = false;
  }
}

// confirmButton needs two presses within 4 s: the first only asks.
export function confirmButton(label, ask, fn, attrs = {}) {
  let armed = 0;
  const b = h("button.btn.small.danger", { type: "button", ...attrs }, label);
  b.addEventListener("click", async () => {
    if (Date.now() - armed > 4000) {
      armed = Date.now();
      b.textContent = ask;
      b.classList.add("armed");
      setTimeout(() => { if (b.isConnected && Date.now() - armed >= 4000) { b.textContent = label; b.classList.remove("armed"); } }, 4100);
      return;
    }
    armed = 0;
    b.textContent = label;
    b.classList.remove("armed");
    await fn(b);
  });
  return b;
}

// relative turns a next_page_uri (a full URI, maybe naming another host
// than the page's) into a path on this origin.
export function relative(uri) {
  if (!uri) return null;
  const u = new URL(uri, location.href);
  return u.pathname + u.search;
}

// pager reads a list page by page: next() fetches the next page and
// returns its items (key names the list in the answer); done tells when
// there are no more.
export function pager(path, key) {
  let next = path;
  return {
    get done() { return next === null; },
    async next() {
      if (next === null) return [];
      const page = await api(next);
      next = relative(page.next_page_uri);
      return page[key] || [];
    },
  };
}

// moreButton appends the next page's rows to tbody on each press (then
// calls after(), e.g. a filter's apply) and hides itself at the end.
export function moreButton(p, tbody, cols, alertEl, after = () => {}) {
  const b = h("button.btn.small.more", { type: "button", hidden: p.done }, "Load more");
  b.addEventListener("click", () => busy(b, alertEl, async () => {
    for (const r of await p.next()) tbody.append(row(cols, r));
    b.hidden = p.done;
    after();
  }));
  return b;
}

// monthsBack lists the last n UTC months as YYYY-MM, newest first.
export function monthsBack(n, now = new Date()) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i, 1));
    out.push(d.toISOString().slice(0, 7));
  }
  return out;
}

// ready marks the page drawn with its first data (main[data-ready]): what
// the browser tests wait for, so they never sleep.
export function ready(main) {
  main.dataset.ready = "1";
}

// filterBox narrows the rows of the tables inside `within` to those whose
// text holds what is typed (on this page's rows: the API has no text
// search for these lists). "/" focuses it (data-search), Escape clears it.
// apply() filters again after a redraw; hide(tr) filters one new row.
export function filterBox(within, label = "Filter") {
  const input = h("input.filter", { type: "search", placeholder: label + " ( / )", "aria-label": label, "data-search": true });
  const q = () => input.value.trim().toLowerCase();
  const hide = (tr) => { tr.hidden = q() !== "" && !tr.textContent.toLowerCase().includes(q()); };
  const apply = () => within.querySelectorAll("tbody tr").forEach(hide);
  input.addEventListener("input", apply);
  input.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { input.value = ""; apply(); input.blur(); }
  });
  return { input, apply, hide };
}
