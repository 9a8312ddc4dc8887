import { sqliteBackend } from '../support/stores.ts';
import { runOidcFlowSuite } from './flow-suite.ts';

runOidcFlowSuite(sqliteBackend);
