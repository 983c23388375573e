// inspector-list.js: the inspector's request table. Captures are keyed by
// the request id (a ULID: string order is arrival order), so a request
// that arrives both in a page and on the live stream shows once. Only the
// rows in view (and a few around) are in the DOM, whatever the list holds;
// live captures are added in batches and the list is cut to a bound, so a
// tail at a thousand requests a second keeps the page responsive and its
// memory flat.
import { h, fmtBytes } from "./dom.js";
import { webhookBadge } from "./webhook.js"; // issue 17: the webhook verdict

// maxLiveRows bounds the rows the live tail keeps: past it, the oldest go.
export const maxLiveRows = 500;

// flushEvery is the least time between two live batches: each batch lays
// the table out again, and at a thousand requests a second a batch per
// frame would spend the page's time on layout instead of on its input.
// After a big batch (busyBatch rows or more) the next waits flushBusy.
const flushEvery = 200, flushBusy = 1000, busyBatch = 100;

// rowHeight is a row's height in pixels (inspector.css fixes it, and the
// list measures the first row it draws to be sure): the window of rows
// drawn is computed from it. overscan rows are drawn above
// and below the view so a short scroll shows no blank.
const rowHeight = 25, overscan = 15;

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

// badges are a capture's marks: a replay (linked to its original when
// openOriginal is given), edited, an error.
export function badges(r, openOriginal) {
  return [
    r.replayOf ? h("a.badge.warn.replay", {
      href: "/inspector?open=" + encodeURIComponent(r.tunnel + "/" + r.replayOf), title: "a replay of " + r.replayOf,
      on: { click: (e) => { e.preventDefault(); e.stopPropagation(); if (openOriginal) openOriginal(); } },
    }, "replay") : null,
    r.modified ? h("span.badge.edited", { title: "replayed with edits" + (r.overrides ? ": " + r.overrides.join(", ") : "") }, "edited") : null,
    r.error ? h("span.badge.err", { title: r.error }, "error") : null,
    webhookBadge(r.webhook), // webhook.js
  ];
}

// List is the table. onOpen(summary) opens a row; onSelectionChange()
// follows the checkboxes; onTrim(oldestID) says the live tail dropped
// captures; onFlush() follows each live batch.
export class List {
  constructor({ onOpen, onSelectionChange, onTrim, onFlush }) {
    this.onOpen = onOpen;
    this.onFlush = onFlush;
    this.onTrim = onTrim;
    this.onSelectionChange = onSelectionChange;
    this.items = []; // summaries, newest first
    this.byID = new Map(); // id → summary
    this.drawn = new Map(); // id → tr, the rows in the DOM
    this.checked = new Set();
    this.pending = [];
    this.frame = 0;
    this.timer = 0;
    this.drawFrame = 0;
    this.lastFlush = 0;
    this.lastBatch = 0;
    this.cursor = null; // the selected capture's id (j/k)
    this.rowH = rowHeight; // measured from the first row drawn
    this.scroller = null;
    this.above = h("tr.spacer", { "aria-hidden": "true" }, h("td", { colspan: 9 }));
    this.below = h("tr.spacer", { "aria-hidden": "true" }, h("td", { colspan: 9 }));
    this.shown = ""; // the window drawn last: first:last:size
    this.tbody = h("tbody");
    this.all = h("input#select-all", { type: "checkbox", title: "Select all", "aria-label": "Select all",
      on: { change: () => this.checkAll(this.all.checked) } });
    this.table = h("table.requests#requests",
      h("thead", h("tr", h("th.check", this.all), h("th", "Time"), h("th", "Method"), h("th", "Path"),
        h("th", "Status"), h("th.num", "Duration"), h("th.num", "Size"), h("th", "Tunnel"), h("th", ""))),
      this.tbody);
    this.onScroll = () => { if (!this.drawFrame) this.drawFrame = requestAnimationFrame(() => this.draw(false)); };
  }

  // attach makes scroller (the list's scrolling box) drive the window.
  attach(scroller) {
    this.scroller = scroller;
    scroller.addEventListener("scroll", this.onScroll, { passive: true });
    window.addEventListener("resize", this.onScroll);
  }

  get size() { return this.items.length; }
  // oldest is the last capture's id: the cursor of "Load older".
  get oldest() { return this.items.length ? this.items[this.items.length - 1].id : null; }
  summary(id) { return this.byID.get(id) || null; }

  row(r) {
    const check = h("input.check", { type: "checkbox", "aria-label": "Select " + r.id, checked: this.checked.has(r.id),
      on: {
        click: (e) => e.stopPropagation(),
        change: () => { if (check.checked) this.checked.add(r.id); else this.checked.delete(r.id); this.onSelectionChange(); },
      } });
    return h("tr.row", {
      dataset: { id: r.id },
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
    h("td.marks", badges(r, () => this.onOpen({ id: r.replayOf, tunnel: r.tunnel }))));
  }

  // draw puts the rows in view (and overscan around them) in the DOM,
  // with spacers standing for the rest; rows already drawn are kept. A
  // scroll (force false) that keeps the same window draws nothing.
  draw(force = true) {
    this.drawFrame = 0;
    const n = this.items.length;
    let first = 0, count = 2 * overscan + 40;
    if (this.scroller && n) {
      const view = this.scroller.getBoundingClientRect();
      const top = view.top - this.tbody.getBoundingClientRect().top;
      first = Math.max(0, Math.floor(top / this.rowH) - overscan);
      count = Math.ceil(view.height / this.rowH) + 2 * overscan;
    }
    const last = Math.min(n, first + count);
    const shown = first + ":" + last + ":" + n;
    if (!force && shown === this.shown) return;
    this.shown = shown;
    const keep = new Map();
    const rows = [];
    for (let i = first; i < last; i++) {
      const r = this.items[i];
      let tr = this.drawn.get(r.id);
      if (!tr) tr = this.row(r);
      tr.classList.toggle("selected", r.id === this.cursor);
      tr.querySelector("input.check").checked = this.checked.has(r.id);
      keep.set(r.id, tr);
      rows.push(tr);
    }
    this.drawn = keep;
    this.above.firstChild.style.height = first * this.rowH + "px";
    this.below.firstChild.style.height = (n - last) * this.rowH + "px";
    this.tbody.replaceChildren(this.above, ...rows, this.below);
    if (rows.length && !this.measured) {
      this.measured = true;
      const hgt = rows[0].getBoundingClientRect().height;
      if (hgt > 0 && hgt !== this.rowH) { this.rowH = hgt; this.shown = ""; this.draw(); }
    }
    this.table.dataset.rows = String(n);
  }

  add(r) {
    if (this.byID.has(r.id)) return false;
    this.byID.set(r.id, r);
    return true;
  }

  // replace shows a fresh page (the first of a filter).
  replace(items) {
    this.stop();
    this.pending = [];
    this.items = [];
    this.byID.clear();
    this.append(items);
    if (this.scroller) this.scroller.scrollTop = 0;
    this.draw();
  }

  // append adds an older page below.
  append(items) {
    for (const r of items) if (this.add(r)) this.items.push(r);
    this.draw();
  }

  // live queues a new capture; a batch is added at most every flushEvery
  // ms, in an animation frame, and the oldest past maxLiveRows go.
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
    const batch = this.pending.sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, maxLiveRows);
    this.pending = [];
    const top = this.items.length ? this.items[0].id : "";
    const fresh = [];
    for (const r of batch) {
      if (!this.add(r)) continue;
      if (r.id > top) fresh.push(r);
      else this.insertSorted(r); // late (rare): keep id order
    }
    this.items = fresh.concat(this.items);
    // Reading further down: the rows in view stay where they are.
    if (this.scroller && this.scroller.scrollTop > 0) this.scroller.scrollTop += fresh.length * this.rowH;
    this.trim();
    this.draw();
    this.onFlush();
  }

  insertSorted(r) {
    let lo = 0, hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.items[mid].id > r.id) lo = mid + 1;
      else hi = mid;
    }
    this.items.splice(lo, 0, r);
  }

  // trim drops the oldest captures past the bound (checked ones too: a
  // selection is of what is shown).
  trim() {
    if (this.items.length <= maxLiveRows) return;
    let changed = false;
    for (const r of this.items.splice(maxLiveRows)) {
      this.byID.delete(r.id);
      if (this.checked.delete(r.id)) changed = true;
      if (this.cursor === r.id) this.cursor = null;
    }
    if (changed) this.onSelectionChange();
    this.onTrim(this.oldest);
  }

  select(id) {
    const old = this.drawn.get(this.cursor);
    if (old) old.classList.remove("selected");
    this.cursor = id;
    const i = this.items.findIndex((r) => r.id === id);
    if (i < 0) return;
    if (this.scroller) {
      // Bring the row into view: the window follows the scroll.
      const head = this.table.tHead ? this.table.tHead.offsetHeight : 0;
      const y = this.tbody.offsetTop + i * this.rowH;
      const st = this.scroller.scrollTop, vh = this.scroller.clientHeight;
      if (y - head < st) this.scroller.scrollTop = y - head;
      else if (y + this.rowH > st + vh) this.scroller.scrollTop = y + this.rowH - vh;
    }
    this.draw();
  }

  // move goes down (+1, j) or up (-1, k) from the selected row.
  move(step) {
    if (!this.items.length) return null;
    const i = this.items.findIndex((r) => r.id === this.cursor);
    const next = i < 0 ? 0 : Math.min(this.items.length - 1, Math.max(0, i + step));
    this.select(this.items[next].id);
    return this.cursor;
  }

  // toggle ticks or unticks a capture.
  toggle(id) {
    if (!this.byID.has(id)) return;
    if (!this.checked.delete(id)) this.checked.add(id);
    this.draw();
    this.onSelectionChange();
  }

  checkAll(on) {
    this.checked.clear();
    if (on) for (const r of this.items) this.checked.add(r.id);
    this.draw();
    this.onSelectionChange();
  }

  // selected is the checked summaries in arrival order (oldest first).
  selected() {
    return [...this.checked].sort().map((id) => this.summary(id)).filter(Boolean);
  }

  stop() {
    clearTimeout(this.timer);
    cancelAnimationFrame(this.frame);
    cancelAnimationFrame(this.drawFrame);
    this.timer = this.frame = this.drawFrame = 0;
  }

  // close stops everything and lets go of the page.
  close() {
    this.stop();
    if (this.scroller) this.scroller.removeEventListener("scroll", this.onScroll);
    window.removeEventListener("resize", this.onScroll);
  }
}
