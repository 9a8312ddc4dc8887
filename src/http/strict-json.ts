// JSON.parse keeps the last of duplicate keys and turns "__proto__" into an own
// property that later spreads or merges may treat as a prototype. Parsers
// disagree on both (a proxy may read the first "email", we the last), so a body
// with either is refused instead of guessed at.

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 8;

/** The parsed value, or undefined when the text is not JSON we accept. */
export function parseStrictJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return keysAreSafe(text) ? value : undefined;
}

/** Walks valid JSON text, collecting each object's keys. */
function keysAreSafe(text: string): boolean {
  const stack: Array<Set<string> | null> = [];
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '{' || char === '[') {
      stack.push(char === '{' ? new Set() : null);
      if (stack.length > MAX_DEPTH) return false;
    } else if (char === '}' || char === ']') {
      stack.pop();
    } else if (char === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      let next = i + 1;
      while (/\s/.test(text[next] ?? '')) next++;
      const keys = stack[stack.length - 1];
      if (text[next] !== ':' || !keys) continue;
      const key = JSON.parse(text.slice(start, i + 1)) as string;
      if (FORBIDDEN_KEYS.has(key) || keys.has(key)) return false;
      keys.add(key);
    }
  }
  return true;
}
