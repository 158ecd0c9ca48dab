// A map drawn here without tiles: the point, the places around it, distance rings and a
// scale bar, in an SVG. Dragging it moves the point (`onMove({lat, lon})`).

import { s } from "./dom.js";
import { formatDistance } from "./i18n.js";

const WIDTH = 360;
const HEIGHT = 240;
const M_PER_DEG_LAT = 110_574;
const M_PER_DEG_LON = 111_320;

/** The largest 1, 2 or 5 × 10^n metres not longer than `metres`. */
function niceLength(metres) {
  const power = 10 ** Math.floor(Math.log10(metres));
  return [5, 2, 1].map((f) => f * power).find((length) => length <= metres) ?? power;
}

/** `center` {lat, lon}; `places` with lat, lon, name; `label` names the map for readers. */
export function placesMap({ center, places, label, onMove }) {
  const farthest = Math.max(200, ...places.map((p) => p.distance_m ?? 0));
  const mPerPx = (farthest * 1.2) / (HEIGHT / 2);
  const cos = Math.cos((center.lat * Math.PI) / 180);
  const project = (lat, lon) => [
    WIDTH / 2 + ((lon - center.lon) * cos * M_PER_DEG_LON) / mPerPx,
    HEIGHT / 2 - ((lat - center.lat) * M_PER_DEG_LAT) / mPerPx,
  ];
  const ring = niceLength(farthest / 2);
  const rings = [1, 2, 3].map((n) =>
    s("circle", { cx: WIDTH / 2, cy: HEIGHT / 2, r: (ring * n) / mPerPx, class: "map-ring" }),
  );
  const markers = places.map((place, index) => {
    const [x, y] = project(place.lat, place.lon);
    return s(
      "g",
      {
        class: `map-place ${place.open_now === true ? "open" : ""}`,
        transform: `translate(${x} ${y})`,
      },
      s("title", {}, `${index + 1}. ${place.name} (${formatDistance(place.distance_m)})`),
      s("circle", { r: 9 }),
      s("text", { y: 4, "text-anchor": "middle" }, String(index + 1)),
    );
  });
  const bar = niceLength(WIDTH * 0.3 * mPerPx);
  const barPx = bar / mPerPx;
  const content = s(
    "g",
    {},
    rings,
    s("path", { d: `M${WIDTH / 2} 0V${HEIGHT}M0 ${HEIGHT / 2}H${WIDTH}`, class: "map-axis" }),
    markers,
    s("circle", { cx: WIDTH / 2, cy: HEIGHT / 2, r: 6, class: "map-point" }),
  );
  const svg = s(
    "svg",
    { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "map", role: "img", "aria-label": label },
    s("rect", { width: WIDTH, height: HEIGHT, class: "map-ground" }),
    content,
    s("text", { x: WIDTH - 14, y: 22, class: "map-north", "text-anchor": "middle" }, "N"),
    s("path", { d: `M${WIDTH - 14} 26l-5 10h10z`, class: "map-north-arrow" }),
    s(
      "g",
      { class: "map-scale", transform: `translate(12 ${HEIGHT - 14})` },
      s("path", { d: `M0 -5V0H${barPx}V-5` }),
      s("text", { x: barPx / 2, y: -8, "text-anchor": "middle" }, formatDistance(bar)),
    ),
  );
  if (onMove) draggable(svg, content, mPerPx, cos, center, onMove);
  return svg;
}

function draggable(svg, content, mPerPx, cos, center, onMove) {
  let start = null;
  const scale = () => WIDTH / svg.getBoundingClientRect().width; // viewBox px per screen px
  svg.addEventListener("pointerdown", (event) => {
    start = { x: event.clientX, y: event.clientY };
    svg.setPointerCapture(event.pointerId);
  });
  svg.addEventListener("pointermove", (event) => {
    if (!start) return;
    const k = scale();
    content.setAttribute(
      "transform",
      `translate(${(event.clientX - start.x) * k} ${(event.clientY - start.y) * k})`,
    );
  });
  svg.addEventListener("pointerup", (event) => {
    if (!start) return;
    const k = scale();
    const dx = (event.clientX - start.x) * k * mPerPx;
    const dy = (event.clientY - start.y) * k * mPerPx;
    start = null;
    if (Math.hypot(dx, dy) < 2 * mPerPx) return content.removeAttribute("transform");
    onMove({ lat: center.lat + dy / M_PER_DEG_LAT, lon: center.lon - dx / (cos * M_PER_DEG_LON) });
  });
}
