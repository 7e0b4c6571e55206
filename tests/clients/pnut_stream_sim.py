"""Drive a pnut user stream the way pnutty does, with pnutpy parsing everything it receives.

Usage: python pnut_stream_sim.py BASE_URL [TOKEN] [POST_TIMEOUT_SECONDS] [STREAM_URL]

STREAM_URL (default: BASE_URL's host with /v1/user) is the user-stream endpoint, which pnut
serves on a stream host of its own, apart from the API host, as the simulated pnut does.

1. Opens STREAM_URL?access_token=TOKEN (websockets' sync client, as pnutty does) and reads
   the hello frame: meta.connection_id, no data.
2. Subscribes with pnutpy's own API object: GET /posts/streams/me?connection_id=... (pnutpy does
   not whitelist connection_id, so the call goes through API.request with explicit params); the
   answer must carry meta.subscription_id and parse as pnutpy Posts. Then prints READY.
3. Waits (bounded, default 10 s) for the first frame with data: a list of posts whose
   meta.subscription_ids holds the subscription; each post is parsed by pnutpy.Post. Prints
   `POST <json of the first post>` and exits 0. Frames without data (pongs) are skipped.
Any failure → message on stderr, exit 1.
"""

import json
import sys
import time
import traceback
from urllib.parse import quote

import pnutpy
from websockets.sync.client import connect

HTTP_TIMEOUT_SECONDS = 10
OPEN_TIMEOUT_SECONDS = 10


class CheckFailed(Exception):
    """The stream did not behave as a pnut user stream client relies on."""


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def ws_url(base_url, token, stream_url=None):
    if stream_url:
        return f"{stream_url}?access_token={quote(token, safe='')}"
    if base_url.startswith("https://"):
        host = "wss://" + base_url[len("https://"):]
    elif base_url.startswith("http://"):
        host = "ws://" + base_url[len("http://"):]
    else:
        raise CheckFailed(f"BASE_URL must start with http:// or https://: {base_url!r}")
    return f"{host.rstrip('/')}/v1/user?access_token={quote(token, safe='')}"


def read_hello(socket):
    hello = json.loads(socket.recv(timeout=OPEN_TIMEOUT_SECONDS))
    meta = hello.get("meta")
    check(isinstance(meta, dict), f"hello frame without meta: {hello!r}")
    check("data" not in hello, f"hello frame has data: {hello!r}")
    connection_id = meta.get("connection_id")
    check(isinstance(connection_id, str) and connection_id, f"hello frame without connection_id: {hello!r}")
    return connection_id


def subscribe(api, connection_id):
    response = api.request(
        "GET",
        "/posts/streams/me",
        params={"connection_id": connection_id, "count": 5},
        timeout=HTTP_TIMEOUT_SECONDS,
    )
    subscription_id = response.meta.get("subscription_id")
    check(isinstance(subscription_id, str) and subscription_id, f"no meta.subscription_id: {response.meta!r}")
    backfill = [pnutpy.Post.from_response_data(post, api) for post in response.get("data", [])]
    return subscription_id, backfill


def wait_for_post(socket, api, subscription_id, timeout_seconds):
    deadline = time.monotonic() + timeout_seconds
    while True:
        remaining = deadline - time.monotonic()
        check(remaining > 0, f"no post event within {timeout_seconds} s")
        try:
            raw = socket.recv(timeout=remaining)
        except TimeoutError:
            raise CheckFailed(f"no post event within {timeout_seconds} s") from None
        frame = json.loads(raw)
        if "data" not in frame:
            continue
        meta = frame.get("meta") or {}
        check(subscription_id in (meta.get("subscription_ids") or []), f"frame not for our subscription: {meta!r}")
        check(isinstance(meta.get("timestamp"), int), f"meta.timestamp is not an int: {meta!r}")
        data = frame["data"]
        check(isinstance(data, list) and data, f"post event data is not a non-empty list: {data!r}")
        for post in data:
            parsed = pnutpy.Post.from_response_data(post, api)
            check(isinstance(parsed.id, int), "post id not int()-able")
        check(str(meta.get("id")) == str(data[0].get("id")), f"meta.id {meta.get('id')!r} != post id")
        return data[0]


def main(argv):
    if len(argv) not in (2, 3, 4, 5):
        print("usage: pnut_stream_sim.py BASE_URL [TOKEN] [POST_TIMEOUT_SECONDS] [STREAM_URL]", file=sys.stderr)
        return 2
    base_url = argv[1]
    token = argv[2] if len(argv) >= 3 else "demo-alice"
    timeout_seconds = float(argv[3]) if len(argv) >= 4 else 10.0
    stream_url = argv[4] if len(argv) == 5 else None
    api = pnutpy.API.build_api(api_root=base_url.rstrip("/") + "/v1", access_token=token)
    try:
        with connect(ws_url(base_url, token, stream_url), open_timeout=OPEN_TIMEOUT_SECONDS) as socket:
            connection_id = read_hello(socket)
            subscription_id, backfill = subscribe(api, connection_id)
            print(f"pnut_stream_sim: subscribed, {len(backfill)} posts of backfill", file=sys.stderr)
            print("READY", flush=True)
            post = wait_for_post(socket, api, subscription_id, timeout_seconds)
    except CheckFailed as failure:
        print(f"pnut_stream_sim: check failed: {failure}", file=sys.stderr)
        return 1
    except Exception as failure:  # any client-side error is a failure of the server's behaviour
        traceback.print_exc(file=sys.stderr)
        print(f"pnut_stream_sim: {type(failure).__name__}: {failure}", file=sys.stderr)
        return 1
    print("POST " + json.dumps(post, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
