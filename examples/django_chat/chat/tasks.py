"""A Celery-style task: a plain function (decorated with ``shared_task`` when Celery is there)."""

try:
    from celery import shared_task
except ImportError:  # the example runs without Celery; the function is the same

    def shared_task(func):  # type: ignore[no-untyped-def]
        return func


from .consumers import PaymentConsumer
from .messages import PaymentCompleteEvent


def process_payment_logic(payment_id: int) -> str:
    return "paid" if payment_id > 0 else "failed"


@shared_task
def process_payment(payment_id: int, channel_name: str) -> None:
    result = process_payment_logic(payment_id)
    # Notify specific user
    PaymentConsumer.send_event_sync(
        PaymentCompleteEvent(payload={"status": result}),
        channel_name=channel_name,
    )
