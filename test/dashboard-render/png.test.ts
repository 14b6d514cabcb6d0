import { Resvg } from "@resvg/resvg-js";
import { CHART_CONFIG } from "../../apps/bench/plots";
import { svgToPng } from "../../apps/dashboard-render/render";
import { dashboardSvg, SVG_WIDTH } from "../../apps/dashboard-render/svg";
import { textWidth } from "../../apps/dashboard-render/text";
import { PNG_SIGNATURE, PROD, pngSize } from "./models";

describe("svgToPng", () => {
  const svg = dashboardSvg(PROD[0]?.json ?? {});
  const svgHeight = Number(/height="(\d+)"/.exec(svg)?.[1]);

  test.each([[1200], [800]])("a real dashboard becomes a PNG %i px wide, its height scaled alike", (width) => {
    const png = svgToPng(svg, width);
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    const size = pngSize(png);
    expect(size.width).toBe(width);
    expect(Math.abs(size.height - (svgHeight * width) / SVG_WIDTH)).toBeLessThanOrEqual(1);
  });
});

describe("the text width estimate", () => {
  /** Advance width of `text` as resvg lays it out in the renderer's font: "H…H" minus "HH" removes side bearings. */
  function drawnWidth(text: string, bold: boolean): number {
    const at = (t: string) => {
      const doc = `<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="100"><text x="0" y="50" font-size="20" font-family="${CHART_CONFIG.font}"${bold ? ' font-weight="bold"' : ""} xml:space="preserve">${t}</text></svg>`;
      const font = { loadSystemFonts: true, defaultFontFamily: CHART_CONFIG.font };
      return new Resvg(doc, { font }).getBBox()?.width ?? 0;
    };
    return at(`H${text}H`) - at("HH");
  }

  test("is never below what resvg draws, so a cut title stays inside its card", () => {
    const samples = [
      "Memory working set vs requested and limit by service",
      "p99 with exemplars (click a dot for its trace)",
      "WWW MMM mmm %%% @@@",
      "iiii llll IIII JJJJ .... ,,,, ''''",
      "unit percentunit · 2 queries (prometheus, loki) · ◆ exemplars …",
      "0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz",
      '!"#$&()*+-/:;<=>?[\\]^_`{|}~',
    ];
    for (const bold of [false, true]) {
      for (const text of samples) {
        const drawn = drawnWidth(text.replace(/&/g, "&amp;").replace(/</g, "&lt;"), bold);
        expect(drawn).toBeGreaterThan(0);
        expect([text, bold, textWidth(text, 20, bold) >= drawn]).toEqual([text, bold, true]);
      }
    }
  });
});
