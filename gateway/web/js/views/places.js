// Places: the collection points nearest a point (the browser's location, a typed point or a
// searched address), filtered by kind, accepted item and open now; a list and a map.
// With `?scan=<id>`: the places that take that scan's item. The point and filters live in
// the URL, so a reload shows the same places.

import { api } from "../api.js";
import { field, h } from "../dom.js";
import { isMissingRoute } from "../errors.js";
import { t } from "../i18n.js";
import { placesMap } from "../map.js";
import { alertBox, busy, heading, notice, pagedList } from "../ui.js";
import { CATEGORIES, ITEMS, placeItem } from "./placecard.js";

const PAGE_SIZE = 20;
const RADII = [500, 1000, 2000, 5000, 10000, 50000];
const PROBE = { lat: 37.5665, lon: 126.978 }; // any valid point: does this server have places?

function parsePoint(text) {
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$/.exec(text ?? "");
  if (!match) return null;
  const [lat, lon] = [Number(match[1]), Number(match[2])];
  return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? { lat, lon } : null;
}

const pointText = (point) => (point ? `${point.lat.toFixed(5)}, ${point.lon.toFixed(5)}` : "");

function select(options, value) {
  return h(
    "select",
    {},
    options.map(([code, text]) => h("option", { value: code, selected: code === value }, text)),
  );
}

export async function places({ root, query, signal }) {
  const scanId = query.get("scan");
  const state = {
    point: parsePoint(query.get("at")),
    radius: Number(query.get("radius")) || 2000,
    category: query.get("category") ?? "",
    accepts: query.get("accepts") ?? "",
    openNow: query.get("open_now") === "true",
  };
  const title = heading(t(scanId ? "places.forScan" : "places.title"));
  // A server without the places API (it answers the plain 404): say so, once, for the page.
  const onError = (error) => {
    if (!isMissingRoute(error)) return false;
    root.replaceChildren(title, notice(t("places.unavailable")));
    return true;
  };

  const pointInput = h("input", {
    type: "text",
    autocomplete: "off",
    value: pointText(state.point),
  });
  const searchInput = h("input", { type: "search", autocomplete: "off" });
  const searchResults = h("ul", { class: "search-results" });
  const status = h("div", {});
  const results = h("div", { class: "places-results" });

  function syncUrl() {
    const params = new URLSearchParams();
    if (scanId) params.set("scan", scanId);
    if (state.point) params.set("at", pointText(state.point).replace(" ", ""));
    if (state.radius !== 2000) params.set("radius", state.radius);
    if (!scanId && state.category) params.set("category", state.category);
    if (!scanId && state.accepts) params.set("accepts", state.accepts);
    if (!scanId && state.openNow) params.set("open_now", "true");
    const search = params.toString();
    history.replaceState(null, "", search ? `/places?${search}` : "/places");
  }

  function load(cursor) {
    const { lat, lon } = state.point;
    const common = { lat, lon, radius: state.radius, limit: PAGE_SIZE, cursor };
    if (scanId)
      return api(`/api/v1/scans/${encodeURIComponent(scanId)}/places`, { query: common, signal });
    const filters = {
      category: state.category,
      accepts: state.accepts,
      open_now: state.openNow ? "true" : null,
    };
    return api("/api/v1/places", { query: { ...common, ...filters }, signal });
  }

  function moveTo(point) {
    state.point = point;
    pointInput.value = pointText(point);
    searchResults.replaceChildren();
    reload();
  }

  async function reload() {
    syncUrl();
    status.replaceChildren();
    if (!state.point) {
      results.replaceChildren(notice(t("places.needPoint")));
      return;
    }
    const mapSlot = h("div", { class: "map-slot" });
    const list = pagedList({
      label: t("places.title"),
      empty: t("places.empty"),
      item: placeItem,
      load,
      onError,
      onLoaded: (all) =>
        mapSlot.replaceChildren(
          placesMap({
            center: state.point,
            places: all,
            label: t("places.map", { count: all.length }),
            onMove: moveTo,
          }),
        ),
    });
    results.replaceChildren(mapSlot, list.element);
    await list.next();
  }

  const locate = h("button", { type: "button", class: "secondary" }, t("places.locate"));
  locate.addEventListener("click", () =>
    busy(locate, t("places.locating"), async () => {
      try {
        const position = await new Promise((resolve, reject) =>
          navigator.geolocation.getCurrentPosition(resolve, reject, {
            timeout: 10_000,
            maximumAge: 60_000,
          }),
        );
        moveTo({ lat: position.coords.latitude, lon: position.coords.longitude });
      } catch {
        status.replaceChildren(alertBox(t("places.geoFailed")));
      }
    }),
  );

  const pointForm = h(
    "form",
    { class: "inline-form", novalidate: true },
    field(t("places.point"), pointInput, t("places.pointHelp")),
    h("button", { type: "submit", class: "primary" }, t("places.show")),
  );
  pointForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const point = parsePoint(pointInput.value);
    if (!point) {
      status.replaceChildren(alertBox(t("places.badPoint")));
      return;
    }
    moveTo(point);
  });

  const searchForm = h(
    "form",
    { class: "inline-form", role: "search", novalidate: true },
    field(t("places.search"), searchInput),
    h("button", { type: "submit", class: "secondary" }, t("places.searchButton")),
  );
  const useAsPoint = (place) =>
    h(
      "li",
      {},
      h("span", {}, [place.name, place.address].filter(Boolean).join(" · ")),
      h(
        "button",
        {
          type: "button",
          class: "ghost small",
          onclick: () => moveTo({ lat: place.lat, lon: place.lon }),
        },
        t("places.useThis"),
      ),
    );
  searchForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = searchInput.value.trim();
    if (!q) return;
    try {
      const found = await api("/api/v1/places/search", { query: { q, ...state.point }, signal });
      const items = found.items.slice(0, 5).map(useAsPoint);
      searchResults.replaceChildren(
        ...(items.length ? items : [h("li", { class: "empty" }, t("places.searchEmpty"))]),
      );
    } catch (error) {
      if (!onError(error)) status.replaceChildren(alertBox(error));
    }
  });

  const radius = select(
    RADII.map((m) => [String(m), m < 1000 ? `${m} m` : `${m / 1000} km`]),
    String(state.radius),
  );
  const filterControls = [field(t("places.radius"), radius)];
  radius.addEventListener("change", () => {
    state.radius = Number(radius.value);
    reload();
  });
  if (!scanId) {
    const any = ["", t("places.any")];
    const category = select(
      [any, ...CATEGORIES.map((c) => [c, t(`category.${c}`)])],
      state.category,
    );
    const accepts = select([any, ...ITEMS.map((c) => [c, t(`item.${c}`)])], state.accepts);
    const openNow = h("input", { type: "checkbox", id: "open-now", checked: state.openNow });
    category.addEventListener("change", () => {
      state.category = category.value;
      reload();
    });
    accepts.addEventListener("change", () => {
      state.accepts = accepts.value;
      reload();
    });
    openNow.addEventListener("change", () => {
      state.openNow = openNow.checked;
      reload();
    });
    filterControls.push(
      field(t("places.category"), category),
      field(t("places.accepts"), accepts),
      h("div", { class: "check" }, openNow, h("label", { for: "open-now" }, t("places.openNow"))),
    );
  }

  root.append(
    title,
    h(
      "section",
      { class: "card where", "aria-label": t("places.where") },
      locate,
      pointForm,
      searchForm,
      searchResults,
    ),
    h("fieldset", { class: "card filters" }, h("legend", {}, t("places.filters")), filterControls),
    status,
    results,
  );
  if (scanId) root.insertBefore(await scanItems(scanId, state, signal), root.children[1]);
  if (!state.point) {
    // Tell at once whether this server has places at all.
    try {
      await api("/api/v1/places", { query: { ...PROBE, limit: 1 }, signal });
    } catch (error) {
      if (onError(error)) return;
    }
  }
  await reload();
}

/** What the scan's item is, and a link to every place that accepts it. */
async function scanItems(scanId, state, signal) {
  try {
    const scan = await api(`/api/v1/scans/${encodeURIComponent(scanId)}`, { signal });
    const codes = scan.result?.disposal?.drop_off ?? [];
    const list = Array.isArray(codes) ? codes : [codes];
    if (!list.length) return h("div", {});
    const params = new URLSearchParams({ accepts: list.join(",") });
    if (state.point) params.set("at", pointText(state.point).replace(" ", ""));
    return h(
      "div",
      { class: "scan-items" },
      h(
        "ul",
        { class: "chips" },
        list.map((code) => h("li", {}, t(`item.${code}`))),
      ),
      h("a", { href: `/places?${params}`, "data-link": true }, t("places.allPlaces")),
    );
  } catch (error) {
    return alertBox(error);
  }
}
