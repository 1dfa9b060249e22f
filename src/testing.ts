/** "stint/testing": the suite that proves a Store keeps the contract, and its helpers. */
export { makeRecord } from "./testing/make-record.js";
export { type DescribeStoreOptions, describeStore } from "./testing/store-conformance.js";
