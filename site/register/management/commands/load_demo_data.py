from django.core.management.base import BaseCommand

from register.demo import DEMO_PASSWORD, PEOPLE, load_demo_data


class Command(BaseCommand):
    help = "Load demo people, training providers and API clients (safe to run again)."

    def handle(self, *args, **options):
        load_demo_data()
        self.stdout.write("Demo data is loaded. Sign in at /admin/ as:")
        for username, *_ in PEOPLE:
            self.stdout.write(f"  {username:<10} password {DEMO_PASSWORD}")
