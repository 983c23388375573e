// reservations.js: reserved subdomains — names nobody else can claim and
// your tunnels get whenever they ask — and reserved TCP ports (tcp:N),
// the same for `warren tcp --port N`. Reserve one, release one.
import { h, mount, copyButton, empty } from "../lib/dom.js";
import { api } from "../lib/api.js";
import { head, alertBox, show, table, when, confirmButton, busy, pager, moreButton, ready } from "../lib/console.js";

export default async function reservations(main, ctx) {
  const alert = alertBox("reservations-error");
  const name = h("input#reservation-name", {
    // The server checks the name and says what is wrong with it.
    type: "text", required: true, placeholder: "stripe-dev", autocomplete: "off", spellcheck: "false",
    title: "3–63 of a-z, 0-9 and -, not starting or ending with -",
  });
  const submit = h("button.btn.primary#reserve", { type: "submit" }, "Reserve");
  const form = h("form.inline#reserve-form", {
    on: {
      submit: (e) => {
        e.preventDefault();
        busy(submit, alert, async () => {
          const r = await api("/api/v1/me/reservations", { method: "POST", body: { subdomain: name.value.trim() } });
          ctx.toast("Reserved " + r.subdomain);
          name.value = "";
          await load();
        });
      },
    },
  }, h("div.field", h("label", { for: "reservation-name" }, "Subdomain"), name), submit);
  // A TCP port of the server's range: the one typed, or the lowest free.
  const port = h("input#reservation-port", {
    type: "number", min: 1, max: 65535, placeholder: "any free", autocomplete: "off",
    title: "a port of the server's TCP range; empty for the lowest free one",
  });
  const submitPort = h("button.btn#reserve-port", { type: "submit" }, "Reserve TCP port");
  const portForm = h("form.inline#reserve-port-form", {
    on: {
      submit: (e) => {
        e.preventDefault();
        busy(submitPort, alert, async () => {
          const body = { proto: "tcp" };
          if (port.value.trim() !== "") body.port = Number(port.value);
          const r = await api("/api/v1/me/reservations", { method: "POST", body });
          ctx.toast("Reserved TCP port " + r.port);
          port.value = "";
          await load();
        });
      },
    },
  }, h("div.field", h("label", { for: "reservation-port" }, "TCP port"), port), submitPort);
  const list = h("div#reservation-list", h("p.muted", "Loading…"));
  const quota = h("span.muted#reservation-quota");
  const portQuota = h("span.muted#port-quota");
  mount(main, head("Reservations", quota, portQuota), form, portForm, alert, list);

  // A reservation's name is its subdomain, or tcp:PORT (its DELETE path).
  const nameOf = (r) => r.port ? (r.name || "tcp:" + r.port) : r.subdomain;
  const cols = [
    { title: "Kind", cell: (r) => r.port ? "TCP port" : "Subdomain" },
    { title: "Name", cell: nameOf, cls: "mono sub" },
    { title: "Reserved", cell: (r) => when(r.createdAt) },
    {
      title: "Use it", cell: (r) => {
        const cmd = r.port ? "warren tcp 5432 --port " + r.port : "warren http 3000 --subdomain " + r.subdomain;
        return h("span.url", h("code", cmd), copyButton(cmd));
      },
    },
    {
      title: "", cls: "actions", cell: (r) => confirmButton("Release", "Release " + nameOf(r) + "?", (b) => busy(b, alert, async () => {
        await api("/api/v1/me/reservations/" + encodeURIComponent(nameOf(r)), { method: "DELETE" });
        ctx.toast("Released " + nameOf(r));
        await load();
      }), { "data-release": nameOf(r) }),
    },
  ];

  async function load() {
    const p = pager("/api/v1/me/reservations?limit=100", "reservations");
    try {
      const plan = await api("/api/v1/me/plan");
      const q = plan.reservations;
      quota.textContent = q.limit === null ? `Subdomains: ${q.used} reserved (no limit on your plan)` : `Subdomains: ${q.used} of ${q.limit} on your plan`;
      const pq = plan.reservedPorts;
      portQuota.textContent = !pq ? "" : pq.limit === null ? `· TCP ports: ${pq.used} reserved (no limit)` : `· TCP ports: ${pq.used} of ${pq.limit}`;
      const rows = await p.next();
      const t = table(cols, rows, {
        id: "reservations-table",
        emptyNode: empty("No reservations",
          "Reserve a name above; then every tunnel you start with it gets the same public URL, and nobody else can take it.",
          "Reserve a TCP port the same way: `warren tcp 5432 --port N` then always gets port N."),
      });
      mount(list, t, t.tBodies ? moreButton(p, t.tBodies[0], cols, alert) : null);
    } catch (e) {
      show(alert, e);
    }
  }
  await load();
  ready(main);
  // No focus on load: the page is reached by "g r" too, and a focused field
  // would swallow the next shortcut ("g d" typed into it).
}
