"""ServingFake: a fake with an HTTP face on loopback (the OIDC issuer, the Stripe API)."""

from __future__ import annotations

from typing import ClassVar

from fixturekit._internal.loopback import ServedAPI
from fixturekit.harness._fake import Fake

__all__ = ["ServingFake"]


class ServingFake(Fake):
    """A fake that serves one `ServedAPI` at a time, and stops it when the fake stops."""

    #: What the server is and how it is started, for the timeline and error messages.
    served_what: ClassVar[str] = "API"
    serve_call: ClassVar[str] = "serve()"

    _served: ServedAPI | None = None

    def _start_serving(self, server: ServedAPI) -> str:
        if self._served is not None:
            raise RuntimeError(
                f"{type(self).__name__} is already serving at {self._served.url} (its "
                f"{self.served_what}); use that URL, or leave its `with {self.serve_call}` "
                "block first"
            )
        url = server.start()
        self._served = server
        self.record(f"{self.served_what} serving at {url}", url=url)
        return url

    def _stop_serving(self, server: ServedAPI) -> None:
        if self._served is server:
            self._served = None
        server.stop()
        self.record(f"{self.served_what} at {server.url} stopped", url=server.url)

    def on_stop(self) -> None:
        """Stop a server left running, so that none outlives the fake."""
        if self._served is not None:
            self._stop_serving(self._served)
