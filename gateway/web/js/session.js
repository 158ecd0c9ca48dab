// The signed-in session: tokens kept in this browser, refreshed silently before they expire.
//
// Refresh tokens rotate and a rotated one used again revokes the session, so two tabs must
// never refresh with the same token: a Web Lock serialises refreshes across tabs, and a
// refresh first re-reads the stored tokens in case another tab already rotated them.

import { errorOf, networkError } from "./errors.js";

const KEY = "eco2.session";
const EARLY_MS = 30_000; // refresh this long before the access token expires
const listeners = new Set();
let inflight = null;

function load() {
  try {
    return JSON.parse(localStorage.getItem(KEY));
  } catch {
    return null;
  }
}

function save(tokens) {
  const stored = {
    user: tokens.user,
    access_token: tokens.access_token,
    refresh_token: tokens.refresh_token,
    expires_at: Date.now() + tokens.expires_in * 1000,
  };
  localStorage.setItem(KEY, JSON.stringify(stored));
  return stored;
}

function emit(kind, detail) {
  for (const listener of listeners) listener(kind, detail);
}

const fresh = (stored) => stored.expires_at - Date.now() > EARLY_MS;

async function rotate(used) {
  const stored = load();
  if (!stored) return null;
  if (stored.refresh_token !== used && fresh(stored)) return stored; // another tab did it
  let response;
  try {
    response = await fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ refresh_token: stored.refresh_token }),
    });
  } catch (cause) {
    throw networkError(cause);
  }
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401) end("expired", error.code);
    throw error;
  }
  return save(await response.json());
}

function end(kind, reason) {
  localStorage.removeItem(KEY);
  emit(kind, reason);
}

export const session = {
  get user() {
    return load()?.user ?? null;
  },

  get signedIn() {
    return load() !== null;
  },

  start(tokens) {
    save(tokens);
    emit("signin", tokens.user);
  },

  /** A valid access token, refreshed first when it is about to expire; null if signed out. */
  async accessToken() {
    const stored = load();
    if (!stored) return null;
    if (fresh(stored)) return stored.access_token;
    return (await this.refresh(stored.refresh_token))?.access_token ?? null;
  },

  /** Rotate the refresh token `used` (once per tab and across tabs). */
  refresh(used = load()?.refresh_token) {
    if (!inflight) {
      const run = () => rotate(used);
      const locked = navigator.locks ? navigator.locks.request("eco2-refresh", run) : run();
      inflight = locked.finally(() => {
        inflight = null;
      });
    }
    return inflight;
  },

  /** Sign out here and on the server (best effort: the tokens are forgotten either way). */
  async signOut() {
    const stored = load();
    if (stored) {
      await fetch("/api/v1/auth/logout", {
        method: "POST",
        headers: {
          Authorization: `Bearer ${stored.access_token}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({ refresh_token: stored.refresh_token }),
      }).catch(() => null);
    }
    end("signout");
  },

  /** The server refused the session: forget it and say why. */
  expire(reason) {
    end("expired", reason);
  },

  /** `listener(kind, detail)` for "signin", "signout" and "expired". */
  on(listener) {
    listeners.add(listener);
  },
};

// Another tab signed in or out.
addEventListener("storage", (event) => {
  if (event.key !== KEY) return;
  if (event.newValue === null) emit("signout");
  else if (event.oldValue === null) emit("signin", load()?.user);
});
