// svg.js: SVG elements for charts, made the way dom.js makes HTML: through
// createElementNS, with strings as text nodes only. It refuses event
// handler and link attributes, so data can never become script or a link.
import { append } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";

// svg("rect.bar", {x, y, width, height}, ...children) → an SVG element.
export function svg(sel, attrs, ...children) {
  const m = /^([a-zA-Z]+)((?:\.[\w-]+)*)$/.exec(sel);
  if (!m) throw new Error("svg.js: bad selector " + sel);
  const el = document.createElementNS(NS, m[1]);
  if (m[2]) el.setAttribute("class", m[2].slice(1).split(".").join(" "));
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (/^on/i.test(k) || /href$/i.test(k) || k === "style") throw new Error("svg.js: refusing attribute " + k);
    if (k === "class") el.setAttribute("class", m[2] ? el.getAttribute("class") + " " + v : v);
    else el.setAttribute(k, String(v));
  }
  return append(el, children);
}
