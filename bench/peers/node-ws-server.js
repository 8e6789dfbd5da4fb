// Node.js with the `ws` package speaking the bench protocol (see bun-server.js).
const http = require("http");
const { WebSocketServer } = require("ws");

const port = Number(process.env.PORT || 9002);
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const server = http.createServer((req, res) => {
  if (req.url === "/publish" && req.method === "POST") {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      for (const client of wss.clients) client.send(body);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end('{"ok":true}');
    });
    return;
  }
  res.writeHead(404);
  res.end();
});
server.on("upgrade", (req, socket, head) => {
  if (!req.url.startsWith("/ws")) return socket.destroy();
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.send('{"type":"welcome"}');
    ws.on("message", (data) => {
      if (data.toString().includes('"ping"')) ws.send('{"type":"pong"}');
    });
  });
});
server.listen(port, "127.0.0.1", () => console.error(`node ws bench peer listening on 127.0.0.1:${port}`));
