// domains.js: custom domains. Adding one gives the TXT record to publish;
// "Verify" looks it up now and records the outcome; the state and the
// last error say where a domain stands.
import { h, mount, copyButton, empty } from "../lib/dom.js";
import { api } from "../lib/api.js";
import { head, alertBox, show, when, confirmButton, busy, pager, ready } from "../lib/console.js";

export default async function domains(main, ctx) {
  const alert = alertBox("domains-error");
  const name = h("input#domain-name", { type: "text", required: true, placeholder: "app.example.com", autocomplete: "off", spellcheck: "false" });
  const submit = h("button.btn.primary#add-domain", { type: "submit" }, "Add domain");
  const form = h("form.inline#domain-form", {
    on: {
      submit: (e) => {
        e.preventDefault();
        busy(submit, alert, async () => {
          const d = await api("/v1/domains", { method: "POST", body: { name: name.value.trim() } });
          ctx.toast("Added " + d.name + ": publish its TXT record, then verify");
          name.value = "";
          await load();
        });
      },
    },
  }, h("div.field", h("label", { for: "domain-name" }, "Domain"), name), submit);
  const list = h("div#domain-list", h("p.muted", "Loading…"));
  mount(main, head("Custom domains"), form, alert, list);

  function card(d) {
    const err = alertBox();
    const state = h("span.badge." + d.state, d.state);
    const verify = h("button.btn.small" + (d.state === "verified" ? "" : ".primary"), {
      type: "button", "data-verify": d.name,
      on: {
        click: (e) => busy(e.currentTarget, err, async () => {
          const v = await api("/v1/domains/" + encodeURIComponent(d.id) + "/verify", { method: "POST" });
          ctx.toast(v.state === "verified" ? d.name + " is verified" : d.name + ": " + (v.lastError || v.state));
          const fresh = card(v);
          c.replaceWith(fresh);
        }),
      },
    }, d.state === "verified" ? "Check again" : "Verify");
    const remove = confirmButton("Remove", "Remove " + d.name + "?", (b) => busy(b, err, async () => {
      await api("/v1/domains/" + encodeURIComponent(d.id), { method: "DELETE" });
      ctx.toast("Removed " + d.name);
      await load();
    }), { "data-remove": d.name });
    const rec = d.txtRecord || {};
    const c = h("div.card.domain", { "data-domain": d.name },
      h("div.page-head", h("h3.mono", d.name), state, h("div.spacer"), verify, remove),
      d.state === "verified" ? null : h("p.muted", "Publish this DNS record, then press Verify:"),
      h("div.txt",
        h("span.k", "Name"), h("code", rec.name), copyButton(rec.name || ""),
        h("span.k", "Type"), h("code", rec.type || "TXT"), h("span"),
        h("span.k", "Value"), h("code.txt-value", rec.value), copyButton(rec.value || "")),
      h("p.muted.small",
        "Added ", when(d.createdAt),
        d.checkedAt ? [" · last checked ", when(d.checkedAt)] : " · not checked yet",
        d.verifiedAt ? [" · verified ", when(d.verifiedAt)] : null),
      d.lastError ? h("p.error.last-error", "Last check: ", d.lastError) : null,
      err);
    return c;
  }

  async function load() {
    const p = pager("/v1/domains?limit=100", "domains");
    try {
      const ds = [];
      do ds.push(...await p.next()); while (!p.done && ds.length < 1000);
      mount(list, ds.length ? ds.map(card) : empty("No custom domain",
        "Add a domain you control; Warren gives you a TXT record to publish in its DNS, and once verified, point the name at this server and your tunnels answer on it."));
    } catch (e) {
      show(alert, e);
    }
  }
  await load();
  ready(main);
}
