// Replay the start-up sequences of Misskey apps (real-servers.md §2: the web client, Miria,
// Aria) call by call through misskey-js's `api.APIClient` against a Misskey-compatible server,
// and check every body against the shape misskey-js declares for that endpoint.
//
// Usage: node misskey_js_apps.mjs BASE_URL TOKEN
//
// The declared shapes are read from the pinned misskey-js's `built/autogen/types.d.ts`
// (generated from Misskey's OpenAPI document): `operations[<endpoint>].responses[200]`'s
// `components['schemas'][X]` (or `X[]`), and each schema's object members. A body passes when
// every required member is present, literal members (`type: 'mention'`) match, members typed
// `string`/`number`/`boolean` have that type (or null where declared), and members that are
// schemas themselves pass recursively (unions: one alternative; intersections: all). Endpoints
// whose answer is declared inline are checked for being an object/array only.
// Every body whose answer is a named schema is also validated with ajv against the JSON schema
// generated from the same types.d.ts by ts-json-schema-generator (`misskey_js_schema.mjs`,
// cached under target/misskey-js-schema/).
// Prints `OK <n> calls` on success; any failure → message on stderr, exit 1.
// The `i/registry/*` calls of the start-up are another issue's (18) and are not replayed.

import { readFileSync } from 'node:fs';
import { api as misskeyApi } from 'misskey-js';
import { validatorFor } from './misskey_js_schema.mjs';

function fail(message) {
	process.stderr.write(`misskey_js_apps: ${message}\n`);
	process.exit(1);
}
process.on('unhandledRejection', (reason) => fail(`unhandled rejection ${JSON.stringify(reason) ?? reason}`));

const [baseUrl, token] = process.argv.slice(2);
if (!baseUrl || !token) fail('usage: node misskey_js_apps.mjs BASE_URL TOKEN');

// --- the declared types ---------------------------------------------------------------------
const typesPath = new URL('./node_modules/misskey-js/built/autogen/types.d.ts', import.meta.url);
const lines = readFileSync(typesPath, 'utf8').split('\n');

/** Schema name → its declaration text (the lines after `        Name:` up to the next one). */
const schemas = new Map();
{
	const start = lines.findIndex((line) => line === '    schemas: {');
	let name = null;
	let body = [];
	for (let i = start + 1; i < lines.length; i++) {
		const line = lines[i];
		if (line === '    };') break;
		const head = /^ {8}([A-Za-z0-9_]+): (.*)$/.exec(line);
		if (head) {
			if (name) schemas.set(name, body.join('\n'));
			name = head[1];
			body = [head[2]];
		} else if (name) {
			body.push(line);
		}
	}
	if (name) schemas.set(name, body.join('\n'));
}

/** Endpoint → `{schema, array}` of its 200 answer (`null`: declared inline). */
function declaredAnswer(endpoint) {
	const key = endpoint.replaceAll('/', '___');
	const start = lines.findIndex((line) => line === `    ${key}: {` || line === `    '${key}': {`);
	if (start < 0) throw new Error(`${endpoint}: not an operation of misskey-js`);
	for (let i = start; i < Math.min(start + 400, lines.length); i++) {
		if (/^ {12}200: \{/.test(lines[i]) || /^ {12}204: \{/.test(lines[i])) {
			for (let j = i; j < i + 12; j++) {
				const ref = /'application\/json': components\['schemas'\]\['([A-Za-z0-9_]+)'\](\[\])?;/.exec(lines[j]);
				if (ref) return { schema: ref[1], array: ref[2] === '[]' };
				if (/'application\/json': /.test(lines[j])) return null;
			}
			return null;
		}
	}
	return null;
}

/** The alternatives of a declaration: object literals split at `} | {`, or refs. */
function alternatives(text) {
	const trimmed = text.trim().replace(/;$/, '');
	if (trimmed.startsWith('{')) {
		return trimmed.split(/\n {8}\} \| \{/).map((part) => ({ kind: 'object', text: part }));
	}
	return trimmed.split(' | ').map((part) => ({ kind: 'expr', text: part.trim() }));
}

/** The direct members of an object literal (12-space indent): name, optional, type. */
function members(text) {
	const out = [];
	for (const line of text.split('\n')) {
		const member = /^ {12}([A-Za-z0-9_]+)(\?)?: (.*)$/.exec(line);
		if (member) out.push({ name: member[1], optional: member[2] === '?', type: member[3].replace(/;$/, '') });
	}
	return out;
}

function checkType(value, type, path, depth) {
	const parts = type.split(' | ').map((p) => p.trim());
	if (value === null) {
		if (parts.includes('null')) return;
		throw new Error(`${path}: null, declared ${type}`);
	}
	const ok = parts.some((part) => {
		try {
			checkOne(value, part, path, depth);
			return true;
		} catch (error) {
			return false;
		}
	});
	if (!ok) {
		// Re-run the first non-null alternative for its message.
		const first = parts.find((p) => p !== 'null');
		checkOne(value, first, path, depth);
	}
}

function checkOne(value, part, path, depth) {
	const literal = /^'(.*)'$/.exec(part);
	if (literal) {
		if (value !== literal[1]) throw new Error(`${path}: ${JSON.stringify(value)} ≠ '${literal[1]}'`);
		return;
	}
	if (part === 'string' || part === 'number' || part === 'boolean') {
		if (typeof value !== part) throw new Error(`${path}: ${JSON.stringify(value)} is no ${part}`);
		return;
	}
	const ref = /^components\['schemas'\]\['([A-Za-z0-9_]+)'\](\[\])?$/.exec(part);
	if (ref) {
		if (ref[2]) {
			if (!Array.isArray(value)) throw new Error(`${path}: not an array`);
			value.forEach((item, index) => checkSchema(item, ref[1], `${path}[${index}]`, depth + 1));
		} else {
			checkSchema(value, ref[1], path, depth + 1);
		}
		return;
	}
	if (/\[\]$/.test(part) && !Array.isArray(value)) throw new Error(`${path}: not an array`);
	// Anything else (inline objects, records, unknown): present is enough.
}

function checkSchema(value, name, path, depth = 0) {
	if (depth > 6) return;
	const text = schemas.get(name);
	if (text === undefined) throw new Error(`${path}: unknown schema ${name}`);
	const errors = [];
	for (const alternative of alternatives(text)) {
		try {
			if (alternative.kind === 'object') {
				if (value === null || typeof value !== 'object') throw new Error(`${path}: not an object`);
				for (const member of members(alternative.text)) {
					if (!(member.name in value)) {
						if (!member.optional) throw new Error(`${path}.${member.name}: missing (${name})`);
						continue;
					}
					checkType(value[member.name], member.type, `${path}.${member.name}`, depth);
				}
			} else {
				for (const piece of alternative.text.split(' & ')) checkType(value, piece.trim(), path, depth);
			}
			return;
		} catch (error) {
			errors.push(error.message);
		}
	}
	throw new Error(errors.length === 1 ? errors[0] : `${path}: no ${name} alternative fits: ${errors.join(' / ')}`);
}

// --- the generated JSON schemas (ajv) -------------------------------------------------------
let validate = null;
/** `body` against the declared answer of `endpoint`: the hand checks, then the generated schema. */
function checkAnswer(endpoint, body, declared) {
	if (declared.array) {
		if (!Array.isArray(body)) throw new Error(`${endpoint}: not an array`);
		body.forEach((item, index) => checkSchema(item, declared.schema, `${endpoint}[${index}]`));
		body.forEach((item, index) => validate(item, declared.schema, `${endpoint}[${index}]`));
	} else {
		checkSchema(body, declared.schema, endpoint);
		validate(body, declared.schema, endpoint);
	}
}

// --- the replay -----------------------------------------------------------------------------
const client = new misskeyApi.APIClient({ origin: baseUrl, credential: token });

const sequences = {
	web: [
		['meta', { detail: true }], ['i', {}], ['emojis', {}], ['endpoints', {}],
		['announcements', { isActive: true, limit: 10 }], ['get-avatar-decorations', {}],
		['pinned-users', {}], ['antennas/list', {}], ['users/lists/list', {}], ['clips/list', {}],
		['channels/my-favorites', { limit: 100 }], ['channels/followed', { limit: 100 }],
		['i/notifications-grouped', { limit: 10 }], ['notes/timeline', { limit: 10 }],
		['hashtags/trend', {}], ['notes/featured', { limit: 10 }],
	],
	miria: [
		['endpoints', {}], ['meta', {}], ['i', {}], ['emojis', {}], ['antennas/list', {}],
		['users/lists/list', {}], ['clips/list', {}], ['channels/followed', {}],
		['channels/my-favorites', {}], ['i/notifications', { limit: 20 }],
		['notes/hybrid-timeline', { limit: 20 }], ['notes/local-timeline', { limit: 20 }],
		['notes/global-timeline', { limit: 20 }], ['notes/mentions', { limit: 20 }],
		['server-info', {}], ['stats', {}], ['ping', {}],
	],
	aria: [
		['meta', {}], ['i', {}], ['emojis', {}], ['get-online-users-count', {}],
		['i/notifications', { limit: 30, markAsRead: false }], ['notes/timeline', { limit: 30 }],
		['drive', {}], ['drive/files', { limit: 10 }], ['drive/folders', {}],
		['following/requests/list', {}], ['mute/list', {}], ['blocking/list', {}],
		['renote-mute/list', {}], ['i/favorites', {}],
	],
};

const inUseEndpoints = [
	'notes/create', 'notes/polls/vote',
	'notes/state', 'notes/show', 'notes/show-partial-bulk', 'notes/children', 'notes/replies',
	'notes/conversation', 'notes/reactions', 'notes/renotes', 'users/show', 'users/notes',
	'users/followers', 'users/following', 'users/relation', 'users/search', 'notes/search',
	'notes/search-by-tag',
];
{
	const replayed = [...Object.values(sequences).flat().map(([endpoint]) => endpoint), ...inUseEndpoints];
	const names = replayed.map(declaredAnswer).filter(Boolean).map((declared) => declared.schema);
	try {
		validate = validatorFor(names);
	} catch (error) {
		fail(`generating the JSON schemas: ${error.stack ?? error}`);
	}
}

let calls = 0;
let firstNote = null;
let me = null;
for (const [app, sequence] of Object.entries(sequences)) {
	for (const [endpoint, params] of sequence) {
		let body;
		try {
			body = await client.request(endpoint, params);
		} catch (error) {
			fail(`${app}: ${endpoint} rejected: ${JSON.stringify(error)}`);
		}
		calls++;
		const declared = declaredAnswer(endpoint);
		try {
			if (declared === null) {
				if (body === null || typeof body !== 'object') throw new Error(`${endpoint}: not JSON`);
			} else {
				checkAnswer(endpoint, body, declared);
			}
		} catch (error) {
			fail(`${app}: ${error.message}`);
		}
		if (endpoint === 'notes/timeline' && Array.isArray(body) && body.length > 0) firstNote = body[0];
		if (endpoint === 'i') me = body;
	}
}

// In use: the calls on a note and a user (notes/state, show-partial-bulk, user views).
if (firstNote && me) {
	const inUse = [
		['notes/state', { noteId: firstNote.id }], ['notes/show', { noteId: firstNote.id }],
		['notes/show-partial-bulk', { noteIds: [firstNote.id] }], ['notes/children', { noteId: firstNote.id }],
		['notes/replies', { noteId: firstNote.id }], ['notes/conversation', { noteId: firstNote.id }],
		['notes/reactions', { noteId: firstNote.id }], ['notes/renotes', { noteId: firstNote.id }],
		['users/show', { userId: firstNote.userId }],
		['users/notes', { userId: firstNote.userId, limit: 5 }], ['users/followers', { userId: me.id }],
		['users/following', { userId: me.id }], ['users/relation', { userId: firstNote.userId }],
		['users/search', { query: 'a' }], ['notes/search', { query: 'a' }],
		['notes/search-by-tag', { tag: 'pnutkey' }],
	];
	if (inUse.some(([endpoint]) => !inUseEndpoints.includes(endpoint))) fail('inUseEndpoints is incomplete');
	for (const [endpoint, params] of inUse) {
		let body;
		try {
			body = await client.request(endpoint, params);
		} catch (error) {
			fail(`in use: ${endpoint} rejected: ${JSON.stringify(error)}`);
		}
		calls++;
		const declared = declaredAnswer(endpoint);
		try {
			if (declared === null) continue;
			checkAnswer(endpoint, body, declared);
		} catch (error) {
			fail(`in use: ${error.message}`);
		}
	}
} else {
	fail('no note on the timeline to use');
}

// A poll: created, shown and voted on; its note (with `poll`) is a misskey-js Note.
{
	let created;
	try {
		created = await client.request('notes/create', { text: 'tea or coffee?', poll: { choices: ['tea', 'coffee'], expiredAfter: 3_600_000 } });
		await client.request('notes/polls/vote', { noteId: created.createdNote.id, choice: 1 });
	} catch (error) {
		fail(`poll: rejected: ${JSON.stringify(error)}`);
	}
	calls += 2;
	let shown;
	try {
		shown = await client.request('notes/show', { noteId: created.createdNote.id });
	} catch (error) {
		fail(`poll: notes/show rejected: ${JSON.stringify(error)}`);
	}
	calls++;
	try {
		for (const [what, note] of [['notes/create', created.createdNote], ['notes/show', shown]]) {
			checkSchema(note, 'Note', what);
			validate(note, 'Note', what);
			if (!note.poll || note.poll.choices.length !== 2) throw new Error(`${what}: no poll: ${JSON.stringify(note)}`);
		}
		if (!shown.poll.choices[1].isVoted || shown.poll.choices[1].votes !== 1) throw new Error(`notes/show: the vote is missing: ${JSON.stringify(shown.poll)}`);
	} catch (error) {
		fail(`poll: ${error.message}`);
	}
}

process.stdout.write(`OK ${calls} calls\n`);
process.exit(0);
