import { storeContract } from './store-contract.test-support.js';
import { postgresFactory } from './test-stores.test-support.js';

// Skipped with a loud warning when PostgreSQL is absent, failed when CI=true (see test-stores.ts).
storeContract(await postgresFactory());
