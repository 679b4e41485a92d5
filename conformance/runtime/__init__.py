"""Talking to the deployment: the HTTP client, the run's request ledger (budget, pace), the answers
the workers share, the preflight, key redaction and the embedded reference server's process."""
