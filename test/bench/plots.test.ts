import { renderPng } from "../../apps/bench/plots";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

describe("plots", () => {
  test("a Vega-Lite chart renders to a PNG (vega → SVG → resvg)", async () => {
    const png = await renderPng({
      data: {
        values: [
          { variant: "none", us: 1_000 },
          { variant: "all-100", us: 1_300 },
        ],
      },
      mark: "bar",
      encoding: { x: { field: "variant", type: "nominal" }, y: { field: "us", type: "quantitative" } },
    });
    expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
    // width and height from the IHDR chunk: rendered at twice the chart's size
    expect(png.readUInt32BE(16)).toBeGreaterThan(100);
    expect(png.readUInt32BE(20)).toBeGreaterThan(100);
  });
});
