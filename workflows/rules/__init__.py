"""Rule checking and matching for routing and automation: pure code, no ORM and no clock.

`schema` says whether a rule's JSON is well formed (with clear messages); `matching`
compiles conditions once and evaluates them against a dict of facts about a case.
"""
