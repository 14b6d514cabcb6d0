import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import {
  MANIFEST_FILE,
  type Manifest,
  manifestEntry,
  parseManifest,
  staleDashboards,
} from "../../apps/dashboard-render/check";
import { dashboardKey, manifestOf, PNG_WIDTH, renderDashboards } from "../../apps/dashboard-render/render";
import { PNG_SIGNATURE, PROD, pngSize } from "./models";

const model = (title: string) => ({ uid: `prod-${title}`, title, json: { title, panels: [] } });
const manifest = (entries: ReturnType<typeof manifestEntry>[], extra: Partial<Manifest> = {}): Manifest => ({
  environment: "prod",
  pngWidth: 1600,
  dashboards: entries,
  ...extra,
});

describe("manifestEntry", () => {
  test("names the PNG after the key; equal models hash equal, a changed model or SVG hashes differently", () => {
    const a = manifestEntry("latency", model("latency"), "<svg/>");
    expect(a).toMatchObject({ key: "latency", uid: "prod-latency", title: "latency", png: "latency.png" });
    expect(manifestEntry("latency", model("latency"), "<svg/>")).toEqual(a);
    expect(manifestEntry("latency", model("latency2"), "<svg/>").jsonSha256).not.toBe(a.jsonSha256);
    expect(manifestEntry("latency", model("latency"), "<svg></svg>").svgSha256).not.toBe(a.svgSha256);
  });

  test("the key is the uid without the environment prefix; a uid without it is an error", () => {
    expect(dashboardKey("prod-platform-health", "prod")).toBe("platform-health");
    expect(() => dashboardKey("dev-latency", "prod")).toThrow('uid "dev-latency" does not start with "prod-"');
  });
});

describe("renderDashboards", () => {
  test("a model it cannot read is an error naming the dashboard and the field", () => {
    const broken = { uid: "prod-broken", title: "Broken", json: { panels: { not: "a list" } }, queries: [] };
    expect(() => renderDashboards("prod", [broken])).toThrow("prod-broken: panels must be an array of objects");
  });
});

describe("staleDashboards", () => {
  const latency = manifestEntry("latency", model("latency"), "<svg/>");
  const slo = manifestEntry("slo", model("slo"), "<svg/>");
  const files = new Set(["latency.png", "slo.png"]);

  test("an unchanged build with every PNG present is current", () => {
    expect(staleDashboards(manifest([latency, slo]), manifest([latency, slo]), files)).toEqual([]);
  });

  test("a changed dashboard, a changed drawing and a missing PNG are each named", () => {
    const changed = manifestEntry("latency", model("latency (new)"), "<svg/>");
    expect(staleDashboards(manifest([latency, slo]), manifest([changed, slo]), files)).toEqual([
      "latency: the dashboard changed since latency.png was rendered",
    ]);
    const redrawn = manifestEntry("slo", model("slo"), "<svg><rect/></svg>");
    expect(staleDashboards(manifest([latency, slo]), manifest([latency, redrawn]), files)).toEqual([
      "slo: the renderer draws slo.png differently now",
    ]);
    expect(staleDashboards(manifest([latency, slo]), manifest([latency, slo]), new Set(["slo.png"]))).toEqual([
      "latency: latency.png is missing",
    ]);
  });

  test("a new dashboard, a removed one, another width and another environment are named", () => {
    expect(staleDashboards(manifest([latency]), manifest([latency, slo]), files)).toEqual([
      "slo: new dashboard, no PNG rendered yet",
    ]);
    expect(staleDashboards(manifest([latency, slo]), manifest([latency]), files)).toEqual([
      "slo: no longer generated, but slo.png is still committed",
    ]);
    expect(staleDashboards(manifest([latency], { pngWidth: 800 }), manifest([latency]), files)).toEqual([
      "every PNG: rendered 800 px wide, the renderer now draws 1600 px",
    ]);
    expect(staleDashboards(manifest([latency], { environment: "dev" }), manifest([latency]), files)).toEqual([
      "the committed PNGs are of dev, not prod",
    ]);
  });
});

describe("parseManifest", () => {
  test("reads back what manifestOf writes", () => {
    const written = manifest([manifestEntry("slo", model("slo"), "<svg/>")]);
    expect(parseManifest(JSON.stringify(written))).toEqual(written);
  });

  test("a bad field is named; text that is not JSON says so", () => {
    const bad = manifest([{ ...manifestEntry("slo", model("slo"), "<svg/>"), jsonSha256: "abc" }]);
    expect(() => parseManifest(JSON.stringify(bad))).toThrow(
      "manifest.json: dashboards.0.jsonSha256: must be a sha256 in hex (64 characters)",
    );
    expect(() => parseManifest("{")).toThrow(/^manifest\.json is not JSON: /);
  });
});

describe("the committed PNGs in docs/dashboards", () => {
  const dir = path.resolve(__dirname, "../../docs/dashboards");
  const readCommitted = () => {
    const file = path.join(dir, MANIFEST_FILE);
    if (!existsSync(file))
      throw new Error(`docs/dashboards/${MANIFEST_FILE} is missing: run npm run dashboards:render`);
    return parseManifest(readFileSync(file, "utf8"));
  };

  // The CI check: fails when a dashboard or the renderer changed and `npm run dashboards:render` was not run.
  test("are current for prod: the committed manifest matches this build's dashboard JSON and drawings", () => {
    const committed = readCommitted();
    const current = manifestOf("prod", renderDashboards("prod", PROD));
    const stale = staleDashboards(committed, current, new Set(readdirSync(dir)));
    expect(stale.length === 0 ? "current" : `${stale.join("\n")}\nrun npm run dashboards:render`).toBe("current");
  });

  test("are PNGs of the manifest's width, each under 500 KB", () => {
    const committed = readCommitted();
    expect(committed.pngWidth).toBe(PNG_WIDTH);
    for (const d of committed.dashboards) {
      const file = path.join(dir, d.png);
      const png = readFileSync(file);
      expect([d.png, png.subarray(0, 8), pngSize(png).width, png.length < 500 * 1024]).toEqual([
        d.png,
        PNG_SIGNATURE,
        PNG_WIDTH,
        true,
      ]);
    }
  });
});
