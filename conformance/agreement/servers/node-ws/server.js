// Echo server on Node `ws`, a third-party subject for conformance/agreement.sh.
//
//   node server.js PORT
//
// Echoes every text and binary message as received, with permessage-deflate on (so
// Autobahn sections 12 and 13 run) and a payload limit above the suite's 16 MiB messages.
'use strict';

const { WebSocketServer } = require('ws');

const port = Number.parseInt(process.argv[2], 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node server.js PORT');
  process.exit(2);
}

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port,
  // Accepts the suite's offers (window bits 8..15, no_context_takeover either side).
  perMessageDeflate: true,
  maxPayload: 64 * 1024 * 1024,
  // maxFragments stays at ws's default (16384 per message): wstest 9.3.1/9.3.2/9.4.1/9.4.2
  // send 4 MiB in 64- or 256-byte fragments and get 1008 from it, a FAILED verdict that
  // wsspec run must reproduce too.
});

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    ws.send(data, { binary: isBinary });
  });
  // Protocol errors close the connection inside ws; the event only keeps Node from
  // treating them as unhandled.
  ws.on('error', () => {});
});

wss.on('listening', () => {
  console.error(`node-ws echo server (ws ${require('ws/package.json').version}) on 127.0.0.1:${port}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    wss.close();
    process.exit(0);
  });
}
