// Moving between the app's pages (history routing); the router renders on each move.

export const NAVIGATED = "eco2:navigate";
let flash = null;

/** Show `path`; `flash` is a message for the next page; `replace` keeps history short. */
export function navigate(path, { replace = false, flash: message = null } = {}) {
  flash = message;
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  dispatchEvent(new Event(NAVIGATED));
}

/** The message `navigate` was given, once. */
export function takeFlash() {
  const message = flash;
  flash = null;
  return message;
}
