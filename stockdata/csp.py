"""The Content-Security-Policy header, with one project rule on top of django-csp.

The policy forbids framing (``frame-ancestors 'none'``). A view that Django already lets
its own pages frame (``@xframe_options_sameorigin``, e.g. the signed release document
shown to reviewers) gets ``frame-ancestors 'self'`` instead, so the two headers agree.
"""

from csp.constants import SELF
from csp.middleware import CSPMiddleware as _CSPMiddleware


class CSPMiddleware(_CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if response.get("X-Frame-Options", "").upper() == "SAMEORIGIN":
            parts.replace = {**(parts.replace or {}), "frame-ancestors": [SELF]}
        return parts
