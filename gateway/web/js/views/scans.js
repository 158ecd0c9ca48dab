// My scans: newest first, a page at a time; each links to its reload-safe page.

import { api } from "../api.js";
import { h } from "../dom.js";
import { formatDate, t } from "../i18n.js";
import { categoryName } from "../taxonomy.js";
import { heading, pagedList } from "../ui.js";

export const PAGE_SIZE = 10;

function item(scan) {
  const title = h("span", { class: "scan-title" }, t(`status.${scan.status}`));
  const classification = scan.result?.classification;
  if (classification)
    categoryName(classification.major, classification.middle).then(
      (name) => (title.textContent = name),
    );
  const reward = scan.result?.reward?.character;
  return h(
    "li",
    { class: `scan-item status-${scan.status}` },
    h(
      "a",
      { href: `/scans/${encodeURIComponent(scan.id)}`, "data-link": true },
      title,
      h(
        "span",
        { class: "scan-meta" },
        formatDate(scan.created_at),
        " · ",
        t(`status.${scan.status}`),
      ),
      reward ? h("span", { class: "scan-reward" }, `★ ${reward.name}`) : null,
    ),
  );
}

export async function scanList({ root, signal }) {
  const list = pagedList({
    label: t("scans.title"),
    empty: h(
      "span",
      {},
      t("scans.empty"),
      " ",
      h("a", { href: "/scan", "data-link": true }, t("scans.start")),
    ),
    item,
    load: (cursor) => api("/api/v1/scans", { query: { limit: PAGE_SIZE, cursor }, signal }),
  });
  root.append(heading(t("scans.title")), list.element);
  await list.next();
}
