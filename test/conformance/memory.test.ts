import { memoryStore } from "../../src/stores/memory.js";
import { describeStore } from "../../src/testing.js";

describeStore("memory", () => memoryStore());
