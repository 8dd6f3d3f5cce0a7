// Schema checks for rendered Kubernetes objects, shared by the kustomize and Helm tests: each
// object validates against its kind's schema from kubernetes-models, the ServiceMonitor against
// the Prometheus Operator's CRD schema; a kind without a schema is an error.
import Ajv from 'ajv';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import type { K8sObject } from './manifests';
import { serviceMonitorSchema } from './servicemonitor-schema';

const models: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/StatefulSet': StatefulSet,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};
const validateServiceMonitor = new Ajv({ allErrors: true, strict: true }).compile(
  serviceMonitorSchema,
);

/** Throws with the schema's complaint if the object does not validate. */
export function validateObject(o: K8sObject): void {
  if (o.apiVersion === 'monitoring.coreos.com/v1' && o.kind === 'ServiceMonitor') {
    if (!validateServiceMonitor(o)) {
      throw new Error(`ServiceMonitor: ${JSON.stringify(validateServiceMonitor.errors)}`);
    }
    return;
  }
  const Model = models[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  new Model(o as never).validate();
}
