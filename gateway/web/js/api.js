// Calls to the gateway's HTTP API with the session's token, refreshed and retried once on a 401.

import { ApiError, errorOf, networkError } from "./errors.js";
import { session } from "./session.js";

const RETRY_CODES = new Set(["invalid_token", "unauthorized"]);

/** fetch() with `Authorization: Bearer`; a refused token is refreshed and the call retried. */
export async function authorizedFetch(url, init = {}) {
  for (let attempt = 0; ; attempt += 1) {
    const token = await session.accessToken();
    if (!token) throw new ApiError(401, "unauthorized", "not signed in");
    const headers = { ...init.headers, Authorization: `Bearer ${token}` };
    let response;
    try {
      response = await fetch(url, { ...init, headers });
    } catch (cause) {
      if (cause?.name === "AbortError") throw cause;
      throw networkError(cause);
    }
    if (response.status !== 401) return response;
    const error = await errorOf(response);
    if (attempt > 0 || !RETRY_CODES.has(error.code)) {
      session.expire(error.code);
      throw error;
    }
    await session.refresh();
  }
}

function withQuery(path, query) {
  const entries = Object.entries(query ?? {}).filter(
    ([, v]) => v !== null && v !== undefined && v !== "",
  );
  return entries.length ? `${path}?${new URLSearchParams(entries)}` : path;
}

/**
 * One API call; resolves to the JSON body (null for 204), rejects with an ApiError.
 * `json` is sent as the body; `form` as multipart; `auth: false` sends no token.
 */
export async function api(
  path,
  { method = "GET", json, form, query, auth = true, headers, signal } = {},
) {
  const init = { method, signal, headers: { Accept: "application/json", ...headers } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (form) {
    init.body = form;
  }
  const url = withQuery(path, query);
  let response;
  if (auth) {
    response = await authorizedFetch(url, init);
  } else {
    try {
      response = await fetch(url, init);
    } catch (cause) {
      if (cause?.name === "AbortError") throw cause;
      throw networkError(cause);
    }
  }
  if (!response.ok) throw await errorOf(response);
  return response.status === 204 ? null : response.json();
}

/** A random Idempotency-Key (crypto.randomUUID needs a secure context; this does not). */
export function randomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
