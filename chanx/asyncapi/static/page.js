// chanx AsyncAPI page: the live console. Plain JavaScript, no dependencies, no eval,
// and text is only ever set with textContent.
(function () {
  "use strict";
  var source = document.getElementById("chanx-api");
  if (!source) { return; }
  var api = JSON.parse(source.textContent);
  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    section: $("console"), channel: $("console-channel"), operation: $("console-operation"),
    params: $("console-params"), query: $("console-query"), url: $("console-url"),
    connect: $("console-connect"), disconnect: $("console-disconnect"), status: $("console-status"),
    payload: $("console-payload"), send: $("console-send"), reset: $("console-reset"),
    clear: $("console-clear"), error: $("console-error"), log: $("console-log")
  };
  var socket = null;
  var urlEdited = false;
  var paramInputs = {};
  var pushOnly = false;

  function option(value, label) {
    var element = document.createElement("option");
    element.value = value;
    element.textContent = label;
    return element;
  }

  function currentChannel() {
    return api.channels[Number(ui.channel.value) || 0];
  }

  function sendable(channel) {
    var list = [];
    channel.operations.forEach(function (op) {
      if (op.action !== "receive") { return; }
      op.messages.forEach(function (message) { list.push({ op: op, message: message }); });
    });
    return list;
  }

  function base() {
    var proto = window.location.protocol;
    if (proto === "http:" || proto === "https:") {
      return (proto === "https:" ? "wss://" : "ws://") + window.location.host;
    }
    return "ws://localhost:8000";
  }

  function computeUrl() {
    var channel = currentChannel();
    var path = channel.address.replace(/\{([^}]+)\}/g, function (match, name) {
      var input = paramInputs[name];
      return encodeURIComponent(input && input.value ? input.value : name);
    });
    var query = ui.query.value.trim().replace(/^\?/, "");
    return base() + path + (query ? "?" + query : "");
  }

  function refreshUrl() {
    if (!urlEdited) { ui.url.value = computeUrl(); }
  }

  function showChannel() {
    var channel = currentChannel();
    while (ui.params.firstChild) { ui.params.removeChild(ui.params.firstChild); }
    paramInputs = {};
    channel.parameters.forEach(function (name) {
      var label = document.createElement("label");
      label.textContent = "{" + name + "} ";
      var input = document.createElement("input");
      input.id = "console-param-" + name;
      input.value = name === "room" ? "lobby" : "";
      input.placeholder = name;
      input.addEventListener("input", refreshUrl);
      label.appendChild(input);
      ui.params.appendChild(label);
      paramInputs[name] = input;
    });
    while (ui.operation.firstChild) { ui.operation.removeChild(ui.operation.firstChild); }
    var entries = sendable(channel);
    entries.forEach(function (entry, index) {
      var label = entry.op.name + (entry.op.messages.length > 1 ? " (" + entry.message.name + ")" : "");
      label += entry.op.replies.length ? " \u2192 " + entry.op.replies.join(" | ") : " (no reply)";
      ui.operation.appendChild(option(String(index), label));
    });
    pushOnly = entries.length === 0;
    if (pushOnly) {
      ui.operation.appendChild(option("", "this channel only pushes; connect to listen"));
    }
    ui.operation.disabled = pushOnly;
    ui.payload.disabled = pushOnly;
    ui.reset.disabled = pushOnly;
    ui.send.disabled = pushOnly || ui.status.getAttribute("data-state") !== "open";
    urlEdited = false;
    refreshUrl();
    resetPayload();
  }

  function resetPayload() {
    var entry = sendable(currentChannel())[Number(ui.operation.value) || 0];
    ui.payload.value = entry ? JSON.stringify(entry.message.example, null, 2) : "";
    ui.error.textContent = "";
  }

  function log(kind, text) {
    var item = document.createElement("li");
    item.className = kind;
    item.setAttribute("data-direction", kind);
    var meta = document.createElement("div");
    meta.className = "meta";
    var arrows = { sent: "\u2192 sent", received: "\u2190 received", info: "\u2022" };
    meta.textContent = arrows[kind] + " " + new Date().toLocaleTimeString();
    var body = document.createElement("pre");
    body.textContent = text;
    item.appendChild(meta);
    item.appendChild(body);
    ui.log.appendChild(item);
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function setState(state, text) {
    ui.status.setAttribute("data-state", state);
    ui.status.textContent = text;
    ui.connect.disabled = state !== "closed";
    ui.disconnect.disabled = state === "closed";
    ui.send.disabled = state !== "open" || pushOnly;
  }

  function connect() {
    ui.error.textContent = "";
    var url = ui.url.value.trim();
    try {
      socket = new WebSocket(url);
    } catch (error) {
      ui.error.textContent = String(error.message || error);
      return;
    }
    setState("connecting", "connecting to " + url);
    socket.addEventListener("open", function () {
      setState("open", "connected");
      log("info", "connected to " + url);
    });
    socket.addEventListener("message", function (event) {
      var text = String(event.data);
      try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (error) { /* raw frame */ }
      log("received", text);
    });
    socket.addEventListener("close", function (event) {
      var reason = event.reason ? " " + event.reason : "";
      log("info", "closed with code " + event.code + reason);
      setState("closed", "disconnected (" + event.code + ")");
      socket = null;
    });
  }

  function send() {
    var data;
    try {
      data = JSON.parse(ui.payload.value);
    } catch (error) {
      ui.error.textContent = "The payload is not valid JSON: " + error.message;
      return;
    }
    ui.error.textContent = "";
    var frame = JSON.stringify(data);
    socket.send(frame);
    log("sent", JSON.stringify(data, null, 2));
  }

  api.channels.forEach(function (channel, index) {
    ui.channel.appendChild(option(String(index), channel.title + "  " + channel.address));
  });
  if (!api.channels.length) { return; }
  ui.channel.addEventListener("change", showChannel);
  ui.operation.addEventListener("change", resetPayload);
  ui.query.addEventListener("input", refreshUrl);
  ui.url.addEventListener("input", function () { urlEdited = true; });
  ui.connect.addEventListener("click", connect);
  ui.disconnect.addEventListener("click", function () { if (socket) { socket.close(1000); } });
  ui.send.addEventListener("click", send);
  ui.reset.addEventListener("click", resetPayload);
  ui.clear.addEventListener("click", function () {
    while (ui.log.firstChild) { ui.log.removeChild(ui.log.firstChild); }
  });
  showChannel();
  setState("closed", "disconnected");
  ui.section.hidden = false;
  document.documentElement.setAttribute("data-console", "ready");
}());
