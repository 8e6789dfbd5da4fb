// Bun (uWebSockets underneath) speaking the bench protocol:
// GET /ws subscribes to "bench"; POST /publish broadcasts its body; {"type":"ping"} → {"type":"pong"}.
const port = Number(process.env.PORT || 9001);
Bun.serve({
  hostname: "127.0.0.1",
  port,
  async fetch(req, server) {
    const url = new URL(req.url);
    if (url.pathname === "/ws") {
      if (server.upgrade(req)) return;
      return new Response("upgrade failed", { status: 400 });
    }
    if (url.pathname === "/publish" && req.method === "POST") {
      server.publish("bench", await req.text());
      return new Response('{"ok":true}', { headers: { "Content-Type": "application/json" } });
    }
    return new Response("not found", { status: 404 });
  },
  websocket: {
    open(ws) {
      ws.subscribe("bench");
      ws.send('{"type":"welcome"}');
    },
    message(ws, msg) {
      if (typeof msg === "string" && msg.includes('"ping"')) ws.send('{"type":"pong"}');
    },
  },
});
console.error(`bun bench peer listening on 127.0.0.1:${port}`);
