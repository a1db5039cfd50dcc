// careful6455.js — the better tutorial: an RFC 6455 echo server that reads frames
// properly. Still no libraries: Node's http server, the 'upgrade' event and crypto.
//
//   node careful6455.js [port]      (or PORT=9001 node careful6455.js; 0 picks a free port)
//
// It handles 16- and 64-bit lengths, many frames in one TCP chunk and one frame split
// across chunks, fragmented messages, ping/pong, the closing handshake, a keepalive ping
// and an idle timeout. What it still gets wrong is in README.md.

const http = require('http');
const crypto = require('crypto');

const PORT = Number(process.argv[2] || process.env.PORT || 8080);
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const MAX_MESSAGE = 16 * 1024 * 1024; // bigger messages are refused with 1009
const PING_EVERY = 30 * 1000;         // keepalive
const IDLE_TIMEOUT = 120 * 1000;      // a connection silent this long is dropped

const server = http.createServer((req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain', 'Sec-WebSocket-Version': '13' });
  res.end('This is a WebSocket server.\n');
});

server.on('upgrade', (req, socket, head) => {
  const key = req.headers['sec-websocket-key'] || '';
  const tokens = (name) => (req.headers[name] || '').toLowerCase().split(',').map((t) => t.trim());
  if (req.method !== 'GET' || req.httpVersion !== '1.1' ||
      !tokens('upgrade').includes('websocket') || !tokens('connection').includes('upgrade') ||
      Buffer.from(key, 'base64').length !== 16) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return;
  }
  if (req.headers['sec-websocket-version'] !== '13') {
    socket.end('HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nConnection: close\r\n\r\n');
    return;
  }
  const accept = crypto.createHash('sha1').update(key + GUID).digest('base64');
  socket.write('HTTP/1.1 101 Switching Protocols\r\n' +
               'Upgrade: websocket\r\n' +
               'Connection: Upgrade\r\n' +
               `Sec-WebSocket-Accept: ${accept}\r\n\r\n`);
  echo(socket, head);
});

// A violation of the protocol: the connection is closed with `code`.
class ProtocolError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function echo(socket, head) {
  let chunks = [];      // bytes received and not parsed yet
  let size = 0;
  let message = null;   // a fragmented message being put together: { opcode, parts, size }
  let closing = false;  // we sent our close frame: ignore everything else

  const keepalive = setInterval(() => socket.write(frame(0x9)), PING_EVERY);
  socket.setTimeout(IDLE_TIMEOUT, () => socket.destroy());
  socket.on('close', () => clearInterval(keepalive));
  socket.on('end', () => socket.end());
  socket.on('error', () => {});
  socket.on('data', receive);
  if (head.length) receive(head);

  function receive(chunk) {
    chunks.push(chunk);
    size += chunk.length;
    try {
      let f;
      while (!closing && (f = nextFrame())) onFrame(f);
    } catch (e) {
      closing = true;
      socket.end(closeFrame(e.code || 1011));
    }
  }

  // The first n buffered bytes (n <= size), joining chunks only when they must be.
  function peek(n) {
    if (chunks[0].length < n) chunks = [Buffer.concat(chunks)];
    return chunks[0];
  }

  function take(n) {
    const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    chunks = all.length > n ? [all.subarray(n)] : [];
    size -= n;
    return all.subarray(0, n);
  }

  // The next whole frame, or null when it has not all arrived yet.
  function nextFrame() {
    if (size < 2) return null;
    const head = peek(Math.min(size, 14));
    const fin = (head[0] & 0x80) !== 0;
    const opcode = head[0] & 0x0f;
    if (head[0] & 0x70) throw new ProtocolError(1002, 'RSV bits without an extension');
    if (!(head[1] & 0x80)) throw new ProtocolError(1002, 'client frames must be masked');
    let length = head[1] & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (size < 4) return null;
      length = head.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (size < 10) return null;
      const high = head.readUInt32BE(2);
      if (high & 0x80000000) throw new ProtocolError(1002, 'the top bit of a 64-bit length must be 0');
      length = high * 2 ** 32 + head.readUInt32BE(6);
      offset = 10;
    }
    if (opcode >= 0x8 && (!fin || length > 125)) {
      throw new ProtocolError(1002, 'control frames must be final and at most 125 bytes');
    }
    if (length > MAX_MESSAGE) throw new ProtocolError(1009, 'message too big');
    if (size < offset + 4 + length) return null;

    const bytes = take(offset + 4 + length);
    const mask = bytes.subarray(offset, offset + 4);
    const payload = bytes.subarray(offset + 4);
    for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
    return { fin, opcode, payload };
  }

  function onFrame({ fin, opcode, payload }) {
    switch (opcode) {
      case 0x0: // continuation
        if (!message) throw new ProtocolError(1002, 'continuation frame without a message');
        message.parts.push(payload);
        message.size += payload.length;
        if (message.size > MAX_MESSAGE) throw new ProtocolError(1009, 'message too big');
        if (fin) {
          socket.write(frame(message.opcode, Buffer.concat(message.parts)));
          message = null;
        }
        break;
      case 0x1: // text
      case 0x2: // binary
        if (message) throw new ProtocolError(1002, 'new message before the last one ended');
        if (fin) socket.write(frame(opcode, payload));
        else message = { opcode, parts: [payload], size: payload.length };
        break;
      case 0x8: // close: answer with the same code, then hang up
        closing = true;
        socket.end(frame(0x8, payload.subarray(0, 2)));
        break;
      case 0x9: // ping
        socket.write(frame(0xa, payload));
        break;
      case 0xa: // pong (to our keepalive)
        break;
      default:
        throw new ProtocolError(1002, `opcode ${opcode} is reserved`);
    }
  }
}

// A final, unmasked frame (servers never mask) with a 7-, 16- or 64-bit length.
function frame(opcode, payload = Buffer.alloc(0)) {
  const length = payload.length;
  let head;
  if (length < 126) {
    head = Buffer.from([0x80 | opcode, length]);
  } else if (length < 65536) {
    head = Buffer.from([0x80 | opcode, 126, 0, 0]);
    head.writeUInt16BE(length, 2);
  } else {
    head = Buffer.from([0x80 | opcode, 127, 0, 0, 0, 0, 0, 0, 0, 0]);
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([head, payload]);
}

function closeFrame(code) {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(code);
  return frame(0x8, payload);
}

server.listen(PORT, '127.0.0.1', () => {
  console.log(`listening on ws://127.0.0.1:${server.address().port}/`);
});
