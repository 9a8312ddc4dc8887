// The error a bad configuration stops the start with (the CLI exits 78, EX_CONFIG).
// Issue #12: it lists every problem found, one per line, each naming its variable.

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Throws one ConfigError listing every problem. */
export function configFailure(problems: string[]): never {
  const heading = problems.length === 1 ? 'Invalid configuration:' : `Invalid configuration (${problems.length} problems):`;
  throw new ConfigError(`${heading}\n  ${problems.join('\n  ')}`);
}
