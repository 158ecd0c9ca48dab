// Names of the waste taxonomy's categories: the Korean codes, or the API's English labels.

import { api } from "./api.js";
import { lang } from "./i18n.js";

let labels = null;

async function load() {
  const tree = await api("/api/v1/recycling/categories", { auth: false });
  const found = new Map();
  for (const major of tree.majors) {
    found.set(major.code, major.label);
    // Middle codes are unique: a major without middles is its own single middle.
    for (const middle of major.middles) found.set(middle.code, middle.label);
  }
  return found;
}

async function name(code) {
  if (lang() === "ko") return code;
  labels ??= load().catch(() => new Map());
  return (await labels).get(code) ?? code;
}

/** "재활용폐기물 › 무색페트병", or "recyclables › clear PET bottles" in English. */
export async function categoryName(major, middle) {
  const parts = middle && middle !== major ? [major, middle] : [major];
  return (await Promise.all(parts.map(name))).join(" › ");
}

export const middleName = name;
