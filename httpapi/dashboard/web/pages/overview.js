// overview.js: the plan and its limits, this month's usage, a daily chart
// of the last 7, 30 or 90 days (all tunnels or one; ?days= and ?tunnel=
// keep the choice in the URL) and the live tunnels, kept live by the
// account's event stream (tunnel.opened / tunnel.closed redraw the list).
import { h, mount, fmtBytes, copyButton } from "../lib/dom.js";
import { api, stream } from "../lib/api.js";
import { head, failed, meter, table, when, fmtNum, alertBox, show, ready } from "../lib/console.js";
import { barChart } from "../lib/chart.js";

// The chart's ranges, in days.
const ranges = [7, 30, 90];

export default async function overview(main, ctx) {
  mount(main, head("Overview"), h("p.muted", "Loading…"));
  const daysSel = h("select#usage-days", { "aria-label": "Days" },
    ranges.map((n) => h("option", { value: n, selected: String(n) === (ctx.query.get("days") || "30") }, "Last " + n + " days")));
  const tunnelSel = h("select#usage-tunnel", { "aria-label": "Tunnel" }, h("option", { value: "" }, "All tunnels"));
  const histPath = () => {
    const from = new Date(Date.now() - (Number(daysSel.value) - 1) * 86400e3).toISOString().slice(0, 10);
    return "/v1/usage/history?from=" + from + (tunnelSel.value ? "&tunnel=" + encodeURIComponent(tunnelSel.value) : "");
  };
  let plan, usage, hist, names;
  try {
    [plan, usage, names] = await Promise.all([api("/api/v1/me/plan"), api("/v1/usage"), api("/v1/tunnels?limit=100")]);
    const want = ctx.query.get("tunnel") || "";
    for (const n of new Set([want, ...names.tunnels.map((t) => t.name)].filter(Boolean))) {
      tunnelSel.append(h("option", { value: n, selected: n === want }, n));
    }
    hist = await api(histPath());
  } catch (e) {
    return failed(main, "the overview", e);
  }
  const alert = alertBox("overview-error");
  const meters = h("div.cards#meters");
  const live = h("div#live-tunnels");
  const drawMeters = (p, u) => mount(meters,
    meter("Live tunnels", p.tunnels.active, p.tunnels.limit, fmtNum, "meter-tunnels"),
    meter("Reserved subdomains", p.reservations.used, p.reservations.limit, fmtNum, "meter-reservations"),
    meter("Custom domains", u.used.domains, u.limits.domains, fmtNum, "meter-domains"),
    meter("Bandwidth this month", u.used.bandwidthBytes, u.limits.bandwidthBytes, fmtBytes, "meter-bandwidth"));
  const drawLive = async () => {
    try {
      const page = await api("/v1/tunnels?status=live&limit=100");
      mount(live, liveTable(page.tunnels, ctx.me));
      show(alert);
    } catch (e) {
      show(alert, e);
    }
  };
  drawMeters(plan, usage);
  const chart = h("section.card#usage-chart", usageSection(hist, daysSel, tunnelSel));
  const redrawChart = async () => {
    ctx.setQuery({ days: daysSel.value === "30" ? null : daysSel.value, tunnel: tunnelSel.value });
    try {
      mount(chart, usageSection(await api(histPath()), daysSel, tunnelSel));
      show(alert);
    } catch (e) {
      show(alert, e);
    }
  };
  daysSel.addEventListener("change", redrawChart);
  tunnelSel.addEventListener("change", redrawChart);
  mount(main,
    head("Overview", h("span.badge.plan#plan-name", { title: "Your plan" }, plan.plan + " plan")),
    alert,
    meters,
    chart,
    h("section", h("h3", "Live tunnels"), live));
  await drawLive();
  ready(main);

  // Live: a tunnel opening or closing redraws the list and the meters. A
  // burst of events costs one redraw.
  let timer = 0;
  const close = stream("/api/v1/me/events/stream?type=tunnel.", ["tunnel.opened", "tunnel.closed"], () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      await drawLive();
      try {
        const [p, u] = await Promise.all([api("/api/v1/me/plan"), api("/v1/usage")]);
        drawMeters(p, u);
      } catch (e) {
        show(alert, e);
      }
    }, 250);
  });
  return () => { clearTimeout(timer); close(); };
}

function usageSection(hist, ...controls) {
  const days = hist.days || [];
  const sum = (f) => days.reduce((s, d) => s + f(d), 0);
  const reqs = sum((d) => d.requests), bin = sum((d) => d.bandwidthBytes.in), bout = sum((d) => d.bandwidthBytes.out);
  return [
    h("div.chart-head",
      h("h3", "Usage"),
      h("span.muted", `${hist.from} – ${hist.to} (UTC)`),
      controls,
      h("div.spacer"),
      h("span.legend", h("i.sw.req"), "requests ", h("b", fmtNum(reqs))),
      h("span.legend", h("i.sw.in"), "in ", h("b", fmtBytes(bin))),
      h("span.legend", h("i.sw.out"), "out ", h("b", fmtBytes(bout)))),
    h("div.charts",
      h("figure", h("figcaption", "Requests per day"),
        barChart(days, [{ key: (d) => d.requests, name: "requests", cls: "req" }], (v) => fmtNum(Math.round(v)), "Requests per day")),
      h("figure", h("figcaption", "Bytes per day (in, out)"),
        barChart(days, [
          { key: (d) => d.bandwidthBytes.in, name: "in", cls: "in" },
          { key: (d) => d.bandwidthBytes.out, name: "out", cls: "out" },
        ], (v) => fmtBytes(Math.round(v)), "Bytes per day"))),
    h("details.days",
      h("summary", "Figures by day"),
      table([
        { title: "Day (UTC)", cell: (d) => d.date, cls: "mono" },
        { title: "Requests", cell: (d) => fmtNum(d.requests), cls: "num" },
        { title: "In", cell: (d) => fmtBytes(d.bandwidthBytes.in), cls: "num" },
        { title: "Out", cell: (d) => fmtBytes(d.bandwidthBytes.out), cls: "num" },
        { title: "Tunnel time", cell: (d) => fmtDuration(d.tunnelSeconds), cls: "num" },
      ], [...days].reverse())),
  ];
}

function liveTable(tunnels, me) {
  if (!tunnels.length) return nextSteps(me);
  return table([
    { title: "Public URL", cell: (t) => h("span.url", h("a.mono", { href: t.publicUrl, target: "_blank", rel: "noopener noreferrer" }, t.publicUrl), copyButton(t.publicUrl)) },
    { title: "Local", cell: (t) => t.local || "—", cls: "mono" },
    { title: "Agent", cell: (t) => t.remoteAddr || "—", cls: "mono" },
    { title: "Since", cell: (t) => when(t.createdAt) },
    { title: "", cell: (t) => h("a", { href: "/inspector?tunnel=" + encodeURIComponent(t.name) }, "Inspect") },
  ], tunnels, { id: "live-table" });
}

// nextSteps is the empty state: what a new user runs next.
export function nextSteps() {
  const origin = location.origin;
  return h("div.empty.next-steps#next-steps",
    h("h3", "No tunnel is open"),
    h("p", "Expose a local service on port 3000 with"),
    h("pre.cmd", h("code", "warren http 3000"), copyButton("warren http 3000")),
    h("p", "First time on this machine? Sign the CLI in (it opens this dashboard to approve it):"),
    h("pre.cmd", h("code", `warren login --server ${origin}`), copyButton(`warren login --server ${origin}`)),
    h("p.muted", "For scripts, create a key under ", h("a", { href: "/keys" }, "API keys"),
      " and run ", h("code", `warren login --server ${origin} --key ak_…`), "."));
}

export function fmtDuration(s) {
  if (!s) return "0s";
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
  return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
}
