// inspector-actions.js: what the inspector does to captured requests:
// fetch a detail, replay (as captured or with overrides), and the
// selection's replay in arrival order and HAR export.
import { api } from "./api.js";
import { har, download } from "./har.js";
import { replayBody } from "./webhook.js"; // issue 17: re-sign webhook captures by default

const enc = encodeURIComponent;

// detailURL is a capture's full record.
export function detailURL(tunnel, id) {
  return `/api/v1/me/tunnels/${enc(tunnel)}/requests/${enc(id)}`;
}

export function fetchDetail(tunnel, id) {
  return api(detailURL(tunnel, id));
}

// replay re-sends one capture through its tunnel (overrides: {method,
// path, headers, body}, each optional) and returns the new capture.
export function replay(r, overrides) {
  return api(detailURL(r.tunnel, r.id) + "/replay", { method: "POST", body: replayBody(r, overrides) });
}

// replaySelection replays the selected captures one after the other, in
// the order they arrived (oldest first), so a sequence (create, then
// update) reaches the service as it first did; added(capture) is told
// of each new one.
export async function replaySelection(items, ctx, added) {
  let ok = 0;
  for (const r of items) {
    try {
      added(await replay(r));
      ok++;
    } catch (e) {
      ctx.toast(`Replay of ${r.method} ${r.path} failed: ${e.message}; stopped after ${ok} of ${items.length}`, "error");
      return;
    }
  }
  ctx.toast(`Replayed ${ok} request${ok === 1 ? "" : "s"} in arrival order`);
}

// exportSelection downloads the selection as a HAR file, oldest first.
export async function exportSelection(items, ctx) {
  try {
    const details = [];
    for (const r of items) details.push(await fetchDetail(r.tunnel, r.id));
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    download(`warren-${stamp}.har`, JSON.stringify(har(details), null, 2));
    ctx.toast(`Exported ${details.length} request${details.length === 1 ? "" : "s"} as HAR`);
  } catch (e) {
    ctx.toast("HAR export failed: " + e.message, "error");
  }
}
