// inspector-detail.js: the detail pane of one capture: its summary and
// timings, both sides' headers and bodies (lib/body.js), the raw
// exchange, and the actions (copy as curl, replay, replay with edits).
import { h, mount, fmtBytes, fmtTime, copyButton } from "./dom.js";
import { renderBody, bytesOf } from "./body.js";
import { toCurl } from "./curl.js";
import { fetchDetail, replay } from "./inspector-actions.js";
import { badges, statusClass, fmtDuration } from "./inspector-list.js";
import { editForm } from "./inspector-edit.js";

// openDetail draws capture r (a summary, or just {id, tunnel}) in pane.
// on.close closes the pane; on.opened(capture) is told of a replay's new
// capture; on.openID(tunnel, id) opens another capture. It returns the
// function that tears the pane down (revokes the image URLs it made).
export function openDetail(pane, r, ctx, on) {
  const urls = [];
  let gone = false;
  mount(pane, h("p.muted", "Loading " + r.id + "…"));
  fetchDetail(r.tunnel, r.id).then((d) => { if (!gone) draw(d); }).catch((e) => {
    if (!gone) mount(pane, closeButton(on), h("p.error", "Could not load " + r.id + ": " + e.message));
  });

  function draw(d) {
    const tab = pane.dataset.tab || "request";
    const tabs = { request: "Request", response: "Response", raw: "Raw" };
    const body = h("div.tab-body");
    const buttons = Object.entries(tabs).map(([k, label]) => h("button#tab-" + k, {
      type: "button", class: k === tab ? "active" : "", role: "tab",
      on: { click: () => show(k) },
    }, label));
    function show(k) {
      pane.dataset.tab = k;
      for (const b of buttons) b.classList.toggle("active", b.id === "tab-" + k);
      if (k === "raw") mount(body, h("pre.raw#raw-exchange", rawExchange(d)));
      else mount(body, side(k === "request" ? d.request : d.response, k, d));
    }
    const form = h("div.edit-box");
    const replayBtn = h("button.btn.small#replay", { type: "button", on: { click: () => send() } }, "Replay");
    const editBtn = h("button.btn.small#replay-edit", { type: "button",
      on: { click: () => { form.firstChild ? form.replaceChildren() : mount(form, editForm(d, send, () => form.replaceChildren())); } } },
    "Edit & replay");

    async function send(overrides) {
      replayBtn.disabled = editBtn.disabled = true;
      try {
        const nr = await replay(d, overrides);
        ctx.toast(`Replayed: ${nr.status || "no answer"} in ${fmtDuration(nr)}`);
        on.opened(nr);
      } catch (e) {
        ctx.toast("Replay failed: " + e.message, "error");
      } finally {
        replayBtn.disabled = editBtn.disabled = false;
      }
    }

    mount(pane,
      h("div.detail-head",
        h("h3.mono", h("span.method", d.method), " ", h("span.path", d.path)),
        h("span", { class: "badge status " + statusClass(d.status) }, d.status ? String(d.status) : "no answer"),
        replayLink(d, on), badges({ ...d, replayOf: null }),
        h("span.spacer"), closeButton(on)),
      h("div.toolbar.actions", copyButton(() => toCurl(d), "Copy as curl"), replayBtn, editBtn),
      form,
      summary(d),
      h("div.tabs", { role: "tablist" }, buttons),
      body);
    show(tab);
  }

  function side(x, which, d) {
    const secrets = d.secretHeaders && d.secretHeaders[which] || [];
    return h("div.side#side-" + which,
      h("h4", "Headers"), headersTable(x.headers, secrets),
      h("h4", "Body"), renderBody(x.body, x.headers, urls));
  }

  return () => {
    gone = true;
    for (const u of urls) URL.revokeObjectURL(u);
  };
}

function closeButton(on) {
  return h("button.btn.small.ghost#detail-close", { type: "button", title: "Close (Esc)", on: { click: () => on.close() } }, "✕");
}

// replayLink links a replay to its original, which opens in the pane.
function replayLink(d, on) {
  if (!d.replayOf) return null;
  return h("a.badge.warn.replay-of#replay-of", {
    href: "/inspector?open=" + encodeURIComponent(d.tunnel + "/" + d.replayOf),
    title: "Open the original request",
    on: { click: (e) => { e.preventDefault(); e.stopPropagation(); on.openID(d.tunnel, d.replayOf); } },
  }, "replay of " + d.replayOf.slice(-8));
}

function summary(d) {
  const kv = [
    ["ID", h("span.mono", d.id)],
    ["Time", fmtTime(d.createdAt)],
    ["Tunnel", d.tunnel + " (" + d.host + ")"],
    ["Client", (d.ip || "—") + (d.userAgent ? " · " + d.userAgent : "")],
    ["Protocol", d.proto || "—"],
    ["Duration", fmtDuration(d) + (d.ttfbMs !== undefined ? " · first byte after " + fmtDuration({ durationMs: d.ttfbMs, durationUs: d.ttfbUs }) : "")],
    ["Bytes", "in " + fmtBytes(d.bytesIn) + " · out " + fmtBytes(d.bytesOut)],
  ];
  if (d.error) kv.push(["Error", h("span.error", d.error)]);
  if (d.modified) kv.push(["Edited", (d.overrides || []).join(", ") || "yes"]);
  if (d.bodiesPruned) kv.push(["Bodies", "pruned by retention " + fmtTime(d.prunedAt)]);
  return h("div.kv.summary#detail-summary", kv.flatMap(([k, v]) => [h("div", k), h("div", v)]));
}

function headersTable(headers, secrets) {
  const rows = Object.entries(headers || {}).sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([k, vs]) => vs.map((v) => h("tr", h("td.mono.hname", k), h("td.mono.hvalue", v))));
  for (const s of secrets) rows.push(h("tr.secret", h("td.mono.hname", s), h("td.muted", "(kept out of the log)")));
  return rows.length ? h("table.headers", h("tbody", rows)) : h("p.muted", "No headers.");
}

// rawExchange is the capture as it crossed the wire (HTTP/1.1 framing),
// as text; a binary body is shown as its size.
export function rawExchange(d) {
  const lines = [`${d.method} ${d.path} ${d.proto || "HTTP/1.1"}`, "Host: " + d.host];
  const hdrs = (x) => Object.entries(x || {}).flatMap(([k, vs]) => (k.toLowerCase() === "host" ? [] : vs.map((v) => k + ": " + v)));
  const bodyText = (b) => {
    if (!b || !b.available) return b && b.size ? `[body of ${fmtBytes(b.size)} not stored]` : "";
    if (b.encoding === "base64") return `[binary body: ${fmtBytes(bytesOf(b).length)}]`;
    return b.data + (b.truncated ? `\n[… cut: ${fmtBytes(b.size - b.stored)} more not captured]` : "");
  };
  lines.push(...hdrs(d.request.headers), "", bodyText(d.request.body), "");
  lines.push(`${d.proto || "HTTP/1.1"} ${d.status || "—"}`, ...hdrs(d.response.headers), "", bodyText(d.response.body));
  return lines.join("\n");
}
