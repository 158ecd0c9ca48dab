// Scanning: the photo form, and a scan's own page (progress from live events, then the result).

import { api, randomKey } from "../api.js";
import { add, field, h } from "../dom.js";
import { ApiError } from "../errors.js";
import { t } from "../i18n.js";
import * as live from "../live.js";
import { navigate } from "../navigation.js";
import { session } from "../session.js";
import { follow } from "../sse.js";
import { alertBox, busy, heading } from "../ui.js";
import { resultCard } from "./result.js";

const STAGES = ["queued", "storage", "vision", "rules", "answer", "reward", "done"];
const TERMINAL = new Set(["completed", "failed"]);
const SOCKET_WAIT_MS = 1500;
const MAX_SIDE = 2048; // larger photos are scaled down before they are sent

async function shrink(file) {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.size < 2_000_000) return file;
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    return blob ? new File([blob], "photo.jpg", { type: "image/jpeg" }) : file;
  } catch {
    return file; // not decodable here: the server says what is wrong with it
  }
}

function photoInput(id, labelKey, capture) {
  const input = h("input", {
    type: "file",
    id,
    accept: "image/*",
    capture,
    class: "visually-hidden",
    name: "image",
  });
  return [input, h("label", { for: id, class: "button secondary photo-button" }, t(labelKey))];
}

export async function scanForm({ root }) {
  // A phone opens its camera for the first and its photo library for the second.
  const [camera, cameraLabel] = photoInput("photo-camera", "scan.take", "environment");
  const [library, libraryLabel] = photoInput("photo-library", "scan.choose", null);
  const preview = h("img", { class: "preview", alt: t("scan.preview"), hidden: true });
  const hint = h("input", { type: "text", name: "hint", maxlength: 500, autocomplete: "off" });
  const submit = h("button", { type: "submit", class: "primary" }, t("scan.submit"));
  const errors = h("div", { class: "form-errors" });
  let photo = null;
  let idempotencyKey = null;

  function choose(event) {
    photo = event.target.files[0] ?? photo;
    idempotencyKey = randomKey();
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.hidden = !photo;
    if (photo) preview.src = URL.createObjectURL(photo);
  }
  camera.addEventListener("change", choose);
  library.addEventListener("change", choose);
  hint.addEventListener("input", () => {
    idempotencyKey = randomKey();
  });

  const form = h(
    "form",
    { class: "card scan-form", novalidate: true },
    h(
      "fieldset",
      { class: "photo-field" },
      h("legend", {}, t("scan.photo")),
      h("div", { class: "photo-buttons" }, camera, cameraLabel, library, libraryLabel),
      h("p", { class: "help" }, t("scan.photoHelp")),
    ),
    preview,
    field(t("scan.hint"), hint, t("scan.hintHelp")),
    errors,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    if (!photo) {
      errors.append(alertBox(t("scan.noPhoto")));
      return;
    }
    try {
      const accepted = await busy(submit, t("scan.sending"), async () => {
        const body = new FormData();
        body.append("image", await shrink(photo));
        body.append("hint", hint.value.trim());
        return api("/api/v1/scans", {
          method: "POST",
          form: body,
          headers: { "Idempotency-Key": idempotencyKey },
        });
      });
      navigate(`/scans/${encodeURIComponent(accepted.id)}`);
    } catch (error) {
      errors.append(alertBox(error));
    }
  });
  const user = session.user;
  add(
    root,
    heading(t("scan.title")),
    user ? h("p", { class: "hello" }, t("home.hello", { nickname: user.nickname })) : null,
    form,
  );
}

const ahead = (a, b) =>
  a.progress > b.progress ||
  (a.progress === b.progress && STAGES.indexOf(a.stage) > STAGES.indexOf(b.stage));

/** Resolves "done" after a terminal event, "closed" if the socket closed first. */
function watchSocket(scanId, onEvent, signal) {
  return new Promise((resolve) => {
    const stop = live.subscribe((event) => {
      if (event.type === "live.closed") {
        stop();
        resolve("closed");
      } else if (event.scan_id === scanId) {
        onEvent(event);
        if (event.type === "scan.completed" || event.type === "scan.failed") {
          stop();
          resolve("done");
        }
      }
    });
    signal.addEventListener("abort", () => {
      stop();
      resolve("aborted");
    });
  });
}

export async function scanPage({ root, params, signal }) {
  const id = params.id;
  const stageText = h("p", { class: "stage", role: "status" }, t("common.loading"));
  const bar = h("progress", { max: 100, value: 0, "aria-label": t("progress.label") });
  const panel = h(
    "section",
    { class: "card progress-card", "aria-label": t("progress.label") },
    stageText,
    bar,
  );
  const body = h("div", { class: "result-slot" });
  root.append(heading(t("result.title")), panel, body);
  let state = null;
  const early = []; // events that came before the scan itself

  function showProgress(next) {
    state = { ...state, ...next };
    bar.value = state.progress;
    stageText.textContent = t("progress.value", {
      stage: t(`stage.${state.stage}`),
      progress: state.progress,
    });
    panel.dataset.status = state.status;
  }

  async function show(scan) {
    showProgress(scan);
    if (scan.status === "completed") body.replaceChildren(await resultCard(scan));
    else if (scan.status === "failed") {
      const error = new ApiError(
        0,
        scan.error?.code ?? "internal_error",
        scan.error?.message ?? "",
      );
      body.replaceChildren(
        h("h2", {}, t("result.failed")),
        alertBox(error),
        h(
          "p",
          {},
          h("a", { href: "/scan", "data-link": true, class: "button primary" }, t("result.again")),
        ),
      );
    }
  }

  async function onEvent(event) {
    if (!state) {
      early.push(event);
      return;
    }
    if (TERMINAL.has(state.status)) return;
    if (event.type === "scan.progress" && ahead(event, state)) {
      showProgress({ stage: event.stage, progress: event.progress, status: "processing" });
    } else if (event.type === "scan.completed" || event.type === "scan.failed") {
      await show(await api(`/api/v1/scans/${encodeURIComponent(id)}`, { signal }));
    }
  }

  const viaSocket = await live.whenOpen(SOCKET_WAIT_MS);
  // Subscribe before reading the scan: an event in between is then not missed.
  const socket = viaSocket ? watchSocket(id, onEvent, signal) : null;
  panel.dataset.live = viaSocket ? "websocket" : "sse";
  await show(await api(`/api/v1/scans/${encodeURIComponent(id)}`, { signal }));
  for (const event of early.splice(0)) await onEvent(event);
  if (TERMINAL.has(state.status)) return;
  if (socket && (await socket) !== "closed") return;
  panel.dataset.live = "sse";
  await follow(`/api/v1/scans/${encodeURIComponent(id)}/events`, {
    onEvent: ({ data }) => onEvent(data),
    isTerminal: ({ event }) => event === "completed" || event === "failed",
    signal,
  });
}
