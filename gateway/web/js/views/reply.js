// One answer of 이코 streamed into its bubble: `context`, then `delta {seq, text}`…, then
// `completed`, `incomplete` or `failed`.
//
// While it streams, the reply is remembered in sessionStorage (its events URL, the last
// event id, the text and seq so far), so a reloaded page picks it up with `Last-Event-ID`.

import { h } from "../dom.js";
import { ApiError, describe } from "../errors.js";
import { t } from "../i18n.js";
import { follow } from "../sse.js";

export const TERMINAL = new Set(["completed", "incomplete", "failed"]);

const memoryKey = (chatId) => `eco2.reply.${chatId}`;

/** The reply this tab was streaming in `chatId` when the page went away, if any. */
export function remembered(chatId) {
  return JSON.parse(sessionStorage.getItem(memoryKey(chatId)) ?? "null");
}

export function forget(chatId) {
  sessionStorage.removeItem(memoryKey(chatId));
}

export function bubble(role, text = "") {
  const body = h("p", { class: "bubble-text" }, text);
  const note = h("p", { class: "bubble-note" });
  const who = h("span", { class: "who" }, t(role === "user" ? "chat.you" : "chat.eco"));
  return { element: h("li", { class: `bubble ${role}` }, who, body, note), body, note };
}

/** What is said under an answer that ended `kind` (nothing for a completed one). */
export function endNote(kind, data) {
  if (kind === "incomplete") return t(data.reason === "length" ? "chat.length" : "chat.stopped");
  if (kind === "failed") {
    const error = new ApiError(0, data.error?.code ?? "internal_error", data.error?.message ?? "");
    return t("chat.failed", { message: describe(error) });
  }
  return "";
}

// The event's kind: its SSE `event:` name, or the `type` inside (`chat.delta` -> delta).
const kindOf = (event) =>
  event.event !== "message" ? event.event : String(event.data.type ?? "").replace(/^chat\./, "");

const count = (x) => (Array.isArray(x) ? x.length : 0);

/**
 * Stream `reply` ({chatId, replyId, eventsUrl, lastEventId, text, seq}) into `shown` (a
 * bubble) until it ends. Resolves when it has; rejects with an AbortError if `signal` fires
 * first (the reply stays remembered for the next page).
 */
export async function streamReply(reply, shown, signal) {
  const remember = () => sessionStorage.setItem(memoryKey(reply.chatId), JSON.stringify(reply));
  remember();
  try {
    await follow(reply.eventsUrl, {
      lastEventId: reply.lastEventId,
      signal,
      isTerminal: (event) => TERMINAL.has(kindOf(event)),
      onEvent: (event) => {
        const kind = kindOf(event);
        const data = event.data;
        reply.lastEventId = event.id ?? reply.lastEventId;
        if (kind === "context") {
          const used = {
            scans: count(data.scans),
            rules: count(data.rules),
            places: count(data.places),
          };
          shown.note.textContent = t("chat.context", used);
        } else if (kind === "delta" && data.seq > reply.seq) {
          reply.seq = data.seq;
          reply.text += data.text;
          shown.body.textContent = reply.text;
        } else if (TERMINAL.has(kind)) {
          reply.text = data.text ?? reply.text;
          shown.body.textContent = reply.text;
          shown.note.textContent = endNote(kind, data) || shown.note.textContent;
        }
        remember();
      },
    });
  } catch (error) {
    if (error?.name === "AbortError") throw error;
    shown.note.textContent = describe(error);
  }
  forget(reply.chatId);
}
