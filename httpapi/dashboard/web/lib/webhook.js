// webhook.js: a captured request's webhook verdict (issue 17), for the
// inspector's list and detail. The API gives `webhook: {provider, verified,
// reason, enforced, resigned, changedHeaders}` on requests of tunnels that
// verify webhooks, and nothing otherwise.
import { h } from "./dom.js";

// webhookBadge is a small badge ("✓ stripe", "✗ stripe signature_mismatch",
// "refused" and "re-signed" appended), or null when there is no verdict.
export function webhookBadge(w) {
  if (!w || !w.provider) return null;
  let text = (w.verified ? "✓ " : "✗ ") + w.provider;
  if (!w.verified && w.reason) text += " " + w.reason;
  if (w.enforced) text += ", refused";
  if (w.resigned) text += ", re-signed";
  const title = w.resigned && w.changedHeaders && w.changedHeaders.length
    ? "re-signed: " + w.changedHeaders.join(", ")
    : w.verified ? "the signature verified" : "the signature did not verify";
  return h("span.badge.webhook." + (w.verified ? "verified" : "failed"), { title }, text);
}

// resignByDefault: the dashboard re-signs replays of webhook captures by
// default (the API and CLI do not): a genuine delivery, now or once
// (timestamp_expired), is the case re-signing is for.
export function resignByDefault(w) {
  return !!w && (w.verified || w.reason === "timestamp_expired");
}

// replayBody is a replay's request body from the dashboard: the overrides,
// plus resign: true for a webhook capture the dashboard re-signs by default
// (not with a body override, which is never re-signed).
export function replayBody(r, overrides) {
  const body = { ...(overrides || {}) };
  if (body.body === undefined && resignByDefault(r && r.webhook)) body.resign = true;
  return body;
}
