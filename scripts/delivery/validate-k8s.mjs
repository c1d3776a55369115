// validate-k8s.mjs: validate every object of rendered manifests against the Kubernetes OpenAPI
// schemas bundled in the npm package kubernetes-models (offline; `kubectl --dry-run=client`
// needs an API server). Those schemas check types, enums, required fields and formats, but not
// unknown fields. Custom resources (monitoring.coreos.com) have no bundled schema: they are
// listed as not validated, and must still carry apiVersion, kind and metadata.name.
//
//   node validate-k8s.mjs FILE.yaml...      exit 0 when every object is valid, 1 otherwise
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const CUSTOM_GROUPS = new Set(["monitoring.coreos.com"]);

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const path = group === "" ? `kubernetes-models/v1/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
  try {
    const mod = await import(path);
    return mod[kind] ?? mod.default;
  } catch {
    return null;
  }
}

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node validate-k8s.mjs FILE.yaml...");
    return 2;
  }
  let passed = 0, failed = 0, custom = 0;
  for (const file of files) {
    const docs = parseAllDocuments(readFileSync(file, "utf8"));
    for (const doc of docs) {
      if (doc.errors.length) {
        console.log(`FAIL ${file}: YAML: ${doc.errors[0].message}`);
        failed++;
        continue;
      }
      const obj = doc.toJS();
      if (obj === null || obj === undefined) continue;
      const what = `${file}: ${obj.kind} ${obj.metadata?.name}`;
      if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) {
        console.log(`FAIL ${what}: apiVersion, kind and metadata.name are required`);
        failed++;
        continue;
      }
      const group = obj.apiVersion.split("/")[0];
      if (CUSTOM_GROUPS.has(group)) {
        console.log(`skip ${what}: custom resource ${obj.apiVersion}, no bundled schema`);
        custom++;
        continue;
      }
      const Model = await modelFor(obj.apiVersion, obj.kind);
      if (!Model) {
        console.log(`FAIL ${what}: unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`);
        failed++;
        continue;
      }
      try {
        new Model(obj).validate();
        passed++;
      } catch (e) {
        console.log(`FAIL ${what}: ${e.message}`);
        failed++;
      }
    }
  }
  console.log(`validate-k8s: ${passed} passed, ${failed} failed, ${custom} custom resources not validated`);
  return failed > 0 || passed === 0 ? 1 : 0;
}

process.exit(await main(process.argv.slice(2)));
