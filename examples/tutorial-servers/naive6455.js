// naive6455.js — a WebSocket echo server the way the shortest tutorials write it.
// No libraries: Node's http server, the 'upgrade' event, crypto for the accept key.
//
//   node naive6455.js [port]        (or PORT=9001 node naive6455.js; 0 picks a free port)
//
// It works in the browser demo. It is also wrong in the ways such servers usually are;
// see README.md for what wsspec finds.

const http = require('http');
const crypto = require('crypto');

const PORT = Number(process.argv[2] || process.env.PORT || 8080);
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const server = http.createServer((req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain' });
  res.end('This is a WebSocket server.\n');
});

server.on('upgrade', (req, socket) => {
  const key = req.headers['sec-websocket-key'];
  if ((req.headers.upgrade || '').toLowerCase() !== 'websocket' || !key ||
      req.headers['sec-websocket-version'] !== '13') {
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    return;
  }
  const accept = crypto.createHash('sha1').update(key + GUID).digest('base64');
  const response = 'HTTP/1.1 101 Switching Protocols\r\n' +
                   'Upgrade: websocket\r\n' +
                   'Connection: Upgrade\r\n' +
                   `Sec-WebSocket-Accept: ${accept}\r\n\r\n`;
  // Answer, and say hello with a ping, in one packet.
  socket.write(Buffer.concat([Buffer.from(response), frame(0x9, Buffer.from('hello'))]));
  socket.on('error', () => {}); // a client went away: nothing to do

  socket.on('data', (data) => {
    const opcode = data[0] & 0x0f;
    const length = data[1] & 0x7f;
    const mask = data.slice(2, 6);
    const payload = data.slice(6, 6 + length);
    for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];

    if (opcode === 0x8) {                // close
      socket.end(frame(0x8, Buffer.alloc(0)));
    } else if (opcode === 0x1 || opcode === 0x2) {
      socket.write(frame(opcode, payload)); // echo
    }
  });
});

// A final frame, unmasked (servers never mask), for messages up to 125 bytes.
function frame(opcode, payload) {
  return Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload]);
}

server.listen(PORT, '127.0.0.1', () => {
  console.log(`listening on ws://127.0.0.1:${server.address().port}/`);
});
