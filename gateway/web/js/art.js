// Each character's placeholder art, drawn here as SVG (no image files, nothing fetched).

import { s } from "./dom.js";

function hue(code) {
  let hash = 0;
  for (const char of code) hash = (hash * 31 + char.codePointAt(0)) % 360;
  return hash;
}

/** A round creature in the character's own colour with its initial; decorative. */
export function characterArt(character, { size = 96, locked = false } = {}) {
  const base = hue(character.code);
  const body = locked ? "hsl(0 0% 82%)" : `hsl(${base} 65% 72%)`;
  const shade = locked ? "hsl(0 0% 70%)" : `hsl(${base} 55% 55%)`;
  const ink = "hsl(150 30% 12%)";
  return s(
    "svg",
    {
      viewBox: "0 0 100 100",
      width: size,
      height: size,
      class: "art",
      "aria-hidden": "true",
      focusable: "false",
    },
    s("ellipse", { cx: 50, cy: 92, rx: 28, ry: 5, fill: "hsl(0 0% 0% / 0.12)" }),
    s("path", { d: "M50 12c22 0 36 18 36 40s-14 36-36 36-36-14-36-36 14-40 36-40z", fill: body }),
    s("path", { d: "M30 20c6-8 14-10 20-8-8 4-12 10-14 16z", fill: "hsl(0 0% 100% / 0.5)" }),
    s("circle", { cx: 38, cy: 50, r: locked ? 2 : 5, fill: ink }),
    s("circle", { cx: 62, cy: 50, r: locked ? 2 : 5, fill: ink }),
    locked
      ? s("path", { d: "M42 66h16", stroke: ink, "stroke-width": 3, "stroke-linecap": "round" })
      : s("path", {
          d: "M40 63q10 9 20 0",
          stroke: ink,
          "stroke-width": 3,
          fill: "none",
          "stroke-linecap": "round",
        }),
    s("circle", { cx: 50, cy: 80, r: 9, fill: shade }),
    s(
      "text",
      { x: 50, y: 84, "text-anchor": "middle", "font-size": 11, "font-weight": 700, fill: "#fff" },
      character.name.slice(0, 1),
    ),
  );
}
