// The signed-in person's WebSocket (`/api/v1/ws`): one per tab, reopened with a fresh token.

import { session } from "./session.js";

const CLOSE_UNAUTHORIZED = 4401;
const MAX_BACKOFF_MS = 15_000;

let socket = null;
let wanted = false;
let backoff = 500;
const handlers = new Set();
const waiters = new Set();

function settle(open) {
  for (const resolve of waiters) resolve(open);
  waiters.clear();
}

async function open() {
  const token = await session.accessToken().catch(() => null);
  if (!wanted || !token || socket) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const url = `${scheme}://${location.host}/api/v1/ws?access_token=${encodeURIComponent(token)}`;
  const ws = new WebSocket(url);
  socket = ws;
  ws.addEventListener("open", () => {
    backoff = 500;
    settle(true);
  });
  ws.addEventListener("message", (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    for (const handler of handlers) handler(event);
  });
  ws.addEventListener("close", (closed) => {
    if (socket === ws) socket = null;
    settle(false);
    for (const handler of handlers) handler({ type: "live.closed", code: closed.code });
    if (!wanted) return;
    // 4401: the token expired or was revoked; the next open refreshes it first.
    if (closed.code === CLOSE_UNAUTHORIZED) session.refresh().catch(() => null);
    setTimeout(open, backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  });
}

export function connect() {
  wanted = true;
  open();
}

export function disconnect() {
  wanted = false;
  socket?.close(1000, "signed out");
  socket = null;
}

export function isOpen() {
  return socket?.readyState === WebSocket.OPEN;
}

/** Resolves true once the socket is open, false if it closes or `ms` pass first. */
export function whenOpen(ms) {
  if (isOpen()) return Promise.resolve(true);
  if (!wanted) return Promise.resolve(false);
  return new Promise((resolve) => {
    waiters.add(resolve);
    setTimeout(() => {
      waiters.delete(resolve);
      resolve(isOpen());
    }, ms);
  });
}

/**
 * `handler(event)` for every event `{type, id, ...}`, and `{type: "live.closed"}` when the
 * socket closes (events may be missed until it reopens); returns the unsubscribe function.
 */
export function subscribe(handler) {
  handlers.add(handler);
  return () => handlers.delete(handler);
}
