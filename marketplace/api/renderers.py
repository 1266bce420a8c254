"""Views that answer a file (PNG, iCalendar, CSV): the body as it is, and errors still in the one JSON shape."""
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView


class BinaryRenderer(BaseRenderer):
    """For responses built as an HttpResponse with the file's bytes; subclasses name the media type."""

    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class PNGRenderer(BinaryRenderer):
    media_type = "image/png"
    format = "png"


class FileView(APIView):
    """An APIView whose success is an HttpResponse with a file; its renderer_classes name the file's type first."""

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response):
            # An error: always the JSON error shape, whatever file type the client asked for.
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class PNGView(FileView):
    """A FileView answering PNG bytes (certificate labels, hand-over QR codes, event passes)."""

    renderer_classes = [PNGRenderer, JSONRenderer]
