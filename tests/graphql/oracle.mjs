// tests/graphql/oracle.mjs - owned by the gql module: graphql-js v16 classifies every entry of
// tests/graphql/corpus.jsonl, and each answer must equal the entry's "expect" (and, for a
// valid document, "selects": the name of the operation that runs, "" when anonymous).
//
// graphql-js's answer is parse() (a syntax error: invalid), then validate() with the three
// document rules src/gql.c applies (errors: invalid), then getOperationAST(doc, operationName)
// (null: invalid; else its operation). On top of that, the places where src/gql.c is
// deliberately stricter than graphql-js v16 (see the top of src/gql.c) are applied here, so
// the corpus states one answer per document (and the names of the entries these rules decide
// say "stricter", which the oracle checks both ways):
//   - a description on an operation, a fragment or a variable definition: invalid (newer than
//     October 2021, where only type system definitions have descriptions);
//   - a control character other than tab, LF and CR anywhere: invalid (GraphQL October 2021
//     SourceCharacter; graphql-js v16 accepts them in comments and strings);
//   - a \u{...} escape in a string: invalid (newer than October 2021);
//   - selection sets, list and object values and list types nested deeper than 64: invalid.
//
// Usage: node tests/graphql/oracle.mjs [corpus.jsonl]. Prints one line per disagreement, then
// "N passed, N failed"; exits 1 on any disagreement. Needs the graphql package installed next to
// this file (npm ci --prefix tests/graphql).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import {
	ExecutableDefinitionsRule,
	Lexer,
	LoneAnonymousOperationRule,
	Source,
	TokenKind,
	UniqueOperationNamesRule,
	buildSchema,
	getOperationAST,
	parse,
	validate,
	version,
} from 'graphql';

const MAX_DEPTH = 64;
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
const RULES = [ExecutableDefinitionsRule, LoneAnonymousOperationRule, UniqueOperationNamesRule];
const SCHEMA = buildSchema('type Query { a: Int }');

function tokens(query) {
	const lexer = new Lexer(new Source(query));
	const out = [];

	for (let t = lexer.advance(); t.kind !== TokenKind.EOF; t = lexer.advance())
		out.push(t);
	return out;
}

// A \u{ escape: a backslash that is itself not escaped, then "u{".
function hasBraceEscape(raw) {
	for (let i = 0; i < raw.length - 1; i++) {
		if (raw[i] !== '\\')
			continue;
		if (raw[i + 1] === 'u' && raw[i + 2] === '{')
			return true;
		i++;
	}
	return false;
}

// graphql-js v16 alone: parse, the three rules, getOperationAST.
function graphqlJs(query, operationName) {
	let doc;

	try {
		doc = parse(query);
	} catch (e) {
		return { kind: 'invalid', why: e.message.split('\n')[0] };
	}
	const errors = validate(SCHEMA, doc, RULES);
	if (errors.length > 0)
		return { kind: 'invalid', why: errors[0].message };
	const op = getOperationAST(doc, operationName);
	if (op === null || op === undefined)
		return { kind: 'invalid', why: 'getOperationAST: no operation' };
	return { kind: op.operation, name: op.name ? op.name.value : '', doc };
}

// Why src/gql.c refuses a document graphql-js accepted, or null.
function stricterReason(query, doc) {
	let depth = 0;

	if (CONTROL.test(query))
		return 'control character';
	if (doc.definitions.some((d) => d.description ||
	    (d.variableDefinitions ?? []).some((v) => v.description)))
		return 'description on an executable definition';
	for (const t of tokens(query)) {
		if (t.kind === TokenKind.BRACE_L || t.kind === TokenKind.BRACKET_L) {
			if (++depth > MAX_DEPTH)
				return `nests deeper than ${MAX_DEPTH}`;
		} else if (t.kind === TokenKind.BRACE_R || t.kind === TokenKind.BRACKET_R) {
			depth--;
		} else if (t.kind === TokenKind.STRING &&
		    hasBraceEscape(query.slice(t.start, t.end))) {
			return '\\u{...} escape';
		}
	}
	return null;
}

function classify(query, operationName) {
	const plain = graphqlJs(query, operationName);

	if (plain.kind === 'invalid')
		return plain;
	const why = stricterReason(query, plain.doc);
	if (why !== null)
		return { kind: 'invalid', why, stricter: true };
	return plain;
}

function main() {
	const here = dirname(fileURLToPath(import.meta.url));
	const path = process.argv[2] ?? join(here, 'corpus.jsonl');
	const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
	let passed = 0, failed = 0;

	if (!version.startsWith('16.')) {
		console.log(`graphql ${version} installed, the oracle is graphql-js v16`);
		process.exit(2);
	}
	for (const line of lines) {
		const e = JSON.parse(line);
		const got = classify(e.query, e.operationName);
		let bad = got.kind !== e.expect;

		if (!bad && got.kind !== 'invalid' && got.name !== e.selects)
			bad = true;
		// Where we part from graphql-js, the entry's name says so.
		if (!bad && Boolean(got.stricter) !== e.name.includes('stricter')) {
			failed++;
			console.log(`MISMATCH ${e.name}: ` + (got.stricter ?
			    `graphql-js alone would accept it (${got.why}); name it "..._stricter_than_graphql_js"` :
			    'named "stricter" but graphql-js alone gives the same answer'));
			continue;
		}
		if (bad) {
			failed++;
			console.log(`MISMATCH ${e.name}: expect ${e.expect}` +
			    (e.expect === 'invalid' ? '' : ` selecting ${JSON.stringify(e.selects)}`) +
			    `, graphql-js says ${got.kind}` +
			    (got.kind === 'invalid' ? ` (${got.why})` : ` selecting ${JSON.stringify(got.name)}`));
		} else
			passed++;
	}
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed === 0 ? 0 : 1);
}

main();
