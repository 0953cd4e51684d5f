/** `@trust-broker/service-kit/redis`: ioredis connections to one Redis or a Redis Cluster, key names, the WAIT barrier. */
export { createRedis, redisEndpointOf, waitForRedis, type RedisRole, type RedisClient, type RedisEndpoint } from '../redis';
export { parseClusterNodes, type RedisClusterNode, type RedisClusterSeeds } from '../redis-cluster-nodes';
export { keySlot, RedisReplicationError, ReplicationBarrier } from '../replication-barrier';
export { RedisKeyspace, keyspaceOf } from '../redis-keyspace';
