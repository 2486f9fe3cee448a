// Bring your own image: a file picker (with the camera on phones), paste anywhere on the page, and
// drag-and-drop onto the drawing pad. Every route ends in `onImage(blob, how)`.

const IMAGE_TYPES = /^image\//;

function firstImage(items) {
  for (const item of items ?? []) {
    const file = item instanceof File ? item : item.kind === "file" ? item.getAsFile() : null;
    if (file && IMAGE_TYPES.test(file.type)) return file;
  }
  return null;
}

/**
 * @param {{input: HTMLInputElement, dropTarget: HTMLElement, onImage: (blob: Blob, how: string) => void, onReject: (message: string) => void}} options
 */
export function wireImageInput({ input, dropTarget, onImage, onReject }) {
  input.addEventListener("change", () => {
    const file = firstImage(input.files);
    if (file) onImage(file, "upload");
    else if (input.files?.length) onReject("That file is not an image (PNG or JPEG).");
    input.value = "";
  });
  document.addEventListener("paste", (event) => {
    // Pasting text into a form field stays a text paste.
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement) return;
    const file = firstImage(event.clipboardData?.items);
    if (!file) return;
    event.preventDefault();
    onImage(file, "paste");
  });
  for (const type of ["dragenter", "dragover"]) {
    dropTarget.addEventListener(type, (event) => {
      if (!event.dataTransfer?.types?.includes("Files")) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      dropTarget.classList.add("is-drop-target");
    });
  }
  dropTarget.addEventListener("dragleave", () => dropTarget.classList.remove("is-drop-target"));
  dropTarget.addEventListener("drop", (event) => {
    dropTarget.classList.remove("is-drop-target");
    if (!event.dataTransfer) return;
    event.preventDefault();
    const file = firstImage(event.dataTransfer.files);
    if (file) onImage(file, "drop");
    else onReject("Drop an image file (PNG or JPEG).");
  });
}
