// Validate SARIF logs against the SARIF 2.1.0 JSON schema (draft-04), as shipped by
// @microsoft/jest-sarif. Usage: node validate.cjs FILE...; exit 1 with the errors if one is invalid.
"use strict";
const fs = require("node:fs");
const Ajv = require("ajv");
const schema = require("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");

const ajv = new Ajv({ schemaId: "auto", allErrors: true, validateSchema: false });
ajv.addMetaSchema(require("ajv/lib/refs/json-schema-draft-04.json"));
const validate = ajv.compile(schema);
let failed = false;
for (const file of process.argv.slice(2)) {
  const log = JSON.parse(fs.readFileSync(file, "utf8"));
  if (validate(log)) {
    console.log(`${file}: valid SARIF 2.1.0`);
  } else {
    failed = true;
    console.log(`${file}: invalid SARIF 2.1.0`);
    for (const e of validate.errors) console.log(`  ${e.dataPath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
  }
}
process.exit(failed ? 1 : 0);
