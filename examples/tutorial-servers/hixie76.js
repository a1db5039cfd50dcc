// hixie76.js — a WebSocket echo server for the protocol browsers spoke in 2010,
// draft-hixie-thewebsocketprotocol-76 (Chrome 6, Safari 5, Firefox 4 betas). No libraries.
//
//   node hixie76.js [port]          (or PORT=9001 node hixie76.js; 0 picks a free port)
//
// The handshake: the client sends two keys in headers and 8 random bytes after them;
// the server proves it read them with an MD5 of the three. Frames are text between a
// 0x00 and a 0xFF byte; 0xFF 0x00 closes.

const http = require('http');
const crypto = require('crypto');

const PORT = Number(process.argv[2] || process.env.PORT || 8080);

const server = http.createServer((req, res) => {
  res.writeHead(400, { 'Content-Type': 'text/plain' });
  res.end('This is a WebSocket server.\n');
});

// A key's digits as one number, divided by the number of spaces in it.
function keyNumber(key) {
  const digits = key.replace(/[^0-9]/g, '');
  const spaces = key.split(' ').length - 1;
  const number = Number(digits);
  if (!digits || spaces === 0 || number > 0xffffffff || number % spaces !== 0) return null;
  return number / spaces;
}

server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => {});
  const key1 = keyNumber(req.headers['sec-websocket-key1'] || '');
  const key2 = keyNumber(req.headers['sec-websocket-key2'] || '');
  if (req.headers.upgrade !== 'WebSocket' || key1 === null || key2 === null) {
    socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    return;
  }

  // The 8-byte key3 comes after the headers, maybe in a later packet.
  let buffered = head;
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (answered) receive(); else if (buffered.length >= 8) answer();
  });
  let answered = false;
  if (buffered.length >= 8) answer();

  function answer() {
    answered = true;
    const challenge = Buffer.alloc(16);
    challenge.writeUInt32BE(key1, 0);
    challenge.writeUInt32BE(key2, 4);
    buffered.copy(challenge, 8, 0, 8);
    buffered = buffered.subarray(8);
    const protocol = req.headers['sec-websocket-protocol'];
    socket.write('HTTP/1.1 101 WebSocket Protocol Handshake\r\n' +
                 'Upgrade: WebSocket\r\n' +
                 'Connection: Upgrade\r\n' +
                 `Sec-WebSocket-Origin: ${req.headers.origin || 'null'}\r\n` +
                 `Sec-WebSocket-Location: ws://${req.headers.host}${req.url}\r\n` +
                 (protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : '') +
                 '\r\n');
    socket.write(crypto.createHash('md5').update(challenge).digest());
    receive();
  }

  function receive() {
    while (buffered.length > 0) {
      const type = buffered[0];
      if (!(type & 0x80)) {          // a text frame: type byte, UTF-8 text, 0xFF
        const end = buffered.indexOf(0xff);
        if (end < 0) return;         // the rest has not arrived yet
        if (type === 0x00) {         // echo it
          socket.write(Buffer.concat([Buffer.from([0x00]), buffered.subarray(1, end), Buffer.from([0xff])]));
        }
        buffered = buffered.subarray(end + 1);
      } else {                       // a length-prefixed frame: 0xFF 0x00 closes, others are skipped
        let length = 0;
        let i = 1;
        while (i < buffered.length && buffered[i] & 0x80) length = length * 128 + (buffered[i++] & 0x7f);
        if (i >= buffered.length) return;
        length = length * 128 + buffered[i++];
        if (type === 0xff && length === 0) {
          socket.end(Buffer.from([0xff, 0x00]));
          return;
        }
        if (buffered.length < i + length) return;
        buffered = buffered.subarray(i + length);
      }
    }
  }
});

server.listen(PORT, '127.0.0.1', () => {
  console.log(`listening on ws://127.0.0.1:${server.address().port}/`);
});
