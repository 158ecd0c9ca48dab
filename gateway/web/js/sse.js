// Server-Sent Events over fetch(), so the request can carry the Bearer token and
// `Last-Event-ID`; a dropped stream is reopened after the last event seen until a
// terminal one arrives (or the server answers 204: nothing more will come).

import { authorizedFetch } from "./api.js";
import { errorOf } from "./errors.js";

const RECONNECT_MS = 1000;
const MAX_RECONNECTS = 20;

function parseBlock(block) {
  const event = { id: null, event: "message", data: [] };
  for (const line of block.split(/\r?\n/)) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "data") event.data.push(value);
    else if (name === "id") event.id = value;
    else if (name === "event") event.event = value;
  }
  return event.data.length
    ? { id: event.id, event: event.event, data: JSON.parse(event.data.join("\n")) }
    : null;
}

/** Read one response; returns the last event id, and whether a terminal event came. */
async function readOnce(url, lastEventId, { onEvent, isTerminal, signal }) {
  const headers = { Accept: "text/event-stream" };
  if (lastEventId) headers["Last-Event-ID"] = lastEventId;
  const response = await authorizedFetch(url, { headers, signal });
  if (response.status === 204) return { lastEventId, done: true };
  if (!response.ok) throw await errorOf(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { lastEventId, done: false };
    buffer += value;
    let end;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
      const event = parseBlock(block);
      if (!event) continue;
      if (event.id) lastEventId = event.id;
      onEvent(event);
      if (isTerminal(event)) {
        reader.cancel().catch(() => null);
        return { lastEventId, done: true };
      }
    }
  }
}

/**
 * Follow `url` until `isTerminal(event)`; `onEvent({id, event, data})` sees each event once.
 * Resolves to the last event id; rejects with the API's error (or an AbortError).
 */
export async function follow(url, { onEvent, isTerminal, signal, lastEventId = null }) {
  let failures = 0;
  for (;;) {
    try {
      const result = await readOnce(url, lastEventId, { onEvent, isTerminal, signal });
      lastEventId = result.lastEventId;
      if (result.done) return lastEventId;
      failures = 0;
    } catch (error) {
      if (error?.name === "AbortError" || error?.status) throw error;
      failures += 1;
      if (failures > MAX_RECONNECTS) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    if (signal?.aborted) throw new DOMException("aborted", "AbortError");
  }
}
