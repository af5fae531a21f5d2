/** The HTTP services. For now: the hardened canary listener and the pieces it is made of. */
export { startCanaryListener, defaultListenerLimits, type CanaryListener, type CanaryListenerOptions, type ListenerLimits, type ListenerStats } from './canary-endpoint.js';
export { parseTrustedProxies, resolveClientAddress, normaliseAddress, type TrustedProxies } from './client-address.js';
export { RateLimiter, type RateLimits } from './rate-limit.js';
export { startDashboard, parseListenAddress, type Dashboard } from './dashboard.js';
