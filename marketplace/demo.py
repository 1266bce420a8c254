"""Demo data plumbing: `load_demo` runs each installed app's `demo.load(world)` in app order.

An app adds its demo objects by writing `<app>/demo.py` with `def load(world): ...`. `world` is
a dict shared across apps (accounts puts its users and organizations there, later apps read
them). Every loader must be idempotent: look objects up by a natural key before creating them.
"""
from importlib import import_module

from django.apps import apps


def demo_loaders():
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.demo":
                raise
            continue
        if hasattr(module, "load"):
            yield config.label, module.load
