from django.core.management.base import BaseCommand

from events.bookings import expire_stall_offers
from events.schedule import advance_due_events


class Command(BaseCommand):
    help = ("Draw stall lotteries whose window closed, start and finish events on time, and pass stall "
            "offers not confirmed in time to the next person on the waitlist (what the periodic tasks do).")

    def handle(self, *args, **options):
        done = advance_due_events()
        lapsed = expire_stall_offers()
        self.stdout.write(f"{done['drawn']} lotteries drawn, {done['started']} events started, "
                          f"{done['finished']} finished, {lapsed} stall offers lapsed.")
