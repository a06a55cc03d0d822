"""Running the product: log lines, Prometheus metrics and the readiness check."""
