"""The job worker: ``python -m shop.worker`` runs queued jobs as they come due."""

from __future__ import annotations

import asyncio
import logging

from shop import signup
from shop.db import SessionLocal
from shop.jobs import DatabaseJobQueue, Handler
from shop.mailer import Mailer, SmtpMailer
from shop.settings import Settings, get_settings

log = logging.getLogger("shop.worker")


def handlers(settings: Settings, mailer: Mailer) -> dict[str, Handler]:
    """Every job the shop queues, by name."""
    return {**signup.job_handlers(settings, mailer)}


async def run_jobs(
    queue: DatabaseJobQueue,
    jobs: dict[str, Handler],
    *,
    poll_every: float = 1.0,
    stop: asyncio.Event | None = None,
) -> None:
    """Run jobs as they come due, looking again every ``poll_every`` seconds when none
    is due, until ``stop`` is set."""
    while stop is None or not stop.is_set():
        if not queue.run_due(jobs):
            await asyncio.sleep(poll_every)


def main(poll_every: float = 1.0) -> None:  # pragma: no cover - runs forever
    settings = get_settings()
    queue = DatabaseJobQueue(SessionLocal)
    jobs = handlers(settings, SmtpMailer(settings))
    log.info("running jobs: %s", ", ".join(sorted(jobs)))
    asyncio.run(run_jobs(queue, jobs, poll_every=poll_every))


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.INFO)
    main()
