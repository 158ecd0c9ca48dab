// One place in the list: distance, open now, today's hours, phone; details on request.

import { api } from "../api.js";
import { h } from "../dom.js";
import { formatDistance, has, t } from "../i18n.js";
import { alertBox } from "../ui.js";

export const CATEGORIES = [
  "refill_zero",
  "cafe_bakery",
  "vegan_dining",
  "upcycle_recycle",
  "book_workshop",
  "market_mart",
  "lodging",
  "public_dropbox",
  "general",
];
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
export const ITEMS = [
  "clear_pet",
  "colored_pet",
  "can",
  "paper",
  "plastic",
  "glass",
  "textile",
  "electronics",
  "general",
];

function openBadge(open) {
  const [key, kind] =
    open === true
      ? ["places.open", "open"]
      : open === false
        ? ["places.closed", "closed"]
        : ["places.unknown", "unknown"];
  return h("span", { class: `badge badge-${kind}` }, t(key));
}

/** Text for any of the shapes hours come in: strings, ranges, lists, or a weekday map. */
function hoursText(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(hoursText).join(", ") || "—";
  if (typeof value === "object" && ("open" in value || "start" in value)) {
    return `${value.open ?? value.start}–${value.close ?? value.end}`;
  }
  return Object.entries(value)
    .map(([k, v]) => `${k} ${hoursText(v)}`)
    .join(" · ");
}

/** "월" for mon, monday or 0 (Monday first); any other key as it is. */
function dayName(key) {
  const day = String(key).toLowerCase().slice(0, 3);
  const name = `weekday.${/^\d$/.test(day) ? WEEKDAYS[Number(day)] : day}`;
  return has(name) ? t(name) : key;
}

function details(place) {
  const weekly = place.weekly_hours ?? place.hours ?? place.opening_hours;
  const rows =
    weekly && typeof weekly === "object" && !Array.isArray(weekly) ? Object.entries(weekly) : [];
  const source =
    typeof place.source === "object"
      ? (place.source?.name ?? JSON.stringify(place.source))
      : place.source;
  const notes = Array.isArray(place.notes) ? place.notes.join(" · ") : place.notes;
  return h(
    "div",
    { class: "place-details" },
    rows.length
      ? h(
          "dl",
          { class: "hours", "aria-label": t("places.weekly") },
          rows.map(([day, v]) => [h("dt", {}, dayName(day)), h("dd", {}, hoursText(v))]),
        )
      : weekly
        ? h("p", {}, `${t("places.weekly")}: ${hoursText(weekly)}`)
        : null,
    notes ? h("p", {}, `${t("places.notes")}: ${notes}`) : null,
    source ? h("p", { class: "help" }, `${t("places.source")}: ${source}`) : null,
  );
}

export function placeItem(place, index) {
  const more = h(
    "button",
    { type: "button", class: "ghost small", "aria-expanded": "false" },
    t("places.details"),
  );
  const slot = h("div", {});
  more.addEventListener("click", async () => {
    if (more.getAttribute("aria-expanded") === "true") {
      more.setAttribute("aria-expanded", "false");
      slot.replaceChildren();
      return;
    }
    more.setAttribute("aria-expanded", "true");
    try {
      slot.replaceChildren(
        details(await api(`/api/v1/places/${encodeURIComponent(place.id)}`, { auth: false })),
      );
    } catch (error) {
      slot.replaceChildren(alertBox(error));
    }
  });
  return h(
    "li",
    { class: "place" },
    h("h2", {}, h("span", { class: "place-number" }, `${index + 1}`), " ", place.name),
    h(
      "p",
      { class: "place-meta" },
      h("span", { class: "distance" }, formatDistance(place.distance_m)),
      " ",
      openBadge(place.open_now),
      place.hours_today
        ? h(
            "span",
            { class: "hours-today" },
            " ",
            t("places.today", { hours: hoursText(place.hours_today) }),
          )
        : null,
    ),
    h(
      "p",
      { class: "help" },
      [t(`category.${place.category}`), place.address].filter(Boolean).join(" · "),
    ),
    place.accepts?.length
      ? h(
          "ul",
          { class: "chips" },
          place.accepts.map((code) => h("li", {}, t(`item.${code}`))),
        )
      : null,
    place.phone
      ? h(
          "p",
          {},
          h("a", { href: `tel:${place.phone}` }, t("places.phone", { phone: place.phone })),
        )
      : null,
    more,
    slot,
  );
}
