/**
 * The one glob engine of the action (S3 `exclusions`, `migration-paths`, `tables`/`exclude-tables`).
 * Pure: no I/O.
 *
 * Syntax, matched against the whole text (an S3 key, a file path, a table or schema name):
 *   `*`          any run of characters except `/`
 *   `**`         any run of characters, `/` included; `**\/` also matches nothing, so `**\/x`
 *                matches `x` and `a/**\/b` matches `a/b`
 *   `?`          one character except `/`
 *   `[abc]` `[a-z0-9]` `[!x]` `[^x]`   one character (not `/`) in / not in the set
 *   `{jpg,png}`  one of the comma-separated choices; choices may hold globs and nested sets
 *   `\x`         the character x itself (`\*`, `\?`, `\[`, `\{`, `\,`, `\\`)
 *   anything else stands for itself.
 * With `prefix: true` the glob also matches everything under what it matches (a pattern ending
 * in `/`: `lambda/` is `lambda/**`).
 *
 * Matching runs the glob as an automaton over the text's characters, one set of states per
 * character (cached as a small deterministic automaton): O(pattern × text) at worst, whatever the
 * pattern. A JavaScript RegExp built from a glob backtracks instead, exponentially on patterns
 * like `*a*a*a*a*b`.
 */

/** A pattern that is not a valid glob; `message` says what is wrong and how to write it. */
export class GlobSyntaxError extends Error {}

export interface GlobOptions {
  /** Also match everything under a match (the pattern ended in `/`). */
  prefix?: boolean;
}

export interface Glob {
  readonly pattern: string;
  /** Whether `text` as a whole matches. */
  test(text: string): boolean;
  /** The pattern has no wildcard, class or brace set: it names one text. */
  readonly isLiteral: boolean;
  /** Every character the pattern takes literally (outside wildcards), e.g. to check they may occur at all. */
  readonly literalCharacters: string;
  /**
   * When the pattern is only literals and brace sets (`{books,authors}`): every text it matches
   * (at most MAX_FINITE_MATCHES); otherwise undefined.
   */
  readonly finiteMatches?: readonly string[];
}

/** Longest pattern accepted (S3 keys have at most 1,024 bytes). */
export const MAX_GLOB_LENGTH = 1024;
/**
 * Largest automaton accepted: matching costs at most this many steps per character of the text
 * (literal heads and tails, which cost nothing, do not count).
 */
export const MAX_AUTOMATON_STATES = 256;
const MAX_BRACE_DEPTH = 10;
const MAX_FINITE_MATCHES = 256;

type Node =
  | { kind: 'char'; code: number }
  | { kind: 'any' }
  | { kind: 'class'; ranges: number[]; negated: boolean }
  | { kind: 'star' }
  | { kind: 'globstar' }
  | { kind: 'globstarSlash' }
  | { kind: 'alt'; branches: Node[][] };

const SLASH = 0x2f;

/** Compiles `pattern`; throws GlobSyntaxError when it is not a valid glob. */
export function compileGlob(pattern: string, options: GlobOptions = {}): Glob {
  if (pattern.length > MAX_GLOB_LENGTH) throw new GlobSyntaxError(`it is longer than ${MAX_GLOB_LENGTH} characters; split it into shorter patterns`);
  const nodes = new Parser(pattern).parse();
  if (options.prefix && nodes.at(-1)?.kind !== 'globstar') nodes.push({ kind: 'globstar' });
  const literalCharacters = collectLiterals(nodes);
  const isLiteral = !options.prefix && nodes.every((n) => n.kind === 'char');
  return { pattern, isLiteral, literalCharacters, finiteMatches: expand(nodes), test: buildMatcher(nodes) };
}

/** Why `pattern` is not a valid glob, or undefined when it is. */
export function globProblem(pattern: string, options: GlobOptions = {}): string | undefined {
  try {
    compileGlob(pattern, options);
    return undefined;
  } catch (error) {
    if (error instanceof GlobSyntaxError) return error.message;
    throw error;
  }
}

class Parser {
  private i = 0;
  private depth = 0;

  constructor(private readonly pattern: string) {}

  parse(): Node[] {
    return this.sequence(false);
  }

  /** Nodes up to the end, or (inside braces) up to the `,` or `}` that ends this choice. */
  private sequence(inBraces: boolean): Node[] {
    const p = this.pattern;
    const nodes: Node[] = [];
    while (this.i < p.length) {
      const ch = p[this.i]!;
      if (ch === '}' || (ch === ',' && inBraces)) {
        if (inBraces) return nodes;
        throw new GlobSyntaxError(`the \`}\` at character ${this.i + 1} closes no \`{\`; write \`\\}\` to match a brace`);
      }
      if (ch === '\\') {
        const code = p.codePointAt(this.i + 1);
        if (code === undefined) throw new GlobSyntaxError('it ends with a lone `\\`; write `\\\\` to match a backslash');
        nodes.push({ kind: 'char', code });
        this.i += code > 0xffff ? 3 : 2;
      } else if (ch === '*') {
        let stars = 0;
        while (p[this.i] === '*') {
          stars++;
          this.i++;
        }
        if (stars === 1) nodes.push({ kind: 'star' });
        else if (p[this.i] === '/') {
          nodes.push({ kind: 'globstarSlash' });
          this.i++;
        } else nodes.push({ kind: 'globstar' });
      } else if (ch === '?') {
        nodes.push({ kind: 'any' });
        this.i++;
      } else if (ch === '[') {
        nodes.push(this.characterClass());
      } else if (ch === ']') {
        throw new GlobSyntaxError(`the \`]\` at character ${this.i + 1} closes no \`[\`; write \`\\]\` to match a bracket`);
      } else if (ch === '{') {
        nodes.push(this.braces());
      } else {
        const code = p.codePointAt(this.i)!;
        nodes.push({ kind: 'char', code });
        this.i += code > 0xffff ? 2 : 1;
      }
    }
    return nodes;
  }

  private braces(): Node {
    const start = this.i;
    if (++this.depth > MAX_BRACE_DEPTH) throw new GlobSyntaxError(`its brace sets are nested more than ${MAX_BRACE_DEPTH} deep`);
    this.i++;
    const branches: Node[][] = [this.sequence(true)];
    while (this.pattern[this.i] === ',') {
      this.i++;
      branches.push(this.sequence(true));
    }
    if (this.pattern[this.i] !== '}') {
      throw new GlobSyntaxError(`the \`{\` at character ${start + 1} is never closed; close it (\`{jpg,png}\`) or write \`\\{\` to match a brace`);
    }
    this.i++;
    this.depth--;
    if (branches.length < 2) {
      throw new GlobSyntaxError(
        `the brace set at character ${start + 1} has one choice only; list two or more separated by commas (\`{jpg,png}\`) or write \`\\{\` to match a brace`,
      );
    }
    return { kind: 'alt', branches };
  }

  private characterClass(): Node {
    const p = this.pattern;
    const start = this.i;
    const unclosed = () =>
      new GlobSyntaxError(`the \`[\` at character ${start + 1} is never closed; close it (\`[0-9]\`) or write \`\\[\` to match a bracket`);
    this.i++;
    let negated = false;
    if (p[this.i] === '!' || p[this.i] === '^') {
      negated = true;
      this.i++;
    }
    const ranges: number[] = [];
    let first = true;
    const next = (): number => {
      if (this.i >= p.length) throw unclosed();
      if (p[this.i] === '\\') {
        this.i++;
        if (this.i >= p.length) throw unclosed();
      }
      const code = p.codePointAt(this.i)!;
      this.i += code > 0xffff ? 2 : 1;
      return code;
    };
    for (;;) {
      if (this.i >= p.length) throw unclosed();
      if (p[this.i] === ']' && !first) break;
      if (p[this.i] === '[' && p[this.i + 1] === ':') {
        throw new GlobSyntaxError(`POSIX classes such as \`[:alpha:]\` (at character ${this.i + 1}) are not supported; list the characters (\`[a-zA-Z]\`)`);
      }
      first = false;
      const low = next();
      let high = low;
      if (p[this.i] === '-' && this.i + 1 < p.length && p[this.i + 1] !== ']') {
        this.i++;
        high = next();
        if (high < low) {
          throw new GlobSyntaxError(
            `the range \`${String.fromCodePoint(low)}-${String.fromCodePoint(high)}\` in the class at character ${start + 1} runs backwards; write \`${String.fromCodePoint(high)}-${String.fromCodePoint(low)}\``,
          );
        }
      }
      if (low <= SLASH && SLASH <= high) {
        throw new GlobSyntaxError(`the class at character ${start + 1} holds \`/\`, which a class never matches (it stays within one path segment)`);
      }
      ranges.push(low, high);
    }
    this.i++;
    return { kind: 'class', ranges, negated };
  }
}

/** Every text `nodes` match, when they are only literals and brace sets and not too many. */
function expand(nodes: readonly Node[]): string[] | undefined {
  let texts = [''];
  for (const node of nodes) {
    let choices: string[] | undefined;
    if (node.kind === 'char') choices = [String.fromCodePoint(node.code)];
    else if (node.kind === 'alt') {
      const branches = node.branches.map(expand);
      choices = branches.every((b) => b !== undefined) ? branches.flat() : undefined;
    }
    if (!choices || texts.length * choices.length > MAX_FINITE_MATCHES) return undefined;
    texts = texts.flatMap((text) => choices.map((choice) => text + choice));
  }
  return [...new Set(texts)];
}

function collectLiterals(nodes: readonly Node[]): string {
  let text = '';
  for (const node of nodes) {
    if (node.kind === 'char') text += String.fromCodePoint(node.code);
    else if (node.kind === 'alt') for (const branch of node.branches) text += collectLiterals(branch);
  }
  return text;
}

/**
 * The test function: literal head and tail are compared as strings (most patterns are `prefix/`,
 * `**\/*.ext` or plain names, so most texts are decided there), the rest by the automaton.
 */
function buildMatcher(nodes: Node[]): (text: string) => boolean {
  let head = 0;
  while (head < nodes.length && nodes[head]!.kind === 'char') head++;
  let tail = nodes.length;
  while (tail > head && nodes[tail - 1]!.kind === 'char') tail--;
  const prefix = charsOf(nodes.slice(0, head));
  const suffix = charsOf(nodes.slice(tail));
  const middle = nodes.slice(head, tail);
  const fixed = prefix.length + suffix.length;
  const ends = (text: string) => text.length >= fixed && text.startsWith(prefix) && text.endsWith(suffix);

  if (middle.length === 0) {
    const literal = prefix + suffix;
    return (text) => text === literal;
  }
  if (middle.length === 1 && middle[0]!.kind === 'globstar') return suffix === '' ? (text) => text.startsWith(prefix) : ends;
  const automaton = new Automaton(middle);
  // A run of literal characters every match holds (`/thumbs/` in `**/thumbs/**`): a quick no.
  const needed = longestLiteralRun(middle);
  if (needed.length >= 2) {
    return (text) => ends(text) && text.includes(needed, prefix.length) && automaton.matches(text, prefix.length, text.length - suffix.length);
  }
  return (text) => ends(text) && automaton.matches(text, prefix.length, text.length - suffix.length);
}

/** The longest run of consecutive literal characters at the top level of `nodes`. */
function longestLiteralRun(nodes: readonly Node[]): string {
  let best = '';
  let run = '';
  for (const node of nodes) {
    run = node.kind === 'char' ? run + String.fromCodePoint(node.code) : '';
    if (run.length > best.length) best = run;
  }
  return best;
}

function charsOf(nodes: readonly Node[]): string {
  return nodes.map((n) => String.fromCodePoint((n as { code: number }).code)).join('');
}

// What a consuming state accepts.
const LITERAL = 0;
const ANY_BUT_SLASH = 1;
const ANY = 2;
const CLASS = 3;
const EMPTY = 4;
/** Where a match is complete. */
const ACCEPT = -1;
/** The deterministic state from which nothing matches. */
const DEAD = 0;
/** Deterministic states kept per glob (each holds a 128-entry table). */
const MAX_DFA_STATES = 256;
/** After this many refills of the cache, a glob runs its automaton directly. */
const MAX_DFA_RESETS = 8;

/**
 * A Thompson automaton: states that consume one character (`out`: where they lead), joined by
 * empty states (`to`: several). A step from a set of states visits each state at most once, so
 * it costs O(pattern) per character, whatever the pattern.
 */
class Automaton {
  /** Per state: LITERAL…CLASS for a consuming state, EMPTY for an empty one. */
  private readonly kind: number[] = [];
  private readonly arg: number[] = [];
  private readonly out: number[] = [];
  private readonly to: number[][] = [];
  private readonly classes: { ranges: number[]; negated: boolean }[] = [];
  /** Consuming states that loop on any character and reach the end: from them, any rest matches. */
  private readonly endlessAny: boolean[] = [];
  private readonly start: Int32Array;
  private readonly startAccepts: boolean;
  private readonly mark: Uint32Array;
  private generation = 0;
  private dfaSets: Int32Array[] = [];
  private dfaAccepts: boolean[] = [];
  /** Deterministic states from which any rest of the text matches (after a final `**`). */
  private dfaAcceptsAll: boolean[] = [];
  /** Next deterministic state by ASCII code: entry `d * 128 + code`, -1 while unknown. */
  private dfaAscii = new Int32Array(0);
  private dfaOther: Map<number, number>[] = [];
  private readonly dfaIndex = new Map<string, number>();
  private dfaStart = 0;
  private dfaResets = 0;
  /** The two sets of `simulate`, allocated on first use. */
  private current?: Int32Array;
  private next?: Int32Array;

  constructor(nodes: Node[]) {
    const addEmpty = (to: number[]) => {
      this.kind.push(EMPTY);
      this.arg.push(0);
      this.out.push(ACCEPT);
      return this.to.push(to) - 1;
    };
    const addConsume = (kind: number, arg: number, out: number) => {
      this.kind.push(kind);
      this.arg.push(arg);
      this.out.push(out);
      return this.to.push([]) - 1;
    };
    // Built back to front: each node gets the state its match continues with.
    const build = (seq: readonly Node[], out: number): number => {
      let next = out;
      for (let k = seq.length - 1; k >= 0; k--) next = buildNode(seq[k]!, next);
      return next;
    };
    const loop = (kind: number, out: number) => {
      const split = addEmpty([]);
      const consume = addConsume(kind, 0, split);
      this.to[split]!.push(consume, out);
      return split;
    };
    const buildNode = (node: Node, out: number): number => {
      switch (node.kind) {
        case 'char':
          return addConsume(LITERAL, node.code, out);
        case 'any':
          return addConsume(ANY_BUT_SLASH, 0, out);
        case 'class':
          this.classes.push({ ranges: node.ranges, negated: node.negated });
          return addConsume(CLASS, this.classes.length - 1, out);
        case 'star':
          return loop(ANY_BUT_SLASH, out);
        case 'globstar':
          return loop(ANY, out);
        case 'globstarSlash': {
          // Nothing, or anything that ends in `/`.
          const slash = addConsume(LITERAL, SLASH, out);
          return addEmpty([out, loop(ANY, slash)]);
        }
        case 'alt':
          return addEmpty(node.branches.map((branch) => build(branch, out)));
      }
    };
    const start = build(nodes, ACCEPT);
    if (this.kind.length > MAX_AUTOMATON_STATES) {
      throw new GlobSyntaxError(
        `it has too many wildcards, classes and brace choices to be matched quickly (${this.kind.length} steps, at most ${MAX_AUTOMATON_STATES}); split it into simpler patterns`,
      );
    }
    this.mark = new Uint32Array(this.kind.length);

    const first = this.closure([start]);
    this.start = first.states;
    this.startAccepts = first.accepts;
    for (let s = 0; s < this.kind.length; s++) {
      if (this.kind[s] !== ANY) continue;
      const after = this.closure([this.out[s]!]);
      this.endlessAny[s] = after.accepts && after.states.includes(s);
    }
  }

  /** The consuming states reached from `from` by empty moves (sorted), and whether the end is. */
  private closure(from: readonly number[]): { states: Int32Array; accepts: boolean } {
    if (++this.generation === 0xffffffff) {
      this.mark.fill(0);
      this.generation = 1;
    }
    const generation = this.generation;
    const states: number[] = [];
    let accepts = false;
    const stack = [...from];
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (s === ACCEPT) {
        accepts = true;
        continue;
      }
      if (this.mark[s] === generation) continue;
      this.mark[s] = generation;
      if (this.kind[s] === EMPTY) stack.push(...this.to[s]!);
      else states.push(s);
    }
    return { states: Int32Array.from(states).sort(), accepts };
  }

  /** One character from a set of consuming states: each state visited at most once. */
  private step(set: Int32Array, code: number): { states: Int32Array; accepts: boolean } {
    const outs: number[] = [];
    for (const s of set) if (this.accepts(s, code)) outs.push(this.out[s]!);
    return this.closure(outs);
  }

  /**
   * Whether text[from, to) matches, as a whole. The sets of states met so far are kept as a
   * small deterministic automaton built on first need (a table per set for ASCII characters),
   * so an ordinary key costs one table look-up per character; at most MAX_DFA_STATES sets are
   * kept (then they are dropped and built again), so memory stays bounded on any pattern.
   */
  matches(text: string, from: number, to: number): boolean {
    if (this.dfaResets > MAX_DFA_RESETS) return this.simulate(text, from, to);
    if (this.dfaSets.length === 0) this.resetDfa();
    let d = this.dfaStart;
    for (let i = from; i < to; ) {
      let code = text.charCodeAt(i);
      let next: number;
      if (code < 128) {
        i++;
        next = this.dfaAscii[d * 128 + code]!;
        if (next < 0) next = this.transition(d, code);
      } else {
        code = text.codePointAt(i)!;
        i += code > 0xffff ? 2 : 1;
        next = this.dfaOther[d]!.get(code) ?? this.transition(d, code);
      }
      if (next === DEAD) return false;
      if (this.dfaAcceptsAll[next]) return true;
      d = next;
    }
    return this.dfaAccepts[d]!;
  }

  /**
   * The automaton run directly, one set of states per character, nothing cached: for patterns
   * whose sets outgrow the deterministic cache again and again (e.g. `*a??????????b`).
   */
  private simulate(text: string, from: number, to: number): boolean {
    const size = this.kind.length;
    this.current ??= new Int32Array(size);
    this.next ??= new Int32Array(size);
    let current = this.current;
    let next = this.next;
    const stack: number[] = [];
    current.set(this.start);
    let count = this.start.length;
    let accepts = this.startAccepts;
    for (let i = from; i < to; ) {
      const code = text.codePointAt(i)!;
      i += code > 0xffff ? 2 : 1;
      if (++this.generation === 0xffffffff) {
        this.mark.fill(0);
        this.generation = 1;
      }
      const generation = this.generation;
      for (let k = 0; k < count; k++) if (this.accepts(current[k]!, code)) stack.push(this.out[current[k]!]!);
      let nextCount = 0;
      accepts = false;
      while (stack.length > 0) {
        const s = stack.pop()!;
        if (s === ACCEPT) accepts = true;
        else if (this.mark[s] !== generation) {
          this.mark[s] = generation;
          if (this.kind[s] === EMPTY) for (const t of this.to[s]!) stack.push(t);
          else next[nextCount++] = s;
        }
      }
      if (nextCount === 0 && !accepts) return false;
      [current, next] = [next, current];
      count = nextCount;
    }
    return accepts;
  }

  private resetDfa(): void {
    this.dfaResets++;
    this.dfaSets = [];
    this.dfaAccepts = [];
    this.dfaAcceptsAll = [];
    if (this.dfaAscii.length === 0) this.dfaAscii = new Int32Array(128 * 16);
    this.dfaAscii.fill(-1);
    this.dfaOther = [];
    this.dfaIndex.clear();
    this.dfaState(new Int32Array(0), false); // DEAD: nothing more can match
    this.dfaStart = this.dfaState(this.start, this.startAccepts);
  }

  /** The deterministic state for a sorted set of automaton states. */
  private dfaState(set: Int32Array, accepts: boolean): number {
    const key = `${accepts ? '+' : '-'}${set.join(',')}`;
    let id = this.dfaIndex.get(key);
    if (id === undefined) {
      id = this.dfaSets.length;
      this.dfaIndex.set(key, id);
      this.dfaSets.push(set);
      this.dfaAccepts.push(accepts);
      this.dfaAcceptsAll.push(set.some((s) => this.endlessAny[s] === true));
      this.dfaOther.push(new Map());
      if (this.dfaAscii.length < this.dfaSets.length * 128) {
        const grown = new Int32Array(this.dfaAscii.length * 2).fill(-1);
        grown.set(this.dfaAscii);
        this.dfaAscii = grown;
      }
    }
    return id;
  }

  /** Follows `code` from deterministic state `d` through the automaton, and remembers where it led. */
  private transition(d: number, code: number): number {
    let from = d;
    if (this.dfaSets.length >= MAX_DFA_STATES) {
      const [set, accepts] = [this.dfaSets[d]!, this.dfaAccepts[d]!];
      this.resetDfa();
      from = this.dfaState(set, accepts);
    }
    const after = this.step(this.dfaSets[from]!, code);
    const next = after.states.length === 0 && !after.accepts ? DEAD : this.dfaState(after.states, after.accepts);
    if (code < 128) this.dfaAscii[from * 128 + code] = next;
    else this.dfaOther[from]!.set(code, next);
    return next;
  }

  private accepts(state: number, code: number): boolean {
    switch (this.kind[state]) {
      case LITERAL:
        return code === this.arg[state];
      case ANY_BUT_SLASH:
        return code !== SLASH;
      case ANY:
        return true;
      default: {
        if (code === SLASH) return false;
        const { ranges, negated } = this.classes[this.arg[state]!]!;
        let inside = false;
        for (let r = 0; r < ranges.length; r += 2) {
          if (code >= ranges[r]! && code <= ranges[r + 1]!) {
            inside = true;
            break;
          }
        }
        return inside !== negated;
      }
    }
  }
}

/** One pattern of a list: `!` in front re-includes what an earlier pattern selected. */
export interface GlobRule {
  /** As written, `!` included. */
  readonly pattern: string;
  readonly negated: boolean;
  readonly glob: Glob;
  /** The glob's test (not the list's: see selectingRule). */
  readonly test: (text: string) => boolean;
}

export interface GlobListOptions {
  /** Whether `!pattern` is allowed (else it is an error). */
  negation: boolean;
  /** A pattern ending in `/` matches everything under it. */
  trailingSlashIsPrefix: boolean;
  /** When the texts never start with `/`, what they are (`S3 keys`): a pattern starting with `/` is then an error. */
  textsNeverStartWithSlash?: string;
}

/** A pattern that cannot be used, and why (in words that say how to write it). */
export interface GlobListProblem {
  pattern: string;
  reason: string;
}

/**
 * Compiles a list of patterns in order. Problems (one per bad pattern, without the input's
 * name: the caller adds it) are returned, not thrown, so a user sees every one at once.
 */
export function compileGlobList(patterns: readonly string[], options: GlobListOptions): { rules: GlobRule[]; problems: GlobListProblem[] } {
  const rules: GlobRule[] = [];
  const problems: GlobListProblem[] = [];
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    const problem = (reason: string) => problems.push({ pattern, reason });
    if (negated && !options.negation) {
      problem('a leading `!` (negation) is not supported here; write `\\!` to match a `!`');
      continue;
    }
    if (negated && body === '') {
      problem('a `!` must be followed by the pattern to re-include');
      continue;
    }
    if (options.textsNeverStartWithSlash && body.startsWith('/')) {
      problem(`${options.textsNeverStartWithSlash} do not start with \`/\`; write \`${negated ? '!' : ''}${body.replace(/^\/+/, '')}\``);
      continue;
    }
    if (negated && !rules.some((r) => !r.negated)) {
      problem('a `!` pattern re-includes what an earlier pattern selected, and no pattern comes before it; move it after the pattern it makes an exception to');
      continue;
    }
    try {
      const prefix = options.trailingSlashIsPrefix && body.endsWith('/') && !body.endsWith('\\/');
      const glob = compileGlob(body, { prefix });
      rules.push({ pattern, negated, glob, test: glob.test });
    } catch (error) {
      if (!(error instanceof GlobSyntaxError)) throw error;
      problem(error.message);
    }
  }
  return { rules, problems };
}

/**
 * The rule that selects `text`: as in .gitignore, the last matching pattern decides, and when
 * it is a `!` pattern the text is not selected (undefined).
 */
export function selectingRule<R extends { readonly negated: boolean; test(text: string): boolean }>(rules: readonly R[], text: string): R | undefined {
  for (let k = rules.length - 1; k >= 0; k--) {
    const rule = rules[k]!;
    if (rule.test(text)) return rule.negated ? undefined : rule;
  }
  return undefined;
}

/**
 * Splits an input into patterns: one per line and, with `commas`, also at commas outside brace
 * sets and classes (so `db/**\/*.{sql,py}` stays one pattern). Trims each; drops blanks and lines
 * starting with `#` (write `\#` for a pattern starting with `#`).
 */
export function splitPatterns(text: string, options: { commas: boolean }): string[] {
  const items: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim().startsWith('#')) continue;
    items.push(...(options.commas ? splitOutsideSets(line, ',') : [line]));
  }
  return items.map((item) => item.trim()).filter((item) => item !== '' && !item.startsWith('#'));
}

/** Splits `text` at each `separator` that is outside brace sets and classes and not escaped. */
export function splitOutsideSets(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  /** Where the members of the open class begin (a `]` there is a member), or -1 outside a class. */
  let classMembers = -1;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') i++;
    else if (classMembers >= 0) {
      if (ch === ']' && i > classMembers) classMembers = -1;
    } else if (ch === '[') classMembers = text[i + 1] === '!' || text[i + 1] === '^' ? i + 2 : i + 1;
    else if (ch === '{') depth++;
    else if (ch === '}') depth = Math.max(0, depth - 1);
    else if (ch === separator && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
