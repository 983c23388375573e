// audit.js: the account's audit log — its events, newest first, filtered
// by type (kept in the URL as ?type=), and live: new events arrive over
// /api/v1/me/events/stream and go on top.
import { h, mount, fmtAgo } from "../lib/dom.js";
import { api, stream } from "../lib/api.js";
import { head, alertBox, show, table, when, pager, moreButton, row, ready, filterBox } from "../lib/console.js";

// The filter's choices: type prefixes, as the API takes them.
const groups = [
  ["", "All events"], ["account.", "Account"], ["session.", "Sessions"], ["signin.", "Failed sign-ins"],
  ["key.", "API keys"], ["reservation.", "Reservations"], ["domain.", "Domains"], ["tunnel.", "Tunnels"],
  ["request.", "Captured requests"], ["bodies.", "Retention"],
];

// Every event name the stream can send: EventSource hands a page only the
// named events it listens for. A new event type belongs here too.
const types = [
  "account.created", "account.plan_changed", "account.password_set", "account.password_link_created",
  "session.created", "session.revoked", "signin.failed", "key.created", "key.revoked",
  "reservation.created", "reservation.released", "domain.added", "domain.verified",
  "domain.verification_failed", "domain.removed", "tunnel.opened", "tunnel.closed",
  "request.captured", "bodies.pruned",
];

// The live list keeps at most this many rows, so a busy account's page
// stays small however long it stays open.
const maxRows = 500;

export default async function audit(main, ctx) {
  const alert = alertBox("audit-error");
  const type = h("select#audit-type", { "aria-label": "Event type" },
    groups.map(([v, label]) => h("option", { value: v, selected: v === (ctx.query.get("type") || "") }, label)));
  const state = h("span.live-state#audit-live", "connecting…");
  const list = h("div#audit-list", h("p.muted", "Loading…"));
  const filter = filterBox(list, "Filter shown events");
  mount(main, head("Audit log", state, filter.input, type), alert, list);

  const cols = [
    { title: "When", cell: (e) => [when(e.at), h("span.muted", " " + fmtAgo(e.at))] },
    { title: "Type", cell: (e) => h("span.mono.type", e.type) },
    { title: "What", cell: (e) => h("details.event", h("summary.event-data", summary(e)), h("pre", JSON.stringify(e.data, null, 2))) },
  ];

  // newest is the newest event id shown: ULIDs sort as text in time
  // order, so one id (not a set that grows with a busy stream) tells what
  // the page already has.
  let tbody = null, closeStream = () => {}, newest = "";
  async function load() {
    closeStream();
    const prefix = type.value;
    const p = pager("/api/v1/me/events?limit=50" + (prefix ? "&type=" + encodeURIComponent(prefix) : ""), "events");
    try {
      const evs = await p.next();
      newest = evs.length ? evs[0].id : "";
      const t = table(cols, evs, { id: "audit-table" });
      tbody = t.tBodies[0];
      mount(list, t, moreButton(p, tbody, cols, alert, filter.apply), evs.length ? null : h("p.muted.empty-note", "No events of this type yet; new ones appear here as they happen."));
      filter.apply();
    } catch (e) {
      show(alert, e);
      return;
    }
    // Subscribe after the first page: the stream sends what happens from
    // now on, and an event the page already shows is skipped by its id.
    closeStream = stream("/api/v1/me/events/stream" + (prefix ? "?type=" + encodeURIComponent(prefix) : ""), types, (_, ev) => {
      if (!ev || !ev.id || ev.id <= newest || !tbody) return;
      newest = ev.id;
      const tr = row(cols, ev);
      tr.classList.add("fresh");
      filter.hide(tr);
      tbody.prepend(tr);
      while (tbody.rows.length > maxRows) tbody.lastElementChild.remove();
      list.querySelector(".empty-note")?.remove();
    }, (s) => {
      state.textContent = s === "open" ? "live" : s;
      state.className = "live-state " + s;
    });
  }
  type.addEventListener("change", () => { ctx.setQuery({ type: type.value }); load(); });
  await load();
  ready(main);
  return () => closeStream();
}

// summary says what an event is about in one line.
function summary(e) {
  const d = e.data || {};
  switch (e.type) {
    case "request.captured":
      return `${d.method || ""} ${d.path || ""} → ${d.status || d.error || "?"} on ${d.tunnel || d.host || ""}`;
    case "tunnel.opened":
      return `${d.url || d.subdomain || ""} → ${d.local || "?"} (agent ${d.remoteAddr || "?"})`;
    case "tunnel.closed":
      return `${d.tunnelId || ""} (${d.reason || "closed"})`;
    default:
      return Object.entries(d)
        .filter(([, v]) => v !== null && v !== "" && typeof v !== "object")
        .map(([k, v]) => k + ": " + v).join(" · ") || "—";
  }
}
