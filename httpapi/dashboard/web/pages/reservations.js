// reservations.js: reserved subdomains — names nobody else can claim and
// your tunnels get whenever they ask. Reserve one, release one.
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
  const list = h("div#reservation-list", h("p.muted", "Loading…"));
  const quota = h("span.muted#reservation-quota");
  mount(main, head("Reservations", quota), form, alert, list);

  const cols = [
    { title: "Subdomain", cell: (r) => r.subdomain, cls: "mono sub" },
    { title: "Reserved", cell: (r) => when(r.createdAt) },
    {
      title: "Use it", cell: (r) => {
        const cmd = "warren http 3000 --subdomain " + r.subdomain;
        return h("span.url", h("code", cmd), copyButton(cmd));
      },
    },
    {
      title: "", cls: "actions", cell: (r) => confirmButton("Release", "Release " + r.subdomain + "?", (b) => busy(b, alert, async () => {
        await api("/api/v1/me/reservations/" + encodeURIComponent(r.subdomain), { method: "DELETE" });
        ctx.toast("Released " + r.subdomain);
        await load();
      }), { "data-release": r.subdomain }),
    },
  ];

  async function load() {
    const p = pager("/api/v1/me/reservations?limit=100", "reservations");
    try {
      const { reservations: q } = await api("/api/v1/me/plan");
      quota.textContent = q.limit === null ? `${q.used} reserved (no limit on your plan)` : `${q.used} of ${q.limit} on your plan`;
      const rows = await p.next();
      const t = table(cols, rows, {
        id: "reservations-table",
        emptyNode: empty("No reserved subdomain",
          "Reserve a name above; then every tunnel you start with it gets the same public URL, and nobody else can take it."),
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
