package host

import "strings"

// allowedEnv says whether a host variable is passed to plugins.
func allowedEnv(key string) bool {
	switch key {
	case "TZ", "HOME", "PATH", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR",
		"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy":
		return true
	}
	return strings.HasPrefix(key, "AWS_") || strings.HasPrefix(key, "LAVA_")
}

func filterEnv(environ []string) []string {
	var out []string
	for _, kv := range environ {
		if k, _, ok := strings.Cut(kv, "="); ok && allowedEnv(k) {
			out = append(out, kv)
		}
	}
	return out
}
