// overview.js: placeholder until the console pages land.
import { h, mount, empty } from "../lib/dom.js";

export default async function overview(main) {
  mount(main, empty("Overview", h("p", "Start a tunnel with ", h("code", "warren http 3000"), ".")));
}
