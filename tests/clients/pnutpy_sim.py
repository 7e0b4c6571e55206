"""Drive the real pnutpy client against a pnut-compatible server (the simulated one or pnutkey).

Usage: python pnutpy_sim.py BASE_URL [TOKEN]

BASE_URL is "http://HOST:PORT" (no "/v1"); TOKEN defaults to "demo-alice". The script uses its
own pnutpy.API object rooted at BASE_URL + "/v1" (pnutpy joins its root and paths like "/posts"
by plain concatenation, so the root must not end with "/"). Every response is parsed by pnutpy's
own models (Post/User/Token: ids through int(), dates through dateutil) and checked. Any failure
exits non-zero with a message on stderr; success prints one JSON summary line on stdout.
"""

import datetime
import json
import sys
import traceback
import uuid

import pnutpy


HTTP_TIMEOUT_SECONDS = 10


class TimedAPI(pnutpy.API):
    """pnutpy's own API client, with a per-request timeout so a stuck server fails the run."""

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT_SECONDS)
        return super().request(method, url, *args, **kwargs)


class CheckFailed(Exception):
    """A response did not have the shape or content a pnut client relies on."""


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


def check_date(value, what):
    check(isinstance(value, datetime.datetime), f"{what}: not parsed to a datetime: {value!r}")
    check(value.tzinfo is not None, f"{what}: date without a timezone: {value!r}")


def check_user(user, what):
    check(isinstance(user, pnutpy.User), f"{what}: not a pnutpy User: {type(user)!r}")
    check(isinstance(user.id, int) and user.id > 0, f"{what}: bad user id {user.id!r}")
    check_date(user.created_at, f"{what}.created_at")
    check(isinstance(user.get("username"), str) and user.username, f"{what}: no username")


def check_post(post, what):
    check(isinstance(post, pnutpy.Post), f"{what}: not a pnutpy Post: {type(post)!r}")
    check(isinstance(post.id, int) and post.id > 0, f"{what}: bad post id {post.id!r}")
    check_date(post.created_at, f"{what}.created_at")
    if post.user is not None:
        check_user(post.user, f"{what}.user")
    if not post.get("is_deleted"):
        content = post.get("content")
        check(content is not None and isinstance(content.get("text"), str), f"{what}: no content.text")
    thread_id = post.get("thread_id")
    check(thread_id is not None and int(thread_id) > 0, f"{what}: bad thread_id {thread_id!r}")


def check_meta(meta, what):
    check(meta.get("code") in (200, 201), f"{what}: meta.code is {meta.get('code')!r}")


def check_wire_post(api, post_id, expected_text):
    """Fetch the post raw to check the wire types pnutpy's models hide (ids are JSON strings)."""
    response = api.request("GET", f"/posts/{post_id}", raw_response=True)
    check(response.status_code == 200, f"raw GET /posts/{post_id}: HTTP {response.status_code}")
    body = response.json()
    data = body.get("data")
    check(isinstance(data, dict), "raw GET /posts: no data object")
    check(isinstance(data.get("id"), str), f"raw post id is not a JSON string: {data.get('id')!r}")
    check(data["id"] == str(post_id), f"raw post id {data['id']!r} != {post_id}")
    user = data.get("user") or {}
    check(isinstance(user.get("id"), str), f"raw user id is not a JSON string: {user.get('id')!r}")
    check(data.get("content", {}).get("text") == expected_text, "raw post text differs")


def run(base_url, token):
    api = TimedAPI.build_api(api_root=base_url.rstrip("/") + "/v1", access_token=token)

    me, meta = api.get_user("me")
    check_meta(meta, "GET /users/me")
    check_user(me, "users/me")

    token_info, meta = api.get_token()
    check_meta(meta, "GET /token")
    check(isinstance(token_info, pnutpy.Token), "token: not a pnutpy Token")
    token_user = token_info.get("user")
    check(token_user is not None, "token: no user")
    check_user(token_user, "token.user")
    check(token_user.id == me.id, f"token.user.id {token_user.id} != users/me id {me.id}")
    scopes = token_info.get("scopes")
    check(isinstance(scopes, list), f"token: scopes not a list: {scopes!r}")

    before, meta = api.users_post_streams_me(count=20)
    check_meta(meta, "GET /posts/streams/me")
    check(isinstance(before, list), "posts/streams/me: data is not a list")
    for index, post in enumerate(before):
        check_post(post, f"posts/streams/me[{index}]")

    unified, meta = api.users_post_streams_unified(count=20)
    check_meta(meta, "GET /posts/streams/unified")
    for index, post in enumerate(unified):
        check_post(post, f"posts/streams/unified[{index}]")

    text = f"pnutpy says hello {uuid.uuid4().hex[:12]}"
    created, meta = api.create_post(data={"text": text})
    check(meta.get("code") in (200, 201), f"POST /posts: meta.code is {meta.get('code')!r}")
    check_post(created, "created post")
    check(created.content.text == text, f"created post text {created.content.text!r} != {text!r}")
    check(created.user is not None and created.user.id == me.id, "created post is not by the token's user")

    fetched, meta = api.get_post(created.id)
    check_meta(meta, "GET /posts/{id}")
    check_post(fetched, "fetched post")
    check(fetched.id == created.id, f"fetched id {fetched.id} != created id {created.id}")
    check(fetched.content.text == text, "fetched post text differs from the created one")
    check_wire_post(api, created.id, text)

    after, meta = api.users_post_streams_me(count=20)
    check_meta(meta, "GET /posts/streams/me (after)")
    for index, post in enumerate(after):
        check_post(post, f"posts/streams/me after[{index}]")
    check(any(post.id == created.id for post in after), "created post missing from posts/streams/me")

    # A file upload (multipart: the `content` part and pnut's fields), attached to a post by a
    # `+io.pnut.core.file` value in its oEmbed raw, as pnut documents it.
    content = b"\x89PNG\r\n\x1a\n pnutpy upload \x00\xff\r\n--not-a-boundary"
    uploaded, meta = api.create_file(
        files={"content": ("pnutpy.png", content, "image/png")},
        data={"type": "io.pnut.core.file", "name": "pnutpy.png", "kind": "image"},
    )
    check(meta.get("code") == 201, f"POST /files: meta.code is {meta.get('code')!r}")
    check(isinstance(uploaded, pnutpy.models.File), f"uploaded: not a pnutpy File: {type(uploaded)!r}")
    check(int(uploaded.id) > 0, f"uploaded: bad id {uploaded.id!r}")
    check(uploaded.get("name") == "pnutpy.png", f"uploaded name {uploaded.get('name')!r}")
    check(uploaded.get("mime_type") == "image/png", f"uploaded mime_type {uploaded.get('mime_type')!r}")
    check(uploaded.get("size") == len(content), f"uploaded size {uploaded.get('size')!r}")
    check(isinstance(uploaded.get("file_token"), str), "uploaded: no file_token to attach it with")
    attachment = {"+io.pnut.core.file": {
        "file_id": str(uploaded.id), "file_token": uploaded.file_token, "format": "oembed",
    }}
    with_file, meta = api.create_post(
        data={"text": "a file from pnutpy", "raw": {"io.pnut.core.oembed": [attachment]}},
    )
    check(meta.get("code") in (200, 201), f"POST /posts with a file: meta.code is {meta.get('code')!r}")
    response = api.request("GET", f"/posts/{with_file.id}?include_post_raw=1", raw_response=True)
    check(response.status_code == 200, f"GET /posts/{with_file.id}: HTTP {response.status_code}")
    oembeds = ((response.json().get("data") or {}).get("raw") or {}).get("io.pnut.core.oembed") or []
    check(
        len(oembeds) == 1 and oembeds[0].get("type") == "photo" and oembeds[0].get("url"),
        f"post with a file: oembed raw {oembeds!r}",
    )

    return {
        "ok": True,
        "uploaded_file_id": str(uploaded.id),
        "uploaded_size": len(content),
        "user_id": me.id,
        "username": me.username,
        "scopes": scopes,
        "me_stream_before": len(before),
        "unified": len(unified),
        "created_post_id": created.id,
        "created_text": text,
        "created_at": created.created_at.isoformat(),
    }


def main(argv):
    if len(argv) not in (2, 3):
        print("usage: pnutpy_sim.py BASE_URL [TOKEN]", file=sys.stderr)
        return 2
    token = argv[2] if len(argv) == 3 else "demo-alice"
    try:
        summary = run(argv[1], token)
    except CheckFailed as failure:
        print(f"pnutpy_sim: check failed: {failure}", file=sys.stderr)
        return 1
    except pnutpy.errors.PnutAPIException as failure:
        print(f"pnutpy_sim: API error {type(failure).__name__}: {failure}", file=sys.stderr)
        return 1
    except Exception as failure:  # any client-side parse error is a failure of the server's output
        traceback.print_exc(file=sys.stderr)
        print(f"pnutpy_sim: {type(failure).__name__}: {failure}", file=sys.stderr)
        return 1
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
