// Cross-check helper for rtc/lzstring's Go tests: runs the real npm lz-string@1.4.4.
//
// Usage: node crosscheck.js <repo root>   (request JSON on stdin, response JSON on stdout)
//
// Request:  {"compress":   [<UTF-16BE hex of a JS string>, ...],
//            "decompress": [<hex of a Uint8Array>, ...]}
// Response: {"version": "<lz-string version>",
//            "compress":   [<hex of compressToUint8Array(string)>, ...],
//            "decompress": [{"t":"s","h":<UTF-16BE hex of the result>} | {"t":"null"} |
//                           {"t":"throw","e":<error name>}, ...]}
//
// Strings travel as UTF-16 code units (not JSON strings) so that lone surrogates survive.
'use strict';
const path = require('path');

const root = process.argv[2] || process.cwd();
let LZString, version;
try {
  const main = require.resolve('lz-string', { paths: [root] });
  LZString = require(main);
  version = require(path.join(path.dirname(main), '..', 'package.json')).version;
} catch (e) {
  process.stderr.write(`cannot load lz-string from ${root}/node_modules (${e.message}); run \`npm ci\` at the repo root\n`);
  process.exit(3);
}

function unitsFromHex(h) {
  const b = Buffer.from(h, 'hex');
  const parts = [];
  for (let i = 0; i + 1 < b.length; i += 2) parts.push(String.fromCharCode(b.readUInt16BE(i)));
  return parts.join('');
}

function hexFromString(s) {
  const b = Buffer.alloc(2 * s.length);
  for (let i = 0; i < s.length; i++) b.writeUInt16BE(s.charCodeAt(i), 2 * i);
  return b.toString('hex');
}

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const req = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const res = { version, compress: [], decompress: [] };
  for (const h of req.compress || []) {
    res.compress.push(Buffer.from(LZString.compressToUint8Array(unitsFromHex(h))).toString('hex'));
  }
  for (const h of req.decompress || []) {
    try {
      const out = LZString.decompressFromUint8Array(new Uint8Array(Buffer.from(h, 'hex')));
      res.decompress.push(out === null ? { t: 'null' } : { t: 's', h: hexFromString(out) });
    } catch (e) {
      res.decompress.push({ t: 'throw', e: e.name });
    }
  }
  process.stdout.write(JSON.stringify(res));
});
