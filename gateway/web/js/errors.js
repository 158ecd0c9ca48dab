// The API's one error shape, and what a person is told for each code.

import { has, t } from "./i18n.js";

export class ApiError extends Error {
  constructor(status, code, message, { requestId = "", retryAfter = null } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
  }
}

/** The error of a failed response: `{"error": {code, message, request_id}}`, or its status. */
export async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = body?.error ?? {};
  return new ApiError(
    response.status,
    error.code ?? `http_${response.status}`,
    error.message ?? response.statusText,
    {
      requestId: error.request_id ?? response.headers.get("x-request-id") ?? "",
      retryAfter: response.headers.get("retry-after"),
    },
  );
}

export function networkError(cause) {
  return new ApiError(0, "network", String(cause?.message ?? cause));
}

/** A route this server does not have (an API another release adds): the plain 404. */
export function isMissingRoute(error) {
  return error instanceof ApiError && error.status === 404 && error.code === "not_found";
}

/** The friendly text for `error`: the code's own text, else the API's message. */
export function describe(error) {
  if (!(error instanceof ApiError))
    return t("error.generic", { message: String(error?.message ?? error) });
  if (error.code === "invalid_field") {
    const name = error.message.split(":", 1)[0].trim();
    const key = `error.invalid_field.${name}`;
    return has(key) ? t(key) : t("error.invalid_field", { message: error.message });
  }
  if (error.code === "rate_limited" && error.retryAfter) {
    return t("error.rate_limited.wait", { seconds: error.retryAfter });
  }
  const key = `error.${error.code}`;
  if (has(key)) return t(key);
  return error.message || t("error.generic", { message: error.code });
}
