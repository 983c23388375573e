// inspector-list.js: the inspector's request table. Rows are keyed by the
// request id (a ULID: string order is arrival order), so a request that
// arrives both in a page and on the live stream shows once, and live rows
// are added in batches, once per animation frame, with the table cut to a
// bound: a tail at thousands of requests a second keeps the page
// responsive and its memory flat.
import { h, fmtBytes } from "./dom.js";

// maxLiveRows bounds the rows the live tail keeps: past it, the oldest go.
export const maxLiveRows = 500;

// flushEvery is the least time between two live batches: each batch lays
// the table out again, and at a thousand requests a second a batch per
// frame would spend the page's time on layout instead of on its input.
// After a big batch (busyBatch rows or more) the next waits flushBusy:
// the table ends up holding the same newest rows, but rows that would
// have been shown for a moment and then dropped are never built.
const flushEvery = 200, flushBusy = 1000, busyBatch = 100;

// statusClass is the CSS class of a status (s2…s5).
export function statusClass(st) {
  return st ? "s" + Math.floor(st / 100) : "s5";
}

// fmtDuration shows milliseconds, with the microseconds below 10 ms.
export function fmtDuration(r) {
  if (r.durationUs !== undefined && r.durationUs < 10000) return (r.durationUs / 1000).toFixed(2) + " ms";
  return r.durationMs + " ms";
}

function fmtClock(s) {
  const d = new Date(s);
  if (isNaN(d)) return String(s);
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

// badges are a capture's marks: a replay (of which request), edited.
export function badges(r) {
  return [
    r.replayOf ? h("span.badge.warn.replay", { title: "a replay of " + r.replayOf }, "replay") : null,
    r.modified ? h("span.badge.edited", { title: "replayed with edits" + (r.overrides ? ": " + r.overrides.join(", ") : "") }, "edited") : null,
    r.error ? h("span.badge.err", { title: r.error }, "error") : null,
  ];
}

// List is the table. onOpen(summary) opens a row; onSelectionChange()
// follows the checkboxes; onTrim(oldestID) says the live tail dropped rows;
// onFlush() follows each live batch.
export class List {
  constructor({ onOpen, onSelectionChange, onTrim, onFlush }) {
    this.onOpen = onOpen;
    this.onFlush = onFlush;
    this.onTrim = onTrim;
    this.onSelectionChange = onSelectionChange;
    this.rows = new Map(); // id → {tr, r}
    this.checked = new Set();
    this.pending = [];
    this.frame = 0;
    this.timer = 0;
    this.lastFlush = 0;
    this.lastBatch = 0;
    this.cursor = null; // the selected row's id (j/k)
    this.tbody = h("tbody");
    this.all = h("input#select-all", { type: "checkbox", title: "Select all shown", "aria-label": "Select all shown",
      on: { change: () => this.checkAll(this.all.checked) } });
    this.table = h("table.requests#requests",
      h("thead", h("tr", h("th.check", this.all), h("th", "Time"), h("th", "Method"), h("th", "Path"),
        h("th", "Status"), h("th.num", "Duration"), h("th.num", "Size"), h("th", "Tunnel"), h("th", ""))),
      this.tbody);
  }

  get size() { return this.rows.size; }
  // oldest is the last row's id: the cursor of "Load older".
  get oldest() { const last = this.tbody.lastElementChild; return last ? last.dataset.id : null; }
  summary(id) { const x = this.rows.get(id); return x ? x.r : null; }

  row(r) {
    const check = h("input.check", { type: "checkbox", "aria-label": "Select " + r.id, checked: this.checked.has(r.id),
      on: {
        click: (e) => e.stopPropagation(),
        change: () => { if (check.checked) this.checked.add(r.id); else this.checked.delete(r.id); this.onSelectionChange(); },
      } });
    return h("tr.row", {
      dataset: { id: r.id }, class: "row" + (r.id === this.cursor ? " selected" : ""),
      on: { click: () => { this.select(r.id); this.onOpen(r); } },
    },
    h("td.check", check),
    h("td.mono.time", { title: r.createdAt }, fmtClock(r.createdAt)),
    h("td.mono.method", r.method),
    h("td.mono.path", { title: r.path }, r.path),
    h("td.mono.status", { class: "mono status " + statusClass(r.status) }, r.status ? String(r.status) : "—"),
    h("td.mono.num", fmtDuration(r)),
    h("td.mono.num", fmtBytes(r.bytes)),
    h("td.tunnel", r.tunnel),
    h("td.marks", badges(r)));
  }

  // replace shows a fresh page (the first of a filter).
  replace(items) {
    this.stop();
    this.pending = [];
    this.rows.clear();
    this.tbody.replaceChildren();
    this.append(items);
  }

  // append adds an older page below.
  append(items) {
    const frag = document.createDocumentFragment();
    for (const r of items) {
      if (this.rows.has(r.id)) continue;
      const tr = this.row(r);
      this.rows.set(r.id, { tr, r });
      frag.append(tr);
    }
    this.tbody.append(frag);
  }

  // live queues a new request; a batch is added on top at most every
  // flushEvery ms, in an animation frame, and the oldest rows past
  // maxLiveRows go.
  live(r) {
    this.pending.push(r);
    if (this.pending.length > 2 * maxLiveRows) this.pending.splice(0, this.pending.length - maxLiveRows);
    if (this.timer || this.frame) return;
    const every = this.lastBatch >= busyBatch ? flushBusy : flushEvery;
    const wait = Math.max(0, this.lastFlush + every - performance.now());
    this.timer = setTimeout(() => {
      this.timer = 0;
      this.frame = requestAnimationFrame(() => this.flush());
    }, wait);
  }

  flush() {
    this.frame = 0;
    this.lastFlush = performance.now();
    this.lastBatch = this.pending.length;
    // Only the newest maxLiveRows of a batch could stay: build no more.
    const batch = this.pending.sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, maxLiveRows);
    this.pending = [];
    const top = this.tbody.firstElementChild ? this.tbody.firstElementChild.dataset.id : "";
    const frag = document.createDocumentFragment();
    for (const r of batch) {
      if (this.rows.has(r.id)) continue;
      const tr = this.row(r);
      this.rows.set(r.id, { tr, r });
      if (r.id > top) frag.append(tr);
      else this.insertSorted(tr, r.id); // late (rare): keep id order
    }
    this.tbody.prepend(frag);
    this.trim();
    this.onFlush();
  }

  insertSorted(tr, id) {
    for (const el of this.tbody.children) {
      if (el.dataset.id < id) { this.tbody.insertBefore(tr, el); return; }
    }
    this.tbody.append(tr);
  }

  // trim drops the oldest rows past the bound (checked rows too: a
  // selection is of what is shown).
  trim() {
    let changed = false, dropped = false;
    while (this.rows.size > maxLiveRows) {
      const last = this.tbody.lastElementChild;
      const id = last.dataset.id;
      last.remove();
      dropped = true;
      this.rows.delete(id);
      if (this.checked.delete(id)) changed = true;
      if (this.cursor === id) this.cursor = null;
    }
    if (changed) this.onSelectionChange();
    if (dropped) this.onTrim(this.oldest);
  }

  select(id) {
    const old = this.rows.get(this.cursor);
    if (old) old.tr.classList.remove("selected");
    this.cursor = id;
    const x = this.rows.get(id);
    if (x) { x.tr.classList.add("selected"); x.tr.scrollIntoView({ block: "nearest" }); }
  }

  // move goes down (+1, j) or up (-1, k) from the selected row.
  move(step) {
    const cur = this.rows.get(this.cursor);
    let next = cur ? (step > 0 ? cur.tr.nextElementSibling : cur.tr.previousElementSibling) : this.tbody.firstElementChild;
    if (!next) next = cur ? cur.tr : null;
    if (next) this.select(next.dataset.id);
    return this.cursor;
  }

  checkAll(on) {
    this.checked.clear();
    for (const [id, x] of this.rows) {
      x.tr.querySelector("input.check").checked = on;
      if (on) this.checked.add(id);
    }
    this.onSelectionChange();
  }

  // selected is the checked summaries in arrival order (oldest first).
  selected() {
    return [...this.checked].sort().map((id) => this.summary(id)).filter(Boolean);
  }

  stop() {
    clearTimeout(this.timer);
    cancelAnimationFrame(this.frame);
    this.timer = this.frame = 0;
  }
}
