// node --experimental-websocket run.js COMPILED_DIR WS_URL TOKEN [checks|reconnect]
//
// `checks` prints the JSON result of runChecks. `reconnect` connects the secure client, prints
// {"opened": ...}, waits for the second connection (the test restarts the server meanwhile),
// then prints {"reopened": ...}.
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { runChecks } from "./checks.js";

const [dir, url, token, mode = "checks"] = process.argv.slice(2);
const load = (name) => import(pathToFileURL(join(dir, `${name}.js`)).href);
const lib = {};
for (const name of ["room", "secure", "camel", "packed", "chat"]) lib[name] = await load(name);
const print = (value) => process.stdout.write(JSON.stringify(value) + "\n");

if (mode === "checks") {
  print(await runChecks(lib, url, token, { headers: true }));
} else {
  let calls = 0;
  const secure = await lib.secure.SecureClient.connect(url, {}, {
    token: () => (calls++, token),
    backoff: { initial: 50, maximum: 200 },
  });
  print({ opened: (await secure.request({ action: "whoami" }, 10000)).payload, calls });
  await secure.waitConnection(2);
  const who = (await secure.request({ action: "whoami" }, 10000)).payload;
  print({ reopened: who, connections: secure.connections, calls: calls >= 2 });
  await secure.close();
}
