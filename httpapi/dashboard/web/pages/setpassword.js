// setpassword.js: the one-time set-password link (/set-password#TOKEN).
import { h, mount } from "../lib/dom.js";
import { api } from "../lib/api.js";

export default async function setPassword(main, ctx) {
  const token = location.hash.slice(1);
  const pw = h("input#new-password", { type: "password", autocomplete: "new-password", minlength: 8, required: true });
  const again = h("input#new-password-again", { type: "password", autocomplete: "new-password", required: true });
  const msg = h("p", { role: "alert" });
  const form = h("form.card", {
    on: {
      submit: async (e) => {
        e.preventDefault();
        msg.className = "error";
        if (pw.value !== again.value) { msg.textContent = "The two passwords differ."; return; }
        try {
          await api("/api/v1/password", { method: "POST", body: { token, password: pw.value } });
          history.replaceState(null, "", "/set-password"); // the token is spent: out of the address bar
          mount(main, h("div.center", h("div.card", h("h2", "Password set"), h("p", "You can now ", h("a", { href: "/login" }, "sign in"), "."))));
        } catch (e2) {
          msg.textContent = e2.message;
        }
      },
    },
  },
  h("h2", "Choose a password"),
  token ? null : h("p.error", "This link has no token; ask your operator for a new one."),
  h("label", { for: "new-password" }, "New password"), pw,
  h("label", { for: "new-password-again" }, "Again"), again,
  msg,
  h("div.toolbar", h("button.btn.primary", { type: "submit" }, "Set password")));
  mount(main, h("div.center", form));
}
