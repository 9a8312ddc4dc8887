// package.json is the single source of truth for the version.
import packageJson from '../package.json' with { type: 'json' };

export const VERSION: string = packageJson.version;
export const PRODUCT = 'Latchkey';
