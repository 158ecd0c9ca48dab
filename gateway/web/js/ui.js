// Small pieces every page uses: its heading, messages, busy buttons, paged lists.

import { h } from "./dom.js";
import { describe } from "./errors.js";
import { t } from "./i18n.js";

/** The page's <h1>, which also names the tab. */
export function heading(text) {
  document.title = `${text} · Eco²`;
  return h("h1", {}, text);
}

/** An error (or text) a person must notice: announced at once. */
export function alertBox(error) {
  const text = typeof error === "string" ? error : describe(error);
  return h("p", { class: "alert", role: "alert" }, text);
}

export function notice(text) {
  return h("p", { class: "notice", role: "status" }, text);
}

export function loading() {
  return h("p", { class: "help", role: "status" }, t("common.loading"));
}

/** Run `work` with `button` disabled and labelled `busyText` meanwhile. */
export async function busy(button, busyText, work) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  if (busyText) button.textContent = busyText;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

/**
 * A list filled page by page: `load(cursor)` answers `{items, next_cursor}`, `item(x, i)` an
 * <li>. Returns `{element, next}`; call `next()` for the first page. `onError(error)` may
 * take over an error (e.g. a route this server lacks) by returning true; `onLoaded(all)`
 * sees every item loaded so far after each page.
 */
export function pagedList({ load, item, empty, label, onError, onLoaded }) {
  const list = h("ul", { class: "cards", "aria-label": label });
  const status = h("div", { class: "list-status" });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("scans.more"));
  const element = h("div", { class: "paged" }, list, status, more);
  const loaded = [];
  let cursor = null;

  async function next() {
    status.replaceChildren(list.children.length ? "" : loading());
    try {
      const page = await busy(more, null, () => load(cursor));
      list.append(...page.items.map((x, i) => item(x, loaded.length + i)));
      loaded.push(...page.items);
      onLoaded?.(loaded);
      cursor = page.next_cursor ?? null;
      more.hidden = cursor === null;
      status.replaceChildren(list.children.length ? "" : h("p", { class: "empty" }, empty));
    } catch (error) {
      if (error?.name === "AbortError") return;
      if (!onError?.(error)) status.replaceChildren(alertBox(error));
    }
  }

  more.addEventListener("click", next);
  return { element, next };
}
