// Drive the real misskey-js client against a Misskey-compatible server (the simulated one or pnutkey).
//
// Usage: node misskey_js_sim.mjs BASE_URL [TOKEN] [NOTE_TIMEOUT_MS] [HOME_PARAMS_JSON]
//
// 1. REST through misskey-js `api.APIClient`: `i`, `meta`, `notes/timeline`; checks the shapes.
// 2. Streaming through misskey-js `Stream` (Node 20 has no global WebSocket: `ws` is passed in):
//    `useChannel('homeTimeline')` (or, with HOME_PARAMS_JSON, e.g. '{"withRenotes":false}',
//    `useChannel('homeTimeline', params)`: misskey-js then makes a non-shared connection whose
//    `connect` carries the params; checked via the Stream's connection lists), then a round-trip probe proves the server has processed that
//    `connect`: a second `connect` (throwaway id, channel `main`) with `pong: true`, answered by
//    `{"type":"connected"}`. The server handles one socket's messages in order, so the answer
//    means the homeTimeline connection exists. Then the line `READY` is printed on stdout.
// 3. Waits (bounded by NOTE_TIMEOUT_MS, default 10000) for the first `note` event on the
//    homeTimeline connection, checks it and prints `NOTE <json>` on stdout; exits 0.
// Any failure (HTTP error, bad shape, non-JSON frame, timeout) → message on stderr, exit 1.

import { api as misskeyApi, Stream } from 'misskey-js';
import WebSocket from 'ws';

const READY_TIMEOUT_MS = 10000;
const PROBE_ID = 'pnutkey-ready-probe';

function fail(message) {
	process.stderr.write(`misskey_js_sim: ${message}\n`);
	process.exit(1);
}

process.on('uncaughtException', (error) => fail(`uncaught ${error?.stack ?? error}`));
process.on('unhandledRejection', (reason) => fail(`unhandled rejection ${JSON.stringify(reason) ?? reason}`));

function check(condition, message) {
	if (!condition) throw new Error(message);
}

function checkDate(value, what) {
	check(typeof value === 'string' && !Number.isNaN(Date.parse(value)), `${what}: not a date string: ${JSON.stringify(value)}`);
}

function checkUserLite(user, what) {
	check(user !== null && typeof user === 'object', `${what}: not an object`);
	check(typeof user.id === 'string' && user.id.length > 0, `${what}.id: not a non-empty string`);
	check(typeof user.username === 'string' && user.username.length > 0, `${what}.username: missing`);
	check('host' in user, `${what}.host: missing (null for local users)`);
	check('avatarUrl' in user, `${what}.avatarUrl: missing`);
}

function checkNote(note, what) {
	check(note !== null && typeof note === 'object', `${what}: not an object`);
	check(typeof note.id === 'string' && note.id.length > 0, `${what}.id: not a non-empty string`);
	checkDate(note.createdAt, `${what}.createdAt`);
	check(typeof note.userId === 'string', `${what}.userId: not a string`);
	checkUserLite(note.user, `${what}.user`);
	check(note.user.id === note.userId, `${what}: user.id != userId`);
	check(note.text === null || typeof note.text === 'string', `${what}.text: not string|null`);
	check(typeof note.visibility === 'string', `${what}.visibility: missing`);
	check(note.reactions !== null && typeof note.reactions === 'object', `${what}.reactions: missing`);
}

function withTimeout(promise, ms, what) {
	let timer;
	const timeout = new Promise((_, reject) => {
		timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
	});
	return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function restChecks(client) {
	const me = await client.request('i', {});
	checkUserLite(me, 'i');
	checkDate(me.createdAt, 'i.createdAt');

	const meta = await client.request('meta', { detail: false });
	check(typeof meta.version === 'string' && meta.version.length > 0, 'meta.version: not a string');

	const timeline = await client.request('notes/timeline', { limit: 10 });
	check(Array.isArray(timeline), 'notes/timeline: not an array');
	timeline.forEach((note, index) => checkNote(note, `notes/timeline[${index}]`));
	return { me, meta, timeline };
}

async function streamChecks(base, token, noteTimeoutMs, homeParams) {
	const stream = new Stream(base, { token }, { WebSocket });
	const home = stream.useChannel('homeTimeline', homeParams);
	if (homeParams) {
		check(stream.nonSharedConnections.length === 1 && stream.sharedConnectionPools.length === 0,
			'useChannel with params did not make (only) a non-shared connection');
		check(JSON.stringify(home.params) === JSON.stringify(homeParams), 'non-shared connection lost its params');
		process.stderr.write(`misskey_js_sim: homeTimeline non-shared (id ${home.id}) with params ${JSON.stringify(homeParams)}\n`);
	}
	const notes = [];
	let noteWaiter = null;
	home.on('note', (note) => {
		notes.push(note);
		if (noteWaiter) noteWaiter();
	});

	const ready = new Promise((resolve) => {
		stream.on('connected', (body) => {
			if (body?.id === PROBE_ID) resolve();
		});
	});
	const opened = new Promise((resolve) => stream.once('_connected_', resolve));
	await withTimeout(opened, READY_TIMEOUT_MS, 'the websocket to open');
	// Sent after the pool's queued homeTimeline `connect` (reconnecting-websocket flushes its queue on open).
	stream.send('connect', { channel: 'main', id: PROBE_ID, pong: true });
	await withTimeout(ready, READY_TIMEOUT_MS, `the {"type":"connected"} answer to the probe`);
	stream.send('disconnect', { id: PROBE_ID });
	process.stdout.write('READY\n');

	const gotNote = new Promise((resolve) => {
		noteWaiter = resolve;
		if (notes.length > 0) resolve();
	});
	await withTimeout(gotNote, noteTimeoutMs, 'a homeTimeline note event');
	const note = notes[0];
	checkNote(note, 'streamed note');
	stream.close();
	return note;
}

async function main() {
	const [base, token = 'demo-alice', timeoutArg, paramsArg] = process.argv.slice(2);
	if (!base) fail('usage: node misskey_js_sim.mjs BASE_URL [TOKEN] [NOTE_TIMEOUT_MS] [HOME_PARAMS_JSON]');
	const noteTimeoutMs = timeoutArg === undefined ? 10000 : Number(timeoutArg);
	if (!Number.isFinite(noteTimeoutMs) || noteTimeoutMs <= 0) fail(`bad NOTE_TIMEOUT_MS ${timeoutArg}`);

	let homeParams;
	if (paramsArg !== undefined) {
		try {
			homeParams = JSON.parse(paramsArg);
		} catch (error) {
			fail(`bad HOME_PARAMS_JSON ${paramsArg}: ${error}`);
		}
		if (homeParams === null || typeof homeParams !== 'object' || Object.keys(homeParams).length === 0) {
			fail(`HOME_PARAMS_JSON must be a non-empty object: ${paramsArg}`);
		}
	}

	const client = new misskeyApi.APIClient({ origin: base, credential: token });
	const { me, meta, timeline } = await restChecks(client);
	process.stderr.write(`misskey_js_sim: REST ok (user ${me.username}, version ${meta.version}, ${timeline.length} timeline notes)\n`);

	const note = await streamChecks(base, token, noteTimeoutMs, homeParams);
	process.stdout.write(`NOTE ${JSON.stringify(note)}\n`);
	process.exit(0);
}

main().catch((error) => {
	if (error && typeof error === 'object' && !(error instanceof Error)) {
		fail(`API error ${JSON.stringify(error)}`);
	}
	fail(error?.stack ?? String(error));
});
