// Forward-auth behind real nginx (auth_request), with docs/forward-auth/nginx.conf.
import { NGINX, proxyMissing, startNginx } from './harness.ts';
import { proxySuite } from './proxy-suite.ts';

proxySuite('nginx', proxyMissing(NGINX, 'nginx'), startNginx);
