// The series selectors of a PromQL expression: each metric name and the label names its matchers use.
// A small lexer, not a parser: the dashboards' tests use it to check every name against what Medic, the
// simulated agents and Prometheus export; promtool checks the syntax.
export interface Selector {
  /** Undefined for a selector with only label matchers (`{job="x"}`). */
  metric: string | undefined;
  labels: string[];
}

const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);
// Followed by a parenthesised list of label names, not of expressions.
const LABEL_LISTS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan', 'start', 'end']);

type Token = { kind: 'ident' | 'string' | 'number' | 'punct' | 'op'; text: string };

function lex(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '#') { while (i < expr.length && expr[i] !== '\n') i++; continue; }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c) j += expr[j] === '\\' && c !== '`' ? 2 : 1;
      tokens.push({ kind: 'string', text: expr.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    if (c === '[') {
      // A range or subquery step: durations, never names.
      const j = expr.indexOf(']', i);
      i = j < 0 ? expr.length : j + 1;
      continue;
    }
    const ident = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(expr.slice(i));
    if (ident) { tokens.push({ kind: 'ident', text: ident[0] }); i += ident[0].length; continue; }
    const num = /^(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?[smhdwy]*)/.exec(expr.slice(i));
    if (num && num[0]) { tokens.push({ kind: 'number', text: num[0] }); i += num[0].length; continue; }
    const op = /^(=~|!~|!=|==|<=|>=|=|<|>)/.exec(expr.slice(i));
    if (op) { tokens.push({ kind: 'op', text: op[0] }); i += op[0].length; continue; }
    tokens.push({ kind: 'punct', text: c });
    i++;
  }
  return tokens;
}

/** Label names used by the matchers of the block opening at tokens[start] ('{'); returns them and the index after '}'. */
function matchers(tokens: Token[], start: number): { labels: string[]; metric?: string; next: number } {
  const labels: string[] = [];
  let metric: string | undefined;
  let i = start + 1;
  while (i < tokens.length && tokens[i]!.text !== '}') {
    const t = tokens[i]!;
    if ((t.kind === 'ident' || t.kind === 'string') && tokens[i + 1]?.kind === 'op') {
      if (t.text === '__name__' && tokens[i + 2]?.kind === 'string' && tokens[i + 1]!.text === '=') metric = tokens[i + 2]!.text;
      else labels.push(t.text);
      i += 3;
      continue;
    }
    i++;
  }
  return { labels, ...(metric ? { metric } : {}), next: i + 1 };
}

export function selectors(expr: string): Selector[] {
  const tokens = lex(expr);
  const out: Selector[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (t.kind === 'ident' && LABEL_LISTS.has(t.text) && next?.text === '(') {
      while (i < tokens.length && tokens[i]!.text !== ')') i++;
      continue;
    }
    if (t.kind === 'punct' && t.text === '{') {
      const m = matchers(tokens, i);
      out.push({ metric: m.metric, labels: m.labels });
      i = m.next - 1;
      continue;
    }
    if (t.kind !== 'ident' || AGGREGATIONS.has(t.text) || KEYWORDS.has(t.text.toLowerCase()) || next?.text === '(') continue;
    if (next?.text === '{') {
      const m = matchers(tokens, i + 1);
      out.push({ metric: t.text, labels: m.labels });
      i = m.next - 1;
    } else {
      out.push({ metric: t.text, labels: [] });
    }
  }
  return out;
}
