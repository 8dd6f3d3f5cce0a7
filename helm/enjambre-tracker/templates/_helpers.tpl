{{/* Names and labels shared by every template. */}}

{{- define "enjambre-tracker.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "enjambre-tracker.peersService" -}}
{{- printf "%s-peers" (include "enjambre-tracker.fullname" .) -}}
{{- end -}}

{{- define "enjambre-tracker.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: tracker
{{- end -}}

{{- define "enjambre-tracker.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: enjambre
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "enjambre-tracker.keySecretName" -}}
{{- default (printf "%s-network-key" (include "enjambre-tracker.fullname" .)) .Values.networkKey.existingSecret -}}
{{- end -}}

{{- define "enjambre-tracker.keySecretKey" -}}
{{- if .Values.networkKey.existingSecret -}}{{ .Values.networkKey.existingSecretKey }}{{- else -}}red-key{{- end -}}
{{- end -}}

{{/* The DHT nodes a replica joins through: every listed replica by its stable name (itself too:
its own answer is refused by its table), then dht.bootstrap. */}}
{{- define "enjambre-tracker.dhtBootstrap" -}}
{{- $fullname := include "enjambre-tracker.fullname" . -}}
{{- $service := include "enjambre-tracker.peersService" . -}}
{{- $nodes := list -}}
{{- range $i := until (int .Values.replicaCount) -}}
{{- $nodes = append $nodes (printf "%s-%d.%s:%d" $fullname $i $service (int $.Values.dht.port)) -}}
{{- end -}}
{{- join "," (concat $nodes .Values.dht.bootstrap) -}}
{{- end -}}
