"""Plans: the exercise library (data in ``exercises.toml``, read and checked by ``library``)."""
