// Chat with 이코: the conversations list, and starting a chat (about a scan, if asked from one).

import { api } from "../api.js";
import { h } from "../dom.js";
import { isMissingRoute } from "../errors.js";
import { formatDate, t } from "../i18n.js";
import { navigate } from "../navigation.js";
import { alertBox, busy, heading, notice, pagedList } from "../ui.js";

/** A server without the chat API answers its routes with the plain 404. */
export function chatUnavailable(root, error) {
  if (!isMissingRoute(error)) return false;
  root.replaceChildren(heading(t("chat.title")), notice(t("chat.unavailable")));
  return true;
}

async function startChat(root, scanId, signal) {
  try {
    const chat = await api("/api/v1/chats", {
      method: "POST",
      json: scanId ? { scan_id: scanId } : {},
      signal,
    });
    navigate(
      `/chats/${encodeURIComponent(chat.id)}${scanId ? `?scan=${encodeURIComponent(scanId)}` : ""}`,
      { replace: Boolean(scanId) },
    );
  } catch (error) {
    if (error?.name !== "AbortError" && !chatUnavailable(root, error)) root.append(alertBox(error));
  }
}

function item(chat) {
  return h(
    "li",
    { class: "chat-item" },
    h(
      "a",
      { href: `/chats/${encodeURIComponent(chat.id)}`, "data-link": true },
      h("span", { class: "chat-title" }, chat.title || t("chat.untitled")),
      chat.preview ? h("span", { class: "chat-preview" }, chat.preview) : null,
      h(
        "span",
        { class: "scan-meta" },
        t("chat.messages", { count: chat.message_count ?? 0 }),
        " · ",
        formatDate(chat.last_message_at ?? chat.created_at),
      ),
    ),
  );
}

export async function chatList({ root, query, signal }) {
  const scanId = query.get("scan");
  if (scanId) {
    root.append(heading(t("chat.title")), notice(t("chat.aboutScan")));
    await startChat(root, scanId, signal);
    return;
  }
  const start = h("button", { type: "button", class: "primary" }, t("chat.new"));
  start.addEventListener("click", () => busy(start, null, () => startChat(root, null, signal)));
  const list = pagedList({
    label: t("chat.title"),
    empty: t("chat.empty"),
    item,
    load: (cursor) => api("/api/v1/chats", { query: { limit: 20, cursor }, signal }),
    onError: (error) => chatUnavailable(root, error),
  });
  root.append(heading(t("chat.title")), start, list.element);
  await list.next();
}
