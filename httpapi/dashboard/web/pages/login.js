// login.js: email and password sign-in (POST /api/v1/session).
import { h, mount } from "../lib/dom.js";
import { api } from "../lib/api.js";
import { signedIn } from "../app.js";

export default async function login(main, ctx) {
  const email = h("input#email", { type: "email", autocomplete: "username", required: true, autofocus: true });
  const password = h("input#password", { type: "password", autocomplete: "current-password", required: true });
  const err = h("p.error#login-error", { role: "alert" });
  const submit = h("button.btn.primary#signin", { type: "submit" }, "Sign in");
  const form = h("form.card", {
    on: {
      submit: async (e) => {
        e.preventDefault();
        submit.disabled = true;
        err.textContent = "";
        try {
          await api("/api/v1/session", { method: "POST", body: { email: email.value, password: password.value } });
          await signedIn(ctx.query.get("next"));
        } catch (e2) {
          err.textContent = e2.message || "Sign-in failed";
          password.select();
        } finally {
          submit.disabled = false;
        }
      },
    },
  },
  h("h2", "Sign in to Warren"),
  h("label", { for: "email" }, "Email"), email,
  h("label", { for: "password" }, "Password"), password,
  err,
  h("div.toolbar", submit),
  h("p.muted", "No password yet? An operator can set one with ",
    h("code", "warren admin account password --email you@example.com"),
    " or give you a one-time link."));
  mount(main, h("div.center", form));
}
