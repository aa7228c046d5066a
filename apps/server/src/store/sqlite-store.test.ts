import { storeContract } from './store-contract.test-support.js';
import { sqliteFactory } from './test-stores.test-support.js';

storeContract(sqliteFactory());
