import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
application = get_wsgi_application()

# Load the URL configuration and jieba's dictionary (about a second) when a worker starts, not
# in the first search request it serves.
from django.urls import get_resolver  # noqa: E402

from search.text import tokenizer  # noqa: E402

get_resolver().url_patterns  # noqa: B018
tokenizer()
