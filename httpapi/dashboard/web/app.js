// app.js: the shell. It checks who is signed in, draws the navigation and
// routes each path to a page module in pages/. A page module's default
// export is `async (main, ctx) => cleanup?`; ctx is described below.
import { h, mount } from "./lib/dom.js";
import { api } from "./lib/api.js";

// Path → page module, and the navigation entries. Public pages render
// without a session.
const routes = {
  "/": { mod: "overview", title: "Overview", nav: true },
  "/inspector": { mod: "inspector", title: "Inspector", nav: true, key: "i" },
  "/tunnels": { mod: "tunnels", title: "Tunnels", nav: true, key: "t" },
  "/reservations": { mod: "reservations", title: "Reservations", nav: true, key: "r" },
  "/domains": { mod: "domains", title: "Domains", nav: true, key: "d" },
  "/keys": { mod: "keys", title: "API keys", nav: true, key: "k" },
  "/audit": { mod: "audit", title: "Audit log", nav: true, key: "a" },
  "/statements": { mod: "statements", title: "Statements", nav: true, key: "s" },
  "/sessions": { mod: "sessions", title: "Sessions", nav: false },
  "/admin": { mod: "admin", title: "Operator", nav: true, operator: true, key: "o" },
  "/login": { mod: "login", title: "Sign in", public: true },
  "/set-password": { mod: "setpassword", title: "Set password", public: true },
  "/device": { mod: "device", title: "Approve device" },
};

const root = document.getElementById("app");
let me = null;
let cleanup = null;

// ctx is what a page gets:
//   me        the signed-in account (GET /v1/me), null on public pages
//   query     URLSearchParams of the current URL
//   navigate  (path, {replace}) → goes to another page
//   setQuery  (obj) → replaces the query (null/"" removes a key) without
//             redrawing the page, so filters live in the URL
//   toast     (message, kind) → a short notice
//   title     (string) → sets the document title
function makeCtx() {
  return {
    me,
    query: new URLSearchParams(location.search),
    navigate,
    setQuery(obj) {
      const q = new URLSearchParams(location.search);
      for (const [k, v] of Object.entries(obj)) {
        if (v === null || v === undefined || v === "" || v === false) q.delete(k);
        else q.set(k, String(v));
      }
      const s = q.toString();
      history.replaceState(null, "", location.pathname + (s ? "?" + s : ""));
    },
    toast,
    title(t) { document.title = t + " · Warren"; },
  };
}

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render();
}

function toast(message, kind = "info") {
  const t = h("div.toast." + kind, { role: "status" }, message);
  document.body.append(t);
  setTimeout(() => t.remove(), 4000);
}

async function whoami() {
  try {
    me = await api("/v1/me");
  } catch {
    me = null;
  }
  return me;
}

function theme() {
  return localStorage.getItem("warren-theme") || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
}
function applyTheme(t) { document.documentElement.dataset.theme = t; }

function shell(route) {
  const links = Object.entries(routes)
    .filter(([, r]) => r.nav && (!r.operator || (me && me.operator)))
    .map(([p, r]) => h("a", {
      href: p, class: location.pathname === p ? "active" : "",
      title: r.key ? `g then ${r.key}` : undefined,
    }, r.title));
  const main = h("main#main", { tabindex: "-1" });
  const header = h("header.top",
    h("a.brand", { href: "/" }, "warren"),
    h("nav", links),
    h("div.spacer"),
    me ? h("a.who", { href: "/sessions", title: "Your sessions" }, me.email || me.id) : null,
    h("button.btn.small.ghost#theme", {
      type: "button", title: "Toggle theme",
      on: { click: () => { const t = theme() === "dark" ? "light" : "dark"; localStorage.setItem("warren-theme", t); applyTheme(t); } },
    }, "◐"),
    me ? h("button.btn.small.ghost#signout", {
      type: "button",
      on: { click: async () => { try { await api("/api/v1/session", { method: "DELETE" }); } catch { /* gone already */ } me = null; navigate("/login"); } },
    }, "Sign out") : null,
  );
  mount(root, route.public ? null : header, main);
  return main;
}

async function render() {
  if (cleanup) { try { cleanup(); } catch { /* page already gone */ } cleanup = null; }
  const route = routes[location.pathname] || routes["/"];
  if (!route.public && !me && !(await whoami())) {
    const back = location.pathname + location.search;
    history.replaceState(null, "", "/login" + (back !== "/" ? "?next=" + encodeURIComponent(back) : ""));
    return render();
  }
  if (route.operator && !me.operator) return navigate("/", { replace: true });
  const main = shell(route);
  const ctx = makeCtx();
  ctx.title(route.title);
  try {
    const mod = await import("./pages/" + route.mod + ".js");
    cleanup = (await mod.default(main, ctx)) || null;
  } catch (e) {
    mount(main, h("div.error", h("h3", "This page failed to load"), h("p", String(e && e.message || e))));
  }
}

// Links inside the app navigate without a reload.
document.addEventListener("click", (e) => {
  const a = e.target.closest && e.target.closest("a[href]");
  if (!a || a.target || e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/assets/") || url.pathname.startsWith("/api/") || url.pathname.startsWith("/v1/")) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener("popstate", render);
window.addEventListener("warren:signed-out", () => {
  if (me) { me = null; navigate("/login?next=" + encodeURIComponent(location.pathname + location.search), { replace: true }); }
});

// Keyboard: "g" then a page's key goes there; "/" focuses the page's
// search field (any input with data-search).
let pendingG = 0;
document.addEventListener("keydown", (e) => {
  if (e.target.closest && e.target.closest("input, textarea, select, [contenteditable]")) return;
  if (e.metaKey || e.ctrlKey || e.altKey) return;
  if (e.key === "/") {
    const s = document.querySelector("[data-search]");
    if (s) { e.preventDefault(); s.focus(); }
    return;
  }
  if (e.key === "g") { pendingG = Date.now(); return; }
  if (Date.now() - pendingG < 1500) {
    pendingG = 0;
    for (const [p, r] of Object.entries(routes)) {
      if (r.key === e.key && (!r.operator || (me && me.operator))) { navigate(p); return; }
    }
  }
});

// signedIn is called by the login page after a successful sign-in.
export async function signedIn(next) {
  await whoami();
  navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
}

applyTheme(theme());
render();
