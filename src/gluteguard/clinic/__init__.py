"""The clinician's side: which of their athletes need attention first (pure; ``services.roster`` reads the store)."""
