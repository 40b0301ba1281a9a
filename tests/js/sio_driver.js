// socket.io-client, as the web frontend uses it, driven by the Python tests: one JSON
// command per line on stdin, one JSON report per line on stdout.
//   {"op": "open", "id", "url", "token", "transports"?}  -> {"id", "event": "connect"} ...
//   {"op": "emit", "id", "event", "data"}
//   {"op": "close", "id"}                                 -> {"id", "event": "closed"}
// Every event a socket receives is reported as {"id", "event", "data"}.
const readline = require("readline");
const { io } = require("socket.io-client");

const sockets = new Map();
const report = (message) => process.stdout.write(JSON.stringify(message) + "\n");

function open({ id, url, token, transports }) {
  const socket = io(url + "/chat", {
    auth: { token },
    transports: transports || ["polling", "websocket"],
    reconnection: false,
    forceNew: true,
  });
  sockets.set(id, socket);
  socket.on("connect", () => report({ id, event: "connect" }));
  socket.on("connect_error", (error) =>
    report({ id, event: "connect_error", data: { message: error.message, data: error.data } }),
  );
  socket.on("disconnect", (reason) => report({ id, event: "disconnect", data: reason }));
  socket.onAny((event, data) => report({ id, event, data }));
}

const commands = {
  open,
  emit: ({ id, event, data }) => sockets.get(id).emit(event, data),
  close: ({ id }) => {
    const socket = sockets.get(id);
    sockets.delete(id);
    if (socket) socket.disconnect();
    report({ id, event: "closed" });
  },
};

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const command = JSON.parse(line);
  commands[command.op](command);
});
process.stdin.on("end", () => process.exit(0));
