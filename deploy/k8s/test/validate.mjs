// Validates every object of a rendered kustomization (YAML on stdin, from `kubectl kustomize`)
// against the JSON schemas of the Kubernetes API (npm kubernetes-models) and of the Prometheus
// Operator CRDs (@kubernetes-models/prometheus-operator). Exit 1 on any invalid or unknown object.
//
//   kubectl kustomize deploy/k8s | node deploy/k8s/test/validate.mjs
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const packages = {
  "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
};
const modulePath = (apiVersion) => packages[apiVersion] ?? `kubernetes-models/${apiVersion}`;

const docs = parseAllDocuments(readFileSync(0, "utf8"));
let failed = 0;
let checked = 0;
for (const doc of docs) {
  if (doc.errors.length) {
    console.error(`FAIL YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
    failed++;
    continue;
  }
  const object = doc.toJS();
  if (object == null) continue;
  const name = `${object.kind}/${object.metadata?.name}`;
  let Model;
  try {
    Model = (await import(modulePath(object.apiVersion)))[object.kind];
  } catch (e) {
    Model = undefined;
  }
  if (!Model) {
    console.error(`FAIL ${name}: no schema for ${object.apiVersion} ${object.kind}`);
    failed++;
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`ok   ${object.apiVersion} ${name}`);
    checked++;
  } catch (e) {
    console.error(`FAIL ${name}: ${e.message}`);
    failed++;
  }
}
if (checked === 0) {
  console.error("FAIL no objects on stdin");
  failed++;
}
console.log(`validate.mjs: ${checked} valid, ${failed} failed`);
process.exit(failed ? 1 : 0);
