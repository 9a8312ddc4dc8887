import { postgresBackend } from '../support/stores.ts';
import { runFlowSuite } from './flow-suite.ts';

runFlowSuite(postgresBackend);
