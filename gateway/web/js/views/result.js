// The result card of a finished scan: category, steps, what to fix, 이코's answer, reward.

import { characterArt } from "../art.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { categoryName } from "../taxonomy.js";

function section(title, ...content) {
  return h("section", { class: "result-part" }, h("h2", {}, title), ...content);
}

function reward(result) {
  if (!result.reward) return h("p", { class: "reward-none" }, t("reward.none"));
  const { character, status } = result.reward;
  return h(
    "div",
    { class: `reward reward-${status}` },
    characterArt(character, { size: 112 }),
    h(
      "div",
      {},
      h("p", { class: "reward-status" }, t(`reward.${status}`)),
      h("p", { class: "reward-name" }, character.name),
      h("blockquote", { class: "dialog" }, character.dialog),
    ),
  );
}

/** The card of `scan` (completed); the links go to its places and to a chat about it. */
export async function resultCard(scan) {
  const result = scan.result;
  const { major, middle, minor } = result.classification;
  const category = await categoryName(major, middle);
  const fixes = result.insufficiencies;
  const notAccepted = result.disposal.not_accepted ?? [];
  return h(
    "article",
    { class: "card result", "aria-labelledby": "result-category" },
    h("p", { class: "eyebrow" }, t("result.category")),
    h("p", { class: "category", id: "result-category" }, category),
    minor ? h("p", { class: "minor" }, `${t("result.item")}: ${minor}`) : null,
    section(t("result.reward"), reward(result)),
    section(
      t("result.fix"),
      fixes.length
        ? h(
            "ul",
            { class: "fixes" },
            fixes.map((fix) => h("li", {}, fix.message)),
          )
        : h("p", { class: "all-good" }, t("result.allGood")),
    ),
    section(t("result.answer"), h("p", { class: "answer" }, result.answer)),
    section(
      t("result.steps"),
      h(
        "ol",
        { class: "steps" },
        result.disposal.steps.map((step) => h("li", {}, step)),
      ),
    ),
    notAccepted.length
      ? section(
          t("result.notAccepted"),
          h(
            "ul",
            { class: "not-accepted" },
            notAccepted.map((x) => h("li", {}, t("result.instead", x))),
          ),
        )
      : null,
    h(
      "nav",
      { class: "result-links", "aria-label": t("result.title") },
      h(
        "a",
        {
          href: `/places?scan=${encodeURIComponent(scan.id)}`,
          "data-link": true,
          class: "button primary",
        },
        t("result.where"),
      ),
      h(
        "a",
        {
          href: `/chats?scan=${encodeURIComponent(scan.id)}`,
          "data-link": true,
          class: "button secondary",
        },
        t("result.ask"),
      ),
      h("a", { href: "/scan", "data-link": true, class: "button ghost" }, t("result.again")),
    ),
  );
}
