"""The pytest plugin (entry point ``pytest11``), split by concern:

- :mod:`.options`: command-line options, profiles and budgets;
- :mod:`.remote`: remote deployments: concurrency, the hypothesis settings of failing runs, failed
  requirements that stop spending requests;
- :mod:`.lifecycle`: configuring a run (spec, ledger, seed, the embedded server, preflight);
- :mod:`.safety`: sensitive base URLs, intrusive tests and ``--requirements`` selection;
- :mod:`.fixtures`: the fixtures and operation parametrization the conformance tests use;
- :mod:`.evidence`: the every-response oracles on the suite's HTTP session, and their report rows;
- :mod:`.progress`: the progress line of a long run, and what an interruption kept from running;
- :mod:`.reporting`: verdicts per requirement, attribution, redaction, terminal/HTML/JSON reports.

With no ``--base-url`` a run of the conformance suite starts the embedded reference server on a free
loopback port and uses its demo keys.
"""

# in dependency order: a module is imported (and its assertions rewritten) before one that imports it
pytest_plugins = [
    "conformance.plugin.options",
    "conformance.plugin.safety",
    "conformance.plugin.remote",
    "conformance.plugin.lifecycle",
    "conformance.plugin.fixtures",
    "conformance.plugin.evidence",
    "conformance.plugin.progress",
    "conformance.plugin.reporting",
]

