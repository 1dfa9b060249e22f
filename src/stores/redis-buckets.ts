import { createHmac } from "node:crypto";

/**
 * How the sharded Redis layout places sessions on a Redis Cluster.
 *
 * The key space is cut into BUCKETS buckets. Each bucket is one hash slot: all its keys share
 * one hash tag, so every script on a bucket is atomic. Bucket `b` uses a slot in
 * `[16b, 16b + 16)`, so buckets spread over masters as evenly as the slot ranges do.
 *
 * A session lives in the bucket named by its id's first three characters. That mapping keeps
 * id order: an id that sorts after another never lands in an earlier bucket. So walking the
 * buckets in order and each bucket's ids in order lists every session in id order, which is
 * what `scan` promises. Ids this store mints put a signed-in session in its user's bucket,
 * which holds that user's index too. Anonymous sessions get a random bucket.
 */
export const BUCKETS = 1_024;

/** The base64url characters in byte order: the digits of an id's bucket. */
const DIGITS = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
/** For each ASCII code: its digit, or -(number of digits below it) - 1 when it is not one. */
const RANK = Array.from({ length: 128 }, (_, code) => {
  const digit = DIGITS.indexOf(String.fromCharCode(code));
  if (digit >= 0) return digit;
  let below = 0;
  while (below < DIGITS.length && (DIGITS.charCodeAt(below) as number) < code) below++;
  return -below - 1;
});

/**
 * The bucket of any id, from its first three characters read as base-64 digits (18 bits; the
 * top 10 are the bucket). A character that is not a digit sorts between two digits: the
 * id's value is then the largest one below that point (or 0 at the start), so the mapping
 * stays monotone for every string. Non-ASCII characters sort after "z", in UTF-16 and UTF-8.
 */
export function bucketOfId(id: string): number {
  let value = 0;
  for (let position = 0; position < 3; position++) {
    const rest = 64 ** (2 - position);
    const code = id.charCodeAt(position);
    if (Number.isNaN(code)) return (value * 64 * rest) >> 8;
    const rank = code < 128 ? (RANK[code] as number) : -DIGITS.length - 1;
    if (rank >= 0) {
      value = value * 64 + rank;
      continue;
    }
    const below = -rank - 1;
    if (below === 0) return (value * 64 * rest) >> 8;
    return ((value * 64 + below - 1) * rest + rest - 1) >> 8;
  }
  return value >> 8;
}

/**
 * A random id (22 base64url characters) moved into `bucket`: its first character and the top
 * four bits of its second name the bucket. 128 − 10 = 118 random bits stay (API.md asks 96).
 */
export function idInBucket(randomId: string, bucket: number): string {
  const second = DIGITS.indexOf(randomId.charAt(1));
  const low = second < 0 ? 0 : second & 3;
  return DIGITS.charAt(bucket >> 4) + DIGITS.charAt(((bucket & 15) << 2) | low) + randomId.slice(2);
}

/**
 * The bucket of a user: 10 bits of HMAC-SHA256(key, userId). With a secret key a session id
 * tells nothing of its user; with the default key it tells which of 1,024 groups the user
 * id hashes into. Two sessions of one user always share a bucket, by design.
 */
export function bucketOfUser(key: string, userId: string): number {
  const digest = createHmac("sha256", key).update(userId).digest();
  return ((digest[0] as number) * 256 + (digest[1] as number)) % BUCKETS;
}

/** The hash tag of each bucket: a short string whose slot is in the bucket's range. */
let tags: string[] | undefined;

export function bucketTag(bucket: number): string {
  tags ??= findTags();
  return tags[bucket] as string;
}

/** The slot Redis Cluster gives a key whose hash tag is `tag`. */
export function slotOfTag(tag: string): number {
  return crc16(Buffer.from(tag)) % 16_384;
}

/** The first strings over DIGITS, shortest first, that land in each bucket's slot range. */
function findTags(): string[] {
  const found: string[] = new Array(BUCKETS);
  let missing = BUCKETS;
  const visit = (tag: string): boolean => {
    const bucket = slotOfTag(tag) >> 4;
    if (found[bucket] === undefined) {
      found[bucket] = tag;
      missing--;
    }
    return missing === 0;
  };
  for (let length = 1; length <= 3; length++) {
    const count = DIGITS.length ** length;
    for (let n = 0; n < count; n++) {
      let tag = "";
      for (let i = 0, rest = n; i < length; i++, rest = Math.floor(rest / 64)) tag += DIGITS.charAt(rest % 64);
      if (visit(tag)) return found;
    }
  }
  throw new Error("redis-buckets: some bucket has no hash tag of three characters.");
}

/** CRC16-CCITT (XMODEM), as Redis Cluster computes key slots. */
const CRC_TABLE = Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (CRC_TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc;
}
