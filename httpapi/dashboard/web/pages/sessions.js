// sessions.js: where this account is signed in to the dashboard — each
// session's address, browser, start and last use — with a way to end one
// or all of them ("sign out everywhere", this browser included).
import { h, mount } from "../lib/dom.js";
import { api } from "../lib/api.js";
import { head, alertBox, show, table, when, confirmButton, busy, ready } from "../lib/console.js";

export default async function sessions(main, ctx) {
  const alert = alertBox("sessions-error");
  const everywhere = confirmButton("Sign out everywhere", "Really sign out everywhere?", (b) => busy(b, alert, async () => {
    await api("/api/v1/me/sessions", { method: "DELETE" });
    signedOut();
  }), { id: "signout-everywhere" });
  const list = h("div#session-list", h("p.muted", "Loading…"));
  mount(main,
    head("Your sessions", everywhere),
    h("p.muted", "Signed in as ", h("strong", ctx.me.email || ctx.me.id), ". A session ends after 12 hours unused, 7 days at most, or when its password is set."),
    alert, list);

  const cols = [
    { title: "Browser", cell: (s) => [s.userAgent || "—", s.current ? h("span.badge.ok.current", " this browser") : null] },
    { title: "Address", cell: (s) => s.ip || "—", cls: "mono" },
    { title: "Signed in", cell: (s) => when(s.createdAt) },
    { title: "Last seen", cell: (s) => when(s.lastSeenAt) },
    { title: "Expires", cell: (s) => when(s.expiresAt) },
    {
      title: "", cls: "actions", cell: (s) => confirmButton(s.current ? "Sign out" : "End", s.current ? "Sign out here?" : "End it?", (b) => busy(b, alert, async () => {
        await api("/api/v1/me/sessions/" + encodeURIComponent(s.id), { method: "DELETE" });
        if (s.current) return signedOut();
        ctx.toast("Session ended");
        await load();
      }), { "data-session": s.id }),
    },
  ];
  cols.rowClass = (s) => (s.current ? "current" : "");

  async function load() {
    try {
      const { sessions: ss } = await api("/api/v1/me/sessions");
      mount(list, table(cols, ss, { id: "sessions-table" }));
    } catch (e) {
      show(alert, e);
    }
  }
  await load();
  ready(main);
}

// signedOut tells the shell this browser's session is gone: it forgets the
// account and shows the sign-in page.
function signedOut() {
  window.dispatchEvent(new CustomEvent("warren:signed-out"));
}
