// The drawing card: the sketchpad (live predictions while drawing, throttled), its undo, clear and
// pen buttons, and the image routes (file picker, paste, drop) with their error line.

import { wireImageInput } from "../upload.js";

const LIVE_MS = 100; // while drawing, at most one prediction per this many milliseconds
// The demonstration digit drawn on arrival when there are no MNIST samples to show.
const SEVEN = [
  [70, 60],
  [210, 60],
  [195, 100],
  [160, 170],
  [135, 240],
];

/**
 * @param {{els: object, state: object, pad: import("../sketchpad.js").Sketchpad}} page
 * @param {{onEmpty: () => void, onNewDrawing: () => void, onStrokeStart: () => void,
 *   onDraw: (final: boolean) => void, onImage: (blob: Blob, how: string) => void}} hooks
 */
export function initDrawing({ els, state, pad }, hooks) {
  let liveTimer = 0;
  let lastLive = 0;

  function updateButtons() {
    els.undo.disabled = !pad.enabled || !pad.canUndo;
    els.clear.disabled = !pad.enabled || pad.isEmpty;
    els.padWrap.classList.toggle("pad--empty", pad.isEmpty);
  }

  function setEnabled(enabled, hint) {
    pad.setEnabled(enabled);
    els.padWrap.classList.toggle("pad--disabled", !enabled);
    els.padHint.textContent = hint;
    updateButtons();
  }

  function cancelLive() {
    clearTimeout(liveTimer);
    liveTimer = 0;
  }

  /** Show an image (a sample, or what an upload became) under the pad, as the network saw it. */
  function showPixels(pixels) {
    pad.setBackgroundPixels(pixels);
    updateButtons();
  }

  /** `message`, or null to hide the line. */
  function showUploadError(message) {
    els.uploadError.textContent = message ?? "";
    els.uploadError.hidden = message === null;
  }

  function drawSeven() {
    pad.addStroke(SEVEN);
    state.input.auto = true;
  }

  pad.addEventListener("strokestart", () => {
    // The sample shown on arrival is a demonstration: the first stroke starts a fresh drawing.
    if (state.input.auto) {
      pad.background = null;
      pad.strokes = pad.current ? [pad.current] : [];
      pad.redraw();
    }
    if (state.input.kind !== "drawing") hooks.onStrokeStart();
  });
  pad.addEventListener("change", () => {
    updateButtons();
    if (pad.isEmpty) {
      hooks.onEmpty();
      return;
    }
    if (state.input.kind !== "drawing") hooks.onNewDrawing();
    state.input = { kind: "drawing" };
    // Live while drawing: throttled (one request per LIVE_MS, the newest cancelling the last).
    const wait = LIVE_MS - (performance.now() - lastLive);
    if (wait <= 0) {
      lastLive = performance.now();
      hooks.onDraw(pad.current === null);
    } else if (!liveTimer) {
      liveTimer = setTimeout(() => {
        liveTimer = 0;
        lastLive = performance.now();
        hooks.onDraw(pad.current === null);
      }, wait);
    }
  });
  pad.addEventListener("strokeend", () => {
    cancelLive();
    lastLive = performance.now();
    hooks.onDraw(true);
  });
  els.undo.addEventListener("click", () => pad.undo());
  els.clear.addEventListener("click", () => pad.clear());
  els.penWidth.addEventListener("change", (event) => {
    const value = event.target.value;
    pad.setPenWidth(value === "auto" ? "auto" : Number(value));
  });
  wireImageInput({
    input: els.imageInput,
    dropTarget: els.padWrap,
    onImage: hooks.onImage,
    onReject: showUploadError,
  });

  return { updateButtons, setEnabled, cancelLive, showPixels, showUploadError, drawSeven };
}
