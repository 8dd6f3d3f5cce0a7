// The part of the Prometheus Operator's ServiceMonitor (monitoring.coreos.com/v1) that our
// manifests use, strict about unknown fields so a typo fails the test instead of being ignored.
const labels = { type: 'object', additionalProperties: { type: 'string' } } as const;

export const serviceMonitorSchema = {
  type: 'object',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  additionalProperties: false,
  properties: {
    apiVersion: { const: 'monitoring.coreos.com/v1' },
    kind: { const: 'ServiceMonitor' },
    metadata: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 253 },
        namespace: { type: 'string' },
        labels,
        annotations: labels,
      },
    },
    spec: {
      type: 'object',
      required: ['selector', 'endpoints'],
      additionalProperties: false,
      properties: {
        jobLabel: { type: 'string' },
        namespaceSelector: {
          type: 'object',
          additionalProperties: false,
          properties: {
            any: { type: 'boolean' },
            matchNames: { type: 'array', items: { type: 'string' } },
          },
        },
        selector: {
          type: 'object',
          additionalProperties: false,
          properties: { matchLabels: labels },
        },
        endpoints: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['port'],
            additionalProperties: false,
            properties: {
              port: { type: 'string' },
              path: { type: 'string', pattern: '^/' },
              scheme: { enum: ['http', 'https'] },
              interval: { type: 'string', pattern: '^(0|(([0-9]+)(ms|s|m|h))+)$' },
              scrapeTimeout: { type: 'string', pattern: '^(0|(([0-9]+)(ms|s|m|h))+)$' },
            },
          },
        },
      },
    },
  },
} as const;
