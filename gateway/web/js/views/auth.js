// Sign in, sign up (email and password), the OAuth buttons and the OAuth return page.

import { api } from "../api.js";
import { add, field, h } from "../dom.js";
import { t } from "../i18n.js";
import { navigate } from "../navigation.js";
import { session } from "../session.js";
import { alertBox, busy, heading, notice } from "../ui.js";

const OAUTH_KEY = "eco2.oauth";
const callbackUrl = () => `${location.origin}/oauth/callback`;

function afterSignIn(query) {
  const next = query.get("next");
  // Only a path of this app: never an open redirect to another site.
  navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/scan", {
    replace: true,
  });
}

function input(props) {
  return h("input", { required: true, ...props });
}

async function oauthButtons(signal) {
  let providers;
  try {
    providers = await api("/api/v1/auth/providers", { auth: false, signal });
  } catch {
    return null; // an older server without the list: no buttons
  }
  // A provider can only send the person back to a redirect URI the server allows.
  if (!providers.items.length || !providers.redirect_uris.includes(callbackUrl())) return null;
  const buttons = providers.items.map((provider) => {
    const name = t(`provider.${provider.name}`);
    return h(
      "button",
      {
        type: "button",
        class: `oauth oauth-${provider.name}`,
        onclick: () => {
          sessionStorage.setItem(OAUTH_KEY, JSON.stringify({ provider: provider.name }));
          const url = `${provider.authorize_url}?redirect_uri=${encodeURIComponent(callbackUrl())}`;
          location.assign(url);
        },
      },
      t("auth.oauth", { provider: name }),
    );
  });
  return h(
    "div",
    { class: "oauth-group", role: "group", "aria-label": t("auth.oauthGroup") },
    buttons,
  );
}

/** The sign-in and sign-up page: `mode` is "signin" or "signup". */
function authPage(mode) {
  return async ({ root, query, signal, flash }) => {
    if (session.signedIn) return afterSignIn(query);
    const signingUp = mode === "signup";
    const email = input({
      type: "email",
      name: "email",
      autocomplete: signingUp ? "email" : "username",
    });
    const password = input({
      type: "password",
      name: "password",
      autocomplete: signingUp ? "new-password" : "current-password",
    });
    const nickname = signingUp
      ? input({ type: "text", name: "nickname", autocomplete: "nickname", maxlength: 40 })
      : null;
    const submit = h(
      "button",
      { type: "submit", class: "primary" },
      t(signingUp ? "auth.submitSignUp" : "auth.submitSignIn"),
    );
    const errors = h("div", { class: "form-errors" });
    const form = h(
      "form",
      { class: "card auth", novalidate: true },
      field(t("auth.email"), email),
      field(t("auth.password"), password, signingUp ? t("auth.passwordHelp") : null),
      nickname && field(t("auth.nickname"), nickname),
      errors,
      submit,
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      errors.replaceChildren();
      const body = { email: email.value.trim(), password: password.value };
      if (signingUp) body.nickname = nickname.value.trim();
      try {
        const path = signingUp ? "/api/v1/auth/register" : "/api/v1/auth/login";
        const tokens = await busy(submit, t("auth.working"), () =>
          api(path, { method: "POST", json: body, auth: false }),
        );
        session.start(tokens);
        afterSignIn(query);
      } catch (error) {
        errors.replaceChildren(alertBox(error));
      }
    });
    const other = signingUp ? ["/signin", "auth.toSignIn"] : ["/signup", "auth.toSignUp"];
    const keep = query.get("next") ? `?next=${encodeURIComponent(query.get("next"))}` : "";
    add(
      root,
      h("p", { class: "tagline" }, t("app.tagline")),
      heading(t(signingUp ? "auth.signUp.title" : "auth.signIn.title")),
      flash ? notice(flash) : null,
      form,
      h(
        "p",
        { class: "switch" },
        h("a", { href: other[0] + keep, "data-link": true }, t(other[1])),
      ),
    );
    const oauth = await oauthButtons(signal);
    if (oauth && !signal.aborted) root.append(oauth);
  };
}

export const signIn = authPage("signin");
export const signUp = authPage("signup");

/** Where a provider sends the person back: trade `code` and `state` for tokens. */
export async function oauthCallback({ root, query, signal }) {
  root.append(heading(t("auth.signIn.title")), notice(t("auth.oauthWorking")));
  const started = JSON.parse(sessionStorage.getItem(OAUTH_KEY) ?? "null");
  sessionStorage.removeItem(OAUTH_KEY);
  const back = h("p", {}, h("a", { href: "/signin", "data-link": true }, t("auth.backToSignIn")));
  if (!started?.provider) {
    root.replaceChildren(heading(t("auth.signIn.title")), alertBox(t("error.invalid_state")), back);
    return;
  }
  const params = {};
  for (const name of ["code", "state", "error"])
    if (query.get(name)) params[name] = query.get(name);
  try {
    const tokens = await api(
      `/api/v1/auth/oauth/${encodeURIComponent(started.provider)}/callback`,
      {
        query: params,
        auth: false,
        signal,
      },
    );
    session.start(tokens);
    navigate("/scan", { replace: true });
  } catch (error) {
    if (error?.name === "AbortError") return;
    root.replaceChildren(heading(t("auth.signIn.title")), alertBox(error), back);
  }
}
