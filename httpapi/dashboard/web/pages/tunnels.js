// tunnels.js: the account's tunnels, live and closed, newest first: the
// public URL with a copy button, where the agent connects from and since
// when, how a closed one ended; close a live one. The list follows the
// account's tunnel events, so a tunnel opened in a terminal shows up here.
import { h, mount, copyButton, fmtAgo } from "../lib/dom.js";
import { api, stream } from "../lib/api.js";
import { head, alertBox, show, table, when, confirmButton, busy, pager, moreButton, ready, filterBox } from "../lib/console.js";
import { nextSteps } from "./overview.js";

export default async function tunnels(main, ctx) {
  const alert = alertBox("tunnels-error");
  const liveOnly = h("input#live-only", { type: "checkbox", checked: ctx.query.get("status") === "live" });
  const body = h("div#tunnel-list", h("p.muted", "Loading…"));
  const filter = filterBox(body, "Filter tunnels");
  mount(main,
    head("Tunnels", filter.input, h("label.check", liveOnly, " Live only")),
    alert, body);

  const cols = [
    { title: "", cell: (t) => h("span.badge." + (t.status === "live" ? "live" : "closed"), t.status) },
    { title: "Name", cell: (t) => t.name, cls: "mono" },
    {
      title: "Public URL", cell: (t) => t.status === "live"
        ? h("span.url", h("a.mono", { href: t.publicUrl, target: "_blank", rel: "noopener noreferrer" }, t.publicUrl), copyButton(t.publicUrl))
        : h("span.mono.muted", t.publicUrl),
    },
    { title: "Local", cell: (t) => t.local || "—", cls: "mono" },
    { title: "Agent", cell: (t) => t.remoteAddr || "—", cls: "mono" },
    { title: "Since", cell: (t) => [when(t.createdAt), t.status === "live" ? h("span.muted", " (" + fmtAgo(t.createdAt) + ")") : null] },
    { title: "Closed", cell: (t) => t.closedAt ? [when(t.closedAt), h("span.muted", " " + (t.closeReason || ""))] : "—" },
    {
      title: "", cls: "actions", cell: (t) => [
        h("a.btn.small", { href: "/inspector?tunnel=" + encodeURIComponent(t.name) }, "Requests"),
        t.status === "live" ? confirmButton("Close", "Close " + t.name + "?", (b) => busy(b, alert, async () => {
          await api("/v1/tunnels/" + encodeURIComponent(t.id), { method: "DELETE" });
          ctx.toast("Closed " + t.name);
          await load();
        }), { "data-close": t.name }) : null,
      ],
    },
  ];
  cols.rowClass = (t) => (t.status === "live" ? "" : "closed");

  async function load() {
    const p = pager("/v1/tunnels?limit=50" + (liveOnly.checked ? "&status=live" : ""), "tunnels");
    try {
      const list = await p.next();
      show(alert);
      if (!list.length) {
        mount(body, liveOnly.checked ? h("p.muted", "No live tunnel.") : null, nextSteps());
        return;
      }
      const t = table(cols, list, { id: "tunnels-table" });
      mount(body, t, moreButton(p, t.tBodies[0], cols, alert, filter.apply));
      filter.apply();
    } catch (e) {
      show(alert, e);
    }
  }
  liveOnly.addEventListener("change", () => { ctx.setQuery({ status: liveOnly.checked ? "live" : null }); load(); });
  await load();
  ready(main);

  let timer = 0;
  const close = stream("/api/v1/me/events/stream?type=tunnel.", ["tunnel.opened", "tunnel.closed"], () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  });
  return () => { clearTimeout(timer); close(); };
}
