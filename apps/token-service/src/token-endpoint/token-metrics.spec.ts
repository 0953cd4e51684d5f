import { register } from 'prom-client';
import { TokenMetrics } from './token-metrics';

describe('TokenMetrics', () => {
  it('counts each grant type and outcome apart, and times successes and failures apart', async () => {
    const metrics = new TokenMetrics();
    const before = process.hrtime.bigint();
    metrics.record('client_credentials', undefined, before);
    metrics.record('client_credentials', undefined, before);
    metrics.record('client_credentials', 'invalid_client', before);
    metrics.record(undefined, 'invalid_request', before);
    const counts = await register.getSingleMetricAsString('token_requests_total');
    expect(counts).toContain('token_requests_total{grant_type="client_credentials",outcome="success",error=""} 2');
    expect(counts).toContain('token_requests_total{grant_type="client_credentials",outcome="failure",error="invalid_client"} 1');
    expect(counts).toContain('token_requests_total{grant_type="none",outcome="failure",error="invalid_request"} 1');
    const durations = await register.getSingleMetricAsString('token_request_duration_seconds');
    expect(durations).toContain('token_request_duration_seconds_count{outcome="success"} 2');
    expect(durations).toContain('token_request_duration_seconds_count{outcome="failure"} 2');
  });
});
