"""Import a standard from a JSON file (the format of grading/standards/*.json) as a draft, and
optionally publish it: a new standard or a new version needs no code."""
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from grading import services
from grading.models import Criterion, GradeLevel, GradingStandard
from grading.seed import StandardFileError, build_standard, read_standard_file
from grading.validation import standard_problems
from marketplace.errors import DomainError


class Command(BaseCommand):
    help = "Import a grading standard from a JSON file as a draft; --publish publishes it (superseding the old version)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="a JSON file shaped like grading/standards/phone-1.json")
        parser.add_argument("--publish", action="store_true", help="publish it after importing")

    def handle(self, *args, path, publish, **options):
        try:
            data = read_standard_file(path)
        except StandardFileError as exc:
            raise CommandError(str(exc)) from exc
        if GradingStandard.objects.filter(code=data["code"], version=data["version"]).exists():
            raise CommandError(f"{data['code']}/{data['version']} already exists: raise the version.")
        try:
            with transaction.atomic():
                standard = build_standard(data, standard_model=GradingStandard, level_model=GradeLevel,
                                          criterion_model=Criterion)
                problems = standard_problems(standard)
                if problems:
                    raise CommandError("\n".join(problems))
                if publish:
                    services.publish_standard(standard)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        state = "published" if publish else "imported as a draft"
        self.stdout.write(self.style.SUCCESS(f"{standard.label} {state}."))
