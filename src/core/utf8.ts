/**
 * Bytes of `text` in UTF-8, as `Buffer.byteLength` counts them (a lone surrogate becomes
 * U+FFFD, three bytes), without Buffer: the core also runs where there is none (workerd
 * without `nodejs_compat`) and without allocating the encoding.
 */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Size of a value as JSON in UTF-8 bytes: how `maxStateBytes` counts. */
export function jsonBytes(value: unknown): number {
  return utf8Bytes(JSON.stringify(value));
}
