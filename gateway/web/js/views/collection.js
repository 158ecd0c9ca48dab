// The collection: all 13 characters, the owned ones lit with when and how they were earned.

import { api } from "../api.js";
import { characterArt } from "../art.js";
import { h } from "../dom.js";
import { formatDate, t } from "../i18n.js";
import { middleName } from "../taxonomy.js";
import { heading, loading } from "../ui.js";

async function card(character, owned) {
  const lit = owned !== undefined;
  const how = lit
    ? [
        h(
          "p",
          { class: "earned" },
          t("collection.acquired", { date: formatDate(owned.acquired_at) }),
        ),
        h("p", { class: "source" }, t(`source.${owned.source}`)),
        h("blockquote", { class: "dialog" }, character.dialog),
      ]
    : [
        h("p", { class: "locked-note" }, t("collection.locked")),
        character.middle
          ? h(
              "p",
              { class: "help" },
              t("collection.meet", { middle: await middleName(character.middle) }),
            )
          : null,
      ];
  return h(
    "li",
    { class: `character ${lit ? "owned" : "locked"}`, dataset: { code: character.code } },
    characterArt(character, { size: 88, locked: !lit }),
    h("h2", {}, character.name),
    h("p", { class: "type" }, character.type),
    ...how,
  );
}

export async function collection({ root, signal }) {
  const status = loading();
  root.append(heading(t("collection.title")), status);
  const [catalog, mine] = await Promise.all([
    api("/api/v1/characters", { auth: false, signal }),
    api("/api/v1/users/me/characters", { signal }),
  ]);
  const owned = new Map(mine.items.map((item) => [item.code, item]));
  const cards = await Promise.all(catalog.items.map((c) => card(c, owned.get(c.code))));
  const count = catalog.items.filter((c) => owned.has(c.code)).length;
  status.replaceWith(
    h(
      "p",
      { class: "count" },
      t("collection.count", { owned: count, total: catalog.items.length }),
    ),
    h("ul", { class: "characters", "aria-label": t("collection.title") }, cards),
  );
}
