/**
 * UTF-8 for file headers, written out rather than taken from TextEncoder / TextDecoder.
 *
 * Those two exist at runtime in browsers, Node and Deno, but not in lib ES2022, and declaring them ourselves would
 * put a global declaration into the published types that can clash with a user's DOM or Node types. Doing it here
 * also fixes the one behaviour we need everywhere: decoding is strict (TextDecoder's default quietly turns bad bytes
 * into U+FFFD, so a corrupted header would parse as some other text). Only headers and JSON model files pass through
 * here, never tensor data, so a plain loop is fast enough.
 */

/** The UTF-8 bytes of `s`. A lone surrogate (half of a UTF-16 pair) has no UTF-8 form: RangeError naming its index. */
export function encodeUtf8(s: string): Uint8Array {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c < 0xd800 || c > 0xdfff) n += 3;
    else if (c <= 0xdbff && isLowSurrogate(s.charCodeAt(i + 1))) { n += 4; i++; }
    else throw new RangeError(`encodeUtf8: lone surrogate U+${c.toString(16).toUpperCase()} at index ${i} has no UTF-8 form`);
  }
  const out = new Uint8Array(n);
  let p = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[p++] = c;
    } else if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      out[p++] = 0xe0 | (c >> 12);
      out[p++] = 0x80 | ((c >> 6) & 0x3f);
      out[p++] = 0x80 | (c & 0x3f);
    } else {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      out[p++] = 0xf0 | (c >> 18);
      out[p++] = 0x80 | ((c >> 12) & 0x3f);
      out[p++] = 0x80 | ((c >> 6) & 0x3f);
      out[p++] = 0x80 | (c & 0x3f);
    }
  }
  return out;
}

/**
 * The text of bytes[start, end), which must be well-formed UTF-8: no overlong forms, no encoded surrogates, nothing
 * above U+10FFFF, no sequence cut off by `end`. Otherwise a RangeError naming the offending byte's index in `bytes`.
 */
export function decodeUtf8(bytes: Uint8Array, start = 0, end: number = bytes.length): string {
  let out = "";
  const units: number[] = [];
  let i = start;
  while (i < end) {
    // a run of ASCII goes straight to a string
    let j = i;
    while (j < end && j - i < CHUNK && bytes[j]! < 0x80) j++;
    if (j > i) {
      if (units.length > 0) { out += String.fromCharCode(...units); units.length = 0; }
      out += String.fromCharCode(...bytes.subarray(i, j));
      i = j;
      continue;
    }
    const b0 = bytes[i]!;
    let need: number, cp: number, lo = 0x80, hi = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) { need = 1; cp = b0 & 0x1f; }
    else if (b0 >= 0xe0 && b0 <= 0xef) { need = 2; cp = b0 & 0x0f; if (b0 === 0xe0) lo = 0xa0; if (b0 === 0xed) hi = 0x9f; }
    else if (b0 >= 0xf0 && b0 <= 0xf4) { need = 3; cp = b0 & 0x07; if (b0 === 0xf0) lo = 0x90; if (b0 === 0xf4) hi = 0x8f; }
    else throw new RangeError(`invalid UTF-8: byte 0x${hex(b0)} at ${i} cannot start a character`);
    for (let k = 1; k <= need; k++) {
      if (i + k >= end) throw new RangeError(`invalid UTF-8: the character starting at byte ${i} is cut off`);
      const b = bytes[i + k]!;
      if (b < lo || b > hi) throw new RangeError(`invalid UTF-8: byte 0x${hex(b)} at ${i + k} does not continue the character starting at ${i}`);
      lo = 0x80; hi = 0xbf; // only the second byte has the narrower ranges
      cp = (cp << 6) | (b & 0x3f);
    }
    i += need + 1;
    if (cp < 0x10000) units.push(cp);
    else units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    if (units.length >= CHUNK) { out += String.fromCharCode(...units); units.length = 0; }
  }
  if (units.length > 0) out += String.fromCharCode(...units);
  return out;
}

/** True unless `s` holds a lone surrogate, i.e. it has a UTF-8 form (String.prototype.isWellFormed is ES2024). */
export function isWellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff || !isLowSurrogate(s.charCodeAt(i + 1))) return false;
    i++;
  }
  return true;
}

/** Arguments per String.fromCharCode call: well under every engine's limit on arguments. */
const CHUNK = 8192;

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0").toUpperCase();
}
