import { fetchHost } from "../support/api-target.js";
import { describeApi } from "./api.suite.js";

describeApi("bare handler", fetchHost);
