// The node-ws echo server of server.js over TLS (Node `https` + `ws`), for the tls mode
// of conformance/agreement.sh:
//
//   node server-tls.js PORT CERT.pem KEY.pem
//
// Same behaviour as server.js: every message echoed, permessage-deflate on, 64 MiB payloads.
'use strict';

const fs = require('fs');
const https = require('https');
const { WebSocketServer } = require('ws');

const [portArg, certFile, keyFile] = process.argv.slice(2);
const port = Number.parseInt(portArg, 10);
if (!Number.isInteger(port) || port <= 0 || port > 65535 || !certFile || !keyFile) {
  console.error('usage: node server-tls.js PORT CERT.pem KEY.pem');
  process.exit(2);
}

const server = https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) });
const wss = new WebSocketServer({ server, perMessageDeflate: true, maxPayload: 64 * 1024 * 1024 });

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    ws.send(data, { binary: isBinary });
  });
  ws.on('error', () => {});
});

server.listen(port, '127.0.0.1', () => {
  console.error(`node-ws echo server over TLS (ws ${require('ws/package.json').version}) on 127.0.0.1:${port}`);
});
