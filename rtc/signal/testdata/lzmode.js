// Emulates an RTChat browser in "LZ mode" receiving MQTT payloads (wire spec §2.2), with
// the real npm lz-string@1.4.4. Used by rtc/signal's Go tests.
//
// Usage: node lzmode.js <repo root>  (stdin: JSON array of payload hex strings;
// stdout: JSON array of {"ok":bool, "path":"lz"|"fallback"|"dropped", "sender":…, "why":…})
//
// Receive path (mqtt-rtc-client.js _onMQTTMessage as described in §2.2):
//   try decompressFromUint8Array(payload)
//     → throws (odd length: RangeError)  → fallback: UTF-8 decode + JSON.parse
//     → "" or null                      → nothing to parse: dropped
//     → non-empty string                → JSON.parse
//   then the message must be an object with a truthy sender.
'use strict';
const root = process.argv[2] || process.cwd();
let LZString;
try {
  LZString = require(require.resolve('lz-string', { paths: [root] }));
} catch (e) {
  process.stderr.write(`cannot load lz-string from ${root}/node_modules (${e.message}); run \`npm ci\` at the repo root\n`);
  process.exit(3);
}

function receive(payload) {
  let text, path;
  try {
    text = LZString.decompressFromUint8Array(payload);
    path = 'lz';
  } catch (e) {
    text = new TextDecoder('utf-8').decode(payload);
    path = 'fallback';
  }
  if (!text) return { ok: false, path: 'dropped', why: 'nothing to parse' };
  let msg;
  try {
    msg = JSON.parse(text);
  } catch (e) {
    return { ok: false, path, why: 'JSON: ' + e.message };
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return { ok: false, path, why: 'not an object' };
  if (!msg.sender) return { ok: false, path, why: 'no sender' };
  return { ok: true, path, sender: msg.sender, subtopic: msg.subtopic, data: msg.data === undefined ? '(absent)' : msg.data };
}

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const hexes = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  process.stdout.write(JSON.stringify(hexes.map((h) => receive(new Uint8Array(Buffer.from(h, 'hex'))))));
});
