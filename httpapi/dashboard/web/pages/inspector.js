// inspector.js: the traffic inspector. The list of captured requests,
// newest first, filtered on the server by what the URL says; a live tail
// over SSE on top of it; a detail pane (lib/inspector-detail.js); actions
// on a selection (replay in arrival order, HAR export).
//
// The page marks its work with the Performance API ("inspector:list" from
// asking for a page to the rows drawn), so anyone can time it in devtools,
// and the benchmarks read the same measures.
import { h, mount, empty } from "../lib/dom.js";
import { api, stream } from "../lib/api.js";
import * as F from "../lib/inspector-filters.js";
import { List } from "../lib/inspector-list.js";
import { filterBar } from "../lib/inspector-filterbar.js";
import { openDetail } from "../lib/inspector-detail.js";
import { replaySelection, exportSelection } from "../lib/inspector-actions.js";

export default async function inspector(main, ctx) {
  let f = F.fromQuery(ctx.query);
  let next = null; // the next (older) page's URL
  // The server stops a filtered page after scanning a bounded number of
  // requests (scanLimited); the rest of the history is one click further.
  let limited = false;
  let loadSeq = 0;
  let paused = false;
  let missed = 0; // live requests that arrived while paused
  let closeStream = null;
  let detail = null; // the open detail pane's close function

  const list = new List({
    onOpen: (r) => open(r),
    onSelectionChange: () => selectionChanged(),
    // The live tail dropped the oldest rows: "Load older" goes on from the
    // last one shown.
    onTrim: (oldest) => setNext(F.listURL(f) + "&before_id=" + encodeURIComponent(oldest)),
    onFlush: () => { if (list.table.hidden) showEmpty(); },
  });
  const older = h("button.btn#load-older", { type: "button", hidden: true, on: { click: () => loadOlder() } }, "Load older");
  const emptyBox = h("div#inspector-empty");
  const status = h("span.muted#list-status");
  const liveBadge = h("span.badge#live-state", { title: "The live tail's connection" }, "connecting");
  const pauseBtn = h("button.btn.small#pause", { type: "button", on: { click: () => setPaused(!paused) } }, "Pause");
  const newBtn = h("button.btn.small.primary#new-count", { type: "button", hidden: true, on: { click: () => setPaused(false) } });
  const selInfo = h("span.muted#selection-count");
  const replaySel = h("button.btn.small#replay-selected", { type: "button", disabled: true,
    on: { click: () => replaySelection(list.selected(), ctx, (r) => list.live(r)) } }, "Replay selected");
  const harSel = h("button.btn.small#export-har", { type: "button", disabled: true,
    on: { click: () => exportSelection(list.selected(), ctx) } }, "Export HAR");
  const pane = h("section.detail#detail", { hidden: true, "aria-label": "Request detail" });
  const listBox = h("section.list", list.table, emptyBox, h("div.more", older, status));
  list.attach(listBox);
  const split = h("div.inspector-split", listBox, pane);

  const bar = filterBar(f, (nf) => {
    const tunnelChanged = nf.tunnel !== f.tunnel;
    f = nf;
    ctx.setQuery(F.toQuery(f));
    load();
    if (tunnelChanged) connect();
  });

  mount(main, h("div.inspector",
    bar.el,
    h("div.toolbar.livebar", liveBadge, pauseBtn, newBtn, h("span.spacer"), selInfo, replaySel, harSel),
    split));

  function selectionChanged() {
    const n = list.checked.size;
    selInfo.textContent = n ? n + " selected" : "";
    replaySel.disabled = harSel.disabled = n === 0;
    list.all.checked = n > 0 && n === list.size;
  }

  function showEmpty() {
    if (list.size) {
      emptyBox.replaceChildren();
      if (list.table.hidden) {
        list.table.hidden = false;
        list.draw(); // its window was measured while it was hidden
      }
      return;
    }
    list.table.hidden = true;
    emptyBox.replaceChildren(F.active(f) && limited && next
      ? empty("No match among the most recent requests",
        h("p", "The server searched the newest part of the history and stopped; older requests may match."),
        h("p", h("button.btn.primary#search-further", { type: "button", on: { click: () => loadOlder() } }, "Search further back"), " ",
          h("button.btn", { type: "button", on: { click: () => bar.clear() } }, "Clear the filters")))
      : F.active(f)
      ? empty("No request matches these filters", h("p", h("button.btn", { type: "button", on: { click: () => bar.clear() } }, "Clear the filters")))
      : empty("No requests yet",
        h("p", "Start a tunnel to a local service, then send it a request:"),
        h("pre.command", "warren http 3000"),
        h("p", "Every request through it shows up here, live, with its headers and bodies.")));
  }

  async function load() {
    const seq = ++loadSeq;
    performance.mark("inspector:list-start");
    list.table.dataset.loading = "true";
    status.textContent = "Loading…";
    try {
      const page = await api(F.listURL(f));
      if (seq !== loadSeq) return; // a newer filter won
      list.replace(page.requests);
      limited = !!page.scanLimited;
      setNext(page.next_page_uri);
      missed = 0;
      newBtn.hidden = true;
      status.textContent = "";
    } catch (e) {
      if (seq !== loadSeq) return;
      list.replace([]);
      status.textContent = "";
      ctx.toast("Could not load requests: " + e.message, "error");
    }
    selectionChanged();
    showEmpty();
    delete list.table.dataset.loading;
    performance.measure("inspector:list", "inspector:list-start");
  }

  function setNext(uri) {
    next = uri ? (() => { const u = new URL(uri, location.href); return u.pathname + u.search; })() : null;
    older.hidden = !next;
    older.textContent = limited ? "Search further back" : "Load older";
  }

  async function loadOlder() {
    if (!next) return;
    older.disabled = true;
    const seq = loadSeq;
    try {
      const page = await api(next);
      if (seq !== loadSeq) return;
      list.append(page.requests);
      limited = !!page.scanLimited;
      setNext(page.next_page_uri);
    } catch (e) {
      ctx.toast("Could not load older requests: " + e.message, "error");
    } finally {
      older.disabled = false;
    }
    showEmpty();
  }

  function onLive(type, r) {
    if (type !== "request" || !r || !r.id || !F.matches(f, r)) return;
    if (paused) {
      missed++;
      newBtn.textContent = missed + " new";
      newBtn.hidden = false;
      return;
    }
    list.live(r);
  }

  function connect() {
    if (closeStream) closeStream();
    liveBadge.textContent = "connecting";
    closeStream = stream(F.streamURL(f), ["request"], onLive, (st) => {
      liveBadge.textContent = st === "open" ? (paused ? "paused" : "live") : st;
      liveBadge.className = "badge " + (st === "open" ? "ok" : "warn");
    });
  }

  // Pausing keeps the stream open and counts what arrives; resuming reloads
  // the first page, which holds what was missed (and no more than a page).
  function setPaused(p) {
    paused = p;
    pauseBtn.textContent = p ? "Resume" : "Pause";
    liveBadge.textContent = p ? "paused" : "live";
    if (!p) {
      newBtn.hidden = true;
      if (missed) load();
      missed = 0;
    }
  }

  function open(r) {
    list.select(r.id);
    if (detail) detail();
    pane.hidden = false;
    split.classList.add("with-detail");
    ctx.setQuery({ open: r.tunnel + "/" + r.id });
    detail = openDetail(pane, r, ctx, {
      close,
      opened: (nr) => { list.live(nr); open(nr); },
      openID: (tunnel, id) => open(list.summary(id) || { id, tunnel }),
    });
  }

  function close() {
    if (detail) detail();
    detail = null;
    pane.hidden = true;
    pane.replaceChildren();
    split.classList.remove("with-detail");
    ctx.setQuery({ open: null });
  }

  function onKey(e) {
    if (e.target.closest && e.target.closest("input, textarea, select, [contenteditable]")) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    if (e.metaKey || e.ctrlKey || e.altKey) return;
    if (e.key === "j" || e.key === "k") {
      e.preventDefault();
      list.move(e.key === "j" ? 1 : -1);
    } else if (e.key === "Enter" && list.cursor && !(e.target.closest && e.target.closest("button, a, summary"))) {
      e.preventDefault();
      const r = list.summary(list.cursor);
      if (r) open(r);
    } else if (e.key === "Escape" && detail) {
      e.preventDefault();
      close();
    } else if (e.key === "x" && list.cursor) {
      list.toggle(list.cursor);
    }
  }
  document.addEventListener("keydown", onKey);

  connect();
  await load();
  const o = ctx.query.get("open");
  if (o && o.includes("/")) {
    const [tunnel, id] = [o.slice(0, o.indexOf("/")), o.slice(o.indexOf("/") + 1)];
    open(list.summary(id) || { id, tunnel });
  }
  return () => {
    document.removeEventListener("keydown", onKey);
    if (closeStream) closeStream();
    if (detail) detail();
    list.close();
  };
}
