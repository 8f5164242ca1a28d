{{- define "sub.shared" -}}sub-defined{{- end -}}
