"""Run pnutty 0.1.0's own PnutStream (the pnut TTY client) against the bridge.

Usage: python pnutty_stream.py BASE_URL TOKEN EXPECTED_TEXT [TIMEOUT_SECONDS]

pnutty's module constants PNUT_API_URL and PNUT_WS_URL point at pnut.io; they are repointed at
BASE_URL (its /v1 API and /v1/user stream). PnutStream then does what pnutty does: opens the
user stream with ?access_token=, subscribes to /posts/streams/me with connection_id and
include_post_raw=1, prints the first page, and prints every post pushed over the stream with
its own print_post (which reads user.username, content.text, thread_id, source.name and every
io.pnut.core.oembed raw's embeddable_url unconditionally).

Prints READY once subscribed, then `SEEN <text>` when a post whose text holds EXPECTED_TEXT
was displayed, and exits 0. An exception inside pnutty, or no such post within the timeout
(default 10 s), exits 1 with the reason on stderr.
"""

import os
import sys
import threading
import traceback

import pnutty.nutty as nutty


def main():
    base_url = sys.argv[1].rstrip("/")
    token = sys.argv[2]
    expected = sys.argv[3]
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
    ws_base = "ws" + base_url[len("http"):] if base_url.startswith("http") else base_url
    nutty.PNUT_API_URL = base_url + "/v1"
    nutty.PNUT_WS_URL = ws_base + "/v1/user?access_token="

    stream = nutty.PnutStream({"token": token, "timeline": "personal"})
    shown = nutty.PnutStream.print_post
    failures = []

    def print_post(post, is_deleted=False):
        try:
            shown(stream, post, is_deleted)
        except Exception:  # pnutty crashed on the bridge's post: the test fails.
            failures.append(traceback.format_exc())
            raise
        text = post.repost_of.content.text if "repost_of" in post else post.content.text
        if expected in text:
            # pnutty's own output may end without a newline: SEEN starts a line of its own.
            print(f"\nSEEN {text}", flush=True)
            nutty._shutdown.set()
            sys.stdout.flush()
            os._exit(0)

    stream.print_post = print_post

    def ready():
        if nutty._connected.wait(timeout):
            # From another thread, maybe in the middle of pnutty's output: a line of its own.
            print("\nREADY", flush=True)

    def deadline():
        if not nutty._shutdown.wait(timeout * 2):
            sys.stderr.write("no post with the expected text was displayed in time\n")
            for failure in failures:
                sys.stderr.write(failure)
            sys.stderr.flush()
            os._exit(1)

    threading.Thread(target=ready, daemon=True).start()
    threading.Thread(target=deadline, daemon=True).start()
    try:
        stream.start()
    except Exception:
        sys.stderr.write(traceback.format_exc())
    for failure in failures:
        sys.stderr.write(failure)
    sys.stderr.flush()
    os._exit(1)


if __name__ == "__main__":
    main()
