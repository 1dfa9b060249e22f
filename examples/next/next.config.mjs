export default { devIndicators: false, logging: { incomingRequests: false } };
