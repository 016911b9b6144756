"""The election services, one module per area; import from the area module directly.

- ballots.setup: elections, stages, roll, objections, nominations, candidates, round 1
- ballots.credentials: assemblies, QR slips, signed links, credentials
- ballots.casting: casting a ballot online, receipts, single use
- ballots.paper: paper ballots, public count, reconciliation, mobile box, proxies
- ballots.results: counting from the database, announcement, certification,
  annulment, further rounds, turnout, tracker and export
Counting itself is the pure function ballots.counting.count_round, shared with
`cunyi recount`.
"""
