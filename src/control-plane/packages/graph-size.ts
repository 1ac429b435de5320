const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Whether the bytes just before `end` (not before `start`) are an odd run of backslashes. */
function oddBackslashesBefore(chunk: Buffer, end: number, start: number): boolean {
  let k = end - 1;
  while (k >= start && chunk[k] === BACKSLASH) k--;
  return (end - 1 - k) % 2 === 1;
}

/** Long enough for 'nodes' written entirely as \u escapes. */
const MAX_KEY_BYTES = 32;

function keyName(bytes: number[]): string {
  if (bytes.length > MAX_KEY_BYTES) return '';
  const raw = String.fromCharCode(...bytes);
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return ''; // not JSON: JSON.parse refuses the document later
  }
}

const isSpace = (byte: number): boolean => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

/**
 * Counts the elements of a JSON document's top-level `nodes` and `edges` arrays as its bytes
 * arrive, without parsing it, and throws as soon as one holds more than the graph validator
 * accepts. JSON.parse of a file of millions of tiny nodes costs seconds and hundreds of MiB before
 * the validator could refuse it; this refuses it while it inflates, at the cost of one pass over
 * the bytes (string contents are skipped with indexOf).
 *
 * It tracks only nesting depth, strings and the key at depth 1; anything that is not JSON is left
 * for JSON.parse to refuse. A key given twice is counted each time (JSON.parse keeps the last one).
 */
export class GraphSizeCounter {
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** Bytes of the depth-1 key being read; undefined when the current string is not such a key. */
  #keyBytes: number[] | undefined;
  #expectKey = false;
  #lastKey = '';
  #counting: 'nodes' | 'edges' | undefined;
  #count = 0;
  #empty = true;

  constructor(
    private readonly name: string,
    private readonly limits: { readonly maxNodes: number; readonly maxEdges: number },
  ) {}

  push(chunk: Buffer): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.#inString) {
        i = this.#skipString(chunk, i);
        continue;
      }
      const byte = chunk[i]!;
      i++;
      if (isSpace(byte)) continue;
      if (this.#counting && this.#depth === 2) {
        if (byte === COMMA) this.#element();
        else if (this.#empty && byte !== CLOSE_ARRAY) {
          this.#empty = false;
          this.#element();
        }
      }
      switch (byte) {
        case QUOTE:
          this.#inString = true;
          this.#keyBytes = this.#depth === 1 && this.#expectKey ? [] : undefined;
          break;
        case OPEN_OBJECT:
        case OPEN_ARRAY:
          this.#depth++;
          if (this.#depth === 1) this.#expectKey = byte === OPEN_OBJECT;
          else if (this.#depth === 2 && byte === OPEN_ARRAY && (this.#lastKey === 'nodes' || this.#lastKey === 'edges')) {
            this.#counting = this.#lastKey;
            this.#count = 0;
            this.#empty = true;
          }
          break;
        case CLOSE_OBJECT:
        case CLOSE_ARRAY:
          this.#depth--;
          if (this.#depth === 1) this.#counting = undefined;
          break;
        case COMMA:
          if (this.#depth === 1) this.#expectKey = true;
          break;
        case COLON:
          if (this.#depth === 1) this.#expectKey = false;
          break;
      }
    }
  }

  /** Moves past string content up to and including the closing quote (or to the end of the chunk). */
  #skipString(chunk: Buffer, from: number): number {
    let i = from;
    if (this.#escaped) {
      this.#escaped = false;
      this.#keyBytes?.push(chunk[i]!);
      i++;
    }
    if (this.#keyBytes) {
      // A key at depth 1: read byte by byte (only 'nodes' and 'edges' matter, also spelled with escapes).
      for (; i < chunk.length; i++) {
        const byte = chunk[i]!;
        if (byte === QUOTE) {
          this.#lastKey = keyName(this.#keyBytes);
          this.#keyBytes = undefined;
          this.#inString = false;
          return i + 1;
        }
        if (this.#keyBytes.length <= MAX_KEY_BYTES) this.#keyBytes.push(byte);
        if (byte === BACKSLASH) {
          if (i + 1 === chunk.length) this.#escaped = true;
          else if (this.#keyBytes.length <= MAX_KEY_BYTES) this.#keyBytes.push(chunk[++i]!);
          else i++;
        }
      }
      return i;
    }
    for (;;) {
      const quote = chunk.indexOf(QUOTE, i);
      if (quote === -1) {
        // The string goes on in the next chunk: an odd run of backslashes here escapes its first byte.
        this.#escaped = oddBackslashesBefore(chunk, chunk.length, i);
        return chunk.length;
      }
      if (!oddBackslashesBefore(chunk, quote, i)) {
        this.#inString = false;
        return quote + 1;
      }
      i = quote + 1; // an escaped quote
    }
  }

  #element(): void {
    this.#count++;
    const max = this.#counting === 'nodes' ? this.limits.maxNodes : this.limits.maxEdges;
    if (this.#count > max) {
      throw new Error(
        `${this.name} has more than ${max} ${this.#counting}; a decision may have at most ${this.limits.maxNodes} nodes and ${this.limits.maxEdges} edges`,
      );
    }
  }
}
