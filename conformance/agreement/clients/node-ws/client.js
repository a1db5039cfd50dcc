// Testee client on Node `ws`, a third-party subject for `conformance/agreement.sh clients`.
//
//   node client.js URL AGENT
//
// Drives a fuzzing server (wstest -m fuzzingserver, or wsspec serve) the way ws's own
// Autobahn harness does: /getCaseCount, then /runCase?case=N&agent=AGENT for every case,
// echoing each text and binary message as received, then /updateReports?agent=AGENT.
// permessage-deflate is on (ws offers it by default), the payload limit is above the
// suite's 16 MiB messages, and every other option is ws's default.
'use strict';

const WebSocket = require('ws');

const [url, agent] = process.argv.slice(2);
if (!url || !agent) {
  console.error('usage: node client.js ws://HOST:PORT AGENT');
  process.exit(2);
}

const options = { perMessageDeflate: true, maxPayload: 64 * 1024 * 1024 };

// Opens `path` and resolves when the connection has closed; `onMessage` gets each message.
function visit(path, onMessage) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url + path, options);
    ws.on('message', (data, isBinary) => onMessage(ws, data, isBinary));
    // Errors (a case the client fails, a refused handshake) end in 'close' as well.
    ws.on('error', () => {});
    ws.on('close', () => resolve());
  });
}

async function main() {
  let count = 0;
  await visit('/getCaseCount', (ws, data) => {
    count = Number.parseInt(data.toString(), 10);
  });
  if (!Number.isInteger(count) || count <= 0) {
    console.error('node-ws client: no case count from ' + url);
    process.exit(1);
  }
  const query = encodeURIComponent(agent);
  for (let n = 1; n <= count; n++) {
    await visit(`/runCase?case=${n}&agent=${query}`, (ws, data, isBinary) => {
      ws.send(data, { binary: isBinary });
    });
  }
  await visit(`/updateReports?agent=${query}`, () => {});
  console.error(`node-ws client (ws ${require('ws/package.json').version}): ran ${count} cases as ${agent}`);
}

main();
