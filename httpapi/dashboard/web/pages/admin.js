// admin.js: the operator console (operator accounts only; the API refuses
// anyone else with 403 too): every account, create one (its first key is
// shown once), change an account's plan, mint a one-time set-password link.
import { h, mount, copyButton, clear, fmtBytes } from "../lib/dom.js";
import { api } from "../lib/api.js";
import { head, alertBox, show, table, when, busy, pager, moreButton, monthsBack, ready, filterBox, fmtNum } from "../lib/console.js";

// The plans the server offers come from GET /api/v1/plans (an account on
// a plan no longer offered keeps it listed in its own picker).
let plans = ["free", "pro"];

// planCell shows one limit: null is unlimited.
function limitText(v, fmt = fmtNum) {
  return v === null || v === undefined ? "unlimited" : fmt(v);
}

export default async function admin(main, ctx) {
  const alert = alertBox("admin-error");
  let offered = [];
  try {
    offered = (await api("/api/v1/plans")).plans;
    plans = offered.map((p) => p.name);
  } catch (e) {
    show(alert, e);
  }
  const shown = h("div#admin-secret"); // a new key or link, shown once
  const email = h("input#new-account-email", { type: "email", required: true, placeholder: "grace@example.com", autocomplete: "off" });
  const name = h("input#new-account-name", { type: "text", placeholder: "Grace Hopper", autocomplete: "off" });
  const plan = h("select#new-account-plan", plans.map((p) => h("option", { value: p }, p)));
  const operator = h("input#new-account-operator", { type: "checkbox" });
  const submit = h("button.btn.primary#create-account", { type: "submit" }, "Create account");
  const form = h("form.inline#account-form", {
    on: {
      submit: (e) => {
        e.preventDefault();
        busy(submit, alert, async () => {
          const a = await api("/api/v1/admin/accounts", {
            method: "POST", body: { email: email.value.trim(), name: name.value.trim(), plan: plan.value, operator: operator.checked },
          });
          email.value = name.value = "";
          operator.checked = false;
          once(h("strong", "Created ", a.email, ". Its first API key — copy it now, it will not be shown again:"),
            h("div.value", h("code#new-account-key", a.key), copyButton(a.key)),
            h("p.muted", "To let them sign in here, send a set-password link (below, in the account's row)."));
          await load();
        });
      },
    },
  },
  h("div.field", h("label", { for: "new-account-email" }, "Email"), email),
  h("div.field", h("label", { for: "new-account-name" }, "Name"), name),
  h("div.field", h("label", { for: "new-account-plan" }, "Plan"), plan),
  h("div.field", h("label.check", operator, " Operator")),
  submit);

  const month = monthsBack(1)[0];
  const list = h("div#account-list", h("p.muted", "Loading…"));
  const filter = filterBox(list, "Filter accounts");
  mount(main,
    head("Operator console",
      h("a.btn.small", { href: `/api/v1/admin/statements/${month}?format=csv`, download: `warren-statements-${month}.csv` }, "All statements (", month, ", CSV)")),
    h("h3", "Create an account"), form, alert, shown,
    h("h3", "Plans"), plansTable(offered),
    h("div.page-head", h("h3", "Accounts"), h("div.spacer"), filter.input), list);

  // once shows a secret (a key, a link) until dismissed or the page goes.
  function once(...content) {
    const done = h("button.btn.small", { type: "button", on: { click: () => clear(shown) } }, "Done");
    mount(shown, h("div.secret", { role: "status" }, content, done));
    done.focus();
  }

  const cols = [
    { title: "Email", cell: (a) => [a.email, a.operator ? h("span.badge.op", " operator") : null] },
    { title: "Name", cell: (a) => a.name || h("span.muted", "—") },
    { title: "Id", cell: (a) => a.id, cls: "mono muted" },
    { title: "Created", cell: (a) => when(a.createdAt) },
    {
      title: "Plan", cell: (a) => {
        const sel = h("select.plan", { "data-account": a.id, "aria-label": "Plan of " + a.email },
          [...new Set([...plans, a.plan])].map((p) => h("option", { value: p, selected: p === a.plan }, p)));
        sel.addEventListener("change", () => busy(sel, alert, async () => {
          const b = await api("/api/v1/admin/accounts/" + encodeURIComponent(a.id), { method: "PATCH", body: { plan: sel.value } });
          a.plan = b.plan;
          ctx.toast(`${a.email} is now on ${b.plan}`);
        }).then(() => { sel.value = a.plan; }));
        return sel;
      },
    },
    {
      title: "", cls: "actions", cell: (a) => h("button.btn.small", {
        type: "button", "data-password-link": a.id,
        on: {
          click: (e) => busy(e.currentTarget, alert, async () => {
            const l = await api("/api/v1/admin/accounts/" + encodeURIComponent(a.id) + "/password-link", { method: "POST" });
            once(h("strong", "A one-time link for ", a.email, " to set a password (valid until ", when(l.expiresAt), "):"),
              h("div.value", h("code#password-link", l.url), copyButton(l.url)),
              h("p.muted", "Send it to them; it works once. Setting a password ends their sessions."));
          }),
        },
      }, "Set-password link"),
    },
  ];

  function plansTable(ps) {
    const limits = [
      ["Live tunnels", "tunnels"], ["TCP tunnels", "tcpPorts"], ["Reserved subdomains", "reservations"],
      ["Reserved TCP ports", "reservedPorts"], ["Custom domains", "domains"], ["Bandwidth / month", "bandwidthBytes", fmtBytes],
      ["Agents", "agentSessions"], ["Agents per key", "agentSessionsPerKey"], ["Body captured", "captureBodyBytes", fmtBytes],
      ["Bodies kept (days)", "retentionDays"],
    ];
    const planCols = [{ title: "Plan", cell: (p) => h("strong", p.name) },
      ...limits.map(([title, k, fmt]) => ({ title, cell: (p) => limitText(p.limits[k], fmt) }))];
    return table(planCols, ps, { id: "plans-table" });
  }

  async function load() {
    const p = pager("/api/v1/admin/accounts?limit=100", "accounts");
    try {
      const t = table(cols, await p.next(), { id: "accounts-table" });
      mount(list, t, moreButton(p, t.tBodies[0], cols, alert, filter.apply));
      filter.apply();
    } catch (e) {
      show(alert, e);
    }
  }
  await load();
  ready(main);
  return () => clear(shown);
}
