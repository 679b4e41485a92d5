"""One verdict per requirement and what is rendered from it: the model, waivers, the HTML banner
and matrix, summary.md, the evidence bundle and run-to-run diffs."""
