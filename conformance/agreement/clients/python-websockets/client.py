"""Testee client on Python `websockets`, a third-party subject for
`conformance/agreement.sh clients`.

    python client.py URL AGENT

Drives a fuzzing server (wstest -m fuzzingserver, or wsspec serve) the way websockets' own
compliance client does: /getCaseCount, then /runCase?case=N&agent=AGENT for every case,
echoing each text and binary message as received, then /updateReports?agent=AGENT.
websockets' default permessage-deflate is on, the message limit is above the suite's
16 MiB messages, and keepalive pings are off so they cannot disturb the suite's timing.
"""

import asyncio
import json
import sys
import urllib.parse

import websockets
from websockets.asyncio.client import connect

OPTIONS = dict(
    compression="deflate",
    max_size=64 * 1024 * 1024,
    ping_interval=None,
    ping_timeout=None,
)


async def case_count(url):
    async with connect(url + "/getCaseCount", **OPTIONS) as ws:
        return json.loads(await ws.recv())


async def run_case(url, n, agent):
    try:
        async with connect(
            "%s/runCase?case=%d&agent=%s" % (url, n, agent), **OPTIONS
        ) as ws:
            async for message in ws:
                await ws.send(message)
    except websockets.WebSocketException:
        # The client failed the connection, or refused the handshake: that is the
        # behaviour under test, not an error of this harness.
        pass
    except OSError:
        pass


async def update_reports(url, agent):
    async with connect("%s/updateReports?agent=%s" % (url, agent), **OPTIONS) as ws:
        try:
            await ws.recv()
        except websockets.ConnectionClosed:
            pass


async def main(url, agent):
    quoted = urllib.parse.quote(agent, safe="")
    count = await case_count(url)
    for n in range(1, count + 1):
        await run_case(url, n, quoted)
    await update_reports(url, quoted)
    print(
        "python-websockets client (websockets %s): ran %d cases as %s"
        % (websockets.__version__, count, agent),
        file=sys.stderr,
    )


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: python client.py ws://HOST:PORT AGENT", file=sys.stderr)
        sys.exit(2)
    asyncio.run(main(sys.argv[1], sys.argv[2]))
