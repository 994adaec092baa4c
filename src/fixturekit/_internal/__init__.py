"""What several blocks share, in one place: argument checks, the matcher and the
assertion surface, the after-commit gate, the loopback HTTP server, the lifecycle
mixin, exception notes, the seed, the database session a sandbox publishes, and the
test a runner is running. Private: nothing here is part of the public API.
"""
