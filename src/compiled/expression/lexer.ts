/**
 * The ZEN expression lexer, ported from zen-expression 0.54 (core/expression/src/lexer): the
 * same token kinds and the same odd corners (no escapes in strings, `not in` only with single
 * spaces, `\r` is not a space), so that the parser sees what the engine's parser sees.
 */
export type Token =
  | { kind: 'identifier'; value: '$' | '$root' | '#' | 'null' }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'number'; value: string }
  | { kind: 'quote'; value: "'" | '"' | '`' }
  | { kind: 'literal'; value: string }
  | { kind: 'operator'; value: string }
  | { kind: 'bracket'; value: '(' | ')' | '[' | ']' | '{' | '}' }
  | { kind: 'templateStart' }
  | { kind: 'templateEnd' };

export class LexerError extends Error {}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined): boolean =>
  c !== undefined && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c === '$' || c === '_' || c === '#');
const isAlphanumeric = (c: string | undefined): boolean => isAlpha(c) || isDigit(c);

export function tokenize(source: string): Token[] {
  // The engine walks chars (code points); spans do not matter to us, so index by code point.
  const chars = Array.from(source);
  const tokens: Token[] = [];
  let pos = 0;

  const scanItem = (): void => {
    const c = chars[pos]!;
    if (c === ' ' || c === '\n' || c === '\t') {
      pos++;
      return;
    }
    if (c === "'" || c === '"') return string(c);
    if (isDigit(c)) return number();
    if ('()[]{}'.includes(c)) {
      tokens.push({ kind: 'bracket', value: c as '(' });
      pos++;
      return;
    }
    if (c === '>' || c === '<' || c === '!') {
      pos++;
      if (chars[pos] === '=') {
        pos++;
        tokens.push({ kind: 'operator', value: `${c}=` });
      } else tokens.push({ kind: 'operator', value: c === '!' ? 'not' : c });
      return;
    }
    if (',:+-/*^%'.includes(c)) {
      tokens.push({ kind: 'operator', value: c });
      pos++;
      return;
    }
    if (c === '?') {
      pos++;
      if (chars[pos] === '?') {
        pos++;
        tokens.push({ kind: 'operator', value: '??' });
      } else tokens.push({ kind: 'operator', value: '?' });
      return;
    }
    if (c === '=') {
      pos++;
      if (chars[pos] === '=') {
        pos++;
        tokens.push({ kind: 'operator', value: '==' });
      } else tokens.push({ kind: 'operator', value: '=' });
      return;
    }
    if (c === '`') return template();
    if (c === '.') {
      pos++;
      if (chars[pos] === '.') {
        pos++;
        tokens.push({ kind: 'operator', value: '..' });
      } else tokens.push({ kind: 'operator', value: '.' });
      return;
    }
    if (c === ';') {
      pos++;
      tokens.push({ kind: 'operator', value: ';' });
      return;
    }
    if (isAlpha(c)) return identifier();
    throw new LexerError(`unmatched symbol ${c}`);
  };

  const string = (quote: "'" | '"'): void => {
    const start = ++pos;
    while (pos < chars.length && chars[pos] !== quote) pos++;
    if (pos >= chars.length) throw new LexerError('unexpected end of string');
    tokens.push({ kind: 'quote', value: quote }, { kind: 'literal', value: chars.slice(start, pos).join('') }, { kind: 'quote', value: quote });
    pos++;
  };

  const number = (): void => {
    const start = pos;
    let end = pos;
    pos++;
    let fractal = false;
    for (;;) {
      const c = chars[pos];
      if (!(isDigit(c) || c === '_' || c === '.')) break;
      pos++;
      if (fractal && c === '.') {
        pos--;
        break;
      }
      if (c === '.') {
        const p = chars[pos];
        if (p !== undefined) {
          if (p === '.') {
            pos--;
            break;
          }
          fractal = true;
        }
      }
      end = pos - 1;
    }
    if (chars[pos] === 'e') {
      const ePos = pos;
      pos++;
      end = ePos;
      if (chars[pos] === '+' || chars[pos] === '-') {
        end = pos;
        pos++;
      }
      let hasDigits = false;
      while (isDigit(chars[pos])) {
        end = pos;
        pos++;
        hasDigits = true;
      }
      if (!hasDigits) {
        pos = ePos;
        end = ePos - 1;
      }
    }
    tokens.push({ kind: 'number', value: chars.slice(start, end + 1).join('') });
  };

  const identifier = (): void => {
    const start = pos;
    pos++;
    while (isAlphanumeric(chars[pos])) pos++;
    const value = chars.slice(start, pos).join('');
    switch (value) {
      case 'and':
      case 'or':
      case 'in':
        tokens.push({ kind: 'operator', value });
        return;
      case 'true':
      case 'false':
        tokens.push({ kind: 'boolean', value: value === 'true' });
        return;
      case 'not':
        if (chars.slice(pos, pos + 4).join('') === ' in ') {
          pos += 4;
          tokens.push({ kind: 'operator', value: 'not in' });
        } else tokens.push({ kind: 'operator', value: 'not' });
        return;
      case '$':
      case '$root':
      case '#':
      case 'null':
        tokens.push({ kind: 'identifier', value });
        return;
      default:
        tokens.push({ kind: 'literal', value });
    }
  };

  const template = (): void => {
    tokens.push({ kind: 'quote', value: '`' });
    pos++;
    let inExpression = false;
    let strStart = pos;
    for (;;) {
      if (pos >= chars.length) throw new LexerError('unexpected end of template');
      const e = pos;
      const c = chars[pos]!;
      pos++;
      if (c === '`') {
        if (strStart < e) tokens.push({ kind: 'literal', value: chars.slice(strStart, e).join('') });
        tokens.push({ kind: 'quote', value: '`' });
        return;
      }
      if (c === '$' && !inExpression) {
        inExpression = chars[pos] === '{';
        if (inExpression) {
          pos++;
          tokens.push({ kind: 'literal', value: chars.slice(strStart, e).join('') }, { kind: 'templateStart' });
        }
      } else if (c === '}' && inExpression) {
        inExpression = false;
        tokens.push({ kind: 'templateEnd' });
        strStart = e + 1;
      } else if (inExpression) {
        pos = e;
        scanItem();
      }
    }
  };

  while (pos < chars.length) scanItem();
  return tokens;
}
