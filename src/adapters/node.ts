/** `stint/adapters/node`: node:http in and out. */
export {
  clientOf,
  type NodeAdapterOptions,
  nodeListener,
  nodeSessions,
  type RunningServer,
  type ServeOptions,
  sendWebResponse,
  serve,
  type TrustProxy,
  toWebRequest,
} from "../http/adapters/node.js";
