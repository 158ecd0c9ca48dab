// The page table (history routing) and rendering the current page into <main>.
// `gateway/webapp.py` serves index.html for the same paths (its PAGES).

import { h } from "./dom.js";
import { t } from "./i18n.js";
import { NAVIGATED, navigate, takeFlash } from "./navigation.js";
import { session } from "./session.js";
import { alertBox, heading } from "./ui.js";
import { oauthCallback, signIn, signUp } from "./views/auth.js";
import { chatList } from "./views/chat.js";
import { chatThread } from "./views/chatthread.js";
import { collection } from "./views/collection.js";
import { places } from "./views/places.js";
import { scanForm, scanPage } from "./views/scan.js";
import { scanList } from "./views/scans.js";

const home = () => navigate(session.signedIn ? "/scan" : "/signin", { replace: true });

const PAGES = [
  ["/", home, { public: true }],
  ["/signin", signIn, { public: true }],
  ["/signup", signUp, { public: true }],
  ["/oauth/callback", oauthCallback, { public: true }],
  ["/scan", scanForm, { tab: "scan" }],
  ["/scans", scanList, { tab: "scans" }],
  ["/scans/:id", scanPage, { tab: "scans" }],
  ["/collection", collection, { tab: "collection" }],
  ["/places", places, { tab: "places" }],
  ["/chats", chatList, { tab: "chats" }],
  ["/chats/:id", chatThread, { tab: "chats" }],
].map(([path, view, options]) => ({
  pattern: new RegExp(`^${path.replace(/:(\w+)/g, "(?<$1>[^/]+)")}$`),
  view,
  options,
}));

let controller = null;
let first = true;

function find(pathname) {
  for (const page of PAGES) {
    const match = page.pattern.exec(pathname);
    if (match) return { ...page, params: { ...match.groups } };
  }
  return null;
}

function markTab(tab) {
  for (const link of document.querySelectorAll("[data-tab]")) {
    if (link.dataset.tab === tab) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

export async function render() {
  controller?.abort();
  controller = new AbortController();
  const { signal } = controller;
  const url = new URL(location.href);
  const root = document.getElementById("view");
  const page = find(url.pathname);
  root.replaceChildren();
  if (!page) {
    root.append(
      heading(t("common.notFound")),
      h("p", {}, h("a", { href: "/", "data-link": true }, t("common.home"))),
    );
    return;
  }
  if (!page.options.public && !session.signedIn) {
    navigate(`/signin?next=${encodeURIComponent(url.pathname + url.search)}`, {
      replace: true,
      flash: takeFlash(),
    });
    return;
  }
  markTab(page.options.tab);
  const context = {
    root,
    params: page.params,
    query: url.searchParams,
    signal,
    flash: takeFlash(),
  };
  if (!first) root.focus();
  first = false;
  try {
    await page.view(context);
  } catch (error) {
    if (error?.name !== "AbortError" && !signal.aborted) root.append(alertBox(error));
  }
}

/** Follow same-origin links marked `data-link` without reloading the page. */
function onClick(event) {
  const link = event.target.closest("a[data-link]");
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(link.getAttribute("href"));
}

export function start() {
  document.addEventListener("click", onClick);
  addEventListener("popstate", render);
  addEventListener(NAVIGATED, render);
  render();
}
