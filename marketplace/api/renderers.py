"""Views that answer an image: the PNG body as it is, and errors still in the one JSON shape."""
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView


class PNGRenderer(BaseRenderer):
    media_type = "image/png"
    format = "png"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class PNGView(APIView):
    """An APIView whose success is an HttpResponse with PNG bytes (certificate labels, hand-over QR codes)."""

    renderer_classes = [PNGRenderer, JSONRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        if isinstance(response, Response):
            # An error: always the JSON error shape, whatever image type the client asked for.
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
