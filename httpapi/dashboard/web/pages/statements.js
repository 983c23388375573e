// statements.js: the account's monthly statement (UTC months, from the
// daily rollups): pick a month, read it, download it as CSV. A closed
// month's figures are final.
import { h, mount, fmtBytes } from "../lib/dom.js";
import { api } from "../lib/api.js";
import { head, alertBox, show, fmtNum, monthsBack, kv, ready } from "../lib/console.js";
import { fmtDuration } from "./overview.js";

export default async function statements(main, ctx) {
  const alert = alertBox("statements-error");
  const months = monthsBack(24);
  const want = ctx.query.get("month");
  const month = h("select#statement-month", { "aria-label": "Month" },
    months.map((m) => h("option", { value: m, selected: m === want }, m)));
  const csv = h("a.btn.small#statement-csv", { download: "" }, "Download CSV");
  const body = h("div#statement", h("p.muted", "Loading…"));
  mount(main, head("Statements", month, csv), alert, body);

  async function load() {
    const m = month.value;
    csv.href = `/api/v1/me/statements/${m}?format=csv`;
    csv.setAttribute("download", `warren-statement-${m}.csv`);
    try {
      const st = await api(`/api/v1/me/statements/${m}`);
      show(alert);
      mount(body, h("div.card",
        h("div.page-head", h("h3", "Statement for ", st.month), h("span.badge." + (st.closed ? "ok" : "pending"), st.closed ? "closed" : "open, still counting")),
        kv([
          ["Account", h("span", st.email, h("span.muted.mono", " " + st.accountId))],
          ["Plan", st.plan],
          ["Requests", fmtNum(st.requests)],
          ["Bytes in", fmtBytes(st.bytesIn)],
          ["Bytes out", fmtBytes(st.bytesOut)],
          ["Bytes total", h("span#statement-bytes", fmtBytes(st.bytesTotal))],
          ["Tunnel time", fmtDuration(st.tunnelSeconds)],
          ["Peak concurrent tunnels", fmtNum(st.peakConcurrentTunnels)],
          ["Reservation days", fmtNum(st.reservationDays)],
          ["Custom domain days", fmtNum(st.domainDays)],
          ["Replays", fmtNum(st.replays)],
        ], "statement")));
    } catch (e) {
      show(alert, e);
      mount(body);
    }
  }
  month.addEventListener("change", () => { ctx.setQuery({ month: month.value === months[0] ? null : month.value }); load(); });
  await load();
  ready(main);
}
