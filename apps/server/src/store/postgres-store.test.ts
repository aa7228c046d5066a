import { storeContract } from './store-contract.js';
import { postgresFactory } from './test-stores.js';

// Skipped with a loud warning when PostgreSQL is absent, failed when CI=true (see test-stores.ts).
storeContract(await postgresFactory());
