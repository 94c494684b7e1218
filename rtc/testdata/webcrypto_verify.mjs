// Verifies rtchat's identity answers the way the RTChat web client does (keys.js): import
// the publicKeyString JWK as an RSA-PSS/SHA-256 verify key (extractable, as the browser
// imports it), turn latin-1 char-code strings into bytes (char code mod 256, like the web
// client's Uint8Array writes) and crypto.subtle.verify with saltLength 32.
//
// stdin: {"cases":[{"name":..,"frame":"<answer frame text as received>","key":"<JWK
//         string or empty: take frame.answer.publicKeyString>","message":"<latin-1 string
//         of the signed bytes>"}]}
// stdout: {"<name>": true|false|"error: ..."}
import { webcrypto } from "node:crypto";

const subtle = webcrypto.subtle;

function latin1Bytes(s) {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}

async function check(c) {
  const frame = JSON.parse(c.frame); // the text frame exactly as the browser parses it
  let keyString, sig;
  if (typeof frame.answer === "string") {
    keyString = c.key;
    sig = frame.answer;
  } else {
    keyString = c.key || frame.answer.publicKeyString;
    sig = frame.answer.signature;
  }
  if (typeof keyString !== "string" || typeof sig !== "string") throw new Error("bad answer shape");
  const key = await subtle.importKey("jwk", JSON.parse(keyString), { name: "RSA-PSS", hash: "SHA-256" }, true, ["verify"]);
  return subtle.verify({ name: "RSA-PSS", saltLength: 32 }, key, latin1Bytes(sig), latin1Bytes(c.message));
}

let input = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) input += chunk;
const out = {};
for (const c of JSON.parse(input).cases) {
  try {
    out[c.name] = await check(c);
  } catch (e) {
    out[c.name] = "error: " + e.message;
  }
}
process.stdout.write(JSON.stringify(out));
