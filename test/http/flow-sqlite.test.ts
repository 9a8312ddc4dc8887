import { sqliteBackend } from '../support/stores.ts';
import { runFlowSuite } from './flow-suite.ts';

runFlowSuite(sqliteBackend);
