// JSON schemas of misskey-js's declared answer types, generated from the pinned misskey-js's
// `built/autogen/types.d.ts` with the pinned ts-json-schema-generator, cached, and validated
// with the pinned ajv.
//
// `Endpoints[E]['res']` cannot be handed to the generator directly: it resolves through
// `operations` (27k lines; the generator does not finish in minutes) and through an imported
// `components`, which the generator reads as `never` because openapi-typescript declares
// `responses: never` (and friends) in it. So the schemas are generated for the named entity
// types the answers resolve to (`components['schemas'][X]`: Note, UserDetailed, MeDetailed,
// DriveFile, Notification, …): the `components` declaration of types.d.ts is written, with
// those `never` placeholders dropped, into a cache directory as one exported alias per schema
// (see `schemasSource`), and the generator runs on that file: every schema is generated.
//
// Cache: target/misskey-js-schema/ (ignored by git), keyed by the sha256 of types.d.ts, the
// generator's version and `SCHEME`; regenerated when any changes. `node misskey_js_schema.mjs NAME...` fills it
// (tests/clients/setup.sh does, for the names the replay needs).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import { createGenerator } from 'ts-json-schema-generator';

const typesUrl = new URL('./node_modules/misskey-js/built/autogen/types.d.ts', import.meta.url);
const generatorManifest = new URL('./node_modules/ts-json-schema-generator/package.json', import.meta.url);
const cacheUrl = new URL('../../target/misskey-js-schema/', import.meta.url);
/** Bumped when the way the schema is built changes (part of the cache key). */
const SCHEME = 'schemas-v1';

/**
 * The `schemas` of types.d.ts's `components` as a local `Schemas` type, each schema also as an
 * exported alias `S_<Name> = Schemas['<Name>']`, references between them
 * (`components['schemas']['X']`) rewritten to those aliases: the generator resolves one-level
 * indexed access on a local type literal, but mixes up ids on the nested
 * `components['schemas']['X']` form, and reads the whole `components` as `never` (its
 * `responses: never` and friends).
 */
function schemasSource(text) {
	const lines = text.split('\n');
	const start = lines.indexOf('export type components = {');
	if (start < 0 || lines[start + 1] !== '    schemas: {') throw new Error('types.d.ts: no `components.schemas`');
	const end = lines.indexOf('    };', start);
	const body = lines.slice(start + 2, end);
	const names = body.map((line) => /^ {8}([A-Za-z0-9_]+)\??: /.exec(line)?.[1]).filter(Boolean);
	const source = ['type Schemas = {', ...body, '};']
		.join('\n')
		.replaceAll(/components\['schemas'\]\['([A-Za-z0-9_]+)'\]/g, 'S_$1');
	const aliases = names.map((name) => `export type S_${name} = Schemas['${name}'];`);
	return { source: `${source}\n${aliases.join('\n')}\n`, names };
}

/** `{definitions}` for `names` (each as `definitions[name]`), from the cache or generated. */
export function schemasFor(names) {
	const wanted = [...new Set(names)].sort();
	const text = readFileSync(typesUrl, 'utf8');
	const generatorVersion = JSON.parse(readFileSync(generatorManifest, 'utf8')).version;
	const key = createHash('sha256').update(text).update(generatorVersion).update(SCHEME).digest('hex').slice(0, 16);
	const cached = new URL(`schema-${key}.json`, cacheUrl);
	if (existsSync(cached)) {
		const schema = JSON.parse(readFileSync(cached, 'utf8'));
		const missing = wanted.filter((name) => !schema.definitions[name]);
		if (missing.length > 0) throw new Error(`misskey-js declares no schema ${missing.join(', ')}`);
		return schema;
	}
	mkdirSync(cacheUrl, { recursive: true });
	const entry = new URL(`entry-${key}.ts`, cacheUrl);
	const { source, names: declared } = schemasSource(text);
	for (const name of wanted) {
		if (!declared.includes(name)) throw new Error(`misskey-js declares no schema ${name}`);
	}
	writeFileSync(entry, source);
	const generator = createGenerator({
		path: fileURLToPath(entry),
		type: '*',
		expose: 'export',
		topRef: true,
		jsDoc: 'none',
		skipTypeCheck: true,
		// Members misskey-js does not declare are not checked (the bridge may send more).
		additionalProperties: true,
	});
	const generated = generator.createSchema('*');
	// `definitions[Name]`, references included, rather than `S_Name`.
	const renamed = JSON.parse(JSON.stringify(generated.definitions).replaceAll('#/definitions/S_', '#/definitions/'));
	const schema = { definitions: Object.fromEntries(Object.entries(renamed).map(([name, def]) => [name.replace(/^S_/, ''), def])) };
	for (const name of wanted) {
		const definition = schema.definitions[name];
		if (!definition || definition.not) throw new Error(`misskey-js schema ${name}: not generated (${JSON.stringify(definition)})`);
	}
	writeFileSync(cached, JSON.stringify(schema));
	return schema;
}

/** A validator: `validate(value, name)` throws with ajv's errors when `value` is no `name`. */
export function validatorFor(names) {
	const schema = schemasFor(names);
	const ajv = new Ajv({ strict: false, allErrors: false });
	ajv.addSchema({ ...schema, $id: 'misskey-js' });
	return (value, name, path) => {
		const validate = ajv.getSchema(`misskey-js#/definitions/${name}`);
		if (!validate) throw new Error(`${path}: no schema ${name}`);
		if (!validate(value)) {
			const errors = validate.errors.slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
			throw new Error(`${path}: not a misskey-js ${name}: ${errors.join('; ')}`);
		}
	};
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const names = process.argv.slice(2);
	if (names.length === 0) {
		process.stderr.write('usage: node misskey_js_schema.mjs SCHEMA_NAME...\n');
		process.exit(1);
	}
	const started = Date.now();
	const schema = schemasFor(names);
	process.stdout.write(`misskey_js_schema: ${Object.keys(schema.definitions).length} definitions (${Date.now() - started} ms)\n`);
}
