"""Elections: rolls, credentials, casting, counting, results, tracker and recount."""
