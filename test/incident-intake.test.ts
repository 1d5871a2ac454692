import { describe } from 'node:test';
import { openSqliteStore } from './helpers/incident.js';
import { defineIntakeSuite } from './helpers/incident-intake-suite.js';

describe('Alertmanager intake on SQLite', () => {
  defineIntakeSuite(openSqliteStore);
});
