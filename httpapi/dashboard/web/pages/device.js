// device.js: approve or deny a `warren login` running on a device (the
// RFC 8628 device grant). The CLI shows a code and a link to
// /device?code=XXXX-XXXX; this page shows which device asks (its address
// and when), so a person approves only the login they just started.
// Approving mints a new API key for the device; the page never sees it.
import { h, mount, fmtTime, fmtAgo } from "../lib/dom.js";
import { api } from "../lib/api.js";

export default async function device(main, ctx) {
  const err = h("p.error#device-error", { role: "alert" });

  // Step 1: the code, typed or from the link.
  function enter(initial) {
    const code = h("input#device-code", {
      value: initial || "", autocomplete: "off", autocapitalize: "characters", spellcheck: "false",
      placeholder: "XXXX-XXXX", maxlength: "12", required: true, autofocus: true, class: "mono",
    });
    const go = h("button.btn.primary#device-continue", { type: "submit" }, "Continue");
    mount(main, h("div.center", h("form.card", {
      on: { submit: (e) => { e.preventDefault(); check(code.value.trim()); } },
    },
    h("h2", "Log in a device"),
    h("p.muted", "Enter the code ", h("code", "warren login"), " shows in your terminal."),
    h("label", { for: "device-code" }, "Code"), code,
    err,
    h("div.toolbar", go))));
  }

  // Step 2: what asks, and the decision.
  async function check(code) {
    err.textContent = "";
    let p;
    try {
      p = await api("/api/v1/device/pending/" + encodeURIComponent(code));
    } catch (e) {
      enter(code);
      err.textContent = e.message || "No device is waiting for this code";
      return;
    }
    ctx.setQuery({ code: p.userCode });
    const approve = h("button.btn.primary#device-approve", { type: "button" }, "Approve");
    const deny = h("button.btn.danger#device-deny", { type: "button" }, "Deny");
    const decide = async (what) => {
      approve.disabled = deny.disabled = true;
      err.textContent = "";
      try {
        const r = await api("/api/v1/device/" + what, { method: "POST", body: { userCode: p.userCode } });
        done(what, r);
      } catch (e) {
        err.textContent = e.message || "That did not work";
        approve.disabled = deny.disabled = false;
      }
    };
    approve.addEventListener("click", () => decide("approve"));
    deny.addEventListener("click", () => decide("deny"));
    mount(main, h("div.center", h("div.card#device-request",
      h("h2", "Log in a device?"),
      h("p", "A ", h("code", p.clientId === "warren-cli" ? "warren login" : p.clientId),
        " is asking for access to ", h("strong", ctx.me.email || ctx.me.id), "."),
      h("div.kv",
        h("span", "Code"), h("span.mono#device-user-code", p.userCode),
        h("span", "From"), h("span.mono#device-ip", p.ip),
        h("span", "Asked"), h("span#device-time", { title: p.requestedAt }, fmtTime(p.requestedAt) + " (" + fmtAgo(p.requestedAt) + ")")),
      h("p.muted", "Approve only if you just ran warren login and it shows this same code. ",
        "Approving gives that device a new API key for your account; you can revoke it under API keys."),
      err,
      h("div.toolbar", approve, deny))));
    approve.focus();
  }

  // Step 3: the outcome.
  function done(what, r) {
    const approved = what === "approve";
    mount(main, h("div.center", h("div.card#device-done", { dataset: { outcome: approved ? "approved" : "denied" } },
      h("h2", approved ? "Device approved" : "Login denied"),
      approved
        ? h("p", "warren login now has a new API key",
          r && r.key ? [": ", h("code", r.key.prefix + "…"), ", named “", r.key.description, "”"] : null, ".")
        : h("p", "warren login was refused and got no key."),
      h("p.muted", "You can close this tab."))));
  }

  const code = ctx.query.get("code");
  if (code) await check(code);
  else enter("");
}
