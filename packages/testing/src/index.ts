/**
 * Test helpers over the real engines: every test run gets its own fresh Postgres
 * database and its own Redis key prefix, so runs never see each other's data.
 * Nothing here stands in for Postgres or Redis. Beside them, what several suites share:
 * signed assertions, the admin API client, OAuth form POSTs, a TCP proxy to cut, a
 * redis-server to stop, a partner's IdP on loopback, and the services as real processes.
 */
export { AdminApi, type CreatedClient, type CreatedIssuer } from './admin-api';
export { assertionClaims, generatePartyKey, jwksOf, nowSeconds, signAssertion, unsecuredJwt, type PartyKey } from './assertions';
// One definition with the broker's code; contracts' spec pins them to the RFCs' literal text.
export { CLIENT_ASSERTION_TYPE, JWT_BEARER_GRANT, TOKEN_EXCHANGE_GRANT, TOKEN_TYPES } from '@trust-broker/contracts/oauth-urns';
export { eventually } from './eventually';
export { PROBE_TRACKED, PROBE_WATCHING, promiseHookProbeEnv, promisesTrackedByAsyncHooks } from './promise-hooks';
export { getFreePort, getFreePortIn } from './get-free-port';
export { basicAuthorization, postForm, postFormFrom, type TokenAnswer } from './oauth-http';
export { OwnRedisServer, type OwnRedisServerOptions } from './redis-server';
export { OwnRedisCluster, type OwnRedisClusterOptions, type ClusterNodeInfo } from './redis-cluster';
export { TcpProxy } from './tcp-proxy';

export {
  TEST_POSTGRES_URL,
  TEST_REDIS_URL,
  createTestDatabase,
  createTestRedisPrefix,
  randomKeyEncryptionKey,
  scanKeys,
  type TestDatabase,
  type TestRedisPrefix,
} from './backends';
export { startNodeProcess, waitForHttp, type RunningProcess } from './processes';
export { jsonRoute, startLoopbackIdp, type LoopbackIdp, type LoopbackRoute } from './loopback-idp';
export { serviceBackends, startService, type ServiceBackends, type StartedService, type StartServiceOptions } from './services';
export { READY_BANNER, npmStartEnv, startWholeSystem, untilReady, type SystemPorts, type WholeSystem, type WholeSystemOptions } from './npm-start';
