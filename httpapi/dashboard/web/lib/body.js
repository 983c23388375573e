// body.js: a captured body, shown by its content type. Captured content is
// hostile: everything here becomes text nodes (h() with strings), an image
// is shown from a blob: URL in an <img> (which runs no script, SVG
// included), and HTML is previewed only on request, in an iframe sandboxed
// with neither allow-scripts nor allow-same-origin.
import { h, fmtBytes } from "./dom.js";

// header returns the first value of a header (any case) in a {name: [v]} map.
export function header(headers, name) {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(headers || {})) {
    if (k.toLowerCase() === want) return Array.isArray(v) ? v[0] : v;
  }
  return "";
}

// bytesOf decodes a body (text or base64) to bytes.
export function bytesOf(body) {
  if (!body || body.data === null || body.data === undefined) return new Uint8Array();
  if (body.encoding === "base64") {
    const s = atob(body.data);
    const b = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
    return b;
  }
  return new TextEncoder().encode(body.data);
}

// kind names how a content type is shown.
export function kind(ct, body) {
  const t = (ct || "").split(";")[0].trim().toLowerCase();
  if (t === "application/json" || t.endsWith("+json") || t === "text/json") return "json";
  if (t === "application/xml" || t === "text/xml" || t.endsWith("+xml") && !t.startsWith("image/")) return "xml";
  if (t === "application/x-www-form-urlencoded") return "form";
  if (t.startsWith("image/")) return "image";
  if (t === "text/html") return "html";
  if (body && body.encoding === "base64") return "binary";
  if (!t && body && typeof body.data === "string" && /^\s*[[{]/.test(body.data)) return "json";
  return "text";
}

// prettyJSON indents JSON; a body that does not parse (cut short, say) is
// returned as it is, with ok false.
export function prettyJSON(s) {
  try { return { text: JSON.stringify(JSON.parse(s), null, 2), ok: true }; } catch { return { text: s, ok: false }; }
}

// prettyXML indents XML by its tags. It is a tokenizer, not a parser:
// nothing is built from the markup, it only adds line breaks and spaces.
export function prettyXML(s) {
  const tokens = s.replace(/>\s+</g, "><").split(/(<[^>]*>)/).filter((t) => t.trim() !== "");
  const out = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const pad = "  ".repeat(Math.max(depth, 0));
    if (/^<\//.test(t)) {
      depth--;
      out.push("  ".repeat(Math.max(depth, 0)) + t);
    } else if (/^<[^!?][^>]*[^/]>$|^<[a-zA-Z]>$/.test(t)) {
      // <a>text</a> stays on one line.
      if (i + 2 < tokens.length && !tokens[i + 1].startsWith("<") && /^<\//.test(tokens[i + 2])) {
        out.push(pad + t + tokens[i + 1] + tokens[i + 2]);
        i += 2;
      } else {
        out.push(pad + t);
        depth++;
      }
    } else {
      out.push(pad + t.trim());
    }
  }
  return out.join("\n");
}

// hexDump is the classic offset, 16 bytes in hex, printable ASCII.
export function hexDump(bytes, max = 64 << 10) {
  const n = Math.min(bytes.length, max);
  const lines = [];
  for (let off = 0; off < n; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, n));
    const hex = [...row].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(off.toString(16).padStart(8, "0") + "  " + hex.padEnd(47) + "  " + ascii);
  }
  if (bytes.length > max) lines.push(`… ${fmtBytes(bytes.length - max)} more not shown`);
  return lines.join("\n");
}

// note says what of a body was kept: cut at the capture limit, pruned.
function notes(body) {
  const out = [];
  if (body.truncated) {
    out.push(h("p.note.truncated", `Truncated: ${fmtBytes(body.stored)} of ${fmtBytes(body.size)} were captured (the plan's capture limit).`));
  }
  if (!body.available) out.push(h("p.note.pruned", "The stored body is gone (retention pruned it)."));
  return out;
}

// renderBody shows one side's body; urls collects blob: URLs for the
// caller to revoke when the pane closes.
export function renderBody(body, headers, urls) {
  if (!body) return h("p.muted", "No body.");
  const ct = header(headers, "Content-Type");
  const top = notes(body);
  if (!body.available) return h("div.body", top);
  if (!body.size && !body.stored && !(body.data || "").length) return h("div.body", top, h("p.muted", "Empty body."));
  const k = kind(ct, body);
  const meta = h("p.muted.body-meta", (ct || "no content type") + " · " + fmtBytes(body.size) + (k !== "text" ? " · shown as " + k : ""));
  let view;
  switch (k) {
    case "json": {
      const p = prettyJSON(body.data);
      view = [p.ok ? null : h("p.note", "Not valid JSON (shown as captured)."), h("pre.body-view.json", p.text)];
      break;
    }
    case "xml":
      view = h("pre.body-view.xml", prettyXML(body.data));
      break;
    case "form": {
      const rows = [...new URLSearchParams(body.data)].map(([k2, v]) => h("tr", h("td.mono", k2), h("td.mono", v)));
      view = [h("table.form-view", h("thead", h("tr", h("th", "Name"), h("th", "Value"))), h("tbody", rows)),
        h("details", h("summary", "Raw"), h("pre.body-view", body.data))];
      break;
    }
    case "image": {
      const url = URL.createObjectURL(new Blob([bytesOf(body)], { type: ct.split(";")[0] }));
      urls.push(url);
      view = h("img.preview", { src: url, alt: "captured image (" + ct + ")" });
      break;
    }
    case "html": {
      const pre = h("pre.body-view.html", body.data);
      const box = h("div.html-box", pre);
      const btn = h("button.btn.small.preview-toggle", { type: "button" }, "Preview");
      btn.addEventListener("click", () => {
        if (box.firstChild === pre) {
          // sandbox with no allow-* tokens: no script, an opaque origin, no forms, no top navigation.
          box.replaceChildren(h("iframe.preview", { sandbox: true, srcdoc: body.data, title: "HTML preview (sandboxed)", referrerpolicy: "no-referrer" }));
          btn.textContent = "Source";
        } else {
          box.replaceChildren(pre);
          btn.textContent = "Preview";
        }
      });
      view = [h("div.toolbar", btn), box];
      break;
    }
    case "binary":
      view = h("pre.body-view.hex", hexDump(bytesOf(body)));
      break;
    default:
      view = h("pre.body-view.text", body.data);
  }
  return h("div.body", top, meta, view);
}
