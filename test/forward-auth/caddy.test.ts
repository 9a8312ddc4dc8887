// Forward-auth behind real Caddy (forward_auth), with docs/forward-auth/Caddyfile.
import { CADDY, proxyMissing, startCaddy } from './harness.ts';
import { proxySuite } from './proxy-suite.ts';

proxySuite('Caddy', proxyMissing(CADDY, 'caddy'), startCaddy);
