// Cross-checks rtchat's keys against WebCrypto (Node's crypto.subtle implements the same API
// the RTChat web client uses). Called by keys tests: reads one JSON request on stdin, writes
// one JSON result on stdout. Byte values travel as hex.
const { subtle } = globalThis.crypto;
const alg = { name: 'RSA-PSS', hash: 'SHA-256' };
const pss = { name: 'RSA-PSS', saltLength: 32 };
const hex = (buf) => Buffer.from(buf).toString('hex');
const unhex = (h) => new Uint8Array(Buffer.from(h, 'hex'));

async function attempt(fn) {
  try { return { ok: true, value: await fn() }; } catch (e) { return { ok: false, error: String(e) }; }
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', async () => {
  const req = JSON.parse(input);
  const msg = unhex(req.msg);
  const out = {};

  // (a) Go's JWK strings import exactly as the web client imports them.
  const pub = await attempt(() => subtle.importKey('jwk', JSON.parse(req.goPublicJWK), alg, true, ['verify']));
  const priv = await attempt(() => subtle.importKey('jwk', JSON.parse(req.goPrivateJWK), alg, true, ['sign']));
  out.importPublic = pub.ok ? 'ok' : pub.error;
  out.importPrivate = priv.ok ? 'ok' : priv.error;
  if (pub.ok) {
    // (b) a Go signature (salt 32) verifies; (d) Go's default (max salt) does not.
    out.verifyGoSig = await subtle.verify(pss, pub.value, unhex(req.goSig), msg);
    out.verifyGoSigDefaultSalt = await subtle.verify(pss, pub.value, unhex(req.goSigDefault), msg);
    out.verifyGoSigOtherMsg = await subtle.verify(pss, pub.value, unhex(req.goSig), unhex(req.otherMsg));
    // The web client re-exports keys; the round trip must keep the key.
    out.reexportedPublic = JSON.stringify(await subtle.exportKey('jwk', pub.value));
  }
  if (priv.ok) {
    // WebCrypto signing with Go's private key: Go must verify it.
    out.sigByGoPrivate = hex(await subtle.sign(pss, priv.value, msg));
  }

  // (c) a WebCrypto identity, made the way keys.js makes it.
  const kp = await subtle.generateKey(
    { ...alg, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, ['sign', 'verify']);
  const webPub = await subtle.exportKey('jwk', kp.publicKey);
  out.webPublicJWK = JSON.stringify(webPub);
  // The same key pretty-printed, as someone might paste it: pinning must give back the text
  // above exactly.
  out.webPublicJWKPretty = JSON.stringify(webPub, null, 2);
  out.webPrivateJWK = JSON.stringify(await subtle.exportKey('jwk', kp.privateKey));
  out.webSig = hex(await subtle.sign(pss, kp.privateKey, msg));

  process.stdout.write(JSON.stringify(out));
});
