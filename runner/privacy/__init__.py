"""Privacy (GDPR): retention and erasure, rectification, access requests and the register of
processing."""
