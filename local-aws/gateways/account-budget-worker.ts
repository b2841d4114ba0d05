/** A thread that takes from a shared account budget (account-budget.test.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { AccountBudget, type AccountBudgetOptions } from './account-budget.js';

const { memory, options, attempts } = workerData as {
  memory: SharedArrayBuffer;
  options: AccountBudgetOptions;
  attempts: number;
};
const budget = new AccountBudget(options, { memory });
let taken = 0;
for (let n = 0; n < attempts; n++) if (budget.take('message')) taken++;
parentPort?.postMessage(taken);
