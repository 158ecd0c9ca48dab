// Korean first, English on request; the choice is remembered in this browser.

const KEY = "eco2.lang";
const LANGS = ["ko", "en"];
let table = { ko: {}, en: {} };
let current = "ko";
const listeners = new Set();

export async function loadStrings() {
  const response = await fetch(new URL("../strings.json", import.meta.url));
  table = await response.json();
  const stored = localStorage.getItem(KEY);
  current = LANGS.includes(stored) ? stored : "ko";
  document.documentElement.lang = current;
}

export function lang() {
  return current;
}

export function has(key) {
  return key in table[current] || key in table.ko;
}

/** The text of `key` in the current language, with `{name}` replaced from `vars`. */
export function t(key, vars = {}) {
  const text = table[current][key] ?? table.ko[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

export function setLang(next) {
  current = LANGS.includes(next) ? next : "ko";
  localStorage.setItem(KEY, current);
  document.documentElement.lang = current;
  for (const listener of listeners) listener(current);
}

export function onLangChange(listener) {
  listeners.add(listener);
}

/** Translate the static page: `data-i18n` (text) and `data-i18n-label` (aria-label). */
export function translate(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  }
}

const locale = () => (current === "ko" ? "ko-KR" : "en-GB");

/** A date and time as people in Korea read it (Asia/Seoul). */
export function formatDate(iso) {
  const options = { dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Seoul" };
  return new Intl.DateTimeFormat(locale(), options).format(new Date(iso));
}

export function formatDistance(metres) {
  if (metres < 1000) return `${Math.round(metres)} m`;
  const km = new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(metres / 1000);
  return `${km} km`;
}
