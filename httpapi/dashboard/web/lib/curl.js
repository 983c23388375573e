// curl.js: a captured request as a curl command line that sends it again
// to the tunnel's public URL. Every value is single-quoted for a POSIX
// shell, so a captured header can never become shell syntax.
import { bytesOf } from "./body.js";

// quote single-quotes s for sh: ' becomes '\''.
export function quote(s) {
  return "'" + String(s).replace(/'/g, "'\\''") + "'";
}

// Headers curl computes itself, or that the URL already says.
const skip = new Set(["host", "content-length", "connection", "transfer-encoding", "accept-encoding"]);

// toCurl is the command for a detail (GET …/requests/{id}).
export function toCurl(d, scheme = location.protocol.replace(":", "")) {
  const url = scheme + "://" + d.host + d.path;
  const parts = ["curl"];
  if (d.method !== "GET" || d.request.body.stored) parts.push("-X " + quote(d.method));
  parts.push(quote(url));
  for (const [k, vs] of Object.entries(d.request.headers || {}).sort()) {
    if (skip.has(k.toLowerCase())) continue;
    for (const v of vs) parts.push("-H " + quote(k + ": " + v));
  }
  const b = d.request.body;
  let pre = "";
  if (b && b.available && b.data) {
    if (b.encoding === "base64") {
      // Binary: decoded from base64 on stdin, byte for byte.
      pre = "printf %s " + quote(b.data) + " | base64 -d | ";
      parts.push("--data-binary @-");
    } else {
      parts.push("--data-binary " + quote(b.data));
    }
  }
  let cmd = pre + parts.join(" \\\n  ");
  if (b && b.truncated) cmd = "# the body was cut at the capture limit: this sends only its first " + bytesOf(b).length + " bytes\n" + cmd;
  return cmd;
}
