// SPDX-License-Identifier: Apache-2.0
// Checks Kubernetes manifests against the API's schemas, offline: the OpenAPI schemas bundled in
// the npm packages kubernetes-models (the core API) and @kubernetes-models/prometheus-operator
// (PodMonitor), with the yaml package. Usage: node validate.mjs FILE...
// Prints one line per document and exits 1 on the first invalid file (2: bad usage or a kind no
// schema here covers), so an unknown kind is never passed unchecked.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { DaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";

const models = {
  "v1/ConfigMap": ConfigMap,
  "v1/Namespace": Namespace,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/DaemonSet": DaemonSet,
  "monitoring.coreos.com/v1/PodMonitor": PodMonitor,
};

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate.mjs FILE...");
  process.exit(2);
}
let failed = false;
for (const file of files) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const doc of docs) {
    if (doc.errors.length) {
      console.log(`${file}: YAML: ${doc.errors[0].message}`);
      failed = true;
      continue;
    }
    const obj = doc.toJS();
    if (obj == null) continue;
    const key = `${obj.apiVersion}/${obj.kind}`;
    const Model = models[key];
    if (!Model) {
      console.log(`${file}: ${key}: no schema for this kind here`);
      process.exit(2);
    }
    try {
      new Model(obj).validate();
      console.log(`${file}: ${key} ${obj.metadata?.name}: valid`);
    } catch (e) {
      console.log(`${file}: ${key} ${obj.metadata?.name}: ${e.message}`);
      failed = true;
    }
  }
}
process.exit(failed ? 1 : 0);
