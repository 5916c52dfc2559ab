#!/usr/bin/env node
// Interop harness: encodes/decodes Kafka record values with Confluent's own JavaScript
// schema registry client (@confluentinc/schemaregistry AvroSerializer / AvroDeserializer),
// so a Java test can prove byte compatibility of its Confluent-wire-format Avro serde.
//
//   node interop.mjs encode --registry URL --topic TOPIC --schema-file FILE.avsc --values-file VALUES.json
//     -> stdout: {"hex":"00<4-byte id><avro binary>"}
//   node interop.mjs decode --registry URL --topic TOPIC --hex HEX
//     -> stdout: {"schemaId":N,"values":{...canonical JSON...}}
//
// Errors: message on stderr, exit code 1. Set INTEROP_TRACE=1 to log every registry HTTP call
// to stderr.
//
// Canonical JSON (both directions): records -> objects keyed by Avro field name (schema order);
// string/enum -> string; int/long/float/double -> number; boolean -> boolean; null -> null;
// union -> the plain branch value (never {"type": value}); map -> object; array -> array;
// timestamp-millis (and every other int/long logical type) -> the underlying number (epoch millis);
// decimal (bytes or fixed) -> decimal string with exactly `scale` fraction digits;
// bytes/fixed without decimal -> lowercase hex string.

import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import {
  AvroDeserializer,
  AvroSerializer,
  SchemaRegistryClient,
  SerdeType,
  SubjectNameStrategyType,
} from '@confluentinc/schemaregistry';

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

class UsageError extends Error {}

function parseArgs(argv) {
  const [mode, ...rest] = argv;
  const opts = {};
  for (let i = 0; i < rest.length; i++) {
    const key = rest[i];
    if (!key.startsWith('--') || i + 1 >= rest.length) {
      throw new UsageError(`bad argument: ${key}`);
    }
    opts[key.slice(2)] = rest[++i];
  }
  const required = mode === 'encode' ? ['registry', 'topic', 'schema-file', 'values-file']
    : mode === 'decode' ? ['registry', 'topic', 'hex'] : null;
  if (required == null) {
    throw new UsageError(`unknown mode ${JSON.stringify(mode)}`);
  }
  for (const r of required) {
    if (opts[r] == null) throw new UsageError(`missing --${r}`);
  }
  return { mode, opts };
}

function newClient(url) {
  const client = new SchemaRegistryClient({
    baseURLs: [url],
    maxRetries: 2,
    retriesWaitMs: 200,
    retriesMaxWaitMs: 1000,
  });
  if (process.env.INTEROP_TRACE) {
    const axios = client.restService.client;
    axios.interceptors.request.use((cfg) => {
      process.stderr.write(`[trace] ${cfg.method.toUpperCase()} ${cfg.baseURL ?? ''}${cfg.url}\n`);
      return cfg;
    });
    axios.interceptors.response.use(
      (res) => {
        process.stderr.write(`[trace]   -> ${res.status} ${JSON.stringify(res.data)}\n`);
        return res;
      },
      (err) => {
        process.stderr.write(`[trace]   -> ${err.response?.status ?? err.code} ${JSON.stringify(err.response?.data ?? '')}\n`);
        return Promise.reject(err);
      },
    );
  }
  return client;
}

// ---------------------------------------------------------------------------------------------
// Schema walking. The JSON schema (as stored in the registry) gives the logical types; the avsc
// Type built by the Confluent serde itself (serde.toType) tells whether avsc wraps a union.
// Both are walked in parallel.

function fullName(name, ns) {
  if (name.includes('.')) return name;
  return ns ? `${ns}.${name}` : name;
}

function collectNamed(schema, ns, named) {
  if (typeof schema === 'string' || schema == null) return;
  if (Array.isArray(schema)) {
    for (const s of schema) collectNamed(s, ns, named);
    return;
  }
  const t = schema.type;
  if (t === 'record' || t === 'error' || t === 'enum' || t === 'fixed') {
    const fn = fullName(schema.name, schema.namespace ?? ns);
    named.set(fn, schema);
    const innerNs = fn.includes('.') ? fn.slice(0, fn.lastIndexOf('.')) : '';
    if (t !== 'enum' && t !== 'fixed') {
      for (const f of schema.fields) collectNamed(f.type, innerNs, named);
    }
  } else if (t === 'array') {
    collectNamed(schema.items, ns, named);
  } else if (t === 'map') {
    collectNamed(schema.values, ns, named);
  } else if (typeof t === 'object') {
    collectNamed(t, ns, named);
  }
}

// Resolves a JSON schema node to { node, ns } where node is an object with a string `type`
// (primitive names are turned into { type: name }) or an array (union).
function resolve(schema, ns, named) {
  if (typeof schema === 'string') {
    if (PRIMITIVES.has(schema)) return { node: { type: schema }, ns };
    const fn = named.has(fullName(schema, ns)) ? fullName(schema, ns) : schema;
    const node = named.get(fn);
    if (node == null) throw new Error(`unknown named type ${schema}`);
    return { node, ns: fn.includes('.') ? fn.slice(0, fn.lastIndexOf('.')) : '' };
  }
  if (Array.isArray(schema)) return { node: schema, ns };
  if (typeof schema.type === 'object' || (typeof schema.type === 'string' && !PRIMITIVES.has(schema.type)
      && !['record', 'error', 'enum', 'fixed', 'array', 'map'].includes(schema.type))) {
    // {"type": {...}} or {"type": "SomeNamedType"}
    return resolve(schema.type, ns, named);
  }
  if (['record', 'error', 'enum', 'fixed'].includes(schema.type)) {
    const fn = fullName(schema.name, schema.namespace ?? ns);
    return { node: schema, ns: fn.includes('.') ? fn.slice(0, fn.lastIndexOf('.')) : '' };
  }
  return { node: schema, ns };
}

function isDecimal(node) {
  return (node.type === 'bytes' || node.type === 'fixed') && node.logicalType === 'decimal';
}

function isPlainObject(v) {
  return v != null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
}

const DECIMAL_RE = /^([+-]?)(\d+)(?:\.(\d*))?$/;
const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

// Does the canonical JSON value fit the schema? (used to choose a union branch when encoding)
function fitsCanonical(schema, ns, named, v) {
  const { node, ns: nns } = resolve(schema, ns, named);
  if (Array.isArray(node)) return node.some((b) => fitsCanonical(b, nns, named, v));
  switch (node.type) {
    case 'null': return v === null;
    case 'boolean': return typeof v === 'boolean';
    case 'int': return Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX;
    case 'long': return Number.isSafeInteger(v);
    case 'float':
    case 'double': return typeof v === 'number';
    case 'string': return typeof v === 'string';
    case 'bytes':
      return typeof v === 'string' && (isDecimal(node) ? DECIMAL_RE.test(v) : HEX_RE.test(v));
    case 'fixed':
      return typeof v === 'string' && (isDecimal(node) ? DECIMAL_RE.test(v) : (HEX_RE.test(v) && v.length === node.size * 2));
    case 'enum': return typeof v === 'string' && node.symbols.includes(v);
    case 'array': return Array.isArray(v) && v.every((x) => fitsCanonical(node.items, nns, named, x));
    case 'map': return isPlainObject(v) && Object.values(v).every((x) => fitsCanonical(node.values, nns, named, x));
    case 'record':
    case 'error': {
      if (!isPlainObject(v)) return false;
      const names = new Set(node.fields.map((f) => f.name));
      if (Object.keys(v).some((k) => !names.has(k))) return false;
      return node.fields.every((f) => (f.name in v
        ? fitsCanonical(f.type, nns, named, v[f.name])
        : f.default !== undefined));
    }
    default: return false;
  }
}

// --- decimal <-> two's complement big-endian unscaled integer ---------------------------------

function decimalStringToUnscaled(str, scale) {
  const m = DECIMAL_RE.exec(str);
  if (!m) throw new Error(`not a decimal string: ${JSON.stringify(str)}`);
  const [, sign, intPart, fracRaw = ''] = m;
  let frac = fracRaw;
  if (frac.length > scale) {
    if (/[^0]/.test(frac.slice(scale))) {
      throw new Error(`decimal ${str} has more than scale=${scale} fraction digits`);
    }
    frac = frac.slice(0, scale);
  }
  frac = frac.padEnd(scale, '0');
  const unscaled = BigInt(intPart + frac);
  return sign === '-' ? -unscaled : unscaled;
}

// Minimal two's complement big-endian encoding, identical to java.math.BigInteger#toByteArray.
function bigIntToTwosComplement(n) {
  let hex;
  if (n >= 0n) {
    hex = n.toString(16);
    if (hex.length % 2) hex = '0' + hex;
    if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = '00' + hex;
  } else {
    // smallest byte length L such that -2^(8L-1) <= n
    let len = 1;
    while (n < -(1n << BigInt(8 * len - 1))) len++;
    hex = ((1n << BigInt(8 * len)) + n).toString(16).padStart(len * 2, '0');
  }
  return Buffer.from(hex, 'hex');
}

function twosComplementToBigInt(buf) {
  if (buf.length === 0) return 0n;
  let n = BigInt('0x' + buf.toString('hex'));
  if (buf[0] & 0x80) n -= 1n << BigInt(buf.length * 8);
  return n;
}

function unscaledToDecimalString(n, scale) {
  const neg = n < 0n;
  let digits = (neg ? -n : n).toString();
  let out;
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    out = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  } else {
    out = digits;
  }
  return neg ? `-${out}` : out;
}

// --- canonical -> avsc in-memory value (what AvroSerializer.serialize expects) ----------------

function toAvsc(schema, ns, named, avscType, v, path) {
  const { node, ns: nns } = resolve(schema, ns, named);
  if (Array.isArray(node)) {
    const idx = node.findIndex((b) => fitsCanonical(b, nns, named, v));
    if (idx < 0) throw new Error(`${path}: value ${JSON.stringify(v)} fits no branch of union ${JSON.stringify(node)}`);
    const branchType = avscType.types[idx];
    const inner = toAvsc(node[idx], nns, named, branchType, v, path);
    if (avscType.typeName === 'union:wrapped') {
      return inner === null ? null : { [branchType.branchName]: inner };
    }
    return inner;
  }
  switch (node.type) {
    case 'bytes':
    case 'fixed': {
      if (typeof v !== 'string') throw new Error(`${path}: expected string for ${node.type}`);
      if (!isDecimal(node)) return Buffer.from(v, 'hex');
      const buf = bigIntToTwosComplement(decimalStringToUnscaled(v, node.scale ?? 0));
      if (node.type === 'bytes') return buf;
      if (buf.length > node.size) throw new Error(`${path}: decimal ${v} does not fit fixed(${node.size})`);
      const fill = (buf[0] & 0x80) ? 0xff : 0x00;
      return Buffer.concat([Buffer.alloc(node.size - buf.length, fill), buf]);
    }
    case 'array':
      if (!Array.isArray(v)) throw new Error(`${path}: expected array`);
      return v.map((x, i) => toAvsc(node.items, nns, named, avscType.itemsType, x, `${path}[${i}]`));
    case 'map': {
      if (!isPlainObject(v)) throw new Error(`${path}: expected object for map`);
      const out = {};
      for (const [k, x] of Object.entries(v)) {
        out[k] = toAvsc(node.values, nns, named, avscType.valuesType, x, `${path}.${k}`);
      }
      return out;
    }
    case 'record':
    case 'error': {
      if (!isPlainObject(v)) throw new Error(`${path}: expected object for record ${node.name}`);
      const known = new Set(node.fields.map((f) => f.name));
      for (const k of Object.keys(v)) {
        if (!known.has(k)) throw new Error(`${path}: unknown field ${k} for record ${node.name}`);
      }
      const out = {};
      node.fields.forEach((f, i) => {
        if (f.name in v) {
          out[f.name] = toAvsc(f.type, nns, named, avscType.fields[i].type, v[f.name], `${path}.${f.name}`);
        } else if (f.default !== undefined) {
          // absent field: the Avro default declared in the schema, as avsc parsed it
          out[f.name] = avscType.fields[i].defaultValue();
        }
      });
      return out;
    }
    default:
      // null, boolean, int, long (incl. timestamp-millis etc.), float, double, string, enum
      return v;
  }
}

// --- avsc in-memory value (what AvroDeserializer.deserialize returns) -> canonical -------------

function fromAvsc(schema, ns, named, avscType, v, path) {
  const { node, ns: nns } = resolve(schema, ns, named);
  if (Array.isArray(node)) {
    let idx;
    let inner = v;
    if (avscType.typeName === 'union:wrapped') {
      if (v === null) {
        idx = avscType.types.findIndex((t) => t.typeName === 'null');
      } else {
        const [key] = Object.keys(v);
        idx = avscType.types.findIndex((t) => t.branchName === key);
        inner = v[key];
      }
    } else {
      idx = avscType.types.findIndex((t) => t.isValid(v));
    }
    if (idx < 0) throw new Error(`${path}: cannot determine union branch of decoded value`);
    return fromAvsc(node[idx], nns, named, avscType.types[idx], inner, path);
  }
  switch (node.type) {
    case 'bytes':
    case 'fixed':
      if (!Buffer.isBuffer(v)) throw new Error(`${path}: expected Buffer for ${node.type}, got ${typeof v}`);
      return isDecimal(node)
        ? unscaledToDecimalString(twosComplementToBigInt(v), node.scale ?? 0)
        : v.toString('hex');
    case 'long':
    case 'int':
      if (typeof v !== 'number') throw new Error(`${path}: expected number for ${node.type}, got ${typeof v}`);
      return v;
    case 'array':
      return v.map((x, i) => fromAvsc(node.items, nns, named, avscType.itemsType, x, `${path}[${i}]`));
    case 'map': {
      const out = {};
      for (const k of Object.keys(v)) {
        out[k] = fromAvsc(node.values, nns, named, avscType.valuesType, v[k], `${path}.${k}`);
      }
      return out;
    }
    case 'record':
    case 'error': {
      const out = {};
      node.fields.forEach((f, i) => {
        out[f.name] = fromAvsc(f.type, nns, named, avscType.fields[i].type, v[f.name], `${path}.${f.name}`);
      });
      return out;
    }
    default:
      return v;
  }
}

// ---------------------------------------------------------------------------------------------

const serdeConf = (extra) => ({
  // Plain TopicNameStrategy: subject = <topic>-value. (The library default, ASSOCIATED, would
  // first query /associations, which Apicurio does not implement.)
  subjectNameStrategyType: SubjectNameStrategyType.TOPIC,
  ...extra,
});

async function encode(opts) {
  const schemaText = readFileSync(opts['schema-file'], 'utf8');
  const values = JSON.parse(readFileSync(opts['values-file'], 'utf8'));
  const client = newClient(opts.registry);
  const subject = `${opts.topic}-value`;

  // Auto-registration of the given schema (POST /subjects/{subject}/versions) - the same call the
  // serializer makes with autoRegisterSchemas=true; an identical schema gets the existing id back.
  // It is done explicitly because AvroSerializer.serialize() with autoRegisterSchemas=true
  // registers a schema *inferred from the JS value* (avsc Type.forValue, records named Record1...),
  // not the .avsc file.
  // The schema text is sent verbatim (only trimmed): Apicurio 2.4.2 compares schema *text*, so an
  // equivalent but differently formatted schema would be registered as a new version with a new id.
  JSON.parse(schemaText); // fail early on a malformed file
  const id = await client.register(subject, { schemaType: 'AVRO', schema: schemaText.trim() });

  const ser = new AvroSerializer(client, SerdeType.VALUE, serdeConf({ autoRegisterSchemas: false, useSchemaId: id }));
  // Same SchemaInfo the serializer will use (cached by the client), and the avsc Type it builds.
  const info = await client.getBySubjectAndId(subject, id);
  const [avscType] = await ser.toType(info);
  const schemaJson = JSON.parse(info.schema);
  const named = new Map();
  collectNamed(schemaJson, '', named);
  const msg = toAvsc(schemaJson, '', named, avscType, values, '$');

  const bytes = await ser.serialize(opts.topic, msg);
  return { hex: Buffer.from(bytes).toString('hex') };
}

async function decode(opts) {
  const hex = opts.hex.trim().toLowerCase();
  if (!/^[0-9a-f]*$/.test(hex) || hex.length % 2) throw new Error('--hex is not a hex string');
  const payload = Buffer.from(hex, 'hex');
  if (payload.length < 5 || payload[0] !== 0) {
    throw new Error(`not Confluent wire format (magic 0 + 4-byte id): ${hex.slice(0, 10)}`);
  }
  const schemaId = payload.readUInt32BE(1);
  const client = newClient(opts.registry);
  const des = new AvroDeserializer(client, SerdeType.VALUE, serdeConf({}));
  const msg = await des.deserialize(opts.topic, payload);

  // Writer schema, as fetched by the deserializer (served from the client's cache).
  const info = await client.getBySubjectAndId(`${opts.topic}-value`, schemaId);
  const [avscType] = await des.toType(info);
  const schemaJson = JSON.parse(info.schema);
  const named = new Map();
  collectNamed(schemaJson, '', named);
  if (process.env.INTEROP_TRACE) {
    process.stderr.write(`[trace] raw decoded value: ${inspect(msg, { depth: 10, breakLength: Infinity })}\n`);
  }
  return { schemaId, values: fromAvsc(schemaJson, '', named, avscType, msg, '$') };
}

async function main() {
  let parsed;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\nusage:\n`
      + '  node interop.mjs encode --registry URL --topic TOPIC --schema-file FILE.avsc --values-file VALUES.json\n'
      + '  node interop.mjs decode --registry URL --topic TOPIC --hex HEX\n');
    process.exit(1);
  }
  try {
    const result = parsed.mode === 'encode' ? await encode(parsed.opts) : await decode(parsed.opts);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  } catch (e) {
    const detail = e?.response?.data ? ` ${JSON.stringify(e.response.data)}` : '';
    process.stderr.write(`interop ${parsed.mode} failed: ${e?.stack ?? e}${detail}\n`);
    process.exit(1);
  }
}

main();
