"""The sealed ballot box (the double envelope): choices sealed at cast to a vote's public
key, whose private key only k of the vote's key holders can rebuild. See services.py."""
