{{- define "libcommon.fullname" -}}
{{ .Release.Name }}-{{ .Chart.Name }}-lib
{{- end -}}
