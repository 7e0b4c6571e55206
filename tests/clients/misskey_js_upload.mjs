// Upload a file as a Misskey app does it: misskey-js's `api.APIClient` sends
// `drive/files/create` as multipart/form-data (the token as the `i` field, the file as a part).
// The answer must have every member misskey-js declares for `DriveFile`
// (`built/autogen/types.d.ts`) with its declared primitive type; the file is then attached to a
// note with `notes/create` `fileIds` and must come back in the note's `files` as that file (same
// id, URL, name and type; `drive/files/show` takes the id back).
//
// Usage: node misskey_js_upload.mjs BASE_URL TOKEN
// Prints `OK <file id>` on success; any failure → message on stderr, exit 1.

import { readFileSync } from 'node:fs';
import { api as misskeyApi } from 'misskey-js';

function fail(message) {
	process.stderr.write(`misskey_js_upload: ${message}\n`);
	process.exit(1);
}
process.on('unhandledRejection', (reason) => fail(`unhandled rejection ${JSON.stringify(reason) ?? reason}`));

const [baseUrl, token] = process.argv.slice(2);
if (!baseUrl || !token) fail('usage: node misskey_js_upload.mjs BASE_URL TOKEN');

/** The direct members of `DriveFile` as misskey-js declares them: name, optional, type. */
function driveFileMembers() {
	const path = new URL('./node_modules/misskey-js/built/autogen/types.d.ts', import.meta.url);
	const lines = readFileSync(path, 'utf8').split('\n');
	const start = lines.indexOf('        DriveFile: {');
	if (start < 0) fail('DriveFile is not declared by misskey-js');
	const members = [];
	for (let i = start + 1; i < lines.length && lines[i] !== '        };'; i++) {
		const member = /^ {12}([A-Za-z0-9_]+)(\?)?: (.*)$/.exec(lines[i]);
		if (member) members.push({ name: member[1], optional: member[2] === '?', type: member[3].replace(/;$/, '') });
	}
	return members;
}

function checkDriveFile(file, path) {
	if (file === null || typeof file !== 'object') fail(`${path}: not an object`);
	for (const { name, optional, type } of driveFileMembers()) {
		if (!(name in file)) {
			if (optional) continue;
			fail(`${path}.${name}: missing`);
		}
		const value = file[name];
		const parts = type.split(' | ').map((part) => part.trim());
		if (value === null) {
			if (!parts.includes('null')) fail(`${path}.${name}: null, declared ${type}`);
			continue;
		}
		const primitive = parts.find((part) => ['string', 'number', 'boolean'].includes(part));
		if (primitive && typeof value !== primitive) fail(`${path}.${name}: ${JSON.stringify(value)} is no ${primitive}`);
		if (type.startsWith('{') && typeof value !== 'object') fail(`${path}.${name}: not an object`);
	}
}

const client = new misskeyApi.APIClient({ origin: baseUrl, credential: token });
const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1, 2, 3, 0xff]);
let file;
try {
	file = await client.request('drive/files/create', {
		name: 'from-misskey-js.png',
		force: false,
		isSensitive: false,
		file: new File([bytes], 'blob.png', { type: 'image/png' }),
	});
} catch (error) {
	fail(`drive/files/create rejected: ${JSON.stringify(error)}`);
}
checkDriveFile(file, 'drive/files/create');
if (file.name !== 'from-misskey-js.png') fail(`name ${file.name}`);
if (file.type !== 'image/png') fail(`type ${file.type}`);
if (file.size !== bytes.length) fail(`size ${file.size}`);

let created;
try {
	created = await client.request('notes/create', { text: 'uploaded with misskey-js', fileIds: [file.id] });
} catch (error) {
	fail(`notes/create rejected: ${JSON.stringify(error)}`);
}
const files = created?.createdNote?.files ?? [];
// The note's file is the drive file: the same id (drive/files/show takes it back), URL,
// name and type.
if (files.length !== 1 || files[0].id !== file.id || files[0].url !== file.url
	|| files[0].name !== file.name || files[0].type !== file.type) {
	fail(`note files ${JSON.stringify(files)}, uploaded ${JSON.stringify(file)}`);
}
if (created.createdNote.fileIds?.[0] !== file.id) fail(`note fileIds ${JSON.stringify(created.createdNote.fileIds)}`);
let shown;
try {
	shown = await client.request('drive/files/show', { fileId: files[0].id });
} catch (error) {
	fail(`drive/files/show of the note's file rejected: ${JSON.stringify(error)}`);
}
if (shown.id !== file.id || shown.name !== file.name) fail(`drive/files/show ${JSON.stringify(shown)}`);
checkDriveFile(files[0], 'notes/create.createdNote.files[0]');

// Without a file: Misskey's error, which misskey-js rejects with.
try {
	await client.request('drive/files/create', { name: 'nothing' });
	fail('drive/files/create without a file resolved');
} catch (error) {
	if (error.code !== 'FILE_REQUIRED') fail(`no file: ${JSON.stringify(error)}`);
}

process.stdout.write(`OK ${file.id}\n`);
process.exit(0);
