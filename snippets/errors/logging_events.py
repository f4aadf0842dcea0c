"""Standard logging: an error record becomes an event, an info record a breadcrumb."""

import logging

logger = logging.getLogger(__name__)


class MailerError(Exception):
    pass


def send_reminder(participant_id: int) -> None:
    raise MailerError(f"Mail server refused the reminder to participant {participant_id}")


def send_reminders(fast_id: int, participant_ids: list[int]) -> int:
    logger.info("Sending %d reminders for fast %s", len(participant_ids), fast_id)
    failed = 0
    for participant_id in participant_ids:
        try:
            send_reminder(participant_id)
        except MailerError:
            failed += 1
            logger.exception("Reminder for fast %s not sent", fast_id)
    if failed:
        logger.error("%d of %d reminders failed for fast %s", failed, len(participant_ids), fast_id)
    return failed
