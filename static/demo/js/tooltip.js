// The floating "layer, neuron: value" label shared by both network views. It is position: fixed,
// so it is hidden whenever the page scrolls (it would otherwise float away from its neuron).

/** Show `text` next to `anchor` (viewport coordinates), kept inside the window. */
export function placeTooltip(tooltip, text, anchor) {
  tooltip.textContent = text;
  tooltip.hidden = false;
  const box = tooltip.getBoundingClientRect();
  const x = Math.min(window.innerWidth - box.width - 8, anchor.x + 14);
  const y = anchor.y - box.height - 10 < 8 ? anchor.y + 18 : anchor.y - box.height - 10;
  tooltip.style.left = `${Math.max(8, x)}px`;
  tooltip.style.top = `${y}px`;
}
