// Small DOM helpers shared by the page's modules.

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element with attributes (and optional text). */
export function svgEl(name, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

/** The <div><dt/><dd/></div> groups of a description list, from [term, value] pairs. */
export function definitionItems(pairs) {
  return pairs.map(([name, value]) => {
    const div = document.createElement("div");
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = name;
    dd.textContent = String(value);
    div.append(dt, dd);
    return div;
  });
}
