"""The bad-input and security suite: hypothesis properties of every form parser and of
`cunyi recount`, every form over HTTP with hostile values, the route x role x village
permission matrix, tampered links, tokens, cookies and bodies, and inert text.

It runs in `make test` on both databases. Hypothesis is bounded (a handful of examples
per form); set CUNYI_HYPOTHESIS_EXAMPLES=N for a longer hunt, e.g. before a release.
"""
