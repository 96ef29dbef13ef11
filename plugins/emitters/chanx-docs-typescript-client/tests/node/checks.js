// The checks the generated TypeScript client runs against the fixture app, in Node and in
// Chromium alike. `lib` holds the compiled channel modules; the result is plain JSON.

async function refusal(connect) {
  try {
    const client = await connect();
    for await (const message of client) void message; // ends when the server closes
    return { closeCode: client.closeCode, connections: client.connections };
  } catch (error) {
    return { closeCode: error.code, connections: 0, thrown: error.name };
  }
}

export async function runChecks(lib, url, token, { headers = false } = {}) {
  const results = {};
  const { RoomClient } = lib.room;
  const ann = await RoomClient.connect(url, { room_id: "ts-room" });
  const bob = await RoomClient.connect(url, { room_id: "ts-room" });
  results.pong = (await ann.request({ action: "ping" }, 10000)).action;
  results.echo = (await ann.request({ action: "user_message", payload: "hi" }, 10000)).payload;
  const handled = new Promise((resolve) => bob.on("chat_notification", (m) => resolve(m.payload)));
  await ann.sendChat({ action: "chat", payload: { user_name: "ann", message: "hey" } });
  results.handled = await handled;
  for await (const message of bob) {
    if (message.action === "chat_notification") {
      results.iterated = message.payload;
      break;
    }
  }
  await ann.sendLog({ action: "log", payload: "a line" });
  results.complete = (await ann.waitFor("complete", 10000)).action;
  try {
    await ann.request({ action: "user_message", payload: ["not", "text"] }, 10000);
    results.error = "no error";
  } catch (error) {
    results.error = [error.name, error.code];
  }
  await ann.close();
  await bob.close();
  results.closed = [ann.closeCode, ann.connections];

  const { SecureClient } = lib.secure;
  for (const tokenSource of ["subprotocol", "query", ...(headers ? ["header"] : [])]) {
    let calls = 0;
    const secure = await SecureClient.connect(url, {}, { tokenSource, token: async () => (calls++, token) });
    results[`whoami_${tokenSource}`] = [(await secure.request({ action: "whoami" }, 10000)).payload, calls];
    await secure.close();
  }
  results.refused = await refusal(() => SecureClient.connect(url, {}, { token: () => "not-a-jwt" }));

  const point = { xValue: 3, yValue: 2.5, labelText: "here" };
  for (const name of ["camel", "packed"]) {
    const Client = lib[name][`${name[0].toUpperCase()}${name.slice(1)}Client`];
    const wire = await Client.connect(url, {});
    results[name] = (await wire.request({ action: "move", payload: point }, 10000)).payload;
    await wire.close();
  }

  const { ChatClient } = lib.chat;
  const chat = await ChatClient.connect(url, { room: "lobby" }, { query: { name: "ann" } });
  const first = await chat[Symbol.asyncIterator]().next();
  results.joined = first.value;
  results.sent = await chat.request({ action: "chat", payload: { text: "hello" } }, 10000);
  await chat.close();
  results.badRoom = await refusal(() => ChatClient.connect(url, { room: "no.room" }, { query: { name: "ann" } }));
  return results;
}
