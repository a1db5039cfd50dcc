// A Node `ws` echo server as its README teaches: every text and binary message goes
// back as it came. permessage-deflate off (ws's server default, stated here for the
// comparison), TCP_NODELAY like the other servers (ws sets it on upgrade).
//
// Usage: node echo.js PORT [HOST]
'use strict';
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 9004);
const host = process.argv[3] || '127.0.0.1';
const wss = new WebSocketServer({ port, host, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', (e) => console.error(`node-ws-echo: ${e.message}`));
});
wss.on('listening', () => console.error(`node-ws-echo listening on ws://${host}:${wss.address().port}`));
