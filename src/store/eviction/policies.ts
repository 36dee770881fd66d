// Makes an eviction policy from its name (the names are EVICTION_POLICIES in policy.ts).

import type { EvictionHost, EvictionPolicy, EvictionPolicyName } from './policy.js';
import { SampledPolicy } from './sampled.js';
import { TinyLfuPolicy } from './tinylfu-policy.js';

export { EVICTION_POLICIES, type EvictionPolicyName, type EvictionPolicy, type KeyTracker, type EvictionHost, type EvictedKeyspace } from './policy.js';

export function createPolicy(name: EvictionPolicyName, host: EvictionHost): EvictionPolicy {
  return name === 'allkeys-tinylfu' ? new TinyLfuPolicy(host) : new SampledPolicy(name, host);
}
