#!/usr/bin/env python3
"""Regenerates the committed seed corpora (fuzz/seeds/TARGET/) from the repository's test
fixtures: golden translation inputs wrapped in the wire frames each target reads, real frames
from tests/fixtures/models, and config fixtures. Run from the repository root."""
import glob
import hashlib
import json
import os

ROOT = "fuzz/seeds"


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    os.makedirs(f"{ROOT}/{target}", exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(f"{ROOT}/{target}/{name}", "wb") as out:
        out.write(data)


def frame(meta, data):
    return json.dumps({"meta": meta, "data": data}, ensure_ascii=False)


def channel(kind, body):
    return json.dumps({"type": "channel", "body": {"id": "c1", "type": kind, "body": body}},
                      ensure_ascii=False)


for path in sorted(glob.glob("tests/golden/*.json")):
    golden = json.load(open(path))
    rule, given = golden.get("rule"), golden.get("input")
    if not isinstance(given, dict):
        continue
    meta = {"timestamp": given.get("timestamp", 1778061600), "id": "1"}
    if given.get("is_deleted"):
        meta["is_deleted"] = True
    if given.get("revision") is not None:
        meta["revision"] = given["revision"]
    if rule in ("note_to_post", "note_to_message"):
        put("misskey_upstream_response", b"\x00" + json.dumps(given["note"]).encode())
        put("misskey_upstream_response", b"\x00" + json.dumps([given["note"]]).encode())
    if rule == "misskey_detailed_to_pnut":
        put("misskey_upstream_response", b"\x00" + json.dumps(given["user"]).encode())
        put("misskey_upstream_response", b"\x00" + json.dumps([given["user"]]).encode())
    if rule == "drive_file_to_file":
        put("misskey_upstream_response", b"\x00" + json.dumps([given["file"]]).encode())
    if rule == "post_to_note":
        envelope = {"meta": {"code": 200, "more": False}, "data": [given["post"]]}
        put("pnut_upstream_response", b"\x00" + json.dumps(envelope).encode())
        envelope["data"] = given["post"]
        put("pnut_upstream_response", b"\x00" + json.dumps(envelope).encode())
    if rule in ("pnut_user_to_detailed", "pnut_user_to_lite", "pnut_user_to_me"):
        envelope = {"meta": {"code": 200}, "data": given["user"]}
        put("pnut_upstream_response", b"\x00" + json.dumps(envelope).encode())
        envelope["data"] = [given["user"]]
        put("pnut_upstream_response", b"\x00" + json.dumps(envelope).encode())
    if rule in ("post_to_note", "post_change_to_note_updated", "repost_to_main_events",
                "mention_to_main_events", "mention_to_notification"):
        put("pnut_upstream_frame", frame(meta, [given["post"]]))
    elif rule == "message_to_note":
        put("pnut_upstream_frame", frame(dict(meta, channel_name=given.get("channel_name")),
                                         [given["message"]]))
    elif rule == "follow_to_main_events":
        put("pnut_upstream_frame", frame(meta, given["event"]))
    elif rule == "token_to_me_updated":
        put("pnut_upstream_frame", frame(meta, given["token"]))
    elif rule == "file_to_drive_event":
        put("pnut_upstream_frame", frame(meta, given["file"]))
    elif rule in ("note_to_post", "note_to_message"):
        put("misskey_upstream_frame", channel("note", given["note"]))
    elif rule == "misskey_event_to_pnut":
        put("misskey_upstream_frame", channel(given["kind"], given["body"]))
    elif rule == "note_updated_to_pnut":
        event = given["event"]
        put("misskey_upstream_frame", json.dumps({"type": "noteUpdated", "body": {
            "id": given["note_id"], "type": event.get("type"), "body": event.get("body")}}))

for line in open("tests/fixtures/models/misskey/client_frames.jsonl"):
    if line.strip():
        put("misskey_client_frame", line.strip())
for line in open("tests/fixtures/models/misskey/server_frames.jsonl"):
    if line.strip():
        put("misskey_upstream_frame", line.strip())
for name in ("stream_hello.json", "event_message.json"):
    put("pnut_upstream_frame", open(f"tests/fixtures/models/pnut/{name}").read())
for path in sorted(glob.glob("tests/fixtures/config/*.toml")) + ["config.toml"]:
    put("config", open(path).read())

put("pnut_upstream_response", b"\x01" + open("tests/fixtures/models/pnut/error.json", "rb").read())
put("pnut_upstream_response", b"\x00")
put("misskey_upstream_response", b"\x01" + open("tests/fixtures/models/misskey/error_no_such_note.json", "rb").read())
put("misskey_upstream_response", b"\x00")
put("pnut_upstream_response", b'\x02{"meta":{"code":404,"error_message":"Not found"}}')

for body in [
    "",
    '{"noteId":"0000000000000064"}',
    '{"limit":20,"sinceId":"0000000000000005","untilId":"000000000000000a","withRenotes":false}',
    '{"text":"hello @bob #tag","cw":null,"visibility":"home","replyId":"0000000000000064"}',
    '{"userIds":["0000000000000002","3"],"username":"bob","host":null}',
    '{"includeTypes":["mention","reply"],"excludeTypes":["follow"],"reaction":"\\u2b50"}',
]:
    put("misskey_rest_body", "\n" + body)
    put("misskey_rest_body", "Bearer demo-alice\n" + body)
put("misskey_rest_body", '\n{"i":"demo-bob","noteId":"1"}')

for target in [
    "posts/streams/me?count=20&since_id=5&before_id=100",
    "posts/123/thread?count=-5&include_deleted=1",
    "users/@bob/posts?access_token=demo-alice&count=200",
    "users/me/mentions?since_id=99999999999999999999999",
    "posts/42?connection_id=abc",
]:
    put("pnut_rest_query", target)

for body in [
    "application/json\n" + '{"text":"hi","reply_to":42,"is_nsfw":true}',
    "application/json\n" + '{"text":"x","reply_to":"1234567890123456789"}',
    "application/x-www-form-urlencoded\ntext=a+b%21&reply_to=7&is_nsfw=1",
    "\n" + '{"text":"no content type"}',
    "text/plain\ntext=hello",
]:
    put("pnut_rest_body", body)
