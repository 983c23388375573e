// keys.js: API keys. A new key's secret is shown once, in this page's
// memory only (never in the URL, storage or a later answer: the server
// keeps only its hash), with a copy button; then the list shows its prefix.
import { h, mount, copyButton, clear } from "../lib/dom.js";
import { api } from "../lib/api.js";
import { head, alertBox, show, table, when, confirmButton, busy, pager, moreButton, ready, filterBox } from "../lib/console.js";

export default async function keys(main, ctx) {
  const alert = alertBox("keys-error");
  const desc = h("input#key-description", { type: "text", placeholder: "laptop, CI, …", maxlength: 200, autocomplete: "off" });
  const submit = h("button.btn.primary#create-key", { type: "submit" }, "Create key");
  const secretBox = h("div#new-key");
  const form = h("form.inline#key-form", {
    on: {
      submit: (e) => {
        e.preventDefault();
        busy(submit, alert, async () => {
          const k = await api("/v1/keys", { method: "POST", body: { description: desc.value.trim() } });
          desc.value = "";
          showSecret(k);
          await load();
        });
      },
    },
  }, h("div.field", h("label", { for: "key-description" }, "Description"), desc), submit);
  const list = h("div#key-list", h("p.muted", "Loading…"));
  const filter = filterBox(list, "Filter keys");
  mount(main, head("API keys", filter.input), form, alert, secretBox, list);

  // showSecret draws the one sight of a secret; dismissing it drops the
  // only reference the page has.
  function showSecret(k) {
    const origin = location.origin;
    const done = h("button.btn.small#dismiss-key", { type: "button", on: { click: () => { clear(secretBox); desc.focus(); } } }, "I have saved it");
    mount(secretBox, h("div.secret", { role: "status" },
      h("strong", "Your new key", k.description ? " (" + k.description + ")" : "", " — copy it now: it will not be shown again."),
      h("div.value", h("code#new-key-secret", k.key), copyButton(k.key)),
      h("p.muted", "Use it as ", h("code", "Authorization: Bearer ak_…"), ", or sign the CLI in with ",
        h("code", `warren login --server ${origin} --key -`), " and paste it."),
      done));
    done.focus();
  }

  const cols = [
    { title: "Prefix", cell: (k) => k.prefix + "…", cls: "mono" },
    { title: "Description", cell: (k) => k.description || h("span.muted", "—") },
    { title: "Created", cell: (k) => when(k.createdAt) },
    { title: "State", cell: (k) => k.revokedAt ? [h("span.badge.revoked", "revoked"), " ", when(k.revokedAt)] : h("span.badge.ok", "active") },
    {
      title: "", cls: "actions", cell: (k) => k.revokedAt ? null : confirmButton("Revoke", "Revoke " + k.prefix + "…?", (b) => busy(b, alert, async () => {
        await api("/v1/keys/" + encodeURIComponent(k.id), { method: "DELETE" });
        ctx.toast("Revoked " + k.prefix + "…");
        await load();
      }), { "data-revoke": k.id }),
    },
  ];
  cols.rowClass = (k) => (k.revokedAt ? "closed" : "");

  async function load() {
    const p = pager("/v1/keys?limit=100", "keys");
    try {
      const t = table(cols, await p.next(), { id: "keys-table" });
      mount(list, t, moreButton(p, t.tBodies[0], cols, alert, filter.apply));
      filter.apply();
    } catch (e) {
      show(alert, e);
    }
  }
  await load();
  ready(main);
  return () => clear(secretBox);
}
