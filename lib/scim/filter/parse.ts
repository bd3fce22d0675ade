/**
 * RFC 7644 §3.4.2.2 filters and §3.5.2 PATCH paths, by recursive descent over the characters:
 * the token boundaries depend on context (a URN path holds colons and dots, an unquoted value
 * may hold almost anything), so there is no separate tokenizer pass.
 */
import { invalidFilter, invalidPath, type ScimError } from '../errors.js';
import type { AttrPath, CompareOperator, Filter, FilterValue } from '../../model/filter.js';

/** Bounds on a filter's cost, checked while parsing: longer or deeper filters are refused with `invalidFilter`. */
export interface FilterLimits {
  /** The longest filter text, in characters; default {@link DEFAULT_MAX_LENGTH}. */
  maxLength?: number;
  /** Parentheses, `not` and value paths each count one level. */
  maxDepth?: number;
}

/** The default longest filter text: 4096 characters. */
export const DEFAULT_MAX_LENGTH = 4096;
/** The default deepest nesting of a filter: 32 levels. */
export const DEFAULT_MAX_DEPTH = 32;

/** A PATCH operation's `path` (RFC 7644 §3.5.2, the `PATH` grammar of §3.5.2 Figure 1) read apart. */
export interface PatchPath {
  attribute: AttrPath;
  /** The `[…]` part of `members[value eq "x"]`; its paths are sub-attributes of `attribute`. */
  filter?: Filter;
  /** The `.value` after `emails[type eq "work"].value`. */
  subAttribute?: string;
}

const OPERATORS = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const PATH_CHAR = /[A-Za-z0-9_$:.-]/;
const ATTR_NAME = String.raw`\$?[A-Za-z][A-Za-z0-9_-]*`;
const PLAIN_PATH = new RegExp(`^${ATTR_NAME}(?:\\.${ATTR_NAME})?$`);
// Greedy: the attribute starts after the URN's last colon (`…:enterprise:2.0:User:manager.value`).
const URN_PATH = new RegExp(`^urn:.+:${ATTR_NAME}(?:\\.${ATTR_NAME})?$`, 'i');
const ATTR_NAME_AT = new RegExp(ATTR_NAME, 'y');
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
// Unquoted values (Microsoft's lenient form) run until whitespace or a closing bracket.
const UNQUOTED_END = /[\s)\]]/;

/**
 * Parses a SCIM filter (RFC 7644 §3.4.2.2): the operators `eq ne co sw ew gt ge lt le pr`, `and`/`or`/`not`,
 * grouping and value paths, with keywords in any letter case. Paths are left as written; {@link resolveFilter}
 * resolves them against the schemas.
 *
 * @throws ScimError 400 `invalidFilter` naming the position and what was expected there.
 */
export function parseFilter(text: string, limits: FilterLimits = {}): Filter {
  const parser = new Parser(text, limits, invalidFilter, 'filter');
  const filter = parser.filter();
  parser.expectEnd('"and", "or" or the end of the filter');
  return filter;
}

/** `attr`, `urn:…:attr.sub`, `attr[filter]` or `attr[filter].sub`; errors are `invalidPath`. */
export function parsePatchPath(text: string): PatchPath {
  const parser = new Parser(text, {}, invalidPath, 'path');
  const path = parser.patchPath();
  parser.expectEnd(path.filter ? 'the end of the path' : '"[" or the end of the path');
  return path;
}

class Parser {
  private pos = 0;
  private depth = 0;
  private inValuePath = false;
  private readonly maxDepth: number;

  constructor(
    private readonly text: string,
    limits: FilterLimits,
    private readonly error: (detail: string) => ScimError,
    private readonly noun: 'filter' | 'path',
  ) {
    this.maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
    const maxLength = limits.maxLength ?? DEFAULT_MAX_LENGTH;
    if (text.length > maxLength)
      throw error(`the ${noun} is ${text.length} characters long; the limit is ${maxLength}`);
  }

  filter(): Filter {
    let left = this.conjunction();
    while (this.keyword('or')) left = { kind: 'or', left, right: this.conjunction() };
    return left;
  }

  patchPath(): PatchPath {
    this.skipSpace();
    const attribute = this.attrPath();
    if (this.peek() !== '[') return { attribute };
    const filter = this.bracketed();
    if (this.peek() !== '.') return { attribute, filter };
    this.pos++;
    return { attribute, filter, subAttribute: this.attrName() };
  }

  expectEnd(expected: string): void {
    this.skipSpace();
    if (this.pos < this.text.length) this.fail(expected);
  }

  private conjunction(): Filter {
    let left = this.unary();
    while (this.keyword('and')) left = { kind: 'and', left, right: this.unary() };
    return left;
  }

  private unary(): Filter {
    this.skipSpace();
    if (this.peek() === '(') return this.group();
    if (this.notKeyword()) return { kind: 'not', filter: this.group() };
    return this.attributeExpression();
  }

  private group(): Filter {
    this.pos++;
    const inner = this.nested(() => this.filter());
    this.skipSpace();
    if (this.peek() !== ')') this.fail('"and", "or" or ")"');
    this.pos++;
    return inner;
  }

  private attributeExpression(): Filter {
    const path = this.attrPath();
    if (this.peek() !== '[') return this.comparison(path);
    let filter = this.bracketed();
    // Entra's `emails[type eq "work"].value eq "x"`: the comparison joins the bracketed filter.
    if (this.peek() === '.') {
      this.pos++;
      filter = { kind: 'and', left: filter, right: this.comparison({ raw: this.attrName() }) };
    }
    return { kind: 'valuePath', path, filter };
  }

  private bracketed(): Filter {
    if (this.inValuePath) this.fail('a comparison: value paths cannot be nested');
    this.pos++;
    this.inValuePath = true;
    const filter = this.nested(() => this.filter());
    this.inValuePath = false;
    this.skipSpace();
    if (this.peek() !== ']') this.fail('"and", "or" or "]"');
    this.pos++;
    return filter;
  }

  private comparison(path: AttrPath): Filter {
    this.skipSpace();
    const start = this.pos;
    const word = this.word().toLowerCase();
    if (word === 'pr') return { kind: 'present', path };
    if (!OPERATORS.has(word)) {
      this.pos = start;
      this.fail('an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)');
    }
    return { kind: 'compare', op: word as CompareOperator, path, value: this.value() };
  }

  private value(): FilterValue {
    this.skipSpace();
    const c = this.peek();
    if (c === '"') return this.string();
    if (c === undefined || c === '(' || UNQUOTED_END.test(c)) this.fail('a value');
    const start = this.pos;
    while (this.pos < this.text.length && !UNQUOTED_END.test(this.text[this.pos])) this.pos++;
    const token = this.text.slice(start, this.pos);
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token === 'null') return null;
    // A number only when it reads back as written: `007` or a 20-digit id stay the client's string.
    if (JSON_NUMBER.test(token) && String(Number(token)) === token) return Number(token);
    return token;
  }

  private string(): string {
    const start = this.pos;
    this.pos++;
    while (this.pos < this.text.length && this.text[this.pos] !== '"') this.pos += this.text[this.pos] === '\\' ? 2 : 1;
    if (this.pos >= this.text.length) {
      this.pos = start;
      this.fail('a closing quote for the string starting here');
    }
    this.pos++;
    try {
      return JSON.parse(this.text.slice(start, this.pos)) as string;
    } catch {
      this.pos = start;
      return this.fail('a valid JSON string (check its escapes and control characters)');
    }
  }

  private attrPath(): AttrPath {
    const start = this.pos;
    while (this.pos < this.text.length && PATH_CHAR.test(this.text[this.pos])) this.pos++;
    const raw = this.text.slice(start, this.pos);
    if (!(PLAIN_PATH.test(raw) || URN_PATH.test(raw))) {
      this.pos = start;
      this.fail(raw ? `an attribute path, not "${raw}"` : 'an attribute path');
    }
    return { raw };
  }

  private attrName(): string {
    ATTR_NAME_AT.lastIndex = this.pos;
    const match = ATTR_NAME_AT.exec(this.text);
    if (!match) this.fail('a sub-attribute name');
    this.pos += match[0].length;
    return match[0];
  }

  private nested<T>(parse: () => T): T {
    if (++this.depth > this.maxDepth) this.fail(`at most ${this.maxDepth} levels of nesting`);
    const result = parse();
    this.depth--;
    return result;
  }

  /** Consumes `and` / `or` when it stands as a word here. */
  private keyword(word: 'and' | 'or'): boolean {
    this.skipSpace();
    const end = this.pos + word.length;
    if (this.text.slice(this.pos, end).toLowerCase() !== word) return false;
    const next = this.text[end];
    if (next !== undefined && next !== '(' && !/\s/.test(next)) return false;
    this.pos = end;
    return true;
  }

  /** `not (` — an attribute that happens to be named `not` is still a path. */
  private notKeyword(): boolean {
    const match = /^not\s*\(/i.exec(this.text.slice(this.pos, this.pos + 64));
    if (!match) return false;
    this.pos += match[0].length - 1;
    return true;
  }

  private word(): string {
    const start = this.pos;
    while (this.pos < this.text.length && /[A-Za-z]/.test(this.text[this.pos])) this.pos++;
    return this.text.slice(start, this.pos);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private fail(expected: string): never {
    const found =
      this.pos < this.text.length ? `"${this.text.slice(this.pos, this.pos + 12)}"` : `the end of the ${this.noun}`;
    throw this.error(`invalid ${this.noun}: expected ${expected} at character ${this.pos + 1}, found ${found}`);
  }
}
