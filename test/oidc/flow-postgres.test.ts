import { postgresBackend } from '../support/stores.ts';
import { runOidcFlowSuite } from './flow-suite.ts';

runOidcFlowSuite(postgresBackend);
