// Validate AsyncAPI documents with the official parser.
// Usage: node validate.mjs FILE...   Prints one JSON line per file:
// {"file": ..., "errors": [{"code", "message", "path"}], "warnings": N}
// and exits 1 when any document has an error-severity diagnostic.
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const parser = new Parser();
let failed = false;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8");
  const { document, diagnostics } = await parser.parse(text, { source: file });
  const errors = diagnostics
    .filter((d) => d.severity === 0)
    .map((d) => ({ code: String(d.code), message: d.message, path: d.path.join("/") }));
  if (!document && errors.length === 0) {
    errors.push({ code: "parse", message: "the parser returned no document", path: "" });
  }
  failed ||= errors.length > 0;
  const warnings = diagnostics.filter((d) => d.severity === 1).length;
  console.log(JSON.stringify({ file, errors, warnings }));
}
process.exit(failed ? 1 : 0);
