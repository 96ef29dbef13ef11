// node modelina.js ASYNCAPI.json OUT.ts: AsyncAPI Modelina's TypeScript models of a document,
// written to one module (the tests then compile it with tsc --strict).
import { readFile, writeFile } from "node:fs/promises";
import { TypeScriptGenerator } from "@asyncapi/modelina";

const [input, output] = process.argv.slice(2);
const document = JSON.parse(await readFile(input, "utf8"));
const generator = new TypeScriptGenerator({ modelType: "interface", enumType: "union" });
const models = await generator.generate(document);
const source = models.map((model) => `export ${model.result}`).join("\n\n");
await writeFile(output, source + "\n");
process.stdout.write(JSON.stringify(models.map((model) => model.modelName).sort()) + "\n");
