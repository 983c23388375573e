package server

import (
	"flag"
	"fmt"
	"strconv"

	"warren/cmd/warren/internal/command"
)

// metricsFlag adds --metrics-addr to serve's flags; the returned func
// checks it once parsed and gives Config.MetricsAddr.
func metricsFlag(e *command.Env, fs *flag.FlagSet) func() (string, error) {
	addr := fs.String("metrics-addr", command.EnvDefault(e, "WARREN_METRICS_ADDR", ""),
		"address of a listener serving /metrics (Prometheus), /debug/pprof/ and /readyz, e.g. 127.0.0.1:9090; keep it off the internet (default: off; env WARREN_METRICS_ADDR)")
	return func() (string, error) {
		if *addr == "" {
			return "", nil
		}
		if _, err := strconv.Atoi(portOf(*addr)); err != nil {
			return "", &command.ExitError{Code: 2, Err: fmt.Errorf("--metrics-addr %q is not host:port", *addr)}
		}
		return *addr, nil
	}
}
