import { storeContract } from './store-contract.js';
import { sqliteFactory } from './test-stores.js';

storeContract(sqliteFactory());
