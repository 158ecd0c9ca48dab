// One chat: its messages, the composer, 이코's answer as it is written, and a stop button.
//
// After a reload the page resumes the answer it was streaming (see `reply.js`); an answer
// still open on the server that this tab did not remember is read from its first event.

import { api, randomKey } from "../api.js";
import { add, field, h } from "../dom.js";
import { t } from "../i18n.js";
import { alertBox, heading } from "../ui.js";
import { chatUnavailable } from "./chat.js";
import { bubble, endNote, forget, remembered, streamReply, TERMINAL } from "./reply.js";

const MAX_PAGES = 10;

async function allMessages(base, signal) {
  const messages = [];
  let cursor = null;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const answer = await api(`${base}/messages`, { query: { limit: 100, cursor }, signal });
    messages.push(...answer.items);
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  return messages;
}

const replyIdOf = (message) => message.reply_id ?? message.id;

/** The answer to pick up: the one this tab streamed unless it has ended, else one still open. */
function toResume(chatId, base, messages) {
  const stored = remembered(chatId);
  const ended = (id) => messages.some((m) => replyIdOf(m) === id && TERMINAL.has(m.status));
  if (stored && !ended(stored.replyId)) return stored;
  if (stored) forget(chatId);
  const open = messages.find((m) => m.role === "assistant" && !TERMINAL.has(m.status));
  if (!open) return null;
  const replyId = replyIdOf(open);
  const eventsUrl = `${base}/replies/${encodeURIComponent(replyId)}/events`;
  return { chatId, replyId, eventsUrl, lastEventId: null, text: "", seq: 0 };
}

export async function chatThread({ root, params, query, signal }) {
  const chatId = params.id;
  const base = `/api/v1/chats/${encodeURIComponent(chatId)}`;
  let scanId = query.get("scan");
  const log = h("ol", { class: "chat-log", "aria-label": t("chat.log"), "aria-live": "polite" });
  const text = h("textarea", { name: "text", rows: 2, maxlength: 2000, required: true });
  // Disabled until the messages are shown and the composer listens (a click before would
  // submit the form natively, leaving the page).
  const send = h("button", { type: "submit", class: "primary", disabled: true }, t("chat.send"));
  const stop = h("button", { type: "button", class: "secondary", hidden: true }, t("chat.stop"));
  const errors = h("div", { class: "form-errors" });
  const composer = h(
    "form",
    { class: "composer", novalidate: true },
    field(t("chat.message"), text, t("chat.messageHelp")),
    errors,
    h("div", { class: "composer-buttons" }, send, stop),
  );
  add(
    root,
    h("p", {}, h("a", { href: "/chats", "data-link": true }, `← ${t("chat.back")}`)),
    heading(t("chat.title")),
    scanId ? h("p", { class: "notice" }, t("chat.aboutScan")) : null,
    log,
    composer,
  );

  async function answer(reply) {
    const shown = bubble("assistant", reply.text || t("chat.thinking"));
    log.append(shown.element);
    log.setAttribute("aria-busy", "true");
    send.disabled = true;
    stop.hidden = false;
    stop.disabled = false;
    stop.onclick = () => {
      stop.disabled = true;
      const path = `${base}/replies/${encodeURIComponent(reply.replyId)}/stop`;
      api(path, { method: "POST" }).catch((error) => errors.replaceChildren(alertBox(error)));
    };
    await streamReply(reply, shown, signal);
    log.removeAttribute("aria-busy");
    send.disabled = false;
    stop.hidden = true;
  }

  let messages;
  try {
    messages = await allMessages(base, signal);
  } catch (error) {
    if (error?.name === "AbortError") return;
    // A 404 here is this chat not being found, unless the server has no chats at all.
    const listError = await api("/api/v1/chats", { query: { limit: 1 }, signal }).then(
      () => null,
      (failure) => failure,
    );
    if (!(listError && chatUnavailable(root, listError))) root.append(alertBox(error));
    return;
  }
  const resume = toResume(chatId, base, messages);
  for (const message of messages) {
    if (resume && message.role === "assistant" && replyIdOf(message) === resume.replyId) continue;
    const shown = bubble(message.role, message.text);
    shown.note.textContent = endNote(message.status, message);
    log.append(shown.element);
  }

  composer.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    const message = text.value.trim();
    if (!message || send.disabled) return;
    send.disabled = true;
    let accepted;
    try {
      accepted = await api(`${base}/messages`, {
        method: "POST",
        json: { text: message, ...(scanId ? { scan_id: scanId } : {}) },
        headers: { "Idempotency-Key": randomKey() },
        signal,
      });
    } catch (error) {
      send.disabled = false;
      if (error?.name !== "AbortError" && !chatUnavailable(root, error)) {
        errors.replaceChildren(alertBox(error));
      }
      return;
    }
    scanId = null; // the chat knows the scan from now on
    text.value = "";
    log.append(bubble("user", message).element);
    const reply = { chatId, replyId: accepted.reply_id, eventsUrl: accepted.events_url };
    await answer({ ...reply, lastEventId: null, text: "", seq: 0 }).catch(() => null);
  });

  send.disabled = false;
  if (resume) await answer(resume);
}
