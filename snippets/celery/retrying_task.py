"""A task that retries when a service is down, then gives up."""

from celery import shared_task


class MailServiceDown(Exception):
    pass


def send_reminder_email(participant_id: int) -> None:
    raise MailServiceDown("mail.example.invalid did not answer")


@shared_task(bind=True, max_retries=2, default_retry_delay=0)
def send_reminder(self, participant_id: int) -> None:
    try:
        send_reminder_email(participant_id)
    except MailServiceDown as exc:
        raise self.retry(exc=exc) from exc
