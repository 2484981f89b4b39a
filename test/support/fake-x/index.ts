export { startFakeX, ENDPOINTS, DEFAULT_RATE_LIMITS } from './server.js';
export type { FakeX, FakeXOptions, FaultSpec, EndpointKey, RequestRecord } from './server.js';
export { generateScenario, type GenerateOptions } from './generate.js';
export { FakeXStore, retweetText, type NewPost } from './store.js';
export { extractEntities } from './entities.js';
export { snowflake, snowflakeTime, compareIds } from './snowflake.js';
export type * from './types.js';
export {
  generateDerbyScenario,
  type DerbyExpectation,
  type DerbyPerson,
  type DerbyPlace,
  type DerbyScenario,
  type DerbyScenarioOptions,
} from './derby.js';
