// Start the app: strings, the header's buttons, the live connection, the first page.

import { ApiError, describe } from "./errors.js";
import { lang, loadStrings, onLangChange, setLang, t, translate } from "./i18n.js";
import * as live from "./live.js";
import { navigate } from "./navigation.js";
import { render, start } from "./router.js";
import { session } from "./session.js";

const langButton = document.getElementById("lang");
const signOutButton = document.getElementById("signout");
const tabs = document.getElementById("tabs");

function syncChrome() {
  const signedIn = session.signedIn;
  signOutButton.hidden = !signedIn;
  tabs.hidden = !signedIn;
  document.body.classList.toggle("signed-in", signedIn);
  langButton.lang = lang() === "ko" ? "en" : "ko"; // the button names the other language
}

await loadStrings();
translate(document);
syncChrome();

langButton.addEventListener("click", () => setLang(lang() === "ko" ? "en" : "ko"));
onLangChange(() => {
  translate(document);
  syncChrome();
  render();
});

signOutButton.addEventListener("click", () => session.signOut());

session.on((kind, detail) => {
  syncChrome();
  if (kind === "signin") {
    live.connect();
    return;
  }
  live.disconnect();
  const flash =
    kind === "expired"
      ? describe(new ApiError(401, detail ?? "invalid_token", ""))
      : t("auth.signedOut");
  navigate("/signin", { replace: true, flash });
});

if (session.signedIn) live.connect();
start();
