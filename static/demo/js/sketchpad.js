// The drawing canvas. Pointer events cover mouse, touch and pen alike; strokes are kept as lists of
// points so undo is "drop the last stroke and redraw". A loaded MNIST sample sits underneath as a
// background image that further strokes draw over.

const INK = "#111111";
const PAPER = "#ffffff";

export class Sketchpad extends EventTarget {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{lineWidth?: number|"auto"}} options lineWidth in canvas pixels (the canvas is
   *   280×280, so 20 px is about the 2-pixel pen of the 28×28 MNIST digits), or "auto".
   */
  constructor(canvas, { lineWidth = "auto" } = {}) {
    super();
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.penWidth = lineWidth;
    this.strokes = [];
    this.background = null;
    this.current = null;
    this.pointerId = null;
    this.enabled = true;
    canvas.addEventListener("pointerdown", (event) => this.#down(event));
    canvas.addEventListener("pointermove", (event) => this.#move(event));
    canvas.addEventListener("pointerup", (event) => this.#up(event));
    canvas.addEventListener("pointercancel", (event) => this.#up(event));
    // A long press on touch screens would otherwise open the context menu mid-stroke.
    canvas.addEventListener("contextmenu", (event) => event.preventDefault());
    this.redraw();
  }

  /** The pen in canvas pixels. "auto" scales it with the drawing: the server scales every digit
   *  to the same 20 × 20 box, so a small digit drawn with a fat pen would become a blob. */
  get lineWidth() {
    if (this.penWidth !== "auto") return this.penWidth;
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (const stroke of this.strokes) {
      for (const [x, y] of stroke) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
    const extent = Number.isFinite(x0) ? Math.max(x1 - x0, y1 - y0) : this.canvas.width;
    return Math.round(Math.min(22, Math.max(5, extent * 0.1)));
  }

  /** "auto" or a width in canvas pixels; the strokes are redrawn with it. */
  setPenWidth(width) {
    this.penWidth = width;
    this.redraw();
    if (!this.isEmpty) this.#changed();
  }

  /** Draw a whole stroke programmatically (points in canvas pixels), as if the user had. */
  addStroke(points) {
    this.strokes.push(points.map(([x, y]) => [x, y]));
    this.redraw();
    this.#changed();
    this.dispatchEvent(new Event("strokeend"));
  }

  /** The drawing as `size` × `size` ink values (0 paper .. 1 ink), for the input checks. */
  inkGrid(size = 56) {
    const small = document.createElement("canvas");
    small.width = size;
    small.height = size;
    const ctx = small.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(this.canvas, 0, 0, size, size);
    const data = ctx.getImageData(0, 0, size, size).data;
    const values = new Array(size * size);
    for (let i = 0; i < values.length; i += 1) values[i] = 1 - data[i * 4] / 255;
    return values;
  }

  get isEmpty() {
    return this.strokes.length === 0 && this.background === null;
  }

  get canUndo() {
    return !this.isEmpty;
  }

  setEnabled(enabled) {
    this.enabled = enabled;
    if (!enabled) this.#finishStroke();
  }

  undo() {
    if (this.strokes.length > 0) this.strokes.pop();
    else this.background = null;
    this.redraw();
    this.#changed();
  }

  clear() {
    this.strokes = [];
    this.background = null;
    this.redraw();
    this.#changed();
  }

  /** Show 784 ink values (0..1) under the strokes, as when a gallery sample is loaded. */
  setBackgroundPixels(pixels) {
    const small = document.createElement("canvas");
    small.width = 28;
    small.height = 28;
    const ctx = small.getContext("2d");
    const image = ctx.createImageData(28, 28);
    for (let i = 0; i < 784; i += 1) {
      const v = Math.round(255 * (1 - Math.min(1, Math.max(0, pixels[i] ?? 0))));
      image.data.set([v, v, v, 255], i * 4);
    }
    ctx.putImageData(image, 0, 0);
    this.background = small;
    this.strokes = [];
    this.redraw();
  }

  toDataURL() {
    return this.canvas.toDataURL("image/png");
  }

  redraw() {
    const { ctx, canvas } = this;
    ctx.fillStyle = PAPER;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (this.background) {
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(this.background, 0, 0, canvas.width, canvas.height);
    }
    this.drawnWidth = this.lineWidth;
    for (const stroke of this.strokes) this.#drawStroke(stroke, 0);
  }

  #point(event) {
    const rect = this.canvas.getBoundingClientRect();
    return [
      ((event.clientX - rect.left) * this.canvas.width) / rect.width,
      ((event.clientY - rect.top) * this.canvas.height) / rect.height,
    ];
  }

  #down(event) {
    if (!this.enabled) return;
    if (this.current !== null) {
      if (!event.isPrimary) return; // a second finger while the first one draws
      this.#finishStroke(); // a stroke whose pointerup never arrived (it ended off the canvas)
    }
    if (event.pointerType === "mouse" && event.button !== 0) return;
    event.preventDefault();
    // Keep receiving the stroke when the pointer leaves the canvas mid-stroke. (Capture throws
    // for synthetic events without a live pointer; drawing still works without it.)
    try {
      this.canvas.setPointerCapture(event.pointerId);
    } catch {
      // Without capture, a stroke that ends off the canvas is closed by the next pointerdown.
    }
    this.pointerId = event.pointerId;
    // Which kind of pointer drew last ("mouse", "pen" or "touch"): the browser tests check it.
    this.canvas.dataset.pointer = event.pointerType;
    this.current = [this.#point(event)];
    this.strokes.push(this.current);
    this.dispatchEvent(new Event("strokestart"));
    this.#drawStroke(this.current, 0);
    this.#changed();
  }

  #move(event) {
    if (this.current === null || event.pointerId !== this.pointerId) return;
    event.preventDefault();
    const from = this.current.length - 1;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const e of events.length > 0 ? events : [event]) this.current.push(this.#point(e));
    // An automatic pen changes width as the drawing grows: then every stroke is redrawn.
    const width = this.lineWidth;
    if (width !== this.drawnWidth) this.redraw();
    else this.#drawStroke(this.current, Math.max(0, from));
    this.#changed();
  }

  #up(event) {
    if (event.pointerId !== this.pointerId) return;
    this.#finishStroke();
    this.dispatchEvent(new Event("strokeend"));
  }

  #finishStroke() {
    if (this.pointerId !== null && this.canvas.hasPointerCapture(this.pointerId)) {
      this.canvas.releasePointerCapture(this.pointerId);
    }
    this.current = null;
    this.pointerId = null;
  }

  /** Draw a stroke from point index `from` on (0: the whole stroke, a dot for a single tap). */
  #drawStroke(points, from) {
    const { ctx } = this;
    ctx.strokeStyle = INK;
    ctx.fillStyle = INK;
    ctx.lineWidth = this.drawnWidth ?? this.lineWidth;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    if (points.length === 1) {
      ctx.beginPath();
      ctx.arc(points[0][0], points[0][1], (this.drawnWidth ?? this.lineWidth) / 2, 0, Math.PI * 2);
      ctx.fill();
      return;
    }
    ctx.beginPath();
    ctx.moveTo(...points[from]);
    for (let i = from + 1; i < points.length; i += 1) ctx.lineTo(...points[i]);
    ctx.stroke();
  }

  #changed() {
    this.dispatchEvent(new Event("change"));
  }
}
