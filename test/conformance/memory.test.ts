import { memoryStore } from "stint";
import { describeStore } from "stint/testing";

describeStore("memory", () => memoryStore());
