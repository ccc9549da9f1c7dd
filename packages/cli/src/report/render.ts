/**
 * Vega-Lite spec → static SVG, headless in Node: Vega-Lite compiles the spec to Vega, and a
 * Vega `View` with no renderer draws it with `toSVG()` (no canvas, no DOM, no browser). Text
 * widths are estimated from the font size, as Vega does without a canvas.
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** The SVG of one chart; it scales to its container (the page's CSS sets `max-width: 100%`). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { spec: vega } = compile(spec);
  // Data is inline in every spec; a loader that refuses keeps rendering off the file system and network.
  const refuse = () => Promise.reject(new Error('the report renders inline data only'));
  const view = new View(parse(vega), {
    renderer: 'none',
    loader: { load: refuse, sanitize: refuse, http: refuse, file: refuse },
  } as unknown as ConstructorParameters<typeof View>[1]);
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
